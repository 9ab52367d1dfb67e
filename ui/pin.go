package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// pinRole says whose PIN a prompt wants.
type pinRole int

const (
	pinCashier pinRole = iota // leaving the Pay screen
	pinOwner                  // Sales and Settings
)

// demoPIN is accepted while no PIN has been set; the prompt says so.
const demoPIN = "0000"

// checkPIN reports whether pin opens role. The owner's PIN opens the
// cashier's prompts too.
func (k *Kiosk) checkPIN(role pinRole, pin string) bool {
	owner, cashier := k.cfg.OwnerPIN, k.cfg.CashierPIN
	if owner == "" && cashier == "" {
		return pin == demoPIN
	}
	if owner != "" && app.CheckPIN(owner, pin) {
		return true
	}
	if role == pinCashier {
		if cashier == "" {
			return owner == "" && pin == demoPIN
		}
		return app.CheckPIN(cashier, pin)
	}
	return owner == "" && pin == demoPIN
}

// keypad is a touch number pad typing into e, at most maxLen digits; its
// tick runs submit.
func (k *Kiosk) keypad(e *widget.Entry, maxLen int, submit func()) fyne.CanvasObject {
	keys := container.NewGridWithColumns(3)
	// "del" and "ok" are drawn as icons: the bundled fonts have no ⌫ or ✓.
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"} {
		var b *widget.Button
		switch d {
		case "del":
			b = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() {
				if t := e.Text; t != "" {
					e.SetText(t[:len(t)-1])
				}
			})
		case "ok":
			b = widget.NewButtonWithIcon("", theme.ConfirmIcon(), submit)
			b.Importance = widget.HighImportance
		default:
			b = widget.NewButton(d, func() {
				if len(e.Text) < maxLen {
					e.SetText(e.Text + d)
				}
			})
		}
		keys.Add(container.NewStack(minHeight(56*k.theme.scale), b))
	}
	return keys
}

// qtyPad is the quantity prompt of a cart line, for tests.
type qtyPad struct {
	dlg   dialog.Dialog
	entry *keyEntry
	msg   *widget.Label
	pad   fyne.CanvasObject
}

// askQty lets the cashier type a line's quantity, 1 to app.MaxLineQty.
func (s *sellScreen) askQty(ln app.Line) {
	k := s.k
	l := k.lang
	q := &qtyPad{entry: newEntry(k, false), msg: widget.NewLabel(ln.Name)}
	q.msg.Wrapping = fyne.TextWrapWord
	submit := func() {
		n, err := strconv.Atoi(q.entry.Text)
		if err != nil || n < 1 || n > app.MaxLineQty {
			q.entry.SetText("")
			q.msg.SetText(l.T("qty.range", app.MaxLineQty))
			q.msg.Importance = widget.DangerImportance
			q.msg.Refresh()
			return
		}
		q.dlg.Hide()
		s.setQty(ln, n)
	}
	q.entry.OnSubmitted = func(string) { submit() }
	q.pad = k.keypad(&q.entry.Entry, 3, submit)
	body := container.NewVBox(q.entry, q.msg, q.pad)
	q.dlg = dialog.NewCustom(l.T("qty"), l.T("cancel"), container.NewGridWrap(fyne.NewSize(320*k.theme.scale, 380*k.theme.scale), body), k.win)
	s.qty = q
	k.showDialog(q.dlg)
	k.win.Canvas().Focus(q.entry)
}

// pinPad is a touch keypad dialog; ok runs only after a correct PIN.
type pinPad struct {
	dlg   dialog.Dialog
	entry *keyEntry
	msg   *widget.Label
}

func (k *Kiosk) askPIN(role pinRole, ok func()) {
	l := k.lang
	p := &pinPad{entry: newEntry(k, true), msg: widget.NewLabel("")}
	if k.cfg.OwnerPIN == "" && (role == pinOwner || k.cfg.CashierPIN == "") {
		p.msg.SetText(l.T("pin.demo"))
	}
	p.msg.Wrapping = fyne.TextWrapWord
	title := l.T("pin.cashier")
	if role == pinOwner {
		title = l.T("pin.owner")
	}
	submit := func() {
		if k.checkPIN(role, p.entry.Text) {
			p.dlg.Hide()
			ok()
			return
		}
		p.entry.SetText("")
		p.msg.SetText(l.T("pin.wrong"))
		p.msg.Importance = widget.DangerImportance
		p.msg.Refresh()
	}
	p.entry.OnSubmitted = func(string) { submit() }
	body := container.NewVBox(p.entry, p.msg, k.keypad(&p.entry.Entry, 8, submit))
	p.dlg = dialog.NewCustom(title, l.T("cancel"), container.NewGridWrap(fyne.NewSize(320*k.theme.scale, 380*k.theme.scale), body), k.win)
	k.pin = p
	k.showDialog(p.dlg)
	k.win.Canvas().Focus(p.entry)
}

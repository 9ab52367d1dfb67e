package ui

import (
	"cmp"
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// openMenu shows the cashier's menu: Sales and Settings (owner PIN),
// reprint the last receipt, language.
func (k *Kiosk) openMenu() {
	l := k.lang
	var d dialog.Dialog
	item := func(label string, f func()) fyne.CanvasObject {
		b := widget.NewButton(label, func() { d.Hide(); f() })
		return container.NewStack(minHeight(56*k.theme.scale), b)
	}
	other := "English"
	otherLoc := "en"
	if k.lang == 1 {
		other, otherLoc = "中文", "zh"
	}
	items := container.NewVBox(
		item(l.T("sales"), k.openSales),
		item(l.T("settings"), k.openSettings),
		item(l.T("reprint.last"), k.reprintLast),
		item(l.T("labels"), func() { k.askPIN(pinOwner, k.printLabels) }),
		item(other, func() { k.chooseLocale(otherLoc) }),
	)
	if k.screen == "sell" {
		// Locking hides the till while the cashier is away; never over a
		// QR a customer may be scanning.
		items.Add(item(l.T("lock"), k.lock))
	}
	d = dialog.NewCustom(l.T("menu"), l.T("back"), container.NewGridWrap(fyne.NewSize(320*k.theme.scale, 384*k.theme.scale), items), k.win)
	k.showDialog(d)
}

// chooseLocale switches the language from the menu and keeps the choice
// for the next start (Options.SaveConfig); a failed save is said on Sell,
// the switch still applies.
func (k *Kiosk) chooseLocale(loc string) {
	c := k.cfg
	c.Locale = loc
	err := k.saveConfig(c)
	k.setLocale(loc)
	if err != nil {
		k.logErr("save the language", err)
		k.sell.setMessage(k.lang.T("locale.unsaved", k.errText(err)), true)
	}
}

// reprintLast prints the last receipt again: the last paid order seen,
// or after a restart the newest paid order in the ledger. A failure is
// shown, not dropped.
func (k *Kiosk) reprintLast() {
	no := k.lastPaid
	if no == "" {
		o, ok := k.eng.LastPaid()
		if !ok {
			k.sell.setMessage(k.lang.T("reprint.none"), true)
			return
		}
		no = o.OutTradeNo
	}
	k.request(func(ctx context.Context) error {
		_, err := k.eng.Reprint(ctx, no)
		return err
	}, func(err error) {
		k.logErr("reprint "+no, err)
		if err != nil {
			k.sell.setMessage(k.printErrText(err), true)
			return
		}
		k.sell.setMessage(k.lang.T("reprinted"), false)
	})
}

func (k *Kiosk) openSales() {
	k.askPIN(pinOwner, func() {
		k.sales = newSalesScreen(k)
		k.setBody("sales", k.sales.obj)
	})
}

func (k *Kiosk) openSettings() {
	k.askPIN(pinOwner, func() {
		k.settings = newSettingsScreen(k)
		k.setBody("settings", k.settings.obj)
	})
}

// printLabels prints a Native mode-1 QR label for every product that has a
// QR id: the customer scans it at the shelf and pays without the counter.
func (k *Kiosk) printLabels() {
	ps, err := k.eng.Products()
	if err != nil {
		k.sell.setMessage(k.errText(err), true)
		return
	}
	n := 0
	k.request(func(ctx context.Context) error {
		var firstErr error
		for _, p := range ps {
			if p.QRID == "" {
				continue
			}
			if _, err := k.eng.PrintLabel(ctx, p.ID); err != nil {
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			n++
		}
		return firstErr
	}, func(err error) {
		k.logErr("print labels", err)
		if err != nil {
			k.sell.setMessage(k.lang.T("labels.failed", n, k.printErrText(err)), true)
			return
		}
		k.sell.setMessage(k.lang.T("labels.done", n), false)
	})
}

// lock covers the Sell screen until the cashier's PIN is entered. The
// status bar stays, so the link and printer are still watched.
func (k *Kiosk) lock() {
	l := k.lang
	title := canvas.NewText(l.T("locked"), colorInk)
	title.TextSize = 40 * k.theme.scale
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.Alignment = fyne.TextAlignCenter
	unlock := newButton(k, l.T("unlock"), k.askUnlock)
	unlock.Importance = widget.HighImportance
	body := container.NewCenter(container.NewVBox(title, container.NewStack(minSize(240*k.theme.scale, 64*k.theme.scale), unlock)))
	k.setBody("locked", body)
}

// askUnlock asks the cashier's PIN and goes back to selling.
func (k *Kiosk) askUnlock() { k.askPIN(pinCashier, k.back) }

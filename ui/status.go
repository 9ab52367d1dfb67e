package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// statusBar is the cashier's top bar: clock, shop, relay link, printer,
// demo badge and the menu. It is always visible, so it must fit 1024 px in
// its longest state: the shop name gives way (truncated) first.
type statusBar struct {
	k        *Kiosk
	obj      fyne.CanvasObject
	clock    *widget.Label
	link     *chip
	printer  *chip
	demo     *chip
	settling *chip
	flagged  *keyButton // orders needing the owner; opens Sales
	retry    *keyButton // a printer problem, amber; tapping retries
	menu     *keyButton
}

// chip is a coloured dot with a label.
type chip struct {
	dot   *canvas.Circle
	label *widget.Label
	obj   fyne.CanvasObject
}

func newChip(c color.Color, text string) *chip {
	ch := &chip{dot: canvas.NewCircle(c), label: widget.NewLabel(text)}
	dot := container.NewGridWrap(fyne.NewSize(14, 14), ch.dot)
	ch.obj = container.NewHBox(container.NewCenter(dot), ch.label)
	return ch
}

func (c *chip) set(col color.Color, text string) {
	c.dot.FillColor = col
	c.dot.Refresh()
	c.label.SetText(text)
}

func newStatusBar(k *Kiosk) *statusBar {
	l := k.lang
	b := &statusBar{k: k, clock: widget.NewLabel(k.now().In(k.loc).Format("15:04"))}
	title := widget.NewLabelWithStyle(k.cfg.Shop, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	b.link = newChip(colorWaiting, "")
	b.printer = newChip(colorPay, l.T("printer.ok"))
	b.demo = newChip(colorWaiting, l.T("demo"))
	b.settling = newChip(colorWaiting, l.T("settling"))
	b.flagged = newButton(k, "", k.openSales)
	b.flagged.Importance = widget.DangerImportance
	b.retry = newButton(k, "", func() {
		// The chip follows the printer's status; a retry that could not
		// even start is said on the screen.
		k.request(k.eng.RetryPrint, func(err error) {
			k.logErr("retry printing", err)
			if err != nil {
				k.tell(k.printErrText(err))
			}
		})
	})
	b.retry.Importance = widget.WarningImportance
	b.retry.Hide()
	b.menu = newIconButton(k, l.T("menu"), theme.MenuIcon(), func() { k.openMenu() })
	bg := canvas.NewRectangle(color.White)
	right := container.NewHBox(b.settling.obj, b.flagged, b.link.obj, b.printer.obj, b.retry, b.demo.obj, b.menu)
	row := container.NewBorder(nil, nil, b.clock, right, title)
	b.obj = container.NewStack(bg, container.NewPadded(row))
	return b
}

func (b *statusBar) set(st app.Status) {
	l := b.k.lang
	col, key := linkChip(st.Link, st.Link == app.LinkCertInvalid)
	b.link.set(col, l.T(key))
	// A printer problem is an amber chip that retries when tapped; it
	// never blocks the next sale.
	showIf(b.printer.obj, st.Printer.OK)
	showIf(b.retry, !st.Printer.OK)
	if !st.Printer.OK {
		b.retry.SetText(l.T("printer."+problemKey(st.Printer.Detail)) + " · " + l.T("retry"))
	}
	if st.Printer.OK {
		// Ready, or ready with a warning (paper running low).
		key, col := "printer.ok", colorPay
		if st.Printer.Detail != "" {
			key, col = "printer."+problemKey(st.Printer.Detail), colorWaiting
		}
		b.printer.set(col, l.T(key))
	}
	showIf(b.demo.obj, st.Demo)
	showIf(b.settling.obj, !st.Ready)
	b.flagged.SetText(l.T("flagged", st.Flagged+st.Differences))
	showIf(b.flagged, st.Flagged+st.Differences > 0)
}

func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// problemKey maps the engine's printer problem word to a string key.
func problemKey(detail string) string {
	switch detail {
	case "offline", "stalled", "lp", "cover", "unconfirmed":
		return detail
	case "paper":
		return "nopaper"
	case "paper_near_end":
		return "nearend"
	}
	return "error"
}

// linkChip is the relay link chip's colour and string key. certInvalid
// (the relay's TLS certificate was refused: not trusted, expired, or for
// another name) says more than "polling only": the owner must fix the
// certificate or [relay] ca_file, and waiting will not help.
func linkChip(link app.LinkState, certInvalid bool) (color.Color, string) {
	switch {
	case link == app.LinkConnected:
		return colorPay, "link.connected"
	case certInvalid:
		return colorDanger, "link.cert"
	}
	return colorWaiting, "link.polling"
}

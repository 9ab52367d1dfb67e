package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
	"saoma/payment/wxpay"
)

// statusBar is the cashier's top bar: shop, clock, relay link, printer,
// demo badge and the menu. It is always visible.
type statusBar struct {
	k        *Kiosk
	obj      fyne.CanvasObject
	clock    *widget.Label
	link     *chip
	printer  *chip
	demo     *chip
	flagged  *widget.Button // orders needing the owner; opens Sales
	retry    *widget.Button
	settling *widget.Label
	menu     *widget.Button
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
	b := &statusBar{k: k, clock: widget.NewLabel(k.now().In(wxpay.Shanghai()).Format("15:04"))}
	title := widget.NewLabelWithStyle(k.cfg.Shop, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.link = newChip(colorWaiting, "")
	b.printer = newChip(colorPay, "")
	b.demo = newChip(colorWaiting, k.lang.T("demo"))
	b.flagged = widget.NewButton("", k.openSales)
	b.flagged.Importance = widget.DangerImportance
	b.settling = widget.NewLabel(k.lang.T("settling"))
	b.retry = widget.NewButton(k.lang.T("retry"), func() {
		go func() {
			ctx, cancel := k.ctx()
			defer cancel()
			k.eng.RetryPrint(ctx)
		}()
	})
	b.menu = widget.NewButton("☰ "+k.lang.T("menu"), func() { k.openMenu() })
	bg := canvas.NewRectangle(color.White)
	row := container.NewHBox(title, b.clock, layout.NewSpacer(), b.settling, b.flagged, b.link.obj,
		b.printer.obj, b.retry, b.demo.obj, b.menu)
	b.obj = container.NewStack(bg, container.NewPadded(row))
	return b
}

func (b *statusBar) set(st app.Status) {
	l := b.k.lang
	if st.Link == app.LinkConnected {
		b.link.set(colorPay, l.T("link.connected"))
	} else {
		b.link.set(colorWaiting, l.T("link.polling"))
	}
	if st.Printer.OK {
		b.printer.set(colorPay, l.T("printer.ok"))
		b.retry.Hide()
	} else {
		b.printer.set(colorWaiting, l.T("printer."+problemKey(st.Printer.Detail)))
		b.retry.Show()
	}
	showIf(b.demo.obj, st.Demo)
	showIf(b.settling, !st.Ready)
	b.flagged.SetText(l.T("flagged", st.Flagged))
	showIf(b.flagged, st.Flagged > 0)
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
	case "offline", "stalled", "lp":
		return detail
	case "paper":
		return "nopaper"
	}
	return "error"
}

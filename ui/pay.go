package ui

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// payScreen is what the customer sees: shop, amount, the QR, countdown and
// the state; and, on the cashier's copy, Cancel (PIN), Print bill, and the
// paid panel with the receipt.
type payScreen struct {
	k        *Kiosk
	customer bool
	obj      fyne.CanvasObject

	order    app.Order
	deadline time.Time
	endedAt  time.Time // when the screen first showed endedNo cancelled
	endedNo  string
	paidAt   time.Time // when the cashier's screen first showed paidNo paid
	paidNo   string

	amount    *canvas.Text
	qr        *qrView
	qrBox     *fyne.Container
	scan      *fyne.Container // "scan with WeChat", in both languages
	scanText  *canvas.Text    // its Chinese, first whatever the kiosk's language
	countdown *canvas.Text
	state     *canvas.Text
	stateDot  *canvas.Circle
	big       *canvas.Text    // the state, large, where the QR would be
	bigSub    *canvas.Text    // the customer's display: big's English under it
	items     *fyne.Container // what the customer pays for: name, quantity, amount
	errLabel  *widget.Label
	demoHint  *widget.Label // demo mode: where the simulated phone pays
	banner    *fyne.Container

	cancelBtn, billBtn, refreshBtn, retryBtn, backBtn *keyButton

	waitView *fyne.Container
	paidView *fyne.Container
	paidAmt  *canvas.Text
	paidNote *canvas.Text
	receipt  *canvas.Image
	paidBtns *fyne.Container
	paidMsg  *widget.Label // a reprint that failed
	paidTap  *tapArea      // the cashier's green half: tap for the next sale
	idleView *fyne.Container
}

func newPayScreen(k *Kiosk, customer bool) *payScreen {
	p := &payScreen{k: k, customer: customer}
	l := k.lang
	sc := k.theme.scale
	p.amount = canvas.NewText("", colorInk)
	p.amount.TextSize = 56 * sc
	p.amount.TextStyle = fyne.TextStyle{Bold: true}
	p.amount.Alignment = fyne.TextAlignCenter
	p.qr = newQRView()
	p.qrBox = container.NewStack(p.qr)
	// The customer may not read the cashier's language, and in a Chinese
	// shop reads Chinese first: the instruction is in both, Chinese first,
	// whatever the kiosk's language.
	scan := canvas.NewText(zh.T("scan"), colorInk)
	scan.TextSize = 32 * sc
	scan.TextStyle = fyne.TextStyle{Bold: true}
	scanOther := canvas.NewText(en.T("scan"), colorInk)
	scanOther.TextSize = 26 * sc
	p.scanText = scan
	p.scan = container.NewCenter(container.NewHBox(scan, widget.NewLabel("/"), scanOther))
	p.countdown = canvas.NewText("", colorInk)
	p.countdown.TextSize = 24 * sc
	p.countdown.Alignment = fyne.TextAlignCenter
	p.state = canvas.NewText("", colorWaiting)
	p.state.TextSize = 24 * sc
	p.state.Alignment = fyne.TextAlignCenter
	p.errLabel = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	p.errLabel.Importance = widget.DangerImportance
	p.errLabel.Wrapping = fyne.TextWrapWord
	bannerText := canvas.NewText(l.T("paid.after"), color.White)
	bannerText.TextSize = 22 * sc
	bannerText.Alignment = fyne.TextAlignCenter
	p.banner = container.NewStack(canvas.NewRectangle(colorDanger), container.NewPadded(bannerText))
	p.banner.Hide()

	p.cancelBtn = newButton(k, l.T("cancel"), p.askCancel)
	p.billBtn = newButton(k, l.T("print.bill"), p.printBill)
	p.refreshBtn = newButton(k, l.T("refresh"), p.refresh)
	p.refreshBtn.Importance = widget.HighImportance
	p.retryBtn = newButton(k, l.T("retry"), p.retry)
	p.retryBtn.Importance = widget.HighImportance
	p.backBtn = newButton(k, l.T("next"), p.next)
	left := container.NewVBox(layout.NewSpacer(), p.cancelBtn)
	right := container.NewVBox(layout.NewSpacer(), p.billBtn)
	if customer {
		left.Hide()
		right.Hide()
	}
	// Not italic: every text style parses the CJK font once more (about
	// 15 MB), and the bundled font has no italic anyway.
	p.demoHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	p.demoHint.Importance = widget.LowImportance
	if k.opts.Demo && k.opts.SimURL != "" && !customer {
		p.demoHint.SetText(l.T("demo.hint", k.opts.SimURL))
	} else {
		p.demoHint.Hide()
	}
	// The state: a dot in its colour and the words.
	p.stateDot = canvas.NewCircle(colorWaiting)
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(18*sc, 18*sc), p.stateDot))
	status := container.NewCenter(container.NewHBox(p.countdown, widget.NewLabel(" "), dot, p.state))
	info := container.NewVBox(p.scan, status, p.errLabel, p.demoHint,
		container.NewCenter(container.NewHBox(p.retryBtn, p.refreshBtn, p.backBtn)))
	p.big = canvas.NewText("", colorGrey)
	p.big.TextSize = 48 * sc
	p.big.TextStyle = fyne.TextStyle{Bold: true}
	p.big.Alignment = fyne.TextAlignCenter
	p.bigSub = canvas.NewText("", colorGrey)
	p.bigSub.TextSize = 30 * sc
	p.bigSub.Alignment = fyne.TextAlignCenter
	p.items = container.NewVBox()
	itemsTitle := widget.NewLabelWithStyle(p.say("cust.items"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	itemsTitle.Truncation = fyne.TextTruncateEllipsis
	itemsHead := fyne.CanvasObject(itemsTitle)
	if customer {
		// The customer's display has no top bar: the shop heads the
		// list, and the height goes to the QR.
		shopName := widget.NewLabelWithStyle(k.cfg.Shop, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		shopName.Truncation = fyne.TextTruncateEllipsis
		itemsHead = container.NewVBox(shopName, itemsTitle)
	}
	// A fixed width beside the QR: the QR's side is set by the height.
	itemsPane := container.NewStack(minSize(itemsWidth*sc, 0),
		container.NewBorder(itemsHead, nil, nil, nil, container.NewVScroll(p.items)))
	// The cashier's window shows the shop in its top bar already.
	header := container.NewVBox(p.banner, p.amount)
	p.waitView = container.NewBorder(
		header,
		container.NewBorder(nil, nil, left, right, info),
		nil, itemsPane, container.NewStack(p.qrBox, container.NewCenter(container.NewVBox(p.big, p.bigSub))))

	// Paid: the whole screen green, a large tick, the amount; the
	// cashier's copy shows the receipt beside Reprint and Next.
	// The tick is an icon, not a glyph: the bundled fonts have no ✓.
	tickIcon := canvas.NewImageFromResource(theme.NewInvertedThemedResource(theme.ConfirmIcon()))
	tickIcon.FillMode = canvas.ImageFillContain
	tickIcon.SetMinSize(fyne.NewSize(80*sc, 80*sc))
	tickText := canvas.NewText(l.T("paid"), color.White)
	tickText.TextSize = 64 * sc
	tickText.TextStyle = fyne.TextStyle{Bold: true}
	var tick fyne.CanvasObject = container.NewCenter(container.NewHBox(tickIcon, tickText))
	if customer {
		tickText.Text = zh.T("paid")
		tickOther := canvas.NewText(en.T("paid"), color.White)
		tickOther.TextSize = 40 * sc
		tickOther.Alignment = fyne.TextAlignCenter
		tick = container.NewVBox(tick, tickOther)
	}
	p.paidAmt = canvas.NewText("", color.White)
	p.paidAmt.TextSize = 56 * sc
	p.paidAmt.TextStyle = fyne.TextStyle{Bold: true}
	p.paidAmt.Alignment = fyne.TextAlignCenter
	p.paidNote = canvas.NewText("", color.White)
	p.paidNote.TextSize = 20 * sc
	p.paidNote.Alignment = fyne.TextAlignCenter
	p.receipt = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth}
	reprint := newButton(k, l.T("reprint"), p.reprint)
	next := newButton(k, l.T("next"), p.next)
	next.Importance = widget.HighImportance
	p.paidMsg = widget.NewLabel("")
	p.paidMsg.Importance = widget.WarningImportance
	p.paidMsg.Wrapping = fyne.TextWrapWord
	p.paidMsg.Hide()
	p.paidBtns = container.NewVBox(p.paidMsg, reprint, container.NewStack(minHeight(72*sc), next))
	green := canvas.NewRectangle(colorPay)
	msg := container.NewVBox(layout.NewSpacer(), tick, p.paidAmt, p.paidNote, layout.NewSpacer())
	var paidBody fyne.CanvasObject = container.NewStack(green, container.NewCenter(msg))
	if !customer {
		// A tap anywhere on the green starts the next sale.
		p.paidTap = newTapArea(container.NewStack(green, container.NewCenter(msg)), p.next)
		receiptPane := container.NewBorder(nil, p.paidBtns, nil, nil, p.receipt)
		split := container.NewHSplit(p.paidTap, container.NewPadded(receiptPane))
		split.Offset = 0.62
		paidBody = split
	}
	p.paidView = container.NewStack(paidBody)
	p.paidView.Hide()
	bg := canvas.NewRectangle(color.White)
	// Between sales the customer's display shows the shop and a welcome,
	// not an empty QR frame or the last customer's "paid".
	welcomeShop := canvas.NewText(k.cfg.Shop, colorInk)
	welcomeShop.TextSize = 56 * sc
	welcomeShop.TextStyle = fyne.TextStyle{Bold: true}
	welcomeShop.Alignment = fyne.TextAlignCenter
	welcome := canvas.NewText(zh.T("welcome"), colorPay)
	welcome.TextSize = 32 * sc
	welcome.Alignment = fyne.TextAlignCenter
	welcomeOther := canvas.NewText(en.T("welcome"), colorGrey)
	welcomeOther.TextSize = 24 * sc
	welcomeOther.Alignment = fyne.TextAlignCenter
	p.idleView = container.NewCenter(container.NewVBox(welcomeShop, welcome, welcomeOther))
	p.idleView.Hide()
	p.obj = container.NewStack(bg, container.NewPadded(p.waitView), p.paidView, p.idleView)
	if customer {
		p.idle()
	}
	return p
}

// show renders an order's state.
func (p *payScreen) show(o app.Order, deadline time.Time, err error) {
	p.order, p.deadline = o, deadline
	p.amount.Text = money(o.Total)
	p.amount.Refresh()
	p.setError(err)
	p.banner.Hide()
	for _, b := range []*keyButton{p.cancelBtn, p.billBtn, p.refreshBtn, p.retryBtn, p.backBtn} {
		b.Hide()
	}
	p.waitView.Show()
	p.paidView.Hide()
	p.idleView.Hide()
	p.scan.Hide()
	p.setBig("", colorGrey)
	p.setItems(o.Lines)
	switch {
	case o.Mode == app.ModePayCode && !o.State.Paid():
		p.showCode(o)
	case o.State == app.StateCreated:
		p.qrBox.Hide()
		p.setBig("requesting", colorWaiting)
		p.setState(p.say("requesting"), colorWaiting)
		p.cancelBtn.Show()
		if err != nil {
			p.retryBtn.Show()
		}
	case o.State == app.StateAwaiting:
		p.qr.set(o.CodeURL, false)
		p.qrBox.Show()
		p.scan.Show()
		p.setState(p.say("waiting"), colorWaiting)
		p.cancelBtn.Show()
		p.billBtn.Show()
	case o.State == app.StateCancelPending || o.State == app.StateClosed:
		if p.endedAt.IsZero() || p.endedNo != o.OutTradeNo {
			p.endedAt, p.endedNo = p.k.now(), o.OutTradeNo
		}
		if o.State == app.StateCancelPending && !p.customer {
			p.k.cancelling[o.OutTradeNo] = true // for Sales until WeChat closes it
		}
		p.qrBox.Hide()
		p.setBig("cancelled", colorGrey)
		p.setState(p.say("cancelled"), colorGrey)
		p.backBtn.Show()
	case o.State == app.StateExpired:
		p.qr.set(o.CodeURL, true)
		p.qrBox.Show()
		p.setBig("expired", colorInk)
		p.setState("", colorGrey) // the big text says it
		p.refreshBtn.Show()
		p.backBtn.Show()
	default: // paid, paid after cancel, refunded later
		p.showPaid(o)
	}
	// The demo's "press Pay" only while there is something to pay.
	showIf(p.demoHint, p.k.opts.Demo && p.k.opts.SimURL != "" && !p.customer && p.cancellable() && o.Mode != app.ModePayCode)
	if p.customer {
		for _, b := range []*keyButton{p.cancelBtn, p.billBtn, p.refreshBtn, p.retryBtn, p.backBtn} {
			b.Hide()
		}
	}
	p.tick()
}

// idle shows the welcome between sales (the customer's display).
func (p *payScreen) idle() {
	p.order = app.Order{}
	p.waitView.Hide()
	p.paidView.Hide()
	p.idleView.Show()
}

func (p *payScreen) showPaid(o app.Order) {
	p.paidAmt.Text = money(o.Total)
	p.paidAmt.Refresh()
	p.paidNote.Text = o.OutTradeNo
	p.paidNote.Refresh()
	if o.State == app.StatePaidAfterCancel && !p.customer { // for the cashier only
		p.banner.Show()
		p.paidNote.Text = p.k.lang.T("paid.after")
		p.paidNote.Refresh()
	}
	if !p.customer && p.k.opts.Preview != nil {
		img, err := p.k.opts.Preview(app.Paper{Kind: app.PaperReceipt, Shop: p.k.cfg.Shop, KioskID: o.KioskID, Order: o, QR: o.OutTradeNo})
		if err == nil {
			p.receipt.Image = img
			p.receipt.Refresh()
		}
	}
	p.waitView.Hide()
	p.paidView.Show()
	if !p.customer && (p.paidAt.IsZero() || p.paidNo != o.OutTradeNo) {
		p.paidAt, p.paidNo = p.k.now(), o.OutTradeNo // the kiosk's tick returns to Sell
	}
}

// setError shows err under the QR (nil hides it). On the paid panel it
// goes beside the receipt, where Reprint is.
func (p *payScreen) setError(err error) { p.setErrorText(p.k.errText(err)) }

// setErrorText shows a problem in words where setError shows an error
// ("" hides it).
func (p *payScreen) setErrorText(text string) {
	for _, l := range []*widget.Label{p.errLabel, p.paidMsg} {
		l.SetText(text)
		showIf(l, text != "")
	}
}

func (p *payScreen) setState(text string, c color.Color) {
	p.state.Text = text
	p.state.Color = c
	p.state.Refresh()
	p.stateDot.FillColor = c
	p.stateDot.Refresh()
	showIf(p.stateDot, text != "")
}

// tick updates the countdown from the monotonic-backed deadline.
func (p *payScreen) tick() {
	if p.order.State != app.StateAwaiting || p.deadline.IsZero() {
		p.countdown.Text = ""
		p.countdown.Refresh()
		return
	}
	left := p.deadline.Sub(p.k.now())
	if left < 0 {
		left = 0
	}
	p.countdown.Text = p.say("valid", hms(left))
	p.countdown.Color = colorInk
	if left < 5*time.Minute {
		p.countdown.Color = colorWaiting
	}
	p.countdown.Refresh()
	if left == 0 {
		p.qr.set(p.order.CodeURL, true)
		p.setBig("expired", colorInk)
		p.setState("", colorGrey)
	}
}

// itemsWidth is the width of the item list beside the QR, before scaling.
const itemsWidth = 260

// zh and en are the two languages, for what the customer reads in both.
const (
	zh lang = 0
	en lang = 1
)

// say is key's text on this screen: in the kiosk's language on the
// cashier's, Chinese then English on the customer's display.
func (p *payScreen) say(key string, args ...any) string {
	if !p.customer {
		return p.k.lang.T(key, args...)
	}
	return zh.T(key, args...) + " / " + en.T(key, args...)
}

// setBig shows key's text large where the QR would be ("" clears it): on
// the customer's display the Chinese, with the English under it.
func (p *payScreen) setBig(key string, c color.Color) {
	p.big.Text, p.bigSub.Text = "", ""
	switch {
	case key == "":
	case p.customer:
		p.big.Text, p.bigSub.Text = zh.T(key), en.T(key)
	default:
		p.big.Text = p.k.lang.T(key)
	}
	p.big.Color, p.bigSub.Color = c, c
	p.fit(p.big, 48)
	p.fit(p.bigSub, 30)
	p.big.Refresh()
	p.bigSub.Refresh()
}

// fit sets t's size to size (before scaling), or smaller if the text
// would not fit beside the item list: a long English sentence must not
// widen the window past the screen.
func (p *payScreen) fit(t *canvas.Text, size float32) {
	sc := p.k.theme.scale
	w := p.k.opts.Size.Width
	win := p.k.win
	if p.customer {
		win = p.k.cust
	}
	if win != nil && win.Canvas().Size().Width > 0 {
		w = win.Canvas().Size().Width
	}
	avail := w - (itemsWidth+120)*sc // the list, the padding and the margins
	size *= sc
	for size > 16 && fyne.MeasureText(t.Text, size, t.TextStyle).Width > avail {
		size -= 2
	}
	t.TextSize = size
}

// setItems lists what the customer pays for, a line each: the quantity,
// the name (cut short if long) and the amount.
func (p *payScreen) setItems(lines []app.Line) {
	rows := make([]fyne.CanvasObject, 0, len(lines))
	for _, ln := range lines {
		name := widget.NewLabel(ln.Name)
		name.Truncation = fyne.TextTruncateEllipsis
		qty := widget.NewLabel(fmt.Sprintf("%d×", ln.Qty))
		amount := widget.NewLabelWithStyle(money(ln.Amount()), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		rows = append(rows, container.NewBorder(nil, nil, qty, amount, name))
	}
	p.items.Objects = rows
	p.items.Refresh()
}

func hms(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// cancellable reports whether the customer may still pay the order shown,
// so leaving it needs the cashier's PIN.
func (p *payScreen) cancellable() bool {
	return p.order.State == app.StateCreated || p.order.State == app.StateAwaiting
}

// finished reports whether the screen shows an outcome (paid, cancelled,
// expired) that Enter moves on from.
func (p *payScreen) finished() bool {
	return p.order.OutTradeNo != "" && !p.cancellable()
}

func (p *payScreen) askCancel() {
	if p.customer || !p.cancellable() {
		return
	}
	no := p.order.OutTradeNo
	p.k.askPIN(pinCashier, func() {
		p.setState(p.k.lang.T("cancelling"), colorGrey)
		p.qrBox.Hide()
		var o app.Order
		p.k.request(func(ctx context.Context) (err error) {
			o, err = p.k.eng.Cancel(ctx, no)
			return err
		}, func(err error) {
			if p.k.payNo == no {
				p.show(o, time.Time{}, err)
			}
		})
	})
}

// run asks the engine for a new state of the order (a new QR, a retried
// request) and shows it.
func (p *payScreen) run(f func(ctx context.Context, no string) (app.Order, error)) {
	no := p.order.OutTradeNo
	var o app.Order
	p.k.request(func(ctx context.Context) (err error) {
		o, err = f(ctx, no)
		return err
	}, func(err error) {
		p.k.logErr("pay "+no, err)
		if o.OutTradeNo != "" {
			p.k.payNo = o.OutTradeNo
			p.show(o, deadlineOf(o), err)
		} else if err != nil {
			p.setError(err)
		}
	})
}

func (p *payScreen) refresh() { p.run(p.k.eng.RefreshQR) }

func (p *payScreen) retry() { p.run(p.k.eng.Retry) }

// printBill prints the order's bill; a failure is shown under the QR.
func (p *payScreen) printBill() {
	no := p.order.OutTradeNo
	p.k.request(func(ctx context.Context) error {
		_, err := p.k.eng.PrintBill(ctx, no)
		return err
	}, func(err error) {
		p.k.logErr("print bill "+no, err)
		if err != nil && p.order.OutTradeNo == no {
			p.setErrorText(p.k.printErrText(err))
		}
	})
}

// reprint prints the receipt again and says whether it went to the
// printer, beside the Reprint button.
func (p *payScreen) reprint() {
	no := p.order.OutTradeNo
	p.setError(nil)
	p.k.request(func(ctx context.Context) error {
		_, err := p.k.eng.Reprint(ctx, no)
		return err
	}, func(err error) {
		p.k.logErr("reprint "+no, err)
		if p.order.OutTradeNo != no {
			return
		}
		if err != nil {
			p.setErrorText(p.k.printErrText(err))
			return
		}
		p.paidMsg.SetText(p.k.lang.T("reprinted"))
		p.paidMsg.Show()
	})
}

// cancelReturn is how long the cancelled screen stays before the next sale
// starts by itself.
const cancelReturn = 5 * time.Second

// cancelledFor reports whether the cashier's screen has shown a cancelled
// order for at least cancelReturn on the kiosk's clock.
func (p *payScreen) cancelledFor(now time.Time) bool {
	s := p.order.State
	return (s == app.StateCancelPending || s == app.StateClosed) && p.endedNo == p.order.OutTradeNo &&
		now.Sub(p.endedAt) >= cancelReturn
}

// paidFor reports whether the cashier's screen has shown the paid order
// for at least d on the kiosk's clock (0: it waits for the cashier).
func (p *payScreen) paidFor(now time.Time, d time.Duration) bool {
	return d > 0 && p.order.State.Paid() && p.paidNo == p.order.OutTradeNo && p.paidView.Visible() &&
		now.Sub(p.paidAt) >= d
}

// next ends the order's screen and goes back to selling.
func (p *payScreen) next() {
	p.k.eng.Done(p.order.OutTradeNo)
	p.order = app.Order{}
	p.k.showSell()
}

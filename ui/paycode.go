package ui

import (
	"context"
	"errors"
	"strconv"
	"time"

	"saoma/app"
)

// 付款码 checkout: the customer opens the payment code in WeChat and the
// cashier scans it. A USB barcode scanner is a keyboard: it types the 18
// digits fast and ends with Enter. On Sell they land in the code entry,
// where a product code (1004, P1004) arrives the same way; the two are told
// apart when Enter comes (app.IsPayCode: 18 digits starting 10–15, which no
// product code is). A cashier may also type the digits there by hand when
// the scanner fails. On the Pay screen there is no entry: the keys are
// collected in a buffer that a pause of more than scanGap empties, so a
// stray key pressed a while ago never spoils a scan.

// scanGap is the longest pause between two keys of one scan on the Pay
// screen. A scanner types a code in well under a second; a pause longer
// than this starts a new code.
const scanGap = time.Second

// scanBuffer collects the keys typed on the Pay screen.
type scanBuffer struct {
	text []rune
	last time.Time // when the newest key arrived
}

// add appends r typed at now, starting afresh after a pause.
func (b *scanBuffer) add(r rune, now time.Time) {
	if now.Sub(b.last) > scanGap {
		b.text = b.text[:0]
	}
	b.text = append(b.text, r)
	b.last = now
}

// take returns what was typed (empty after a pause) and empties the buffer.
func (b *scanBuffer) take(now time.Time) string {
	s := string(b.text)
	b.text = b.text[:0]
	if now.Sub(b.last) > scanGap {
		return ""
	}
	return s
}

// methodText names how an order was paid: 扫码 (the QR on the Pay screen),
// 付款码 (the customer's payment code) or 货架码 (a shelf label); "" for an
// order from before modes were recorded.
func methodText(l lang, o app.Order) string {
	switch o.Mode {
	case 1, 2, app.ModePayCode:
		return l.T("method." + strconv.Itoa(o.Mode))
	}
	return ""
}

// codeErrText is the cashier's sentence for a failed charge by payment
// code. A kiosk without the v2 key cannot take payment codes at all.
func (k *Kiosk) codeErrText(err error) string {
	if errors.Is(err, app.ErrPayUnsupported) {
		return k.lang.T("paycode.unsupported")
	}
	return k.errText(err)
}

// payByCode charges the cart with a payment code entered on Sell.
func (s *sellScreen) payByCode(code string) {
	if s.cart.Len() == 0 {
		s.setMessage(s.k.lang.T("paycode.empty"), true)
		return
	}
	s.k.chargeCode(s.cart.Lines(), code, "")
}

// restore puts an unpaid order's lines back in the cart, so the cashier
// can scan again or show the QR without ringing the goods up again.
func (s *sellScreen) restore(lines []app.Line) {
	s.cart.Clear()
	for _, ln := range lines {
		s.cart.Add(app.Product{ID: ln.ProductID, Name: ln.Name, Price: ln.UnitPrice})
		s.cart.SetQty(ln.ProductID, ln.Qty)
		s.last = ln.ProductID
	}
	s.refresh()
}

// scanRune collects a key typed on the Pay screen.
func (k *Kiosk) scanRune(r rune) { k.scan.add(r, k.now()) }

// scanEnter takes a payment code scanned on the Pay screen while a QR order
// waits there: the customer pays by code instead (the engine closes the QR
// order). It reports whether it used the Enter.
func (k *Kiosk) scanEnter() bool {
	code := k.scan.take(k.now())
	o := k.pay.order
	if !app.IsPayCode(code) || !k.pay.cancellable() || o.Mode == app.ModePayCode {
		return false
	}
	if !k.codeBusy {
		k.chargeCode(o.Lines, code, o.OutTradeNo)
	}
	return true
}

// chargeCode asks the engine to charge lines with the customer's payment
// code; from is the QR order on the Pay screen it replaces ("" from Sell).
// One charge by code runs at a time.
func (k *Kiosk) chargeCode(lines []app.Line, code, from string) {
	if k.codeBusy {
		return
	}
	k.codeBusy = true
	k.sell.chargeBtn.Disable()
	k.sell.setMessage(k.lang.T("paycode.charging"), false)
	if from != "" {
		k.pay.setState(k.lang.T("paycode.charging"), colorWaiting)
	}
	var o app.Order
	k.request(func(ctx context.Context) (err error) {
		o, err = k.eng.ChargeCode(ctx, lines, code)
		return err
	}, func(err error) { k.codeCharged(lines, from, o, err) })
}

// codeCharged shows the engine's answer to a charge by code: the Pay
// screen for the new order (password, or paid); on a refusal or any other
// failure, Sell with the goods still in the cart and the reason.
func (k *Kiosk) codeCharged(lines []app.Line, from string, o app.Order, err error) {
	k.codeBusy = false
	k.sell.setMessage("", false)
	k.sell.refresh()
	if from != "" {
		// The engine closed the QR order for the code (unless the
		// customer had just paid it): Sales lists it until WeChat has.
		if qr, gerr := k.eng.Order(from); gerr == nil && qr.State == app.StateCancelPending {
			k.cancelling[from] = true
		}
	}
	if err == nil {
		// Updates may have moved the order on while the answer was on
		// its way: show the newest state.
		if latest, gerr := k.eng.Order(o.OutTradeNo); gerr == nil {
			o = latest
		}
		k.sell.cart.Clear()
		k.sell.refresh()
		k.showPay(o)
		return
	}
	if errors.Is(err, app.ErrBusy) {
		// The QR on screen was paid meanwhile, or a code is already being
		// charged: show that order.
		if cur, ok := k.eng.Current(); ok {
			k.showPay(cur)
			return
		}
	}
	if o.OutTradeNo != "" {
		k.eng.Done(o.OutTradeNo)
	}
	if from != "" {
		if qr, gerr := k.eng.Order(from); gerr == nil && qr.State.Open() && qr.State != app.StateCancelPending {
			// The code was never tried and the QR still stands: say why
			// under it.
			k.pay.show(qr, deadlineOf(qr), nil)
			k.pay.errLabel.SetText(k.codeErrText(err))
			k.pay.errLabel.Show()
			return
		}
		k.eng.Done(from)
		if k.screen == "pay" {
			k.showSell()
		}
	}
	if k.sell.cart.Len() == 0 { // the QR's goods, or a cart cleared meanwhile
		k.sell.restore(lines)
	}
	k.sell.setMessage(k.codeErrText(err), true)
}

// codeUnpaid handles a payment-code order that ended unpaid (the password
// was refused or never came, or the cashier cancelled; WeChat reverses
// it): back to Sell with its goods in the cart and a sentence saying so. It
// reports whether o was such an order.
func (k *Kiosk) codeUnpaid(o app.Order) bool {
	if o.Mode != app.ModePayCode || (o.State != app.StateCancelPending && o.State != app.StateClosed) {
		return false
	}
	if o.State == app.StateCancelPending {
		k.cancelling[o.OutTradeNo] = true // for Sales until WeChat confirms
	}
	k.eng.Done(o.OutTradeNo)
	k.payNo = ""
	k.sell.restore(o.Lines)
	if k.screen == "pay" {
		k.showSell()
	}
	k.sell.setMessage(k.lang.T("paycode.reversed"), true)
	return true
}

// showCode renders a payment-code order that is not paid: no QR (there is
// none), the customer entering the password, or the payment undone.
func (p *payScreen) showCode(o app.Order) {
	p.qrBox.Hide()
	switch o.State {
	case app.StateCreated:
		p.setBig("paycode.charging", colorWaiting)
		p.setState(p.say("paycode.method"), colorWaiting)
		p.cancelBtn.Show()
	case app.StateAwaiting:
		p.setBig("paycode.password", colorWaiting)
		p.setState(p.say("paycode.method"), colorWaiting)
		p.cancelBtn.Show()
	default: // reversing or reversed
		p.setBig("paycode.reversed", colorGrey)
		p.setState(p.say("cancelled"), colorGrey)
		p.backBtn.Show()
	}
}

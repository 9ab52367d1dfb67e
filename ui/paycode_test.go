package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
	"saoma/payment/wxsim"
)

// aPayCode is a well-formed WeChat payment code (18 digits, 10–15 first).
const aPayCode = "134567890123456789"

// scanCode plays a keyboard-wedge scanner on the kiosk's window: the
// characters, then Enter, each step minding the kiosk's keys first as the
// window and the focused widgets do.
func scanCode(k *Kiosk, code string, between func()) {
	for _, r := range code {
		k.typedRune(r)
		if between != nil {
			between()
		}
	}
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	if k.typedKey(enter) {
		return
	}
	if k.screen == "sell" {
		k.sell.code.TypedKey(enter) // the code entry has the focus
	}
}

func (f *fakeEngine) chargedCodes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.codes)
}

func TestPayCodeOnSell(t *testing.T) {
	t.Run("a payment code typed and confirmed with Enter charges the cart by code", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.tapTile("1001")
		f.tapTile("1001")
		scanCode(k, aPayCode, nil)
		f.pump("the Pay screen for the code", func() bool { return k.screen == "pay" && k.pay.order.Mode == app.ModePayCode })
		if got := f.eng.chargedCodes(); !slices.Equal(got, []string{aPayCode}) {
			t.Errorf("codes charged %v", got)
		}
		if f.eng.called("Charge") {
			t.Error("a QR was asked for too")
		}
		if got, want := k.pay.big.Text, k.lang.T("paycode.password"); got != want {
			t.Errorf("big text %q, want %q", got, want)
		}
		if k.pay.qrBox.Visible() || k.pay.scan.Visible() {
			t.Error("a QR or its instruction shows for a payment-code order")
		}
		if k.pay.amount.Text != "￥36.00" || k.sell.cart.Len() != 0 {
			t.Errorf("amount %q, cart %d lines", k.pay.amount.Text, k.sell.cart.Len())
		}
		if k.sell.code.Text != "" {
			t.Errorf("code entry keeps %q", k.sell.code.Text)
		}
	})
	t.Run("a product code still adds the product", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		scanCode(k, "1004", nil)
		scanCode(k, "P1004", nil)
		if got := k.sell.cart.Qty("1004"); got != 2 {
			t.Errorf("lemon tea ×%d, want 2", got)
		}
		if f.eng.called("ChargeCode") {
			t.Error("a product code was charged as a payment code")
		}
	})
	t.Run("18 digits outside 10–15 are looked up as a product", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.tapTile("1001")
		scanCode(k, "190000000000000000", nil)
		if f.eng.called("ChargeCode") || !strings.Contains(k.sell.message.Text, "190000000000000000") {
			t.Errorf("charged %v, message %q", f.eng.called("ChargeCode"), k.sell.message.Text)
		}
	})
	t.Run("a payment code on an empty cart asks for the goods first", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		scanCode(k, aPayCode, nil)
		if got, want := k.sell.message.Text, k.lang.T("paycode.empty"); got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if f.eng.called("ChargeCode") || k.screen != "sell" {
			t.Errorf("charged %v, screen %s", f.eng.called("ChargeCode"), k.screen)
		}
	})
}

func TestPayCodeRefusalsKeepTheCart(t *testing.T) {
	refused := func(code string) error {
		return fmt.Errorf("micropay: %w", &app.CodeRefusedError{Code: code, Err: errors.New("wechat says no")})
	}
	cases := []struct {
		name   string
		locale string
		err    error
		want   string
	}{
		{"an invalid code asks for a fresh one", "zh", refused("AUTH_CODE_INVALID"), "付款码无效或已过期，请顾客刷新付款码"},
		{"an expired code asks for a fresh one", "zh", refused("AUTHCODEEXPIRE"), "付款码无效或已过期，请顾客刷新付款码"},
		{"a short balance asks for another card", "zh", refused("NOTENOUGH"), "余额不足，请顾客换卡或换其他方式"},
		{"a short balance in English", "en", refused("NOTENOUGH"), "Not enough balance: ask the customer to change card or pay another way"},
		{"an unsupported card asks for another", "zh", refused("NOTSUPORTCARD"), "顾客的付款卡不支持此交易，请顾客换卡或换其他方式"},
		{"a payer mismatch asks to scan again", "zh", refused("BUYER_MISMATCH"), "付款人与订单不符，请重新扫码收款"},
		{"another refusal names WeChat's code", "zh", refused("TRADE_ERROR"), "微信支付拒绝了付款码（TRADE_ERROR），未扣款，请顾客换其他方式"},
		{"a kiosk without the v2 key says where to set it", "zh", fmt.Errorf("payment code: %w", app.ErrPayUnsupported), "付款码收款需要在设置中填写 v2 API 密钥"},
		{"a kiosk without the v2 key in English", "en", fmt.Errorf("payment code: %w", app.ErrPayUnsupported), "Payment codes need the v2 API key in Settings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: c.locale})
			k := f.k
			f.eng.codeErr = c.err
			f.tapTile("1001")
			f.tapTile("2001")
			scanCode(k, aPayCode, nil)
			f.pump("the answer", func() bool { return f.eng.called("ChargeCode") && !k.codeBusy })
			if k.sell.message.Text != c.want {
				t.Errorf("message %q, want %q", k.sell.message.Text, c.want)
			}
			if k.screen != "sell" || k.sell.cart.Qty("1001") != 1 || k.sell.cart.Qty("2001") != 1 {
				t.Errorf("screen %s, cart %+v", k.screen, k.sell.cart.Lines())
			}
			if k.sell.chargeBtn.Disabled() {
				t.Error("Charge stays disabled after the refusal")
			}
			if _, ok := f.eng.Current(); ok {
				t.Error("the refused order is still the engine's current order")
			}
		})
	}
}

func TestPayCodeOnThePayScreen(t *testing.T) {
	qrOnScreen := func(t *testing.T) *fakeKiosk {
		f := newFakeKiosk(t, app.Config{})
		f.tapTile("1003")
		f.tapTile("1005")
		f.k.sell.charge()
		f.pump("the QR", func() bool { return f.k.screen == "pay" && f.k.pay.order.State == app.StateAwaiting })
		return f
	}
	t.Run("a scanned code replaces the QR for the same goods", func(t *testing.T) {
		f := qrOnScreen(t)
		k := f.k
		qr := k.pay.order
		scanCode(k, aPayCode, nil)
		f.pump("the code's order", func() bool { return k.pay.order.Mode == app.ModePayCode })
		if got := k.pay.order.Lines; !slices.Equal(got, qr.Lines) {
			t.Errorf("charged %+v, want the QR order's %+v", got, qr.Lines)
		}
		if o, _ := f.eng.Order(qr.OutTradeNo); o.State.Open() {
			t.Errorf("the QR order is still %s", o.State)
		}
		if k.payNo != k.pay.order.OutTradeNo || k.pay.big.Text != k.lang.T("paycode.password") {
			t.Errorf("on screen %s (%q)", k.payNo, k.pay.big.Text)
		}
	})
	t.Run("digits typed with long pauses are not a scan", func(t *testing.T) {
		f := qrOnScreen(t)
		k := f.k
		scanCode(k, aPayCode, func() { f.now = f.now.Add(2 * time.Second) })
		if f.eng.called("ChargeCode") || k.pay.order.Mode == app.ModePayCode {
			t.Error("slow typing on the Pay screen charged a payment code")
		}
	})
	t.Run("a stray key before the scan does not spoil it", func(t *testing.T) {
		f := qrOnScreen(t)
		k := f.k
		k.typedRune('7')
		f.now = f.now.Add(5 * time.Second)
		scanCode(k, aPayCode, nil)
		f.pump("the code's order", func() bool { return k.pay.order.Mode == app.ModePayCode })
		if got := f.eng.chargedCodes(); !slices.Equal(got, []string{aPayCode}) {
			t.Errorf("codes charged %v", got)
		}
	})
	t.Run("a refusal after the QR closed goes to Sell with the goods", func(t *testing.T) {
		f := qrOnScreen(t)
		k := f.k
		f.eng.codeErr = &app.CodeRefusedError{Code: "NOTENOUGH", Err: errors.New("no")}
		scanCode(k, aPayCode, nil)
		f.pump("Sell", func() bool { return k.screen == "sell" && !k.codeBusy })
		if k.sell.message.Text != k.lang.T("paycode.notenough") || k.sell.cart.Qty("1003") != 1 || k.sell.cart.Qty("1005") != 1 {
			t.Errorf("message %q, cart %+v", k.sell.message.Text, k.sell.cart.Lines())
		}
	})
	t.Run("without the v2 key the QR stays and says why", func(t *testing.T) {
		f := qrOnScreen(t)
		k := f.k
		qr := k.pay.order.OutTradeNo
		f.eng.codeErr = fmt.Errorf("payment code: %w", app.ErrPayUnsupported)
		scanCode(k, aPayCode, nil)
		f.pump("the answer", func() bool { return f.eng.called("ChargeCode") && !k.codeBusy })
		if k.screen != "pay" || k.payNo != qr || !k.pay.qrBox.Visible() {
			t.Errorf("screen %s order %s (QR %s) QR visible %v", k.screen, k.payNo, qr, k.pay.qrBox.Visible())
		}
		if !k.pay.errLabel.Visible() || k.pay.errLabel.Text != k.lang.T("paycode.unsupported") {
			t.Errorf("error %q visible %v", k.pay.errLabel.Text, k.pay.errLabel.Visible())
		}
	})
}

func TestPayCodeReversedReturnsToSellWithTheGoods(t *testing.T) {
	for _, st := range []app.State{app.StateCancelPending, app.StateClosed} {
		t.Run(string(st), func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{})
			k := f.k
			f.tapTile("2001")
			f.tapTile("2001")
			scanCode(k, aPayCode, nil)
			f.pump("the password", func() bool { return k.pay.order.Mode == app.ModePayCode })
			o := k.pay.order
			o.State = st
			f.eng.push(&o, nil)
			f.pump("Sell", func() bool { return k.screen == "sell" })
			if got, want := k.sell.message.Text, k.lang.T("paycode.reversed"); got != want {
				t.Errorf("message %q, want %q", got, want)
			}
			if k.sell.cart.Qty("2001") != 2 {
				t.Errorf("cart %+v", k.sell.cart.Lines())
			}
			if _, ok := f.eng.Current(); ok {
				t.Error("the engine still has the reversed order as current")
			}
			if k.cancelling[o.OutTradeNo] != (st == app.StateCancelPending) {
				t.Errorf("Sales lists the reversing order: %v", k.cancelling[o.OutTradeNo])
			}
		})
	}
}

func TestSalesShowThePaymentMethod(t *testing.T) {
	cases := []struct {
		locale string
		mode   int
		want   string
	}{
		{"zh", 2, "已支付 · 扫码"},
		{"zh", app.ModePayCode, "已支付 · 付款码"},
		{"zh", 1, "已支付 · 货架码"},
		{"zh", 0, "已支付"},
		{"en", app.ModePayCode, "Paid · Pay code"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s mode %d reads %s", c.locale, c.mode, c.want), func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: c.locale})
			s := newSalesScreen(f.k)
			if got := s.stateText(app.Order{State: app.StatePaid, Mode: c.mode}); got != c.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestPayCodeStringsHaveBothLanguagesOnce(t *testing.T) {
	for key, v := range payCodeTable {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s: %q / %q", key, v[0], v[1])
		}
		if _, dup := stringsTable[key]; dup {
			t.Errorf("%s is in both tables", key)
		}
	}
	if got := lang(0).T("paycode.password"); got != "请顾客输入密码" {
		t.Errorf("T falls back to the payment-code table: %q", got)
	}
}

// The real engine and the simulator: what the customer's WeChat does.

func (h *harness) payCode(outcome string) string {
	h.t.Helper()
	pc, err := h.sim.MintPayCode("", outcome)
	if err != nil {
		h.t.Fatal(err)
	}
	return pc.AuthCode
}

func TestPayCodeWithTheSimulator(t *testing.T) {
	t.Run("the customer enters the password, then the sale is paid", func(t *testing.T) {
		h := newHarness(t, app.Config{})
		k := h.k
		h.tapTile("1001")
		scanCode(k, h.payCode(wxsim.OutcomeUserPaying), nil)
		h.pump("the password screen", func() bool {
			return k.screen == "pay" && k.pay.order.Mode == app.ModePayCode && k.pay.order.State == app.StateAwaiting
		})
		if got, want := k.pay.big.Text, k.lang.T("paycode.password"); got != want {
			t.Errorf("big text %q, want %q", got, want)
		}
		h.pumpAdvancing("paid", 5*time.Second, func() bool { return k.pay.paidView.Visible() })
		if k.pay.paidAmt.Text != "￥18.00" || k.lastPaid != k.pay.order.OutTradeNo || k.pay.order.State != app.StatePaid {
			t.Errorf("paid %q last %q state %s", k.pay.paidAmt.Text, k.lastPaid, k.pay.order.State)
		}
		h.pump("the receipt", func() bool { return h.printer.count(app.PaperReceipt) == 1 })
	})
	t.Run("a short balance says so and keeps the cart", func(t *testing.T) {
		h := newHarness(t, app.Config{})
		k := h.k
		h.tapTile("1002")
		h.tapTile("1002")
		scanCode(k, h.payCode(wxsim.OutcomeNotEnough), nil)
		want := k.lang.T("paycode.notenough")
		h.pump("the refusal", func() bool { return k.sell.message.Text == want })
		if k.screen != "sell" || k.sell.cart.Qty("1002") != 2 {
			t.Errorf("screen %s, cart %+v", k.screen, k.sell.cart.Lines())
		}
		if o, ok := h.eng.Current(); ok {
			t.Errorf("the refused order %s (%s) is still current", o.OutTradeNo, o.State)
		}
	})
	t.Run("a wrong password is reversed and the goods return to Sell", func(t *testing.T) {
		h := newHarness(t, app.Config{})
		k := h.k
		h.tapTile("1003")
		scanCode(k, h.payCode(wxsim.OutcomePasswordFail), nil)
		h.pump("the password screen", func() bool { return k.pay.order.Mode == app.ModePayCode })
		h.pumpAdvancing("back on Sell", 5*time.Second, func() bool { return k.screen == "sell" })
		if k.sell.message.Text != k.lang.T("paycode.reversed") || k.sell.cart.Qty("1003") != 1 {
			t.Errorf("message %q, cart %+v", k.sell.message.Text, k.sell.cart.Lines())
		}
	})
	t.Run("a code scanned over the QR is paid and the QR order closed", func(t *testing.T) {
		h := newHarness(t, app.Config{})
		k := h.k
		h.tapTile("1004")
		test.Tap(k.sell.chargeBtn)
		h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting && k.pay.order.Mode != app.ModePayCode })
		qr := k.pay.order.OutTradeNo
		scanCode(k, h.payCode(wxsim.OutcomeSuccess), nil)
		h.pump("paid by code", func() bool { return k.pay.paidView.Visible() && k.pay.order.Mode == app.ModePayCode })
		if o, _ := h.eng.Order(qr); o.State != app.StateCancelPending && o.State != app.StateClosed {
			t.Errorf("the QR order is %s", o.State)
		}
		if k.pay.order.Total != 1200 {
			t.Errorf("paid %s", k.pay.order.Total)
		}
	})
}

func TestPayCodeHistoryReadsAsSentences(t *testing.T) {
	cases := []struct {
		name string
		loc  string
		e    app.Event
		want string
	}{
		{"a refusal keeps WeChat's code", "zh",
			app.Event{Source: app.SourcePayCode, From: app.StateCreated, To: app.StateClosed, Note: "payment code refused: NOTENOUGH"},
			"变为「已取消」（付款码收款） · 微信支付拒绝付款码（NOTENOUGH）"},
		{"the password wait", "en",
			app.Event{Source: app.SourcePayCode, From: app.StateCreated, To: app.StateAwaiting, Note: "customer entering the password"},
			"became Awaiting (payment code) · customer entering the password"},
		{"an unknown outcome drops the error's words", "zh",
			app.Event{Source: app.SourcePayCode, From: app.StateCreated, To: app.StateAwaiting, Note: "outcome unknown: micropay: SYSTEMERROR"},
			"变为「待支付」（付款码收款） · 结果未知，向微信支付查询"},
		{"a reversal started by WeChat's answer", "zh",
			app.Event{Source: app.SourcePayCode, From: app.StateAwaiting, To: app.StateCancelPending, Note: "payment code failed: reversing"},
			"变为「取消中」（付款码收款） · 付款未完成，正在撤销"},
		{"a reversal started by the cashier", "en",
			app.Event{Source: app.SourceCashier, From: app.StateAwaiting, To: app.StateCancelPending, Note: "cancelled: reversing the payment code"},
			"became Cancelling (cashier) · cancelled; reversing the payment"},
		{"the reversal confirmed", "zh",
			app.Event{Source: app.SourcePayCode, From: app.StateCancelPending, To: app.StateClosed, Note: "reversed with WeChat Pay"},
			"变为「已取消」（付款码收款） · 已在微信支付撤销"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &Kiosk{lang: langOf(c.loc)}
			if got := k.eventText(c.e, noteRules()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	for _, r := range noteRules() {
		if _, ok := lookup(r.key); r.key != "" && !ok {
			t.Errorf("note rule %s asks for missing string %q", r.re, r.key)
		}
	}
}

package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// Screen logic on the fake engine: what each Update and each key does.

func TestStatusBarShowsLinkPrinterAndDemo(t *testing.T) {
	f := newFakeKiosk(t, app.Config{Locale: "en"})
	k := f.k
	st := app.Status{Ready: true, Link: app.LinkPolling, Demo: true, Printer: app.PrinterStatus{Detail: "paper", Failed: 1}}
	f.eng.mu.Lock()
	f.eng.status = st
	f.eng.mu.Unlock()
	f.eng.push(nil, nil)
	f.pump("the status", func() bool { return k.status.retry.Visible() })
	if got := k.status.link.label.Text; got != "Polling only" {
		t.Errorf("link chip %q", got)
	}
	if got := k.status.retry.Text; !strings.Contains(got, "Out of paper") || !strings.Contains(got, "Retry") {
		t.Errorf("printer problem %q", got)
	}
	if k.status.printer.obj.Visible() || !k.status.demo.obj.Visible() || k.status.settling.obj.Visible() {
		t.Error("printer chip, demo badge or settling shown wrongly")
	}
	test.Tap(k.status.retry)
	f.pump("RetryPrint", func() bool { return f.eng.called("RetryPrint") })

	st.Link, st.Printer, st.Ready, st.Flagged = app.LinkConnected, app.PrinterStatus{OK: true}, false, 2
	f.eng.mu.Lock()
	f.eng.status = st
	f.eng.mu.Unlock()
	f.eng.push(nil, nil)
	f.pump("the printer ready", func() bool { return k.status.printer.obj.Visible() })
	if k.status.retry.Visible() || k.status.link.label.Text != "Push connected" || !k.status.settling.obj.Visible() {
		t.Errorf("after recovery: retry %v link %q settling %v", k.status.retry.Visible(), k.status.link.label.Text, k.status.settling.obj.Visible())
	}
	if !k.status.flagged.Visible() || k.status.flagged.Text != "2 flagged" {
		t.Errorf("flagged %q", k.status.flagged.Text)
	}
}

// charge builds a cart of one coffee and charges it on the fake.
func (f *fakeKiosk) charge() app.Order {
	f.t.Helper()
	f.tapTile("1001")
	test.Tap(f.k.sell.chargeBtn)
	f.pump("the Pay screen", func() bool { return f.k.screen == "pay" && f.k.pay.order.State == app.StateAwaiting })
	return f.k.pay.order
}

func TestPayScreenFollowsTheEngine(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	o := f.charge()
	if !k.pay.qrBox.Visible() || !k.pay.billBtn.Visible() || !k.pay.cancelBtn.Visible() {
		t.Error("waiting: QR, Print bill or Cancel missing")
	}
	test.Tap(k.pay.billBtn)
	f.pump("PrintBill", func() bool { return f.eng.called("PrintBill") })

	// The countdown runs on the kiosk's clock and turns amber at 5 minutes.
	f.now = f.now.Add(30 * time.Minute)
	k.tick()
	if got := k.pay.countdown.Text; got != "二维码有效期 01:30:00" || k.pay.countdown.Color != colorInk {
		t.Errorf("countdown %q in %v", got, k.pay.countdown.Color)
	}
	f.now = o.TimeExpire.Add(-4*time.Minute - 59*time.Second)
	k.tick()
	if got := k.pay.countdown.Text; got != "二维码有效期 00:04:59" || k.pay.countdown.Color != colorWaiting {
		t.Errorf("countdown %q in %v", got, k.pay.countdown.Color)
	}

	// A failure the engine reports is shown in the cashier's language.
	f.eng.push(&o, app.ErrNoQR)
	f.pump("the error", func() bool { return k.pay.errLabel.Visible() })
	if k.pay.errLabel.Text != k.lang.T("err.noqr") {
		t.Errorf("error %q", k.pay.errLabel.Text)
	}

	// Expired: grey QR, a fresh one on request.
	o.State = app.StateExpired
	f.eng.push(&o, nil)
	f.pump("expired", func() bool { return k.pay.refreshBtn.Visible() })
	if !k.pay.qr.grey || k.pay.cancelBtn.Visible() || k.pay.errLabel.Visible() {
		t.Errorf("expired: grey %v cancel %v error %v", k.pay.qr.grey, k.pay.cancelBtn.Visible(), k.pay.errLabel.Visible())
	}
	test.Tap(k.pay.refreshBtn)
	f.pump("a fresh QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	if k.pay.qr.grey || k.pay.qr.content == o.CodeURL {
		t.Errorf("refreshed: grey %v same code %v", k.pay.qr.grey, k.pay.qr.content == o.CodeURL)
	}

	// Paid after cancel: the cashier sees the red banner.
	o = k.pay.order
	o.State, o.Flag = app.StatePaidAfterCancel, app.FlagPaidAfterCancel
	f.eng.push(&o, nil)
	f.pump("paid", func() bool { return k.pay.paidView.Visible() })
	if !k.pay.banner.Visible() || k.pay.paidNote.Text != k.lang.T("paid.after") {
		t.Errorf("paid after cancel: banner %v note %q", k.pay.banner.Visible(), k.pay.paidNote.Text)
	}
}

func TestPaidScreen(t *testing.T) {
	var previewed []app.Paper
	f := newFakeKiosk(t, app.Config{}, func(o *Options) {
		o.Preview = func(p app.Paper) (image.Image, error) {
			previewed = append(previewed, p)
			return image.NewGray(image.Rect(0, 0, 384, 600)), nil
		}
	})
	k := f.k
	o := f.charge()
	o.State, o.TransactionID = app.StatePaid, "4200000001"
	f.eng.push(&o, nil)
	f.pump("paid", func() bool { return k.pay.paidView.Visible() })
	if k.pay.paidAmt.Text != "￥18.00" || k.pay.banner.Visible() {
		t.Errorf("paid %q banner %v", k.pay.paidAmt.Text, k.pay.banner.Visible())
	}
	if len(previewed) != 1 || previewed[0].Kind != app.PaperReceipt || previewed[0].Order.OutTradeNo != o.OutTradeNo || k.pay.receipt.Image == nil {
		t.Errorf("receipt preview: %d papers, image %v", len(previewed), k.pay.receipt.Image != nil)
	}
	// A reprint that fails says so beside the receipt, without a dialog.
	k.pay.reprint()
	f.pump("the reprint error", func() bool { return k.pay.paidMsg.Visible() })
	if k.pay.paidMsg.Text != k.lang.T("err.print") || k.dialogOpen() {
		t.Errorf("reprint message %q, dialog %v", k.pay.paidMsg.Text, k.dialogOpen())
	}
	// A tap on the green starts the next sale.
	test.Tap(k.pay.paidTap)
	if k.screen != "sell" || !f.eng.called("Done") {
		t.Errorf("after the tap: screen %s, Done called %v", k.screen, f.eng.called("Done"))
	}
}

func TestCashierKeyboard(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	scan := func(code string) {
		for _, r := range code {
			k.typedRune(r)
		}
		k.sell.code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	scan("1001")
	scan("2002")
	if k.sell.cart.Len() != 2 || k.sell.total.Text != "￥46.00" {
		t.Fatalf("scanned cart: %d lines, total %s", k.sell.cart.Len(), k.sell.total.Text)
	}
	k.sell.code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if k.sell.cart.Len() != 0 {
		t.Error("Esc did not clear the cart")
	}
	scan("1001")
	k.sell.code.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF12})
	f.pump("F12 charges", func() bool { return k.screen == "pay" && k.pay.order.State == app.StateAwaiting })
	k.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if k.pin == nil || !k.dialogOpen() {
		t.Fatal("Esc on the Pay screen did not ask the cashier's PIN")
	}
	k.pin.dlg.Hide()
	o := k.pay.order
	o.State = app.StatePaid
	f.eng.push(&o, nil)
	f.pump("paid", func() bool { return k.pay.paidView.Visible() })
	k.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if k.screen != "sell" {
		t.Errorf("Enter after payment: screen %s", k.screen)
	}
}

func TestLockNeedsTheCashiersPIN(t *testing.T) {
	pin, _ := app.HashPIN("1357")
	f := newFakeKiosk(t, app.Config{CashierPIN: pin})
	k := f.k
	k.lock()
	if k.screen != "locked" {
		t.Fatalf("screen %s", k.screen)
	}
	k.typedRune('1') // the scanner cannot sell while locked
	k.typedKey(&fyne.KeyEvent{Name: fyne.KeyF12})
	if k.screen != "locked" || k.sell.code.Text != "" {
		t.Errorf("locked kiosk took input: screen %s code %q", k.screen, k.sell.code.Text)
	}
	k.setLocale("en") // the lock survives a rebuild
	if k.screen != "locked" {
		t.Fatalf("language switch unlocked: %s", k.screen)
	}
	k.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	k.pin.entry.SetText("0000")
	k.pin.entry.OnSubmitted("")
	if k.screen != "locked" {
		t.Fatal("a wrong PIN unlocked")
	}
	k.pin.entry.SetText("1357")
	k.pin.entry.OnSubmitted("")
	if k.screen != "sell" {
		t.Errorf("after the PIN: screen %s", k.screen)
	}
}

func TestLanguageSwitchKeepsTheWork(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	f.tapTile("1002")
	k.setLocale("en")
	if k.sell.cart.Len() != 1 || !strings.HasPrefix(k.sell.chargeBtn.Text, "Charge ￥22.00") {
		t.Errorf("cart after the switch: %d lines, %q", k.sell.cart.Len(), k.sell.chargeBtn.Text)
	}
	test.Tap(k.sell.chargeBtn)
	f.pump("the Pay screen", func() bool { return k.screen == "pay" && k.pay.order.State == app.StateAwaiting })
	no := k.pay.order.OutTradeNo
	k.setLocale("zh")
	if k.screen != "pay" || k.pay.order.OutTradeNo != no || k.pay.scanText.Text != "请使用微信「扫一扫」付款" {
		t.Errorf("after switching on the Pay screen: screen %s order %s scan %q", k.screen, k.pay.order.OutTradeNo, k.pay.scanText.Text)
	}
}

func TestSalesDayNavigation(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	f.eng.reports = longReports(f.now)
	k.openSales()
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	s := k.sales
	if s == nil || s.day != "2026-11-22" || !s.nextBtn.Disabled() {
		t.Fatalf("sales opens on %v, next enabled", s)
	}
	if len(s.orders) != 30 {
		t.Errorf("%d orders", len(s.orders))
	}
	s.load(s.day.Add(-3))
	if s.dayBtn.Text != "2026-11-19" || s.nextBtn.Disabled() {
		t.Errorf("three days back: %q, next disabled %v", s.dayBtn.Text, s.nextBtn.Disabled())
	}
	test.Tap(s.dayBtn)
	if !k.dialogOpen() {
		t.Error("the day button opened no calendar")
	}
	// Flagged orders stand out in the list.
	row := s.list.CreateItem().(*fyne.Container)
	s.fillRow(1, row)
	if s.orders[1].Flag == app.FlagNone {
		t.Fatal("test data: order 1 is not flagged")
	}
	if got := row.Objects[3]; !strings.Contains(labelText(got), k.lang.T("flag.paid_after_cancel")) {
		t.Errorf("flagged row state %q", labelText(got))
	}
}

func labelText(o fyne.CanvasObject) string {
	if l, ok := o.(*widget.Label); ok {
		return l.Text
	}
	return ""
}

func TestErrorsInTheCashiersLanguage(t *testing.T) {
	var logged bytes.Buffer
	k := &Kiosk{log: slog.New(slog.NewTextHandler(&logged, nil))}
	general := k.lang.T("err.general")
	for _, err := range []error{app.ErrNotReady, app.ErrBusy, app.ErrNoQR, app.ErrBadAmount, app.ErrEmptyCart,
		app.ErrRefundTooLarge, app.ErrNotPaid, app.ErrBadPIN, app.ErrNotFound, context.DeadlineExceeded,
		app.ErrRefundPending, app.ErrRefundUnknown, app.ErrNumberUsed, app.ErrNoFlag,
		app.ErrPayUnknown, app.ErrPayNotFound, app.ErrPayRefundNotFound, app.ErrPayAlreadyPaid, app.ErrPayClosed,
		app.ErrPayNumberUsed, app.ErrPayUnsupported, app.ErrPayUserPaying, app.ErrBadPayCode, app.ErrBadProduct,
		app.ErrRefundFinal, app.ErrIllegalTransition, app.ErrOrderMismatch, app.ErrNoBill, app.ErrBillNotReady,
		app.ErrNoDiff, app.ErrRejected, app.ErrInsecureConfig, context.Canceled,
		&app.ConfigError{Path: "/etc/saoma.toml", Key: "wxpay.appid", Line: 3, Msg: `want "wx" and 16 letters`},
		&app.ConfigError{Msg: "bad"},
		&app.CodeRefusedError{Code: "NOTENOUGH", Err: errors.New("balance")},
		&app.ChargeError{OutTradeNo: "K1", Err: errors.New("dial tcp: timeout")}} {
		wrapped := fmt.Errorf("order K1: %w", err)
		got := k.errText(wrapped)
		if strings.Contains(got, err.Error()) || strings.Contains(got, "K1") || !hasHan(got) || got == general {
			t.Errorf("%v is shown as %q, want its own Chinese sentence", err, got)
		}
	}
	unknown := fmt.Errorf("save: %w", errors.New("dial tcp 127.0.0.1:443: connect: connection refused"))
	if got := k.errText(unknown); got != general {
		t.Errorf("an unknown error is shown as %q, want %q", got, general)
	}
	if !strings.Contains(logged.String(), "connection refused") {
		t.Errorf("the log lacks the unknown error's chain: %q", logged.String())
	}
	if k.errText(nil) != "" {
		t.Error("no error shows text")
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// buttonIn finds the visible button labelled text under o.
func buttonIn(o fyne.CanvasObject, text string) *widget.Button {
	for _, c := range test.LaidOutObjects(o) {
		if b, ok := c.(*widget.Button); ok && b.Visible() && b.Text == text {
			return b
		}
	}
	return nil
}

func TestSaleDetailOffersWhatTheMoneyAllows(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	l := k.lang
	paid := app.Order{OutTradeNo: "K1PAID", Total: 4600, State: app.StatePaid, TransactionID: "42001",
		Lines: []app.Line{{ProductID: "1", Name: "咖啡", UnitPrice: 4600, Qty: 1}}}
	pending := paid
	pending.OutTradeNo = "K1PEND"
	pending.Refunds = []app.Refund{{OutRefundNo: "K1PEND-R1", Amount: 4600, State: app.RefundPending}}
	late := paid
	late.OutTradeNo, late.State, late.Flag = "K1LATE", app.StatePaidAfterCancel, app.FlagPaidAfterCancel
	for _, o := range []app.Order{paid, pending, late} {
		f.eng.orders[o.OutTradeNo] = o
	}
	k.openSales()
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	s := k.sales

	s.showDetail(paid)
	top := k.win.Canvas().Overlays().Top()
	if buttonIn(top, l.T("refund")) == nil || buttonIn(top, l.T("refund.check")) != nil {
		t.Error("a paid order offers 退款 and no check")
	}
	k.win.Canvas().Overlays().Remove(top)

	s.showDetail(pending)
	top = k.win.Canvas().Overlays().Top()
	if buttonIn(top, l.T("refund")) != nil {
		t.Error("a refund awaiting WeChat's answer can be refunded again")
	}
	check := buttonIn(top, l.T("refund.check"))
	if check == nil {
		t.Fatal("no 向微信查询 for a pending refund")
	}
	test.Tap(check)
	f.pump("the check", func() bool { return f.eng.called("RetryRefund") })
	k.win.Canvas().Overlays().Remove(top)

	s.showDetail(late)
	top = k.win.Canvas().Overlays().Top()
	handed := buttonIn(top, l.T("handed.over"))
	if handed == nil {
		t.Fatal("no 已交付商品 for a payment after cancel")
	}
	test.Tap(handed)
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	if !f.eng.called("Resolve") {
		t.Error("goods handed over was not recorded")
	}
}

func TestPaymentWhileAwayIsAnnounced(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	o := app.Order{OutTradeNo: "K1AWAY", Total: 1200, State: app.StatePaid}
	k.apply(app.Update{Order: &o, PaidWhileAway: true})
	if !k.dialogOpen() || !containsText(labelsIn(k.win.Canvas().Overlays().Top()), "K1AWAY") {
		t.Error("a payment made while the kiosk was off was not shown to the cashier")
	}
}

func TestReprintLastAfterARestartUsesTheLedger(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	f.eng.orders["K1OLD"] = app.Order{OutTradeNo: "K1OLD", Total: 1800, State: app.StatePaid}
	if f.k.lastPaid != "" {
		t.Fatal("a new kiosk remembers a receipt")
	}
	f.k.reprintLast()
	f.pump("the reprint", func() bool { return f.eng.called("Reprint") })
}

func TestPrinterStatesInTheCashiersWords(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	cases := []struct {
		st   app.PrinterStatus
		want string
	}{
		{app.PrinterStatus{OK: true}, "打印机就绪"},
		{app.PrinterStatus{OK: true, Detail: "paper_near_end"}, "纸将用完"},
		{app.PrinterStatus{OK: false, Detail: "cover", Failed: 1}, "打印机上盖打开"},
		{app.PrinterStatus{OK: false, Detail: "unconfirmed", Failed: 1}, "打印未确认"},
		{app.PrinterStatus{OK: false, Detail: "paper", Failed: 1}, "打印机缺纸"},
	}
	for _, c := range cases {
		f.k.status.set(app.Status{Ready: true, Link: app.LinkConnected, Printer: c.st})
		if !containsText(labelsIn(f.k.status.obj), c.want) {
			t.Errorf("%+v: status bar %q lacks %q", c.st, labelsIn(f.k.status.obj), c.want)
		}
	}
}

func TestSettingsSayWhenPrintingCannotBeConfirmed(t *testing.T) {
	for _, confirms := range []bool{true, false} {
		f := newFakeKiosk(t, app.Config{}, func(o *Options) { o.PrinterConfirms = func() bool { return confirms } })
		f.k.openSettings()
		f.k.pin.entry.SetText(demoPIN)
		f.k.pin.entry.OnSubmitted("")
		said := containsText(labelsIn(f.k.win.Content()), "无法确认打印结果")
		if said == confirms {
			t.Errorf("printer confirms %v: Settings says it cannot confirm: %v", confirms, said)
		}
	}
}

func TestTodayFollowsTheLedgersDayBoundaryUntilRestart(t *testing.T) {
	f := newFakeKiosk(t, app.Config{DayBoundary: "04:00"})
	f.now = time.Date(2026, 11, 22, 2, 30, 0, 0, app.ShopLocation()) // before 04:00: still the 21st
	if d := f.k.today(); d != "2026-11-21" {
		t.Fatalf("today = %s, want 2026-11-21", d)
	}
	f.k.cfg.DayBoundary = "00:00" // saved in Settings; the ledger keeps 04:00 until restart
	if d := f.k.today(); d != "2026-11-21" {
		t.Errorf("after a boundary change the screens say %s while the ledger says 2026-11-21", d)
	}
}

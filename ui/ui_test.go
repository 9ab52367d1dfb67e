package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
	"saoma/store"
)

// harness runs the kiosk on the real engine, ledger and simulator. The
// test goroutine is the UI goroutine: background work queues its widget
// changes on ui, and pump runs them.
type harness struct {
	t       *testing.T
	k       *Kiosk
	eng     *app.Engine
	sim     *wxsim.Server
	st      *store.Store
	ui      chan func()
	cfg     app.Config
	printer *paperSpy
	clock   *wxsim.ManualClock // shared by the simulator, the engine and the screens
	afters  chan time.Duration // the engine waits on its clock
}

// spyClock reports every wait the engine starts, so a test moves time only
// while the engine is waiting.
type spyClock struct {
	*wxsim.ManualClock
	afters chan time.Duration
}

func (c spyClock) After(d time.Duration) <-chan time.Time {
	ch := c.ManualClock.After(d)
	select {
	case c.afters <- d:
	default:
	}
	return ch
}

// paperSpy is the engine's printer in UI tests.
type paperSpy struct {
	mu     sync.Mutex
	papers []app.Paper
}

func (p *paperSpy) Print(_ context.Context, paper app.Paper) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.papers = append(p.papers, paper)
	return "job", nil
}

func (p *paperSpy) count(kind app.PaperKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, x := range p.papers {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

func newHarness(t *testing.T, cfg app.Config, opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, ui: make(chan func(), 1024), cfg: cfg}
	h.clock = wxsim.NewManualClock(time.Now())
	h.afters = make(chan time.Duration, 1024)
	sim, err := wxsim.Start(wxsim.Config{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	h.sim = sim
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	for _, p := range app.DemoCatalog() {
		st.PutProduct(p)
	}
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := h.eng.HandleNotification(r.Context(), r.Header, body); err != nil {
			w.Write(wxpay.NotifyReply(false, err.Error()))
			return
		}
		w.Write(wxpay.NotifyReply(true, "OK"))
	}))
	t.Cleanup(notify.Close)
	client, err := wxpay.NewClient(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	h.printer = &paperSpy{}
	pay, err := wechat.NewV2(client, sim.Key(), "")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := app.NewEngine(app.EngineConfig{KioskID: "k1", Shop: "测试小店", Orders: st, Catalog: st, Reports: st, Printer: h.printer,
		Payments: pay, ShelfQR: pay, CodePay: pay, NotifyURL: notify.URL + "/n",
		Flagged: st.Flagged,
		Clock:   spyClock{ManualClock: h.clock, afters: h.afters}})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); eng.Wait() })
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	if cfg.Shop == "" {
		cfg.Shop = "测试小店"
	}
	o := Options{Config: cfg, Locale: cfg.Locale, Version: "test", Now: h.clock.Now, dispatch: func(f func()) { h.ui <- f }}
	for _, f := range opts {
		f(&o)
	}
	k, err := New(a, eng, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	h.k = k
	return h
}

// pump runs queued UI work until cond holds; the timeout only turns a hang
// into a failure.
func (h *harness) pump(what string, cond func() bool) {
	h.t.Helper()
	timeout := time.After(20 * time.Second)
	for !cond() {
		select {
		case f := <-h.ui:
			f()
		case <-timeout:
			h.t.Fatalf("timed out waiting for %s (screen %s, message %q)", what, h.k.screen, h.k.sell.message.Text)
		}
	}
}

func (h *harness) tapTile(id string) {
	h.t.Helper()
	b := h.k.sell.tiles[id]
	if b == nil {
		h.t.Fatalf("no tile for product %s", id)
	}
	test.Tap(b)
}

func TestSellChargePayPaid(t *testing.T) {
	h := newHarness(t, app.Config{})
	k := h.k
	if !k.sell.chargeBtn.Disabled() {
		t.Error("Charge enabled on an empty cart")
	}
	h.tapTile("1001")
	h.tapTile("1001")
	h.tapTile("2001")
	if got := k.sell.total.Text; got != "￥46.00" {
		t.Errorf("total %q, want ￥46.00", got)
	}
	if k.sell.chargeBtn.Disabled() || !strings.Contains(k.sell.chargeBtn.Text, "￥46.00") {
		t.Errorf("charge button %q disabled=%v", k.sell.chargeBtn.Text, k.sell.chargeBtn.Disabled())
	}
	// − on the coffee line, then a barcode-scanner entry.
	k.sell.cart.SetQty("1001", 1)
	k.sell.refresh()
	k.sell.submitCode("1001")
	if k.sell.cart.Qty("1001") != 2 {
		t.Errorf("code entry: qty %d", k.sell.cart.Qty("1001"))
	}
	k.sell.submitCode("nope")
	if !strings.Contains(k.sell.message.Text, "nope") {
		t.Errorf("unknown code message %q", k.sell.message.Text)
	}

	test.Tap(k.sell.chargeBtn)
	h.pump("the Pay screen with a QR", func() bool { return k.screen == "pay" && k.pay.order.State == app.StateAwaiting })
	if k.pay.amount.Text != "￥46.00" || !k.pay.qrBox.Visible() {
		t.Errorf("pay screen: amount %q qr visible %v", k.pay.amount.Text, k.pay.qrBox.Visible())
	}
	k.pay.tick()
	if !strings.Contains(k.pay.countdown.Text, "01:59:") && !strings.Contains(k.pay.countdown.Text, "02:00:00") {
		t.Errorf("countdown %q", k.pay.countdown.Text)
	}
	img := k.pay.qr.draw(500, 500)
	if img.Bounds().Dx() != 500 {
		t.Errorf("QR raster %v", img.Bounds())
	}
	if k.sell.cart.Len() != 0 {
		t.Error("cart not cleared after charge")
	}

	// The customer pays.
	if _, err := h.sim.Scan(context.Background(), wxsim.ScanRequest{URL: k.pay.order.CodeURL}); err != nil {
		t.Fatal(err)
	}
	h.pump("the paid screen", func() bool { return k.pay.paidView.Visible() })
	if k.pay.paidAmt.Text != "￥46.00" || k.lastPaid == "" {
		t.Errorf("paid view amount %q last %q", k.pay.paidAmt.Text, k.lastPaid)
	}
	k.pay.next()
	if k.screen != "sell" {
		t.Errorf("after next: screen %s", k.screen)
	}
	if _, ok := h.eng.Current(); ok {
		t.Error("engine still has a current order after Next")
	}
}

func TestCancelNeedsThePIN(t *testing.T) {
	pin, _ := app.HashPIN("2468")
	h := newHarness(t, app.Config{CashierPIN: pin, OwnerPIN: pin})
	k := h.k
	h.tapTile("1005")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	no := k.pay.order.OutTradeNo

	test.Tap(k.pay.cancelBtn)
	if k.pin == nil {
		t.Fatal("cancel did not ask for a PIN")
	}
	k.pin.entry.SetText("0000")
	k.pin.entry.OnSubmitted("")
	if k.pin.msg.Text != k.lang.T("pin.wrong") {
		t.Errorf("wrong PIN message %q", k.pin.msg.Text)
	}
	if o, _ := h.eng.Order(no); o.State != app.StateAwaiting {
		t.Fatalf("a wrong PIN cancelled the order: %s", o.State)
	}
	k.pin.entry.SetText("2468")
	k.pin.entry.OnSubmitted("")
	h.pump("the order cancelled", func() bool {
		return k.pay.order.State == app.StateCancelPending || k.pay.order.State == app.StateClosed
	})
	if k.pay.qrBox.Visible() {
		t.Error("QR still shown after cancel")
	}
}

func TestSalesScreenTotals(t *testing.T) {
	h := newHarness(t, app.Config{})
	k := h.k
	h.tapTile("1002")
	h.tapTile("1002")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	h.sim.Scan(context.Background(), wxsim.ScanRequest{URL: k.pay.order.CodeURL})
	h.pump("paid", func() bool { return k.pay.paidView.Visible() })
	k.pay.next()

	k.openSales()
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	if k.screen != "sales" {
		t.Fatalf("screen %s", k.screen)
	}
	s := findSales(t, k)
	if s.summary.Sales != 1 || s.summary.Gross != 4400 || len(s.orders) != 1 {
		t.Errorf("summary %+v, %d orders", s.summary, len(s.orders))
	}
	texts := labelsIn(k.win.Content())
	for _, want := range []string{"￥44.00", "销售"} {
		if !containsText(texts, want) {
			t.Errorf("sales screen lacks %q: %v", want, texts)
		}
	}
	ranges := []struct{ from, to app.Day }{{s.day, s.day}, {s.day.Add(-6), s.day}, {app.Day(string(s.day)[:8] + "01"), s.day}}
	for i, want := range ranges {
		s.span.SetSelectedIndex(i)
		if from, to := s.exportRange(); from != want.from || to != want.to {
			t.Errorf("span %d: %s..%s, want %s..%s", i, from, to, want.from, want.to)
		}
	}
	// Export opens a save dialog (it once crashed resizing it early).
	test.Tap(s.csvBtn)
	test.Tap(s.xlsxBtn)
	if !k.dialogOpen() {
		t.Error("export opened no dialog")
	}
	// A partial refund from the sale's detail.
	det := &saleDetail{summary: widget.NewLabel(""), state: widget.NewLabel(""), result: widget.NewLabel("")}
	result, amount := det.result, widget.NewEntry()
	s.refund(s.orders[0], 1000, det, amount)
	h.pump("the refund", func() bool { return strings.Contains(result.Text, "￥10.00") })
	// Accepted by WeChat is not yet money returned: it counts once WeChat
	// reports the refund succeeded, and the screen follows by itself.
	h.pumpAdvancing("the refund's success", 30*time.Second, func() bool { return k.sales.summary.Refunds == 1000 })
	s = k.sales
	if s.summary.Refunds != 1000 || s.summary.Net != 3400 {
		t.Errorf("after refund: refunds %s net %s", s.summary.Refunds, s.summary.Net)
	}
	// A sale's detail, with its history.
	s.showDetail(s.orders[0])
	if !containsText(labelsIn(k.win.Canvas().Overlays().Top()), k.lang.T("source.notification")) {
		t.Error("detail lacks the order's history")
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newHarness(t, app.Config{Locale: "zh"})
	k := h.k
	if !containsText(labelsIn(k.win.Content()), "当前订单") {
		t.Fatal("Chinese Sell screen lacks 当前订单")
	}
	k.setLocale("en")
	texts := labelsIn(k.win.Content())
	if !containsText(texts, "Current order") || containsText(texts, "当前订单") {
		t.Errorf("after switch to English: %v", texts)
	}
	h.tapTile("1001")
	if !strings.HasPrefix(k.sell.chargeBtn.Text, "Charge ￥18.00") {
		t.Errorf("charge button %q", k.sell.chargeBtn.Text)
	}
}

func TestCheckPIN(t *testing.T) {
	owner, _ := app.HashPIN("1111")
	cashier, _ := app.HashPIN("2222")
	cases := []struct {
		owner, cashier string
		role           pinRole
		pin            string
		want           bool
	}{
		{"", "", pinOwner, demoPIN, true},
		{"", "", pinCashier, demoPIN, true},
		{"", "", pinOwner, "1234", false},
		{owner, cashier, pinOwner, "1111", true},
		{owner, cashier, pinOwner, "2222", false},
		{owner, cashier, pinCashier, "2222", true},
		{owner, cashier, pinCashier, "1111", true},
		{owner, cashier, pinCashier, demoPIN, false},
		{owner, "", pinCashier, demoPIN, false},
	}
	for _, c := range cases {
		k := &Kiosk{cfg: app.Config{OwnerPIN: c.owner, CashierPIN: c.cashier}}
		if got := k.checkPIN(c.role, c.pin); got != c.want {
			t.Errorf("owner set %v cashier set %v role %d pin %s: %v", c.owner != "", c.cashier != "", c.role, c.pin, got)
		}
	}
}

func findSales(t *testing.T, k *Kiosk) *salesScreen {
	t.Helper()
	if k.sales == nil {
		t.Fatal("no sales screen")
	}
	return k.sales
}

// labelsIn collects the text of every visible label, button and canvas
// text laid out under o.
func labelsIn(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range test.LaidOutObjects(o) {
		if !c.Visible() {
			continue
		}
		switch w := c.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, w.Text)
		case *keyButton:
			out = append(out, w.Text)
		case *canvas.Text:
			out = append(out, w.Text)
		}
	}
	return out
}

func containsText(texts []string, want string) bool {
	for _, t := range texts {
		if strings.Contains(t, want) {
			return true
		}
	}
	return false
}

func TestCustomerDisplayMirrorsThePayScreen(t *testing.T) {
	h := newHarness(t, app.Config{}, func(o *Options) { o.CustomerDisplay = true })
	k := h.k
	if k.custPay == nil {
		t.Fatal("no customer display")
	}
	if !k.custPay.idleView.Visible() || k.custPay.waitView.Visible() {
		t.Error("the idle customer display does not show the welcome")
	}
	h.tapTile("1003")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR on both screens", func() bool { return k.custPay.order.State == app.StateAwaiting })
	if k.custPay.qr.content != k.pay.qr.content || k.custPay.qr.content == "" {
		t.Errorf("customer QR %q, cashier QR %q", k.custPay.qr.content, k.pay.qr.content)
	}
	for _, b := range []*widget.Button{&k.custPay.cancelBtn.Button, &k.custPay.billBtn.Button} {
		if b.Visible() {
			t.Errorf("customer display shows the cashier's %q button", b.Text)
		}
	}
	h.sim.Scan(context.Background(), wxsim.ScanRequest{URL: k.pay.order.CodeURL})
	h.pump("paid on the customer display", func() bool { return k.custPay.paidView.Visible() })
	k.pay.next()
	if !k.custPay.idleView.Visible() || k.custPay.paidView.Visible() {
		t.Error("after the sale the customer display does not return to the welcome")
	}
}

func TestPrintProductLabels(t *testing.T) {
	h := newHarness(t, app.Config{})
	h.k.printLabels()
	want := len(app.DemoCatalog())
	h.pump("labels printed", func() bool { return h.printer.count(app.PaperLabel) == want })
	h.pump("the message", func() bool { return strings.Contains(h.k.sell.message.Text, "12") })
	h.printer.mu.Lock()
	defer h.printer.mu.Unlock()
	for _, p := range h.printer.papers {
		if !strings.HasPrefix(p.QR, "weixin://wxpay/s/") {
			t.Errorf("label QR %q is not a short link", p.QR)
		}
	}
}

func TestPaidScreenReturnsToSellByItself(t *testing.T) {
	h := newHarness(t, app.Config{}, func(o *Options) { o.PaidReturn = time.Millisecond })
	k := h.k
	h.tapTile("1005")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	h.sim.Scan(context.Background(), wxsim.ScanRequest{URL: k.pay.order.CodeURL})
	h.pump("paid", func() bool { return k.pay.paidView.Visible() })
	// The kiosk's clock passes PaidReturn; its next tick starts the next sale.
	h.clock.Advance(time.Millisecond)
	k.tick()
	h.pump("back to Sell", func() bool { return k.screen == "sell" })
	if n := h.printer.count(app.PaperReceipt); n != 1 {
		t.Errorf("%d receipts", n)
	}
}

func TestEveryStringHasBothLanguages(t *testing.T) {
	for key, v := range stringsTable {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s: %q / %q", key, v[0], v[1])
		}
	}
	// Every key the screens ask for exists (T shows a missing key as is).
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`\bT\("([a-z0-9._]*[a-z0-9])"`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if _, ok := lookup(m[1]); !ok {
				t.Errorf("%s asks for missing string %q", f, m[1])
			}
		}
	}
	for _, st := range []app.State{app.StateCreated, app.StateAwaiting, app.StatePaid, app.StateCancelPending, app.StateClosed,
		app.StateExpired, app.StatePaidAfterCancel, app.StatePartiallyRefunded, app.StateRefunded} {
		if _, ok := stringsTable["state."+string(st)]; !ok {
			t.Errorf("no name for state %s", st)
		}
	}
	for _, f := range []app.Flag{app.FlagPaidAfterCancel, app.FlagAmountMismatch, app.FlagConflictingPayment} {
		if _, ok := stringsTable["flag."+string(f)]; !ok {
			t.Errorf("no name for flag %s", f)
		}
	}
}

func TestPaymentAfterCancelAlertsTheCashier(t *testing.T) {
	h := newHarness(t, app.Config{})
	k := h.k
	h.tapTile("1004")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	code := k.pay.order.CodeURL
	test.Tap(k.pay.cancelBtn)
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	h.pump("cancelled", func() bool { return k.pay.order.State == app.StateCancelPending })
	k.pay.next()
	// The customer had scanned already and pays anyway.
	if _, err := h.sim.Scan(context.Background(), wxsim.ScanRequest{URL: code}); err != nil {
		t.Fatal(err)
	}
	h.pump("the alert", func() bool { return k.dialogOpen() })
	texts := labelsIn(k.win.Canvas().Overlays().Top())
	if !containsText(texts, "￥12.00") || !containsText(texts, k.lang.T("paid.after")) {
		t.Errorf("alert: %v", texts)
	}
	h.pump("the flagged count", func() bool { return k.status.flagged.Visible() })
	if !strings.Contains(k.status.flagged.Text, "1") {
		t.Errorf("flagged button %q", k.status.flagged.Text)
	}
	before := k.pin
	test.Tap(k.status.flagged) // opens Sales behind the owner's PIN
	if k.pin == nil || k.pin == before {
		t.Fatal("the flagged button did not ask for the owner's PIN")
	}
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	k.sales.toggleFlagged()
	if len(k.sales.orders) != 1 || k.sales.orders[0].State != app.StatePaidAfterCancel {
		t.Errorf("flagged list: %+v", k.sales.orders)
	}
}

func TestSettingsSaveKeepsSecretsAndHashesPINs(t *testing.T) {
	var saved []app.Config
	cfg := app.Config{Shop: "老王咖啡", KioskID: "k1", Locale: "zh",
		WxPay: app.WxPayConfig{AppID: "wx1234567890abcdef", MchID: "1900000109", Key: "0123456789abcdef0123456789abcdef"},
		Relay: app.RelayConfig{URL: "https://relay.example.com", Token: "t"}}
	h := newHarness(t, cfg, func(o *Options) {
		o.SaveConfig = func(c app.Config) error { saved = append(saved, c); return nil }
	})
	k := h.k
	k.openSettings()
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	s := k.settings
	if s == nil || k.screen != "settings" {
		t.Fatal("settings not open")
	}
	if s.key.Text != "" {
		t.Error("the API key is shown back")
	}
	s.shop.SetText("王记咖啡")
	s.ownerPIN.SetText("2468")
	s.language.SetSelectedIndex(1)
	s.save()
	if len(saved) != 1 {
		t.Fatalf("saved %d times", len(saved))
	}
	c := saved[0]
	if c.Shop != "王记咖啡" || c.WxPay.Key != cfg.WxPay.Key || c.Locale != "en" {
		t.Errorf("saved %+v", c)
	}
	if !app.CheckPIN(c.OwnerPIN, "2468") || strings.Contains(c.OwnerPIN, "2468") {
		t.Errorf("owner PIN stored as %q", c.OwnerPIN)
	}
	if !containsText(labelsIn(k.win.Content()), "Settings") {
		t.Error("language did not switch live")
	}
	// The demo PIN no longer opens the owner's screens.
	if k.checkPIN(pinOwner, demoPIN) || !k.checkPIN(pinOwner, "2468") {
		t.Error("PIN change not in effect")
	}
	// A bad value is refused with a message and nothing is saved.
	k.settings.boundary.SetText("25:00")
	k.settings.save()
	if len(saved) != 1 || !strings.Contains(k.settings.msg.Text, "day_boundary") {
		t.Errorf("bad boundary: saved %d, message %q", len(saved), k.settings.msg.Text)
	}
}

// pumpAdvancing runs UI work and moves the clock by step whenever the engine
// waits on it, until cond holds.
func (h *harness) pumpAdvancing(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	timeout := time.After(20 * time.Second)
	for !cond() {
		select {
		case f := <-h.ui:
			f()
		case <-h.afters:
			h.clock.Advance(step)
		case <-timeout:
			h.t.Fatalf("timed out waiting for %s (order %s)", what, h.k.pay.order.State)
		}
	}
}

func TestExpiredQRCanBeRenewed(t *testing.T) {
	h := newHarness(t, app.Config{})
	k := h.k
	h.tapTile("1001")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	first := k.pay.order.OutTradeNo
	h.clock.Advance(1*time.Hour + 56*time.Minute)
	k.tick()
	if k.pay.countdown.Color != colorWaiting || !strings.HasPrefix(k.pay.countdown.Text, k.lang.T("valid", "00:0")) {
		t.Errorf("under 5 minutes: %q in %v", k.pay.countdown.Text, k.pay.countdown.Color)
	}
	h.pumpAdvancing("expiry", 5*time.Minute, func() bool { return k.pay.order.State == app.StateExpired })
	if !k.pay.qr.grey || k.pay.big.Text != k.lang.T("expired") || !k.pay.refreshBtn.Visible() {
		t.Errorf("expired view: grey %v big %q refresh %v", k.pay.qr.grey, k.pay.big.Text, k.pay.refreshBtn.Visible())
	}
	test.Tap(k.pay.refreshBtn)
	h.pump("a new QR", func() bool {
		return k.pay.order.OutTradeNo != first && k.pay.order.State == app.StateAwaiting
	})
	if k.pay.qr.grey || k.pay.order.Total != 1800 {
		t.Errorf("renewed: grey %v total %s", k.pay.qr.grey, k.pay.order.Total)
	}
}

func TestOwnerScreensOverAWaitingOrderReturnToIt(t *testing.T) {
	h := newHarness(t, app.Config{})
	k := h.k
	h.tapTile("1001")
	test.Tap(k.sell.chargeBtn)
	h.pump("the QR", func() bool { return k.pay.order.State == app.StateAwaiting })
	no := k.pay.order.OutTradeNo
	k.openSales()
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	if k.screen != "sales" {
		t.Fatalf("screen %s", k.screen)
	}
	k.back()
	if k.screen != "pay" || k.payNo != no {
		t.Errorf("back from Sales: screen %s order %s, want the waiting order %s", k.screen, k.payNo, no)
	}
}

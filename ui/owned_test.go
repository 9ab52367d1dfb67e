package ui

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// blockingEngine is a fakeEngine whose printing waits until its context
// ends, as a call to a printer that never answers does.
type blockingEngine struct {
	*fakeEngine
	started chan struct{}
	mu      sync.Mutex
	ended   []error // the contexts' errors, one per call that returned
}

func (b *blockingEngine) wait(ctx context.Context) error {
	b.started <- struct{}{}
	<-ctx.Done()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ended = append(b.ended, ctx.Err())
	return ctx.Err()
}

func (b *blockingEngine) Reprint(ctx context.Context, _ string) (string, error) {
	return "", b.wait(ctx)
}

func (b *blockingEngine) RetryPrint(ctx context.Context) error { return b.wait(ctx) }

func TestClosingTheWindowEndsTheScreensWork(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 41, 0, 0, time.UTC)
	eng := &blockingEngine{fakeEngine: newFakeEngine(func() time.Time { return now }), started: make(chan struct{}, 4)}
	ui := make(chan func(), 64)
	k, err := New(test.NewTempApp(t), eng, Options{Config: app.Config{Shop: "老王咖啡"}, Now: func() time.Time { return now },
		dispatch: func(fn func()) { ui <- fn }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	k.lastPaid = "K1TEST0001"
	k.reprintLast()
	test.Tap(k.status.retry)
	<-eng.started
	<-eng.started
	if n := k.running.Load(); n != 4 { // the update bridge, the ticker, the reprint, the retry
		t.Fatalf("%d goroutines of ours before closing, want 4", n)
	}
	k.close()
	if n := k.running.Load(); n != 0 {
		t.Errorf("%d goroutines of ours still running after close", n)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if len(eng.ended) != 2 || !errors.Is(eng.ended[0], context.Canceled) || !errors.Is(eng.ended[1], context.Canceled) {
		t.Errorf("the printing calls ended with %v, want both cancelled", eng.ended)
	}
	// What they queued for the screens after closing does nothing.
	for len(ui) > 0 {
		(<-ui)()
	}
	if k.sell.message.Text != "" {
		t.Errorf("a closed kiosk still shows %q", k.sell.message.Text)
	}
	k.reprintLast()
	if n := k.running.Load(); n != 0 {
		t.Errorf("work started after close: %d goroutines", n)
	}
}

// The app quitting without the window closing (SIGTERM, a Windows logoff:
// fyne's Quit) ends the screens' work as closing does, so the engine and
// ledger, closed after ShowAndRun returns, never reach a widget.
func TestShowAndRunEndsTheScreensWorkWhenTheAppQuits(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 41, 0, 0, time.UTC)
	eng := newFakeEngine(func() time.Time { return now })
	ui := make(chan func(), 64)
	k, err := New(test.NewTempApp(t), eng, Options{Config: app.Config{Shop: "老王咖啡"}, Now: func() time.Time { return now },
		dispatch: func(fn func()) { ui <- fn }})
	if err != nil {
		t.Fatal(err)
	}
	if n := k.running.Load(); n != 2 { // the update bridge, the ticker
		t.Fatalf("%d goroutines of ours before running, want 2", n)
	}
	k.ShowAndRun() // the test driver's run returns at once, as Quit makes the real one
	if n := k.running.Load(); n != 0 {
		t.Errorf("%d goroutines of ours still running after ShowAndRun returned", n)
	}
	k.reprintLast()
	if n := k.running.Load(); n != 0 {
		t.Errorf("work started after ShowAndRun returned: %d goroutines", n)
	}
}

func TestPaidScreenReturnsToSellOnTheKioskClock(t *testing.T) {
	f := newFakeKiosk(t, app.Config{}, func(o *Options) { o.PaidReturn = 10 * time.Second })
	k := f.k
	o := f.charge()
	o.State, o.PaidAt = app.StatePaid, f.now
	f.eng.push(&o, nil)
	f.pump("the paid screen", func() bool { return k.pay.paidView.Visible() })
	f.now = f.now.Add(9 * time.Second)
	k.tick()
	if k.screen != "pay" {
		t.Fatalf("left the paid screen after 9 s: %s", k.screen)
	}
	f.now = f.now.Add(time.Second)
	k.tick()
	if k.screen != "sell" || !f.eng.called("Done") {
		t.Errorf("after PaidReturn: screen %s, Done %v", k.screen, f.eng.called("Done"))
	}
}

func TestDroppedPrintErrorsAreShownInTheCashiersLanguage(t *testing.T) {
	offline := errors.New("dial tcp 192.168.1.50:9100: connect: no route to host")
	t.Run("a failed Retry on the printer chip is said on Sell", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{Locale: "en"}, quiet)
		eng := &failingPrints{fakeEngine: f.eng, err: offline}
		f.k.eng = eng
		test.Tap(f.k.status.retry)
		f.pump("the message", func() bool { return f.k.sell.message.Text != "" })
		if got := f.k.sell.message.Text; !strings.HasPrefix(got, "Printing failed: ") {
			t.Errorf("Sell says %q", got)
		}
	})
	t.Run("a failed test page is said in Settings, off the UI goroutine", func(t *testing.T) {
		release := make(chan struct{})
		f := newFakeKiosk(t, app.Config{}, func(o *Options) {
			o.TestPrint = func() error { <-release; return offline }
			quiet(o)
		})
		k := f.k
		k.settings = newSettingsScreen(k)
		k.setBody("settings", k.settings.obj)
		test.Tap(findButton(t, k.settings.obj, k.lang.T("test.print")))
		close(release) // the tap returned while the printer was still "busy"
		f.pump("the message", func() bool { return k.settings.msg.Text != "" })
		if got := k.settings.msg.Text; !strings.HasPrefix(got, "打印失败：") {
			t.Errorf("Settings says %q", got)
		}
	})
	t.Run("a successful reprint on the paid screen says it was sent", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		k.eng = &failingPrints{fakeEngine: f.eng}
		o := f.charge()
		o.State = app.StatePaid
		f.eng.push(&o, nil)
		f.pump("the paid screen", func() bool { return k.pay.paidView.Visible() })
		k.pay.reprint()
		f.pump("the message", func() bool { return k.pay.paidMsg.Visible() })
		if got := k.pay.paidMsg.Text; got != k.lang.T("reprinted") {
			t.Errorf("beside Reprint: %q", got)
		}
	})
}

// quiet drops the kiosk's log of the errors a test provokes.
func quiet(o *Options) { o.Logger = slog.New(slog.DiscardHandler) }

// failingPrints answers every reprint and retry with err.
type failingPrints struct {
	*fakeEngine
	err error
}

func (f *failingPrints) Reprint(context.Context, string) (string, error) { return "job", f.err }
func (f *failingPrints) RetryPrint(context.Context) error                { return f.err }

func TestDemoSettingsAreSavedWithoutTheDemoMerchant(t *testing.T) {
	// The demo world's merchant: an APPID the validator refuses.
	demo := app.Config{Shop: "扫码小店 · 演示", KioskID: "k1", Locale: "zh",
		WxPay: app.WxPayConfig{AppID: "wx0000000000demo", MchID: "1900000109", Key: "saomaDemoKey0123456789abcdefABCD", API: "v3"},
		Relay: app.RelayConfig{URL: "http://127.0.0.1:41234", Token: "demo-token"}}.WithDefaults()
	var saved []app.Config
	f := newFakeKiosk(t, demo, func(o *Options) {
		o.Demo = true
		o.SaveConfig = func(c app.Config) error { saved = append(saved, c); return nil }
	})
	k := f.k
	k.settings = newSettingsScreen(k)
	k.setBody("settings", k.settings.obj)
	s := k.settings
	s.shop.SetText("老王咖啡")
	s.ownerPIN.SetText("2468")
	s.printerKind.SetSelected("tcp")
	s.printerAddr.SetText("192.168.1.50:9100")
	s.mute.SetChecked(true)
	s.save()
	if len(saved) != 1 {
		t.Fatalf("saved %d times; Settings says %q", len(saved), s.msg.Text)
	}
	c := saved[0]
	if c.Shop != "老王咖啡" || !app.CheckPIN(c.OwnerPIN, "2468") || c.Printer.Address != "192.168.1.50:9100" || !c.Speaker.Muted {
		t.Errorf("saved %+v", c)
	}
	if c.WxPay != (app.WxPayConfig{}) || c.Relay != (app.RelayConfig{}) {
		t.Errorf("the demo's merchant or relay was saved: %+v %+v", c.WxPay, c.Relay)
	}
	if got := k.settings.msg.Text; got != k.lang.T("saved") {
		t.Errorf("Settings says %q", got)
	}
	// The running demo keeps its merchant.
	if k.cfg.WxPay.AppID != demo.WxPay.AppID {
		t.Errorf("the kiosk lost the demo merchant: %+v", k.cfg.WxPay)
	}
}

func TestTheMenusLanguageSwitchIsSaved(t *testing.T) {
	var saved []app.Config
	f := newFakeKiosk(t, app.Config{Locale: "zh", Shop: "老王咖啡"}, func(o *Options) {
		o.SaveConfig = func(c app.Config) error { saved = append(saved, c); return nil }
	})
	k := f.k
	k.openMenu()
	overlay := k.win.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("no menu")
	}
	test.Tap(findButton(t, overlay, "English"))
	if k.lang != 1 {
		t.Fatal("the language did not switch")
	}
	if len(saved) != 1 || saved[0].Locale != "en" || saved[0].Shop != "老王咖啡" {
		t.Errorf("saved %+v", saved)
	}
}

// findButton finds the button labelled text under o.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Button:
			if w.Text == text {
				found = w
			}
		case *keyButton:
			if w.Text == text {
				found = &w.Button
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(w)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	if found == nil {
		t.Fatalf("no button %q", text)
	}
	return found
}

func TestTheCustomerReadsChineseFirstAndSeesTheItems(t *testing.T) {
	size := fyne.NewSize(1024, 768)
	f := newFakeKiosk(t, app.Config{Locale: "en"}, func(o *Options) { o.CustomerDisplay = true; o.Size = size })
	k := f.k
	k.cust.Resize(size)
	f.tapTile("1001")
	f.tapTile("2001")
	o := f.charge() // a second coffee, and charge
	o.CodeURL = "weixin://wxpay/bizpayurl?pr=NwY5Mz9"
	k.showPay(o)
	c := k.custPay

	t.Run("the customer display says scan with WeChat in Chinese, then English, on an English kiosk", func(t *testing.T) {
		texts := textsOf(c.scan)
		if len(texts) < 2 || texts[0] != "请使用微信「扫一扫」付款" || texts[len(texts)-1] != "Scan with WeChat to pay" {
			t.Errorf("scan line %q", texts)
		}
		if c.scanText.TextSize < 30 {
			t.Errorf("the instruction is %v pt, want it larger", c.scanText.TextSize)
		}
		if got := c.state.Text; got != "等待付款… / Waiting for payment…" {
			t.Errorf("state %q", got)
		}
	})
	t.Run("the cashier's Pay screen says it Chinese first too", func(t *testing.T) {
		if texts := textsOf(k.pay.scan); len(texts) < 2 || texts[0] != "请使用微信「扫一扫」付款" {
			t.Errorf("scan line %q", texts)
		}
	})
	t.Run("the customer display lists the items with quantities and amounts", func(t *testing.T) {
		for _, p := range []*payScreen{c, k.pay} {
			got := strings.Join(textsOf(p.items), " ")
			for _, want := range []string{"2×", o.Lines[0].Name, money(o.Lines[0].Amount()), "1×", o.Lines[1].Name, money(o.Lines[1].Amount())} {
				if !strings.Contains(got, want) {
					t.Errorf("customer %v: items %q lack %q", p.customer, got, want)
				}
			}
		}
	})
	t.Run("the QR stays at least 400 px on the customer display at 1024×768", func(t *testing.T) {
		k.cust.Resize(size)
		qs := c.qr.Size()
		if side := inkSide(c.qr.draw(int(qs.Width), int(qs.Height))); side < 400 {
			t.Errorf("QR %d px a side", side)
		}
		if min := k.cust.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
			t.Errorf("the customer display needs %v", min)
		}
	})
	t.Run("cancelled and paid are said in both languages", func(t *testing.T) {
		x := o
		x.State = app.StateClosed
		c.show(x, time.Time{}, nil)
		if c.big.Text != "已取消" || c.bigSub.Text != "Cancelled" {
			t.Errorf("cancelled: %q %q", c.big.Text, c.bigSub.Text)
		}
		x.State = app.StatePaid
		c.show(x, time.Time{}, nil)
		got := strings.Join(textsOf(c.paidView), " ")
		if !strings.Contains(got, "支付成功") || !strings.Contains(got, "Paid") {
			t.Errorf("paid view %q", got)
		}
	})
}

// textsOf lists the visible words under o, in order.
func textsOf(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *canvas.Text:
			if strings.TrimSpace(w.Text) != "" {
				out = append(out, w.Text)
			}
		case *widget.Label:
			if strings.TrimSpace(w.Text) != "" && w.Text != "/" {
				out = append(out, w.Text)
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

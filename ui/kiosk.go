// Package ui is the kiosk's Fyne front end: the cashier's Sell screen, the
// customer's Pay screen, Paid, and the owner's Sales and Settings behind a
// PIN. It shows what the checkout engine publishes and never decides about
// money itself.
package ui

import (
	"context"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"saoma/app"
	"saoma/payment/wxpay"
)

// Engine is what the screens need from the checkout engine (*app.Engine).
type Engine interface {
	Products() ([]app.Product, error)
	Charge(ctx context.Context, lines []app.Line) (app.Order, error)
	Retry(ctx context.Context, outTradeNo string) (app.Order, error)
	Cancel(ctx context.Context, outTradeNo string) (app.Order, error)
	RefreshQR(ctx context.Context, outTradeNo string) (app.Order, error)
	PrintBill(ctx context.Context, outTradeNo string) (string, error)
	Reprint(ctx context.Context, outTradeNo string) (string, error)
	RetryPrint(ctx context.Context) error
	Refund(ctx context.Context, outTradeNo string, amount app.Fen, reason string) (app.Order, error)
	Current() (app.Order, bool)
	Done(outTradeNo string)
	Subscribe() (<-chan app.Update, func())
	Status() app.Status
	Reports() app.Reports
	Order(outTradeNo string) (app.Order, error)
}

// Options shape the kiosk's windows.
type Options struct {
	// Fullscreen runs the cashier's window full screen (kiosk mode).
	Fullscreen bool
	// CustomerDisplay opens a second window with the Pay screen for a
	// customer-facing monitor.
	CustomerDisplay bool
	// Locale is "zh" (default) or "en"; Settings switches it live.
	Locale string
	// Config is the current configuration, edited by Settings.
	Config app.Config
	// SaveConfig stores a changed configuration; nil disables saving.
	SaveConfig func(app.Config) error
	// Preview draws a paper (the receipt) as the printer would print it.
	Preview func(app.Paper) (image.Image, error)
	// DataDir and Version are shown in Settings → About.
	DataDir string
	Version string
	// Demo and SimURL mark demo mode and give the simulator's customer
	// page address.
	Demo   bool
	SimURL string
	// Now is the clock for countdowns; time.Now if nil.
	Now func() time.Time
	// Size is the window's initial size; 1024×768 if zero.
	Size fyne.Size
	// StartScreen opens on "sales" or "settings" (screenshots); the PIN is
	// still asked.
	StartScreen string

	// dispatch runs f on the UI goroutine; fyne.Do unless a test takes
	// over the UI goroutine.
	dispatch func(f func())
}

// Kiosk is the running front end.
type Kiosk struct {
	app   fyne.App
	win   fyne.Window
	cust  fyne.Window
	eng   Engine
	opts  Options
	cfg   app.Config
	lang  lang
	theme *kioskTheme
	now   func() time.Time
	do    func(func()) // the one bridge from other goroutines to widgets

	root    *fyne.Container // status bar + body
	status  *statusBar
	sell    *sellScreen
	pay     *payScreen
	custPay *payScreen

	screen   string // "sell", "pay", "sales", "settings"
	payNo    string // the order on the Pay screen
	lastPaid string

	pin         *pinPad      // the open PIN prompt, for tests
	sales       *salesScreen // the open Sales screen
	stopUpdates func()
	done        chan struct{}
}

// New builds the kiosk's windows on a (a Fyne app; tests pass
// fyne.io/fyne/v2/test's).
func New(a fyne.App, eng Engine, opts Options) (*Kiosk, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Size.IsZero() {
		opts.Size = fyne.NewSize(1024, 768)
	}
	k := &Kiosk{app: a, eng: eng, opts: opts, cfg: opts.Config, now: opts.Now, theme: newTheme(), done: make(chan struct{})}
	k.do = fyne.Do
	if opts.dispatch != nil {
		k.do = opts.dispatch
	}
	loc := opts.Locale
	if loc == "" {
		loc = opts.Config.Locale
	}
	k.lang = langOf(loc)
	if opts.Size.Width >= 1600 {
		k.theme.scale = 1.25
	}
	a.Settings().SetTheme(k.theme)
	k.win = a.NewWindow(k.lang.T("app.title"))
	k.win.Resize(opts.Size)
	k.win.SetFullScreen(opts.Fullscreen)
	k.win.SetPadded(false)
	k.build()
	if opts.CustomerDisplay {
		k.cust = a.NewWindow(k.lang.T("scan"))
		k.cust.Resize(opts.Size)
		k.custPay = newPayScreen(k, true)
		k.cust.SetContent(k.custPay.obj)
	}
	k.win.Canvas().SetOnTypedKey(k.typedKey)
	k.win.Canvas().SetOnTypedRune(k.typedRune)
	k.win.SetOnClosed(k.close)

	updates, stop := eng.Subscribe()
	k.stopUpdates = stop
	go k.bridge(updates)
	go k.ticker()
	if o, ok := eng.Current(); ok && o.State.Open() {
		k.showPay(o)
	}
	switch opts.StartScreen {
	case "sales":
		k.openSales()
	case "settings":
		k.openSettings()
	}
	return k, nil
}

// ShowAndRun shows the windows and runs the app until the cashier's window
// closes.
func (k *Kiosk) ShowAndRun() {
	if k.cust != nil {
		k.cust.Show()
	}
	k.win.ShowAndRun()
}

// Window is the cashier's window.
func (k *Kiosk) Window() fyne.Window { return k.win }

func (k *Kiosk) close() {
	select {
	case <-k.done:
		return
	default:
	}
	close(k.done)
	k.stopUpdates()
	if k.cust != nil {
		k.cust.Close()
	}
}

// bridge is the only path from the engine's goroutines to the widgets.
func (k *Kiosk) bridge(updates <-chan app.Update) {
	for {
		select {
		case <-k.done:
			return
		case u := <-updates:
			k.do(func() { k.apply(u) })
		}
	}
}

// ticker drives the countdown once a second.
func (k *Kiosk) ticker() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-k.done:
			return
		case <-t.C:
			k.do(k.tick)
		}
	}
}

func (k *Kiosk) tick() {
	k.pay.tick()
	if k.custPay != nil {
		k.custPay.tick()
	}
	k.status.clock.SetText(k.now().In(wxpay.Shanghai()).Format("15:04"))
}

// apply shows one engine update.
func (k *Kiosk) apply(u app.Update) {
	k.status.set(u.Status)
	if u.Order == nil {
		if u.Err != nil && k.screen == "sell" {
			k.sell.setMessage(u.Err.Error(), true)
		}
		return
	}
	if u.Order.OutTradeNo != k.payNo {
		return
	}
	k.pay.show(*u.Order, u.Deadline, u.Err)
	if k.custPay != nil {
		k.custPay.show(*u.Order, u.Deadline, u.Err)
	}
	if u.Order.State.Paid() {
		k.lastPaid = u.Order.OutTradeNo
	}
}

// build (re)creates every screen, e.g. after a language switch.
func (k *Kiosk) build() {
	k.win.SetTitle(k.lang.T("app.title"))
	k.status = newStatusBar(k)
	k.sell = newSellScreen(k)
	k.pay = newPayScreen(k, false)
	k.root = container.NewBorder(k.status.obj, nil, nil, nil, k.sell.obj)
	k.win.SetContent(k.root)
	k.screen = "sell"
	k.status.set(k.eng.Status())
}

// setBody swaps the area under the status bar.
func (k *Kiosk) setBody(name string, obj fyne.CanvasObject) {
	k.screen = name
	k.root = container.NewBorder(k.status.obj, nil, nil, nil, obj)
	k.win.SetContent(k.root)
}

func (k *Kiosk) showSell() {
	k.payNo = ""
	k.setBody("sell", k.sell.obj)
	k.sell.refresh()
	k.win.Canvas().Focus(k.sell.code)
}

func (k *Kiosk) showPay(o app.Order) {
	k.payNo = o.OutTradeNo
	k.pay.show(o, deadlineOf(o), nil)
	if k.custPay != nil {
		k.custPay.show(o, deadlineOf(o), nil)
	}
	k.setBody("pay", k.pay.obj)
}

func deadlineOf(o app.Order) time.Time {
	if o.CodeURL == "" {
		return time.Time{}
	}
	d := o.TimeExpire
	if !o.CodeURLExpires.IsZero() && o.CodeURLExpires.Before(d) {
		d = o.CodeURLExpires
	}
	return d
}

// setLocale switches the language live and saves the choice.
func (k *Kiosk) setLocale(loc string) {
	k.lang = langOf(loc)
	k.cfg.Locale = loc
	k.build()
	if k.custPay != nil {
		k.custPay = newPayScreen(k, true)
		k.cust.SetContent(k.custPay.obj)
	}
}

func (k *Kiosk) typedKey(ev *fyne.KeyEvent) {
	switch k.screen {
	case "sell":
		switch ev.Name {
		case fyne.KeyF12:
			k.sell.charge()
		case fyne.KeyEscape:
			k.sell.clear()
		}
	case "pay":
		if ev.Name == fyne.KeyEscape {
			k.pay.askCancel()
		}
	}
}

func (k *Kiosk) typedRune(r rune) {
	if k.screen == "sell" && r >= '0' && r <= '9' {
		k.win.Canvas().Focus(k.sell.code)
		k.sell.code.TypedRune(r)
	}
}

func (k *Kiosk) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

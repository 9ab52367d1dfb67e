// Package ui is the kiosk's Fyne front end: the cashier's Sell screen, the
// customer's Pay screen, Paid, and the owner's Sales and Settings behind a
// PIN. It shows what the checkout engine publishes and never decides about
// money itself.
package ui

import (
	"context"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// Engine is what the screens need from the checkout engine (*app.Engine).
type Engine interface {
	Products() ([]app.Product, error)
	AllProducts() ([]app.Product, error) // the whole catalog, off-sale products too
	SaveProduct(p app.Product) error     // adds or changes one; errors wrap app.ErrBadProduct
	Charge(ctx context.Context, lines []app.Line) (app.Order, error)
	ChargeCode(ctx context.Context, lines []app.Line, authCode string) (app.Order, error)
	Retry(ctx context.Context, outTradeNo string) (app.Order, error)
	Cancel(ctx context.Context, outTradeNo string) (app.Order, error)
	RefreshQR(ctx context.Context, outTradeNo string) (app.Order, error)
	PrintBill(ctx context.Context, outTradeNo string) (string, error)
	PrintLabel(ctx context.Context, productID string) (string, error)
	Reprint(ctx context.Context, outTradeNo string) (string, error)
	LastPaid() (app.Order, bool)
	RetryPrint(ctx context.Context) error
	Refund(ctx context.Context, outTradeNo string, amount app.Fen, reason string) (app.Order, error)
	RetryRefund(ctx context.Context, outTradeNo string) (app.Order, error)
	Resolve(outTradeNo, note string) (app.Order, error)
	Current() (app.Order, bool)
	Done(outTradeNo string)
	Subscribe() (<-chan app.Update, func())
	Status() app.Status
	Reports() app.Reports
	Order(outTradeNo string) (app.Order, error)
	Flagged() ([]app.Order, error)
	Reconciliations(from, to app.Day) ([]app.Reconciliation, error)
	ExplainDifference(day app.Day, i int, note string) (app.Reconciliation, error)
}

// Options shape the kiosk's windows.
type Options struct {
	// PrinterConfirms reports whether the printer confirms each job (a
	// network printer answering status requests); when it does not,
	// Settings says a receipt's printing cannot be confirmed. nil: unknown.
	PrinterConfirms func() bool
	// RelayCertExpiry returns the relay certificate's expiry for Settings →
	// About; nil hides it.
	RelayCertExpiry func() time.Time
	// Fullscreen runs the cashier's window full screen (kiosk mode); closing
	// it (Alt+F4) then asks the owner's PIN.
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
	// SetSpeaker applies changed speaker settings at once (the payment
	// announcer's volume and mute), after SaveConfig stored them; nil:
	// they apply after a restart.
	SetSpeaker func(app.SpeakerConfig)
	// TestPrint sends a test page to the configured printer; nil hides
	// the Settings button.
	TestPrint func() error
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
	// PaidReturn is how long the Paid screen stays before the next sale
	// starts by itself; 0 waits for the cashier's tap.
	PaidReturn time.Duration
	// StartScreen opens on "sales" or "settings" (screenshots); the PIN is
	// still asked.
	StartScreen string
	// Logger gets the full error chain behind what a screen tells the
	// cashier in a short sentence; slog.Default() if nil.
	Logger *slog.Logger

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
	loc   *time.Location // the shop's wall clock: Beijing time, like WeChat's
	// boundary is the business day's start the ledger was opened with; a
	// change saved in Settings applies to both after a restart, so the
	// screens and the ledger never disagree about "today".
	boundary time.Duration
	do       func(func()) // the one bridge from other goroutines to widgets

	root    *fyne.Container // status bar + body
	status  *statusBar
	sell    *sellScreen
	pay     *payScreen
	custPay *payScreen

	screen   string // "sell", "pay", "sales", "settings", "locked"
	payNo    string // the order on the Pay screen
	lastPaid string

	pin      *pinPad         // the open PIN prompt, for tests
	sales    *salesScreen    // the open Sales screen
	settings *settingsScreen // the open Settings screen
	alerted  map[string]bool // orders the cashier was told about
	dialogs  []dialog.Dialog // open dialogs, newest last: Esc closes the newest

	// cancelling holds orders the cashier cancelled that WeChat has not
	// closed yet: the ledger's day list leaves them out until it does, so
	// Sales adds them.
	cancelling map[string]bool

	codeBusy bool       // a charge by payment code is on its way
	scan     scanBuffer // keys typed on the Pay screen: a scanned payment code

	stopUpdates func()
	log         *slog.Logger

	// life is cancelled when the window closes: every goroutine the
	// screens start (spawn) gets a context from it, and close waits for
	// them on work, at most closeWait.
	life     context.Context
	stopLife context.CancelFunc
	work     sync.WaitGroup
	running  atomic.Int32 // goroutines of ours still running
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
	k := &Kiosk{app: a, eng: eng, opts: opts, cfg: opts.Config, now: opts.Now, theme: newTheme(), loc: app.ShopLocation(),
		boundary: opts.Config.DayBoundaryDuration()}
	k.alerted = map[string]bool{}
	k.cancelling = map[string]bool{}
	k.life, k.stopLife = context.WithCancel(context.Background())
	k.log = opts.Logger
	if k.log == nil {
		k.log = slog.Default()
	}
	dispatch := fyne.Do
	if opts.dispatch != nil {
		dispatch = opts.dispatch
	}
	// Work that ends after the window closed has no screen to show on.
	k.do = func(f func()) {
		dispatch(func() {
			if k.life.Err() == nil {
				f()
			}
		})
	}
	loc := opts.Locale
	if loc == "" {
		loc = opts.Config.Locale
	}
	k.lang = langOf(loc)
	if opts.Size.Width >= largeWidth {
		k.theme.scale = 1.3
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
		// The customer's window closes with the cashier's, not by itself.
		k.cust.SetCloseIntercept(func() {})
	}
	if opts.Fullscreen {
		// A kiosk is not left by Alt+F4: closing asks the owner's PIN.
		k.win.SetCloseIntercept(func() { k.askPIN(pinOwner, k.win.Close) })
	}
	k.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { k.typedKey(ev) })
	k.win.Canvas().SetOnTypedRune(k.typedRune)
	k.win.SetOnClosed(k.close)

	updates, stop := eng.Subscribe()
	k.stopUpdates = stop
	k.spawn(func(ctx context.Context) { k.bridge(ctx, updates) })
	k.spawn(k.ticker)
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
// closes or the app quits (a signal, a Windows logoff). Either way the
// screens' work has ended when it returns, so nothing touches a widget
// while the engine and the ledger are closed after it.
func (k *Kiosk) ShowAndRun() {
	if k.cust != nil {
		k.cust.Show()
	}
	k.win.ShowAndRun()
	k.close()
}

// Window is the cashier's window.
func (k *Kiosk) Window() fyne.Window { return k.win }

// closeWait bounds how long closing the window waits for the screens'
// background work (a print or a WeChat call) to notice it was cancelled.
const closeWait = 5 * time.Second

// close ends the kiosk's work when the cashier's window closes: it cancels
// the context of every goroutine the screens started and waits for them
// (at most closeWait), then closes the customer's window.
func (k *Kiosk) close() {
	if k.life.Err() != nil {
		return // closed already
	}
	k.stopLife()
	k.stopUpdates()
	finished := make(chan struct{})
	go func() {
		k.work.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(closeWait):
		k.log.Warn("ui: background work still running after the window closed", "goroutines", k.running.Load())
	}
	if k.cust != nil {
		k.cust.Close()
	}
}

// spawn runs f on a goroutine the kiosk owns: its ctx is cancelled when
// the window closes, and close waits for f to return. Called on the UI
// goroutine (as close is); after close it does nothing.
func (k *Kiosk) spawn(f func(ctx context.Context)) {
	if k.life.Err() != nil {
		return
	}
	k.work.Add(1)
	k.running.Add(1)
	go func() {
		defer k.work.Done()
		defer k.running.Add(-1)
		f(k.life)
	}()
}

// tell shows the cashier a message about work that finished in the
// background, on the screen she is looking at.
func (k *Kiosk) tell(text string) {
	switch {
	case k.screen == "settings" && k.settings != nil:
		k.settings.msg.SetText(text)
	case k.screen == "pay":
		k.pay.setErrorText(text)
	default:
		k.sell.setMessage(text, true)
	}
}

// logErr logs the full chain of an error the cashier is told about in a
// short sentence.
func (k *Kiosk) logErr(what string, err error) {
	if err != nil {
		k.log.Warn("ui: "+what, "err", err)
	}
}

// request runs call on a goroutine the kiosk owns with a context bounded
// by requestTimeout, and then hands its error to done on the UI goroutine.
func (k *Kiosk) request(call func(ctx context.Context) error, done func(err error)) {
	k.spawn(func(life context.Context) {
		ctx, cancel := context.WithTimeout(life, requestTimeout)
		defer cancel()
		err := call(ctx)
		k.do(func() { done(err) })
	})
}

// bridge is the only path from the engine's goroutines to the widgets.
func (k *Kiosk) bridge(ctx context.Context, updates <-chan app.Update) {
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-updates:
			k.do(func() { k.apply(u) })
		}
	}
}

// ticker drives the countdown once a second.
func (k *Kiosk) ticker(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.do(k.tick)
		}
	}
}

func (k *Kiosk) tick() {
	k.pay.tick()
	// A cancelled or paid sale is no place to stay: the next one starts.
	if now := k.now(); k.screen == "pay" && !k.dialogOpen() && !k.codeBusy &&
		(k.pay.cancelledFor(now) || k.pay.paidFor(now, k.opts.PaidReturn)) {
		k.pay.next()
	}
	if k.custPay != nil {
		k.custPay.tick()
	}
	k.status.clock.SetText(k.now().In(k.loc).Format("15:04"))
}

// apply shows one engine update.
func (k *Kiosk) apply(u app.Update) {
	k.status.set(u.Status)
	if u.Order == nil {
		if u.Err == nil && k.screen == "sales" && k.sales != nil {
			// A status change may be a day reconciled in the background
			// (its differences count in the status): show it.
			k.sales.load(k.sales.day)
		}
		if u.Err != nil && k.screen == "sell" {
			k.sell.setMessage(k.errText(u.Err), true)
		}
		return
	}
	if k.screen == "sales" && k.sales != nil {
		k.sales.load(k.sales.day) // a refund or payment settled meanwhile
	}
	if u.Order.OutTradeNo != k.payNo {
		k.background(*u.Order, u.PaidWhileAway)
		return
	}
	k.pay.show(*u.Order, u.Deadline, u.Err)
	if k.custPay != nil {
		k.custPay.show(*u.Order, u.Deadline, u.Err)
	}
	if u.Order.State.Paid() {
		k.lastPaid = u.Order.OutTradeNo
	}
	k.codeUnpaid(*u.Order)
}

// build (re)creates every screen, e.g. after a language switch.
func (k *Kiosk) build() {
	k.win.SetTitle(k.lang.T("app.title"))
	k.status = newStatusBar(k)
	old := k.sell
	k.sell = newSellScreen(k)
	if old != nil { // a rebuild keeps the cart being built
		k.sell.cart = old.cart
		k.sell.refresh()
	}
	k.pay = newPayScreen(k, false)
	k.root = container.NewBorder(k.status.obj, nil, nil, nil, k.sell.obj)
	k.win.SetContent(container.New(scaleLayout{k}, k.root))
	k.screen = "sell"
	k.status.set(k.eng.Status())
}

// setBody swaps the area under the status bar.
func (k *Kiosk) setBody(name string, obj fyne.CanvasObject) {
	k.screen = name
	k.root = container.NewBorder(k.status.obj, nil, nil, nil, obj)
	k.win.SetContent(container.New(scaleLayout{k}, k.root))
}

func (k *Kiosk) showSell() {
	k.app.Driver().SetDisableScreenBlanking(false)
	k.payNo = ""
	if k.custPay != nil {
		k.custPay.idle()
	}
	k.setBody("sell", k.sell.obj)
	k.sell.refresh()
	k.win.Canvas().Focus(k.sell.code)
}

func (k *Kiosk) showPay(o app.Order) {
	// The screen must not blank or lock while a customer may be scanning.
	k.app.Driver().SetDisableScreenBlanking(true)
	k.payNo = o.OutTradeNo
	k.scan = scanBuffer{}
	k.pay.show(o, deadlineOf(o), nil)
	if k.custPay != nil {
		k.custPay.show(o, deadlineOf(o), nil)
	}
	k.setBody("pay", k.pay.obj)
	if o.State.Paid() {
		k.lastPaid = o.OutTradeNo
	}
	k.codeUnpaid(o)
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

// setLocale switches the language live; chooseLocale and Settings also
// save it.
func (k *Kiosk) setLocale(loc string) {
	k.lang = langOf(loc)
	k.cfg.Locale = loc
	if k.custPay != nil {
		k.custPay = newPayScreen(k, true)
		k.cust.SetTitle(k.lang.T("scan"))
		k.cust.SetContent(k.custPay.obj)
	}
	k.rebuild()
}

// requestTimeout bounds one call from a screen to the engine (WeChat, the
// printer).
const requestTimeout = 30 * time.Second

// largeWidth is the window width from which the theme grows for a big
// screen (1920×1080 kiosks are read from further away).
const largeWidth = 1500

// scaleLayout lays out the window's content full size and, the first time
// the window turns out large (or small), rescales the theme and rebuilds
// the screens for it.
type scaleLayout struct{ k *Kiosk }

func (l scaleLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	want := float32(1)
	if size.Width >= largeWidth {
		want = 1.3
	}
	if want != l.k.theme.scale {
		l.k.theme.scale = want
		// Not inside a layout pass: after it, on the UI goroutine.
		l.k.spawn(func(context.Context) { l.k.do(l.k.rescale) })
	}
}

func (l scaleLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// rescale re-applies the theme and rebuilds the screens at its new size.
func (k *Kiosk) rescale() {
	k.app.Settings().SetTheme(k.theme)
	k.rebuild()
}

// rebuild recreates the screens (new language or size) and returns to the
// one that was showing: the order on the Pay screen, the owner's screen
// already unlocked by PIN, or the lock.
func (k *Kiosk) rebuild() {
	screen, payNo := k.screen, k.payNo
	var day app.Day
	if k.sales != nil {
		day = k.sales.day
	}
	k.build()
	if payNo != "" {
		if o, err := k.eng.Order(payNo); err == nil {
			k.showPay(o)
		}
	}
	switch screen {
	case "sales":
		k.sales = newSalesScreen(k)
		k.sales.load(day)
		k.setBody("sales", k.sales.obj)
	case "settings":
		k.settings = newSettingsScreen(k)
		k.setBody("settings", k.settings.obj)
	case "locked":
		k.lock()
	}
}

// back leaves the owner's screens: to the Pay screen if an order is still
// waiting for payment (it must be paid or cancelled), else to Sell.
func (k *Kiosk) back() {
	if o, ok := k.eng.Current(); ok && o.State.Open() {
		k.showPay(o)
		return
	}
	k.showSell()
}

// dialogOpen reports whether a dialog (PIN pad, menu, detail) is showing.
func (k *Kiosk) dialogOpen() bool {
	return len(k.win.Canvas().Overlays().List()) > 0
}

// background tells the cashier about money that arrived for an order not on
// the Pay screen: a payment after cancel (must be refunded or honoured) or
// a shelf QR (Native mode 1) sale.
func (k *Kiosk) background(o app.Order, whileAway bool) {
	if k.alerted[o.OutTradeNo] {
		return
	}
	l := k.lang
	switch {
	case whileAway && o.State == app.StatePaid:
		// Paid while the kiosk was off: the customer may still be waiting
		// for the goods, or gone.
		k.alerted[o.OutTradeNo] = true
		msg := widget.NewLabel(l.T("alert.away.body", o.OutTradeNo, money(o.Total)))
		msg.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustom(l.T("alert.away"), l.T("ok"), msg, k.win)
		d.Resize(fyne.NewSize(560*k.theme.scale, 240*k.theme.scale))
		k.showDialog(d)
	case o.State == app.StatePaidAfterCancel:
		k.alerted[o.OutTradeNo] = true
		msg := widget.NewLabel(l.T("alert.after.body", o.OutTradeNo, money(o.Total)))
		msg.Wrapping = fyne.TextWrapWord
		title := canvas.NewText(l.T("paid.after"), colorDanger)
		title.TextSize = 22 * k.theme.scale
		title.TextStyle = fyne.TextStyle{Bold: true}
		d := dialog.NewCustom(l.T("alert.after"), l.T("ok"), container.NewVBox(title, msg), k.win)
		d.Resize(fyne.NewSize(560*k.theme.scale, 260*k.theme.scale))
		k.showDialog(d)
	case o.State == app.StatePaid && o.Mode == 1:
		k.alerted[o.OutTradeNo] = true
		if k.screen == "sell" {
			k.sell.setMessage(l.T("mode1.paid", o.Lines[0].Name, money(o.Total)), false)
		}
	}
}

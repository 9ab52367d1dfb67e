package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"
)

// Clock is the engine's source of time. Tests substitute a manual clock
// (wxsim.ManualClock satisfies it) and never sleep.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Engine errors the screens decide on.
var (
	// ErrNotReady: the engine is still settling orders left open before a
	// restart; no new sale until it is done.
	ErrNotReady = errors.New("still checking unfinished orders with WeChat Pay")
	// ErrBusy: another order is on the Pay screen.
	ErrBusy = errors.New("another order is waiting for payment")
	// ErrNoQR: the order has no payment QR to print or refresh.
	ErrNoQR = errors.New("the order has no payment QR")
	// ErrBadAmount: a cart or refund amount WeChat cannot take.
	ErrBadAmount = errors.New("amount out of range")
)

// DefaultQRLifetime is how long a payment QR is payable by default: the
// life of WeChat's code_url.
const DefaultQRLifetime = 2 * time.Hour

// CodeURLLife is how long WeChat keeps a prepay_id/code_url valid.
const CodeURLLife = 2 * time.Hour

// minExpire is WeChat's rule that an order's time_expire lies at least 5
// minutes after the request.
const minExpire = 5 * time.Minute

// closeDelay is WeChat's rule that an order cannot be closed within 5
// minutes of its creation, with a margin for the difference between our
// clock and WeChat's (a close sent early gets SYSTEMERROR 订单创建后5分钟内不能关单).
const closeDelay = 5*time.Minute + 30*time.Second

// maxFee is the largest total_fee WeChat takes (2^31−1 fen).
const maxFee Fen = 1<<31 - 1

// EngineConfig wires the engine to its adapters.
type EngineConfig struct {
	KioskID string
	Shop    string

	Orders   Orders
	Catalog  Catalog
	Reports  Reports
	Printer  Printer
	Payments Payments
	// ShelfQR is Native mode 1 (product QR labels); nil when the payment
	// API has none (v3), and then no labels are printed.
	ShelfQR ShelfQR
	// CodePay is 付款码 checkout (scanning the customer's payment code);
	// nil when the merchant has no v2 key, and then only QR payments are
	// taken.
	CodePay CodePay

	// NotifyURL is this kiosk's notify_url on the relay; required by
	// WeChat (without a relay, confirmations come from polling only).
	NotifyURL string
	// QRLifetime is time_expire − time_start; DefaultQRLifetime if 0,
	// clamped to [6m, 2h].
	QRLifetime time.Duration

	Clock  Clock
	Logger *slog.Logger

	// Demo and SimURL are shown in the status bar and Settings.
	Demo   bool
	SimURL string
	// PrinterStatus reports the printer's health; OK when nil.
	PrinterStatus func() PrinterStatus
	// RetryPrints re-sends failed print jobs; optional.
	RetryPrints func(ctx context.Context) error
	// Flagged lists the orders needing the owner's attention (paid after
	// cancel, amount mismatch, conflicting payment), newest first; optional.
	Flagged func() ([]Order, error)
	// Differences counts unexplained reconciliation differences; optional.
	Differences func() int
	// Books holds the reconciliations with WeChat's bill; optional.
	Books Books

	// Announce says "微信收款 N 元" aloud; called once per payment (never
	// for a duplicate notification, a restart or a refund); optional and
	// must not block.
	Announce func(Fen)

	// RetryBackoff is the first wait between unified-order attempts
	// (doubling); 500 ms if 0. Attempts is how many are made; 3 if 0.
	RetryBackoff time.Duration
	Attempts     int
}

// Engine owns the order lifecycle from Charge to a final state. It is safe
// for concurrent use; the screens only show what it publishes.
type Engine struct {
	cfg   EngineConfig
	log   *slog.Logger
	clock Clock

	mu       sync.Mutex
	ctx      context.Context // set by Start; watchers stop with it
	ready    bool
	link     LinkState
	current  string
	subs     map[int]chan Update
	nextSub  int
	locks    map[string]*sync.Mutex
	watchers map[string]chan struct{} // wake channel per watched order
	// startSlots bounds how many orders left open are settled at once
	// after a restart.
	startSlots chan struct{}
	wg         sync.WaitGroup
}

// NewEngine checks cfg and returns an engine; Start brings it to life.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	switch {
	case cfg.Orders == nil || cfg.Catalog == nil || cfg.Payments == nil:
		return nil, errors.New("engine: Orders, Catalog and Payments are required")
	case cfg.KioskID == "":
		return nil, errors.New("engine: KioskID is required")
	}
	if cfg.QRLifetime == 0 {
		cfg.QRLifetime = DefaultQRLifetime
	}
	cfg.QRLifetime = min(max(cfg.QRLifetime, minExpire+time.Minute), CodeURLLife)
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 500 * time.Millisecond
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	return &Engine{
		cfg:      cfg,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		ctx:      context.Background(),
		subs:     map[int]chan Update{},
		locks:    map[string]*sync.Mutex{},
		watchers: map[string]chan struct{}{},

		startSlots: make(chan struct{}, 2),
	}, nil
}

// Start brings the engine to life after a restart. The ledger is open, so
// selling resumes at once: the newest order whose QR is still payable
// returns to the Pay screen, and every other order left unsettled is
// settled on its own in the background, each with its own backoff — paid
// ones become paid (and the cashier is told), unpaid ones are closed with
// WeChat, refunds without an outcome are asked about (and resent if WeChat
// never got them). It returns once the engine is ready; the settling goes
// on until ctx ends.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()
	var open []Order
	backoff := time.Second
	for {
		var err error
		if open, err = e.cfg.Orders.OpenOrders(); err == nil {
			break
		}
		e.log.Warn("reading open orders", "err", err, "retry_in", backoff)
		e.publish(Update{Err: fmt.Errorf("reading unfinished orders: %w", err)})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.clock.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	now := e.clock.Now()
	resume := ""
	for i := len(open) - 1; i >= 0; i-- { // newest first
		if o := open[i]; o.State == StateAwaiting && o.CodeURL != "" && now.Before(e.deadline(o)) {
			resume = o.OutTradeNo
			break
		}
	}
	e.mu.Lock()
	e.ready = true
	if resume != "" && e.current == "" {
		e.current = resume
	}
	e.mu.Unlock()
	e.publish(Update{})
	for _, o := range open {
		switch {
		case o.OutTradeNo == resume:
			e.publishOrder(o, nil)
			e.watch(o.OutTradeNo)
			e.wake(o.OutTradeNo) // ask WeChat at once: it may be paid
		case o.State.Open() && o.Mode == ModePayCode:
			e.watch(o.OutTradeNo) // asked at once: paid, or reversed
			e.wake(o.OutTradeNo)
		case o.State.Open():
			e.settleAtStart(o.OutTradeNo)
		}
		if o.refundsUnsettled() {
			e.followRefunds(o.OutTradeNo)
			e.wakeKey("refund:" + o.OutTradeNo)
		}
	}
	return nil
}

// settleAtStart settles one order left open before a restart, in its own
// goroutine with its own backoff: a query first (a paid order becomes
// paid, and the cashier hears of it), then a close for anything unpaid.
// The order's watcher then follows it to a final state.
func (e *Engine) settleAtStart(no string) {
	e.mu.Lock()
	ctx := e.ctx
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		backoff := time.Second
		for {
			// A few at a time, so the cashier's first sale does not
			// queue behind every old order's ledger writes.
			select {
			case e.startSlots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			o, err := e.settle(ctx, no, SourceStartup)
			if err == nil && o.State.Open() {
				o, err = e.cancel(ctx, no, SourceStartup)
				if o.State == StateCancelPending {
					err = nil // the watcher closes it when WeChat allows
				}
			}
			<-e.startSlots
			if err == nil || ctx.Err() != nil {
				return
			}
			e.log.Info("settling at start-up", "out_trade_no", no, "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-e.clock.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
	}()
}

// Wait blocks until every goroutine started by the engine has stopped
// (after Start's context ended).
func (e *Engine) Wait() { e.wg.Wait() }

// wake makes an order's watcher ask WeChat now.
func (e *Engine) wake(no string) { e.wakeKey(no) }

func (e *Engine) wakeKey(key string) {
	e.mu.Lock()
	w := e.watchers[key]
	e.mu.Unlock()
	if w != nil {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Products lists the active catalog.
func (e *Engine) Products() ([]Product, error) {
	ps, err := e.cfg.Catalog.Products()
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Active {
			out = append(out, p)
		}
	}
	return out, nil
}

// AllProducts lists the whole catalog, inactive products too (for the
// owner's product editor).
func (e *Engine) AllProducts() ([]Product, error) { return e.cfg.Catalog.Products() }

// SaveProduct adds or changes a product (the owner's editor, behind the
// owner PIN). A price change applies to new carts; orders keep the price
// they were charged at.
func (e *Engine) SaveProduct(p Product) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("product %q: %w: %w", p.ID, ErrBadProduct, err)
	}
	if err := e.cfg.Catalog.PutProduct(p); err != nil {
		return fmt.Errorf("product %q: %w", p.ID, err)
	}
	e.publish(Update{})
	return nil
}

// ErrBadProduct is returned by SaveProduct for a product the catalog
// refuses (no id or name, a price out of range).
var ErrBadProduct = errors.New("invalid product")

// Reports answers the owner's questions.
func (e *Engine) Reports() Reports { return e.cfg.Reports }

// Order returns one order.
func (e *Engine) Order(outTradeNo string) (Order, error) { return e.cfg.Orders.Get(outTradeNo) }

// Current returns the order on the Pay screen, if any.
func (e *Engine) Current() (Order, bool) {
	e.mu.Lock()
	no := e.current
	e.mu.Unlock()
	if no == "" {
		return Order{}, false
	}
	o, err := e.cfg.Orders.Get(no)
	return o, err == nil
}

// Done tells the engine the cashier left the order's screen. An order still
// open keeps being settled in the background.
func (e *Engine) Done(outTradeNo string) {
	e.mu.Lock()
	if e.current == outTradeNo {
		e.current = ""
	}
	e.mu.Unlock()
	e.publish(Update{})
}

// Status is what the status bar shows.
func (e *Engine) Status() Status {
	e.mu.Lock()
	st := Status{Ready: e.ready, Link: e.link, Demo: e.cfg.Demo, SimURL: e.cfg.SimURL}
	e.mu.Unlock()
	st.Printer = PrinterStatus{OK: true}
	if e.cfg.PrinterStatus != nil {
		st.Printer = e.cfg.PrinterStatus()
	}
	if e.cfg.Flagged != nil {
		if f, err := e.cfg.Flagged(); err == nil {
			st.Flagged = len(f)
		}
	}
	if e.cfg.Differences != nil {
		st.Differences = e.cfg.Differences()
	}
	return st
}

// SetRelayCertInvalid records that the relay's TLS certificate was
// refused; the kiosk polls as with the link down until SetLink(true).
func (e *Engine) SetRelayCertInvalid() {
	e.mu.Lock()
	changed := e.link != LinkCertInvalid
	e.link = LinkCertInvalid
	e.mu.Unlock()
	if changed {
		e.log.Warn("relay link", "state", LinkCertInvalid)
		e.publish(Update{})
	}
}

// SetLink records the relay link's state. While it is down watchers poll
// fast; when it comes back every open order is queried at once, since
// notifications may have been missed.
func (e *Engine) SetLink(up bool) {
	l := LinkPolling
	if up {
		l = LinkConnected
	}
	e.mu.Lock()
	changed := e.link != l
	e.link = l
	wake := make([]chan struct{}, 0, len(e.watchers))
	for _, w := range e.watchers {
		wake = append(wake, w)
	}
	e.mu.Unlock()
	if !changed {
		return
	}
	e.log.Info("relay link", "state", l)
	if up {
		for _, w := range wake {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
	e.publish(Update{})
}

// Subscribe returns a channel of updates and a function to stop them. A
// slow subscriber never blocks the engine: when its buffer is full the
// oldest update is dropped (every update carries the whole order and status,
// so the latest wins).
func (e *Engine) Subscribe() (<-chan Update, func()) {
	ch := make(chan Update, 32)
	e.mu.Lock()
	id := e.nextSub
	e.nextSub++
	e.subs[id] = ch
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		delete(e.subs, id)
		e.mu.Unlock()
	}
}

func (e *Engine) publish(u Update) {
	u.Status = e.Status()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ch := range e.subs {
		for {
			select {
			case ch <- u:
			default:
				select { // full: drop the oldest and try again
				case <-ch:
				default:
				}
				continue
			}
			break
		}
	}
}

func (e *Engine) publishOrder(o Order, err error) {
	oc := o
	e.publish(Update{Order: &oc, Deadline: e.deadline(o), Err: err})
}

// deadline is when o's QR stops being payable.
func (e *Engine) deadline(o Order) time.Time {
	if o.CodeURL == "" {
		return time.Time{}
	}
	d := o.TimeExpire
	if !o.CodeURLExpires.IsZero() && o.CodeURLExpires.Before(d) {
		d = o.CodeURLExpires
	}
	return d
}

// lock serializes network work on one order: one request in flight.
func (e *Engine) lock(no string) func() {
	e.mu.Lock()
	m := e.locks[no]
	if m == nil {
		m = &sync.Mutex{}
		e.locks[no] = m
	}
	e.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// forget drops an order's lock once it is final.
func (e *Engine) forget(no string) {
	e.mu.Lock()
	delete(e.locks, no)
	e.mu.Unlock()
}

// orderBody is the unified order's body: "<shop>-<first item>等N件",
// cut to WeChat's 128 bytes on a character boundary.
func orderBody(shop string, lines []Line) string {
	b := lines[0].Name
	n := 0
	for _, l := range lines {
		n += l.Qty
	}
	if n > 1 {
		b = fmt.Sprintf("%s等%d件", b, n)
	}
	if shop != "" {
		b = shop + "-" + b
	}
	for len(b) > 128 {
		_, size := utf8.DecodeLastRuneInString(b)
		b = b[:len(b)-size]
	}
	return b
}

// StatusChanged tells the screens the status may have changed (the printer
// finished or failed a job); adapters call it from their own goroutines.
func (e *Engine) StatusChanged() { e.publish(Update{}) }

// Flagged lists the orders needing the owner's attention, newest first.
func (e *Engine) Flagged() ([]Order, error) {
	if e.cfg.Flagged == nil {
		return nil, nil
	}
	return e.cfg.Flagged()
}

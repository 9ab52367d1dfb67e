package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

// fakeEngine is a hand-written Engine for screen logic: it holds one order,
// answers from fixed data and lets a test push any Update.
type fakeEngine struct {
	mu       sync.Mutex
	products []app.Product
	status   app.Status
	current  *app.Order
	orders   map[string]app.Order
	updates  chan app.Update
	reports  fakeReports
	seq      int
	now      func() time.Time

	// cancelState, when set, is the state Cancel leaves an order in
	// (closed otherwise).
	cancelState app.State
	// chargeErr, when set, is what Charge returns.
	chargeErr error
	// refundErr, when set, is what Refund returns.
	refundErr error
	// saveErr, when set, is what SaveProduct returns for a valid product.
	saveErr error
	// calls records the methods the screens called, in order.
	calls []string

	// codeState, when set, is the state ChargeCode leaves its order in
	// (awaiting: the customer enters the password).
	codeState app.State
	// codeErr, when set, is what ChargeCode returns: a *CodeRefusedError
	// with the order closed, anything else before any order exists.
	codeErr error
	// codes records the payment codes ChargeCode was given.
	codes []string

	// recs are the stored reconciliations by day; explained records the
	// ExplainDifference calls as "day/index/note".
	recs      map[app.Day]app.Reconciliation
	explained []string
}

var _ Engine = (*fakeEngine)(nil)

func newFakeEngine(now func() time.Time) *fakeEngine {
	return &fakeEngine{
		products: app.DemoCatalog(),
		status:   app.Status{Ready: true, Link: app.LinkConnected, Printer: app.PrinterStatus{OK: true}},
		orders:   map[string]app.Order{},
		recs:     map[app.Day]app.Reconciliation{},
		updates:  make(chan app.Update, 64),
		now:      now,
	}
}

func (f *fakeEngine) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeEngine) called(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == call {
			return true
		}
	}
	return false
}

func (f *fakeEngine) Products() ([]app.Product, error) { return f.products, nil }

func (f *fakeEngine) Charge(_ context.Context, lines []app.Line) (app.Order, error) {
	f.record("Charge")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chargeErr != nil {
		return app.Order{}, f.chargeErr
	}
	f.seq++
	now := f.now()
	o := app.Order{OutTradeNo: fmt.Sprintf("K1TEST%04d", f.seq), KioskID: "k1", Lines: lines, Total: app.LinesTotal(lines),
		State: app.StateAwaiting, CreatedAt: now, TimeExpire: now.Add(2 * time.Hour),
		CodeURL: fmt.Sprintf("weixin://wxpay/bizpayurl?pr=test%04d", f.seq), Mode: 2}
	f.orders[o.OutTradeNo] = o
	f.current = &o
	return o, nil
}

// ChargeCode charges by payment code as the engine does: an open QR order
// is closed first and the new order becomes the current one.
func (f *fakeEngine) ChargeCode(_ context.Context, lines []app.Line, code string) (app.Order, error) {
	f.record("ChargeCode")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	var refused *app.CodeRefusedError
	if f.codeErr != nil && !errors.As(f.codeErr, &refused) {
		return app.Order{}, f.codeErr
	}
	if f.current != nil && f.current.State.Open() {
		qr := *f.current
		qr.State = app.StateClosed
		f.orders[qr.OutTradeNo] = qr
		f.current = nil
	}
	f.seq++
	o := app.Order{OutTradeNo: fmt.Sprintf("K1TEST%04d", f.seq), KioskID: "k1", Lines: lines, Total: app.LinesTotal(lines),
		State: app.StateAwaiting, CreatedAt: f.now(), Mode: app.ModePayCode}
	if f.codeState != "" {
		o.State = f.codeState
	}
	if refused != nil {
		o.State = app.StateClosed
	}
	f.orders[o.OutTradeNo] = o
	f.current = &o
	return o, f.codeErr
}

func (f *fakeEngine) set(o app.Order) app.Order {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[o.OutTradeNo] = o
	if f.current != nil && f.current.OutTradeNo == o.OutTradeNo {
		f.current = &o
	}
	return o
}

func (f *fakeEngine) get(no string) (app.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[no]
	if !ok {
		return o, fmt.Errorf("order %s: not found", no)
	}
	return o, nil
}

func (f *fakeEngine) Retry(_ context.Context, no string) (app.Order, error) {
	f.record("Retry")
	return f.get(no)
}

func (f *fakeEngine) Cancel(_ context.Context, no string) (app.Order, error) {
	f.record("Cancel")
	o, err := f.get(no)
	if err != nil {
		return o, err
	}
	o.State = app.StateClosed
	if f.cancelState != "" {
		o.State = f.cancelState
	}
	return f.set(o), nil
}

func (f *fakeEngine) RefreshQR(_ context.Context, no string) (app.Order, error) {
	f.record("RefreshQR")
	o, err := f.get(no)
	if err != nil {
		return o, err
	}
	o.State = app.StateAwaiting
	o.CodeURL += "r"
	o.TimeExpire = f.now().Add(2 * time.Hour)
	return f.set(o), nil
}

func (f *fakeEngine) PrintBill(context.Context, string) (string, error) {
	f.record("PrintBill")
	return "job", nil
}

func (f *fakeEngine) PrintLabel(context.Context, string) (string, error) {
	f.record("PrintLabel")
	return "job", nil
}

func (f *fakeEngine) Reprint(context.Context, string) (string, error) {
	f.record("Reprint")
	return "", errors.New("printer offline")
}

func (f *fakeEngine) RetryPrint(context.Context) error {
	f.record("RetryPrint")
	return nil
}

func (f *fakeEngine) LastPaid() (app.Order, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last app.Order
	for _, o := range f.orders {
		if o.State.Paid() && o.OutTradeNo > last.OutTradeNo {
			last = o
		}
	}
	return last, last.OutTradeNo != ""
}

func (f *fakeEngine) RetryRefund(_ context.Context, no string) (app.Order, error) {
	f.record("RetryRefund")
	return f.get(no)
}

func (f *fakeEngine) Resolve(no, _ string) (app.Order, error) {
	f.record("Resolve")
	return f.get(no)
}

func (f *fakeEngine) Refund(_ context.Context, no string, amount app.Fen, _ string) (app.Order, error) {
	f.record("Refund")
	f.mu.Lock()
	err := f.refundErr
	f.mu.Unlock()
	if err != nil {
		return app.Order{}, err
	}
	return f.get(no)
}

func (f *fakeEngine) Current() (app.Order, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil {
		return app.Order{}, false
	}
	return *f.current, true
}

func (f *fakeEngine) Done(no string) {
	f.record("Done")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current != nil && f.current.OutTradeNo == no {
		f.current = nil
	}
}

func (f *fakeEngine) Subscribe() (<-chan app.Update, func()) { return f.updates, func() {} }

func (f *fakeEngine) Status() app.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeEngine) Reports() app.Reports { return &f.reports }

func (f *fakeEngine) Order(no string) (app.Order, error) { return f.get(no) }

func (f *fakeEngine) Flagged() ([]app.Order, error) { return f.reports.flagged, nil }

// Reconciliations lists the stored days from..to, oldest first.
func (f *fakeEngine) Reconciliations(from, to app.Day) ([]app.Reconciliation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []app.Reconciliation
	for d := from; d <= to; d = d.Add(1) {
		if r, ok := f.recs[d]; ok {
			r.Diffs = append([]app.Diff(nil), r.Diffs...)
			out = append(out, r)
		}
	}
	return out, nil
}

// ExplainDifference records the note as the engine does and lowers the
// status's count of unexplained differences.
func (f *fakeEngine) ExplainDifference(day app.Day, i int, note string) (app.Reconciliation, error) {
	f.record("ExplainDifference")
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[day]
	if !ok {
		return r, fmt.Errorf("explain %s: %w", day, app.ErrNotFound)
	}
	r.Diffs = append([]app.Diff(nil), r.Diffs...)
	open := r.Open()
	if err := r.Explain(i, note, f.now()); err != nil {
		return app.Reconciliation{}, err
	}
	f.recs[day] = r
	f.status.Differences -= open - r.Open()
	f.explained = append(f.explained, fmt.Sprintf("%s/%d/%s", day, i, note))
	return r, nil
}

// setRec stores a day's reconciliation and counts its open differences in
// the status.
func (f *fakeEngine) setRec(r app.Reconciliation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.recs[r.Day]; ok {
		f.status.Differences -= old.Open()
	}
	f.recs[r.Day] = r
	f.status.Differences += r.Open()
}

// push sends an Update about o (nil: status only) as the engine would.
func (f *fakeEngine) push(o *app.Order, err error) {
	u := app.Update{Status: f.Status(), Err: err}
	if o != nil {
		c := f.set(*o)
		u.Order = &c
		if c.CodeURL != "" && c.State == app.StateAwaiting {
			u.Deadline = c.TimeExpire
		}
	}
	f.updates <- u
}

// fakeReports answers every range with the same summary and orders.
type fakeReports struct {
	summary app.Summary
	orders  []app.Order
	flagged []app.Order
}

func (r *fakeReports) Summary(from, to app.Day) (app.Summary, error) {
	s := r.summary
	s.From, s.To = from, to
	s.Days = nil
	for d := from; d <= to; d = d.Add(1) {
		s.Days = append(s.Days, app.DayTotal{Day: d, Sales: r.summary.Sales, Gross: r.summary.Gross, Net: r.summary.Net})
	}
	return s, nil
}

func (r *fakeReports) DayOrders(app.Day, app.Day) ([]app.Order, error) { return r.orders, nil }

func (r *fakeReports) ExportWith(w io.Writer, from, to app.Day, o app.ExportOptions) error {
	return r.Export(w, from, to, o.Format)
}

func (r *fakeReports) Export(w io.Writer, from, to app.Day, f app.ExportFormat) error {
	_, err := fmt.Fprintf(w, "%s %s %s\n", from, to, f)
	return err
}

// fakeKiosk is a kiosk on a fakeEngine, with the test goroutine as the UI
// goroutine (as in harness).
type fakeKiosk struct {
	t   *testing.T
	k   *Kiosk
	eng *fakeEngine
	ui  chan func()
	now time.Time
}

func newFakeKiosk(t *testing.T, cfg app.Config, opts ...func(*Options)) *fakeKiosk {
	t.Helper()
	f := &fakeKiosk{t: t, ui: make(chan func(), 1024), now: time.Date(2026, 11, 22, 12, 41, 0, 0, time.UTC)}
	f.eng = newFakeEngine(func() time.Time { return f.now })
	a := test.NewTempApp(t)
	if cfg.Shop == "" {
		cfg.Shop = "老王咖啡"
	}
	o := Options{Config: cfg, Locale: cfg.Locale, Version: "test", Now: func() time.Time { return f.now },
		dispatch: func(fn func()) { f.ui <- fn }}
	for _, fn := range opts {
		fn(&o)
	}
	k, err := New(a, f.eng, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	f.k = k
	return f
}

// pump runs queued UI work until cond holds.
func (f *fakeKiosk) pump(what string, cond func() bool) {
	f.t.Helper()
	timeout := time.After(10 * time.Second)
	for !cond() {
		select {
		case fn := <-f.ui:
			fn()
		case <-time.After(5 * time.Millisecond): // work done off the UI goroutine
		case <-timeout:
			f.t.Fatalf("timed out waiting for %s (screen %s)", what, f.k.screen)
		}
	}
}

// resize gives the cashier's window a size and lays it out.
func (f *fakeKiosk) resize(s fyne.Size) {
	f.k.win.Resize(s)
	// A size change may rescale the theme and rebuild the screens.
	for {
		select {
		case fn := <-f.ui:
			fn()
			continue
		case <-time.After(50 * time.Millisecond):
		}
		return
	}
}

// AllProducts lists the whole catalog, off-sale products too.
func (f *fakeEngine) AllProducts() ([]app.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]app.Product(nil), f.products...), nil
}

// SaveProduct adds or replaces a product as the engine does, refusing
// what app.Product.Validate refuses with app.ErrBadProduct.
func (f *fakeEngine) SaveProduct(p app.Product) error {
	f.record("SaveProduct")
	if err := p.Validate(); err != nil {
		return fmt.Errorf("product %q: %w: %w", p.ID, app.ErrBadProduct, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saveErr != nil {
		return f.saveErr
	}
	for i, o := range f.products {
		if o.ID == p.ID {
			f.products[i] = p
			return nil
		}
	}
	f.products = append(f.products, p)
	return nil
}

package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
	"saoma/store"
)

// start is the rig's wall time: mid-morning in Shanghai.
var start = time.Date(2026, 11, 22, 10, 0, 0, 0, wxpay.Shanghai())

// spyClock is the engine's view of the shared manual clock: every After the
// engine calls is reported on afters, so a test advances time only once the
// engine is waiting — no sleeps, no races.
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

// payments wraps the payment adapter under test so a test can inject
// faults around real calls to the simulator, in the port's own terms.
type payments struct {
	app.Payments
	mu          sync.Mutex
	beforeUO    func(n int) error // called after each PlaceQR; a non-nil error replaces the answer
	uoCalls     []app.QROrder
	beforeClose func()
	queries     atomic.Int64
	closeCalls  atomic.Int64
	failQueries atomic.Bool
	// refundFault, when set, is asked before each Refund call (n counts
	// from 1): send reports whether the request reaches WeChat at all, and
	// a non-nil err replaces WeChat's answer (a lost reply).
	refundFault func(n int) (send bool, err error)
	refunds     atomic.Int64
	// queryErr, when set, may fail an order query before it is sent.
	queryErr func(outTradeNo string) error
}

// errLost is an answer lost on the way: the outcome is unknown.
var errLost = fmt.Errorf("%w: connection reset (test)", app.ErrPayUnknown)

func (p *payments) PlaceQR(ctx context.Context, o app.QROrder) (app.QR, error) {
	p.mu.Lock()
	p.uoCalls = append(p.uoCalls, o)
	n := len(p.uoCalls)
	hook := p.beforeUO
	p.mu.Unlock()
	qr, err := p.Payments.PlaceQR(ctx, o)
	if hook != nil {
		if herr := hook(n); herr != nil {
			return app.QR{}, herr
		}
	}
	return qr, err
}

func (p *payments) Query(ctx context.Context, no string) (app.Payment, error) {
	p.queries.Add(1)
	if p.failQueries.Load() {
		return app.Payment{}, errLost
	}
	p.mu.Lock()
	qerr := p.queryErr
	p.mu.Unlock()
	if qerr != nil {
		if err := qerr(no); err != nil {
			return app.Payment{}, err
		}
	}
	return p.Payments.Query(ctx, no)
}

func (p *payments) Close(ctx context.Context, no string) error {
	p.closeCalls.Add(1)
	p.mu.Lock()
	hook := p.beforeClose
	p.mu.Unlock()
	if hook != nil {
		hook()
	}
	return p.Payments.Close(ctx, no)
}

func (p *payments) Refund(ctx context.Context, r app.RefundRequest) (app.RefundResult, error) {
	n := int(p.refunds.Add(1))
	p.mu.Lock()
	fault := p.refundFault
	p.mu.Unlock()
	if fault == nil {
		return p.Payments.Refund(ctx, r)
	}
	send, ferr := fault(n)
	if !send {
		return app.RefundResult{}, ferr
	}
	res, err := p.Payments.Refund(ctx, r)
	if ferr != nil {
		return app.RefundResult{}, ferr
	}
	return res, err
}

// printerSpy records papers; fail makes Print fail.
type printerSpy struct {
	mu     sync.Mutex
	papers []app.Paper
	fail   atomic.Bool
}

func (p *printerSpy) Print(ctx context.Context, paper app.Paper) (string, error) {
	if p.fail.Load() {
		return "", errors.New("printer offline: connection refused")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.papers = append(p.papers, paper)
	return "job", nil
}

func (p *printerSpy) count(kind app.PaperKind) int {
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

// notifyEndpoint is the kiosk's notify_url in tests: it plays the relay
// and the relay client, handing the body to the engine. While down it
// answers 503 and WeChat (the simulator) retries later.
type notifyEndpoint struct {
	srv    *httptest.Server
	down   atomic.Bool
	gate   chan struct{} // when non-nil, each delivery waits until it is closed
	bodies chan delivery
}

// delivery is one notification as it reached the kiosk.
type delivery struct {
	header http.Header
	body   []byte
}

type rig struct {
	t       *testing.T
	dir     string
	clock   *wxsim.ManualClock
	spy     spyClock
	sim     *wxsim.Server
	st      *store.Store
	pay     *payments
	prn     *printerSpy
	eng     *app.Engine
	notify  *notifyEndpoint
	updates <-chan app.Update
	ctx     context.Context
	stop    context.CancelFunc
	base    app.EngineConfig
	api     apiVersion
	code    app.CodePay // 付款码 through the v2 API, whatever the QR API
}

// apiVersion is the WeChat Pay API a rig's engine speaks.
type apiVersion string

// The APIs every engine test runs against.
const (
	apiV2 apiVersion = "v2"
	apiV3 apiVersion = "v3"
)

// forAPIs runs f once for each WeChat Pay API version, as subtests.
func forAPIs(t *testing.T, f func(t *testing.T, api apiVersion)) {
	for _, a := range []apiVersion{apiV2, apiV3} {
		t.Run(string(a), func(t *testing.T) { f(t, a) })
	}
}

// rigSetup is what options change before a rig starts.
type rigSetup struct {
	sim *wxsim.Config
	eng *app.EngineConfig
	api apiVersion
}

type rigOpt func(*rigSetup)

// simOpt changes the simulator's config.
func simOpt(f func(*wxsim.Config)) rigOpt { return func(s *rigSetup) { f(s.sim) } }

// engOpt changes the engine's config.
func engOpt(f func(*app.EngineConfig)) rigOpt { return func(s *rigSetup) { f(s.eng) } }

// onAPI picks the WeChat Pay API (v2 if not given).
func onAPI(a apiVersion) rigOpt { return func(s *rigSetup) { s.api = a } }

func newRig(t *testing.T, opts ...rigOpt) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), clock: wxsim.NewManualClock(start), prn: &printerSpy{}}
	r.spy = spyClock{ManualClock: r.clock, afters: make(chan time.Duration, 1024)}
	r.notify = &notifyEndpoint{bodies: make(chan delivery, 64)}
	r.notify.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if r.notify.down.Load() {
			http.Error(w, "relay down", http.StatusServiceUnavailable)
			return
		}
		select {
		case r.notify.bodies <- delivery{header: req.Header.Clone(), body: body}:
		default:
		}
		if r.notify.gate != nil {
			<-r.notify.gate
		}
		err := r.eng.HandleNotification(req.Context(), req.Header, body)
		if req.Header.Get("Wechatpay-Signature") != "" { // v3
			if err != nil {
				http.Error(w, `{"code":"FAIL","message":"retry"}`, http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err != nil {
			w.Write(wxpay.NotifyReply(false, err.Error()))
			return
		}
		w.Write(wxpay.NotifyReply(true, "OK"))
	}))
	t.Cleanup(r.notify.srv.Close)
	simCfg := wxsim.Config{Clock: r.clock, InstantBills: true}
	engCfg := app.EngineConfig{KioskID: "k1", Shop: "测试小店", NotifyURL: r.notify.srv.URL + "/wxpay/notify/k1"}
	setup := rigSetup{sim: &simCfg, eng: &engCfg, api: apiV2}
	for _, o := range opts {
		o(&setup)
	}
	r.api = setup.api
	sim, err := wxsim.Start(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r.sim = sim
	r.openStore()
	r.code = v2(t, sim)
	switch r.api {
	case apiV3:
		r.pay = &payments{Payments: v3(t, sim, r.clock)}
	default:
		r.pay = &payments{Payments: v2(t, sim)}
	}
	r.base = engCfg
	r.startEngine()
	return r
}

// startEngine builds an engine on the rig's store and starts it; a restart
// test stops the old one first.
func (r *rig) startEngine() {
	r.t.Helper()
	c := r.base
	c.Orders, c.Catalog, c.Reports = r.st, r.st, r.st
	c.Printer = r.prn
	c.Payments = r.pay
	c.ShelfQR = r.shelf()
	c.CodePay = r.code
	c.Clock = r.spy
	c.Flagged = r.st.Flagged
	eng, err := app.NewEngine(c)
	if err != nil {
		r.t.Fatal(err)
	}
	r.eng = eng
	r.ctx, r.stop = context.WithCancel(context.Background())
	ch, cancel := eng.Subscribe()
	r.updates = ch
	r.t.Cleanup(func() { r.stop(); cancel(); eng.Wait() })
	if err := eng.Start(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// restart stops the engine and the ledger as a crash would leave them (no
// further writes) and starts both again on the same file.
func (r *rig) restart() {
	r.t.Helper()
	r.stop()
	r.eng.Wait()
	if err := r.st.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.openStore()
	r.startEngine()
}

// waitFor reads updates until one shows order no in state s. The timeout
// only turns a hang into a failure; nothing waits on it to make progress.
func (r *rig) waitFor(no string, s app.State) app.Order {
	r.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case u := <-r.updates:
			if u.Order != nil && u.Order.OutTradeNo == no && u.Order.State == s {
				return *u.Order
			}
		case <-timeout:
			o, _ := r.st.Get(no)
			r.t.Fatalf("order %s never reached %s; it is %s, events %+v", no, s, o.State, o.Events)
		}
	}
}

// advance waits until the engine is waiting on its clock, then moves the
// shared clock by d.
func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	select {
	case <-r.spy.afters:
	case <-time.After(20 * time.Second):
		r.t.Fatal("the engine never waited on its clock")
	}
	r.clock.Advance(d)
}

// charge sells two coffees and a croissant.
func (r *rig) charge() app.Order {
	r.t.Helper()
	o, err := r.eng.Charge(r.ctx, cartLines())
	if err != nil {
		r.t.Fatalf("charge: %v", err)
	}
	return o
}

func cartLines() []app.Line {
	return []app.Line{
		{ProductID: "1001", Name: "美式咖啡", UnitPrice: 1800, Qty: 2},
		{ProductID: "2001", Name: "牛角面包", UnitPrice: 1000, Qty: 1},
	}
}

// scan is the customer paying the QR with WeChat.
func (r *rig) scan(url string) *wxsim.ScanResult {
	r.t.Helper()
	res, err := r.sim.Scan(context.Background(), wxsim.ScanRequest{URL: url})
	if err != nil {
		r.t.Fatalf("scan: %v", err)
	}
	return res
}

func (r *rig) order(no string) app.Order {
	r.t.Helper()
	o, err := r.st.Get(no)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

// paidEvents counts the events that moved the order into a paid state.
func paidEvents(o app.Order) int {
	n := 0
	for _, e := range o.Events {
		if e.From != e.To && e.To.Paid() && !e.From.Paid() {
			n++
		}
	}
	return n
}

func (r *rig) openStore() {
	st, err := store.Open(filepath.Join(r.dir, "ledger.db"), store.Options{Now: r.clock.Now})
	if err != nil {
		r.t.Fatal(err)
	}
	r.st = st
	r.t.Cleanup(func() { st.Close() })
	for _, p := range app.DemoCatalog() {
		if err := st.PutProduct(p); err != nil {
			r.t.Fatal(err)
		}
	}
}

// advanceUntil moves the clock by step each time the engine waits on it,
// until an update shows order no in state s.
func (r *rig) advanceUntil(no string, s app.State, step time.Duration) app.Order {
	r.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		// An update for this order may have been read by an earlier wait:
		// the ledger is the truth.
		if o, err := r.st.Get(no); err == nil && o.State == s {
			return o
		}
		select {
		case u := <-r.updates:
			if u.Order != nil && u.Order.OutTradeNo == no && u.Order.State == s {
				return *u.Order
			}
		case <-r.spy.afters:
			r.clock.Advance(step)
		case <-timeout:
			o, _ := r.st.Get(no)
			r.t.Fatalf("order %s never reached %s; it is %s, events %+v", no, s, o.State, o.Events)
		}
	}
}

// v2 is the WeChat Pay v2 adapter on the simulator.
func v2(tb testing.TB, sim *wxsim.Server) *wechat.V2 {
	tb.Helper()
	client, err := wxpay.NewClient(sim.ClientConfig())
	if err != nil {
		tb.Fatal(err)
	}
	a, err := wechat.NewV2(client, sim.Key(), "")
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// v3 is the WeChat Pay v3 adapter on the simulator, on the shared clock
// (replies and notifications are checked within 5 minutes of it).
func v3(tb testing.TB, sim *wxsim.Server, clock *wxsim.ManualClock) *wechat.V3 {
	tb.Helper()
	cfg := sim.ClientConfigV3()
	cfg.Now = clock.Now
	client, err := wxpayv3.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := wechat.NewV3(client)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// shelf is the adapter's shelf QR (Native mode 1), if its API has one.
func (r *rig) shelf() app.ShelfQR {
	s, _ := r.pay.Payments.(app.ShelfQR)
	return s
}

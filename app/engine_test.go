package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"saoma/store"
	"strings"
	"sync"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

func TestChargeThenNotificationPays(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		if o.State != app.StateAwaiting || !strings.HasPrefix(o.CodeURL, "weixin://wxpay/bizpayurl") {
			t.Fatalf("after charge: %s %q", o.State, o.CodeURL)
		}
		if o.Total != 4600 || o.TimeExpire.Sub(o.TimeStart) != 2*time.Hour {
			t.Errorf("total %s, lifetime %s", o.Total, o.TimeExpire.Sub(o.TimeStart))
		}
		if cur, ok := r.eng.Current(); !ok || cur.OutTradeNo != o.OutTradeNo {
			t.Errorf("current = %v %v", cur.OutTradeNo, ok)
		}
		res := r.scan(o.CodeURL)
		paid := r.waitFor(o.OutTradeNo, app.StatePaid)
		if paid.TransactionID != res.TransactionID || paid.PaidAt.IsZero() {
			t.Errorf("paid order: tx %q (want %q), time_end %v", paid.TransactionID, res.TransactionID, paid.PaidAt)
		}
		if n := r.prn.count(app.PaperReceipt); n != 1 {
			t.Errorf("%d receipts printed, want 1", n)
		}
		if _, err := r.eng.Charge(r.ctx, cartLines()); err != nil {
			t.Errorf("next sale after paid: %v", err)
		}
	})
}

func TestPaymentReportedBeforeAnyQRIsNotASale(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		// The simulator pays the order before its unified-order reply: no
		// customer can do that (the QR was never on screen), so it is the
		// payment of an earlier order with the same number.
		r := newRig(t, onAPI(api), simOpt(func(sc *wxsim.Config) { sc.NotifyBeforeReply = true }))
		o, _ := r.eng.Charge(r.ctx, cartLines())
		got := r.advanceUntil(o.OutTradeNo, app.StateClosed, 5*time.Second)
		if got.Flag != app.FlagNumberCollision || paidEvents(got) != 0 {
			t.Errorf("state %s flag %q, %d paid events", got.State, got.Flag, paidEvents(got))
		}
		if n := r.prn.count(app.PaperReceipt); n != 0 {
			t.Errorf("%d receipts for a payment that is not this sale's", n)
		}
	})
}

func TestPollAndNotificationAtTheSameMoment(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		r.notify.gate = make(chan struct{})
		var release sync.Once
		open := func() { release.Do(func() { close(r.notify.gate) }) }
		t.Cleanup(open) // runs before the notify server closes, even if the test fails
		o := r.charge()
		r.scan(o.CodeURL)
		d := recvOrFail(t, r.notify.bodies, "the notification") // in flight, held at the gate
		// The watcher's poll sees the payment first…
		r.advanceUntil(o.OutTradeNo, app.StatePaid, 2*time.Second)
		// …then the held notification and two more copies race each other.
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.eng.HandleNotification(context.Background(), d.header, d.body); err != nil {
					t.Errorf("duplicate notification: %v", err)
				}
			}()
		}
		open() // release every held delivery, retries included
		wg.Wait()
		got := r.order(o.OutTradeNo)
		if got.State != app.StatePaid || paidEvents(got) != 1 {
			t.Fatalf("state %s, %d paid events", got.State, paidEvents(got))
		}
		if n := r.prn.count(app.PaperReceipt); n != 1 {
			t.Errorf("%d receipts, want 1", n)
		}
	})
}

func TestRelayDownForTheWholeOrder(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		r.notify.down.Store(true)
		r.eng.SetLink(false)
		o := r.charge()
		r.scan(o.CodeURL)
		paid := r.advanceUntil(o.OutTradeNo, app.StatePaid, 2*time.Second)
		last := paid.Events[len(paid.Events)-1]
		if last.Source != app.SourceQuery {
			t.Errorf("paid by %s, want query", last.Source)
		}
		if r.eng.Status().Link != app.LinkPolling {
			t.Error("status shows the link up")
		}
	})
}

func TestSystemErrorThenSuccessReusesOrderAndParameters(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		// The first reply is lost after WeChat processed the order (a
		// timeout), the second is SYSTEMERROR; the third gets through.
		r.pay.beforeUO = func(n int) error {
			switch n {
			case 1:
				return errLost
			case 2:
				return fmt.Errorf("%w: SYSTEMERROR 系统错误 (test)", app.ErrPayUnknown)
			}
			return nil
		}
		done := make(chan app.Order, 1)
		go func() {
			o, err := r.eng.Charge(r.ctx, cartLines())
			if err != nil {
				t.Errorf("charge: %v", err)
			}
			done <- o
		}()
		r.advance(time.Second) // first backoff
		r.advance(time.Second) // second backoff
		o := recvOrFail(t, done, "the charge")
		if o.State != app.StateAwaiting || o.CodeURL == "" {
			t.Fatalf("after retries: %s %q", o.State, o.CodeURL)
		}
		r.pay.mu.Lock()
		calls := append([]app.QROrder(nil), r.pay.uoCalls...)
		r.pay.mu.Unlock()
		if len(calls) != 3 {
			t.Fatalf("%d unified orders, want 3", len(calls))
		}
		for i := 1; i < len(calls); i++ {
			if !reflect.DeepEqual(calls[i], calls[0]) {
				t.Errorf("attempt %d differs from the first:\n%+v\n%+v", i+1, calls[i], calls[0])
			}
		}
	})
}

func TestUnifiedOrderGivesUpWithAClearRetryableError(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api), engOpt(func(ec *app.EngineConfig) { ec.Attempts = 2 }))
		r.pay.beforeUO = func(n int) error {
			if n <= 2 {
				return errLost
			}
			return nil
		}
		type result struct {
			o   app.Order
			err error
		}
		done := make(chan result, 1)
		go func() {
			o, err := r.eng.Charge(r.ctx, cartLines())
			done <- result{o, err}
		}()
		r.advance(time.Second)
		res := recvOrFail(t, done, "the charge")
		var ce *app.ChargeError
		if !errors.As(res.err, &ce) || ce.OutTradeNo == "" {
			t.Fatalf("err = %v, want *ChargeError", res.err)
		}
		if got := r.order(ce.OutTradeNo); got.State != app.StateCreated {
			t.Fatalf("failed order is %s, want created (durable, retryable)", got.State)
		}
		o, err := r.eng.Retry(r.ctx, ce.OutTradeNo)
		if err != nil || o.State != app.StateAwaiting {
			t.Fatalf("retry: %s %v", o.State, err)
		}
	})
}

func TestCancelInsideFiveMinutesClosesWhenAllowed(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		c, err := r.eng.Cancel(r.ctx, o.OutTradeNo)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != app.StateCancelPending {
			t.Fatalf("after cancel: %s, want cancel_pending (QR off the screen)", c.State)
		}
		if n := r.pay.closeCalls.Load(); n != 0 {
			t.Errorf("closeorder called %d times inside WeChat's 5 minutes", n)
		}
		closed := r.advanceUntil(o.OutTradeNo, app.StateClosed, 30*time.Second)
		if at := closed.Events[len(closed.Events)-1].At; at.Before(closed.TimeStart.Add(5 * time.Minute)) {
			t.Errorf("closed at %v, inside WeChat's 5 minutes from %v", at, closed.TimeStart)
		}
		if so, ok := r.sim.Order(o.OutTradeNo); !ok || so.State != wxsim.StateClosed {
			t.Errorf("simulator order: %+v", so)
		}
	})
}

func TestCloseOrderAnsweredOrderPaid(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		r.notify.down.Store(true)
		o := r.charge()
		r.clock.Advance(6 * time.Minute) // past the close rule
		// The customer pays between the engine's query and its close.
		r.pay.mu.Lock()
		r.pay.beforeClose = func() { r.scan(o.CodeURL) }
		r.pay.mu.Unlock()
		got, err := r.eng.Cancel(r.ctx, o.OutTradeNo)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != app.StatePaidAfterCancel || got.Flag != app.FlagPaidAfterCancel || got.TransactionID == "" {
			t.Fatalf("after ORDERPAID: %s flag %q tx %q", got.State, got.Flag, got.TransactionID)
		}
		if r.eng.Status().Flagged != 1 {
			t.Errorf("status flagged = %d", r.eng.Status().Flagged)
		}
	})
}

func TestPaymentAfterCancelIsRecordedAndFlagged(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		if _, err := r.eng.Cancel(r.ctx, o.OutTradeNo); err != nil {
			t.Fatal(err)
		}
		r.scan(o.CodeURL) // the customer had already scanned and pays anyway
		got := r.waitFor(o.OutTradeNo, app.StatePaidAfterCancel)
		if got.Flag != app.FlagPaidAfterCancel {
			t.Errorf("flag %q", got.Flag)
		}
		if n := r.prn.count(app.PaperReceipt); n != 1 {
			t.Errorf("%d receipts for money received, want 1", n)
		}
	})
}

func TestTwoHourExpiry(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		got := r.advanceUntil(o.OutTradeNo, app.StateExpired, 10*time.Minute)
		if got.TransactionID != "" {
			t.Error("expired order has a transaction")
		}
		if !r.clock.Now().After(o.TimeExpire.Add(-time.Second)) {
			t.Errorf("expired at %v, before time_expire %v", r.clock.Now(), o.TimeExpire)
		}
		if _, err := r.eng.RefreshQR(r.ctx, o.OutTradeNo); err != nil {
			t.Fatalf("refresh after expiry: %v", err)
		}
		cur, ok := r.eng.Current()
		if !ok || cur.OutTradeNo == o.OutTradeNo || cur.Total != o.Total || cur.State != app.StateAwaiting {
			t.Errorf("refresh gave %s %s %s", cur.OutTradeNo, cur.Total, cur.State)
		}
	})
}

func TestRefreshQRReentersWithIdenticalParameters(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		got, err := r.eng.RefreshQR(r.ctx, o.OutTradeNo)
		if err != nil || got.OutTradeNo != o.OutTradeNo || got.CodeURL == "" {
			t.Fatalf("refresh: %v %s", err, got.OutTradeNo)
		}
		r.pay.mu.Lock()
		defer r.pay.mu.Unlock()
		if len(r.pay.uoCalls) != 2 || !reflect.DeepEqual(r.pay.uoCalls[0], r.pay.uoCalls[1]) {
			t.Errorf("re-entry differs: %+v", r.pay.uoCalls)
		}
	})
}

func TestRestartWhileWaiting(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		t.Run("paid while down", func(t *testing.T) {
			r := newRig(t, onAPI(api))
			r.notify.down.Store(true)
			o := r.charge()
			r.restart()
			r.scan(o.CodeURL)
			r.restart() // the kiosk was off when the customer paid
			r.waitFor(o.OutTradeNo, app.StatePaid)
		})
		t.Run("paid while down, off the screen: the cashier is told", func(t *testing.T) {
			r := newRig(t, onAPI(api))
			r.notify.down.Store(true)
			o := r.charge()
			r.eng.Done(o.OutTradeNo)
			newer := r.charge() // the newer order is the one that comes back
			r.scan(o.CodeURL)
			r.restart()
			for {
				u := <-r.updates
				if u.Order != nil && u.Order.OutTradeNo == o.OutTradeNo && u.Order.State == app.StatePaid {
					if !u.PaidWhileAway {
						t.Error("a payment settled at start-up was not announced")
					}
					break
				}
			}
			if cur, _ := r.eng.Current(); cur.OutTradeNo != newer.OutTradeNo {
				t.Errorf("current = %s, want %s", cur.OutTradeNo, newer.OutTradeNo)
			}
		})
		t.Run("still payable resumes", func(t *testing.T) {
			r := newRig(t, onAPI(api))
			o := r.charge()
			r.restart()
			cur, ok := r.eng.Current()
			if !ok || cur.OutTradeNo != o.OutTradeNo || cur.State != app.StateAwaiting {
				t.Fatalf("current after restart: %v %s", ok, cur.State)
			}
			r.scan(o.CodeURL)
			r.waitFor(o.OutTradeNo, app.StatePaid)
		})
		t.Run("older open orders are closed", func(t *testing.T) {
			r := newRig(t, onAPI(api))
			first := r.charge()
			r.eng.Done(first.OutTradeNo) // left open: e.g. the screen was abandoned
			second := r.charge()
			r.clock.Advance(6 * time.Minute)
			r.restart()
			if cur, _ := r.eng.Current(); cur.OutTradeNo != second.OutTradeNo {
				t.Errorf("current = %s, want the newest %s", cur.OutTradeNo, second.OutTradeNo)
			}
			r.waitFor(first.OutTradeNo, app.StateClosed)
		})
	})
}

func TestSellingResumesAtOnceWhileWeChatIsUnreachable(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		r.eng.Done(o.OutTradeNo)
		r.clock.Advance(3 * time.Hour) // its QR ran out: it will not come back
		r.pay.failQueries.Store(true)
		r.restart()
		if !r.eng.Status().Ready {
			t.Fatal("not ready while WeChat is unreachable")
		}
		r.pay.failQueries.Store(false)
		sale, err := r.eng.Charge(r.ctx, cartLines())
		if err != nil || sale.State != app.StateAwaiting {
			t.Fatalf("charge at start-up: %v %s", err, sale.State)
		}
		// The old order is settled on its own, with its own backoff.
		r.advanceUntil(o.OutTradeNo, app.StateExpired, 2*time.Second)
	})
}

func TestStartupSettlesEachOrderOnItsOwn(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		var nos []string
		for i := 0; i < 3; i++ {
			o := r.charge()
			r.eng.Done(o.OutTradeNo)
			nos = append(nos, o.OutTradeNo)
		}
		r.scan(r.order(nos[1]).CodeURL)
		r.waitFor(nos[1], app.StatePaid)
		r.clock.Advance(3 * time.Hour)
		// The first two queries of each order fail: each retries on its own.
		var mu sync.Mutex
		tries := map[string]int{}
		r.pay.mu.Lock()
		r.pay.queryErr = func(no string) error {
			mu.Lock()
			defer mu.Unlock()
			tries[no]++
			if tries[no] <= 2 {
				return errLost
			}
			return nil
		}
		r.pay.mu.Unlock()
		r.restart()
		if !r.eng.Status().Ready {
			t.Fatal("not ready at once")
		}
		for _, no := range []string{nos[0], nos[2]} {
			r.advanceUntil(no, app.StateExpired, time.Second)
		}
		if got := r.order(nos[1]); got.State != app.StatePaid {
			t.Errorf("paid order became %s", got.State)
		}
	})
}

func TestForgedNotificationsChangeNothing(t *testing.T) {
	r := newRig(t)
	o := r.charge()
	before := r.order(o.OutTradeNo)
	valid := func(edit func(p wxpay.Params)) wxpay.Params {
		p := wxpay.Params{
			"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": r.sim.AppID(), "mch_id": r.sim.MchID(),
			"nonce_str": "abc123", "openid": "oFake", "is_subscribe": "N", "trade_type": "NATIVE", "bank_type": "CMC",
			"total_fee": "4600", "cash_fee": "4600", "fee_type": "CNY", "transaction_id": "4200000000000000000000000001",
			"out_trade_no": o.OutTradeNo, "time_end": "20261122100500",
		}
		edit(p)
		return p
	}
	signed := func(p wxpay.Params, key string) []byte {
		p["sign"] = p.Sign(key, wxpay.SignMD5)
		return p.EncodeXML()
	}
	otherKey := strings.Repeat("x", 32)
	cases := []struct {
		name string
		body []byte
	}{
		{"bad signature", signed(valid(func(wxpay.Params) {}), otherKey)},
		{"tampered amount after signing", func() []byte {
			p := valid(func(wxpay.Params) {})
			p["sign"] = p.Sign(r.sim.Key(), wxpay.SignMD5)
			p["total_fee"] = "1"
			return p.EncodeXML()
		}()},
		{"other merchant", signed(valid(func(p wxpay.Params) { p["mch_id"] = "1900000999"; p["appid"] = "wx1111111111111111" }), otherKey)},
		{"other merchant signed with our key", signed(valid(func(p wxpay.Params) { p["mch_id"] = "1900000999" }), r.sim.Key())},
		{"unknown order", signed(valid(func(p wxpay.Params) { p["out_trade_no"] = "NOPE123" }), r.sim.Key())},
		{"payment failed", signed(valid(func(p wxpay.Params) { p["result_code"] = "FAIL"; p["err_code"] = "NOTENOUGH" }), r.sim.Key())},
		{"doctype", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>`)},
		{"malformed", []byte("<xml><return_code>SUCCESS</return_code>")},
		{"oversized", []byte("<xml><a>" + strings.Repeat("a", 1<<20) + "</a></xml>")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := r.eng.HandleNotification(context.Background(), nil, c.body); err != nil {
				t.Errorf("HandleNotification = %v; a bad notification must be dropped (nil) so the relay stops redelivering", err)
			}
			after := r.order(o.OutTradeNo)
			if after.State != before.State || after.TransactionID != "" || len(after.Events) != len(before.Events) || after.Flag != "" {
				t.Errorf("order changed: %s tx %q flag %q, %d events (was %d)", after.State, after.TransactionID, after.Flag, len(after.Events), len(before.Events))
			}
		})
	}
}

func TestMode1CallbackEndToEnd(t *testing.T) {
	var r *rig
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := make([]byte, 0, 1024)
		buf := make([]byte, 1024)
		for {
			n, err := req.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		w.Write(r.eng.HandleNativeCallback(req.Context(), body))
	}))
	defer cb.Close()
	r = newRig(t, simOpt(func(sc *wxsim.Config) { sc.CallbackURL = cb.URL }))
	url := wxpay.BizPayURL(r.sim.AppID(), r.sim.MchID(), r.sim.Key(), "P1003", r.clock.Now())
	res := r.scan(url)
	paid := r.waitFor(res.OutTradeNo, app.StatePaid)
	if paid.Mode != 1 || paid.Total != 1500 || len(paid.Lines) != 1 || paid.Lines[0].Name != "珍珠奶茶" {
		t.Errorf("mode-1 order: mode %d total %s lines %+v", paid.Mode, paid.Total, paid.Lines)
	}
	// An unknown product is refused with a message for the customer.
	bad := wxpay.BizPayURL(r.sim.AppID(), r.sim.MchID(), r.sim.Key(), "P9999", r.clock.Now())
	if _, err := r.sim.Scan(context.Background(), wxsim.ScanRequest{URL: bad}); err == nil {
		t.Error("scan of an unknown product's QR succeeded")
	}
}

func TestPrinterFailureNeverBlocksTheSale(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		r.prn.fail.Store(true)
		o := r.charge()
		r.scan(o.CodeURL)
		r.waitFor(o.OutTradeNo, app.StatePaid)
		r.prn.fail.Store(false)
		if _, err := r.eng.Reprint(r.ctx, o.OutTradeNo); err != nil {
			t.Fatalf("reprint: %v", err)
		}
		if n := r.prn.count(app.PaperReceipt); n != 1 {
			t.Errorf("%d receipts after reprint, want 1", n)
		}
		if _, err := r.eng.Charge(r.ctx, cartLines()); err != nil {
			t.Errorf("next sale: %v", err)
		}
	})
}

func TestPrintBillAndLabel(t *testing.T) {
	r := newRig(t)
	o := r.charge()
	if _, err := r.eng.PrintBill(r.ctx, o.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	if _, err := r.eng.PrintLabel(r.ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	r.prn.mu.Lock()
	defer r.prn.mu.Unlock()
	if len(r.prn.papers) != 2 || r.prn.papers[0].QR != o.CodeURL || !strings.HasPrefix(r.prn.papers[1].QR, "weixin://wxpay/s/") {
		t.Errorf("papers: %+v", r.prn.papers)
	}
}

func TestRefund(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		r.scan(o.CodeURL)
		r.waitFor(o.OutTradeNo, app.StatePaid)
		got, err := r.eng.Refund(r.ctx, o.OutTradeNo, 1000, "少一杯")
		if err != nil {
			t.Fatal(err)
		}
		// Accepted is not yet returned: the books show it as pending.
		if got.State != app.StatePaid || got.Refunded() != 0 || got.RefundPending() != 1000 {
			t.Fatalf("after refund: %s refunded %s pending %s", got.State, got.Refunded(), got.RefundPending())
		}
		if _, err := r.eng.Refund(r.ctx, o.OutTradeNo, 3601, ""); !errors.Is(err, app.ErrRefundTooLarge) {
			t.Errorf("over-refund: %v", err)
		}
		// The engine follows the refund until WeChat reports it done.
		done := r.refundDone(o.OutTradeNo, 1)
		if done.State != app.StatePartiallyRefunded || done.Refunded() != 1000 || done.RefundPending() != 0 {
			t.Errorf("after success: %s refunded %s pending %s", done.State, done.Refunded(), done.RefundPending())
		}
	})
}

// refundDone advances time while the engine waits until the order's n-th
// refund is final, and returns the order then.
func (r *rig) refundDone(no string, n int) app.Order {
	r.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case u := <-r.updates:
			if u.Order != nil && u.Order.OutTradeNo == no && len(u.Order.Refunds) >= n && u.Order.Refunds[n-1].State.Final() {
				return *u.Order
			}
		case <-r.spy.afters:
			r.clock.Advance(time.Minute)
		case <-timeout:
			r.t.Fatalf("refund never final: %+v", r.order(no).Refunds)
		}
	}
}

// simRefunds lists the refunds WeChat (the simulator) holds for an order.
func (r *rig) simRefunds(no string) []wxsim.Refund {
	for _, o := range r.sim.Orders() {
		if o.OutTradeNo == no {
			return o.Refunds
		}
	}
	return nil
}

func TestRefundNeverPaysTwice(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		cases := []struct {
			name string
			// send: does the first request reach WeChat?
			send bool
		}{
			{"the reply is lost: the same refund is asked about, not sent again", true},
			{"the request is lost: the same refund is sent again", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := newRig(t, onAPI(api))
				o := r.charge()
				r.scan(o.CodeURL)
				r.waitFor(o.OutTradeNo, app.StatePaid)
				r.pay.mu.Lock()
				r.pay.refundFault = func(n int) (bool, error) {
					if n == 1 {
						return c.send, errLost
					}
					return true, nil
				}
				r.pay.mu.Unlock()
				got, err := r.eng.Refund(r.ctx, o.OutTradeNo, 4600, "退货")
				if !errors.Is(err, app.ErrRefundUnknown) {
					t.Fatalf("lost answer: %v", err)
				}
				if got.Refunded() != 0 || got.RefundPending() != 4600 {
					t.Errorf("books: refunded %s pending %s, want 0 and 46.00 pending", got.Refunded(), got.RefundPending())
				}
				// Pressing 退款 again is refused while WeChat's answer is unknown.
				if _, err := r.eng.Refund(r.ctx, o.OutTradeNo, 4600, "退货"); !errors.Is(err, app.ErrRefundPending) {
					t.Errorf("second refund while pending: %v", err)
				}
				done := r.refundDone(o.OutTradeNo, 1)
				if done.State != app.StateRefunded || done.Refunded() != 4600 || len(done.Refunds) != 1 {
					t.Errorf("after follow-up: %s refunded %s, %d refunds", done.State, done.Refunded(), len(done.Refunds))
				}
				refunds := r.simRefunds(o.OutTradeNo)
				if len(refunds) != 1 || refunds[0].RefundFee != 4600 {
					t.Errorf("WeChat holds refunds %+v, want one of 46.00", refunds)
				}
			})
		}
	})
}

func TestPendingRefundIsFollowedAfterARestart(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		r.scan(o.CodeURL)
		r.waitFor(o.OutTradeNo, app.StatePaid)
		r.pay.mu.Lock()
		r.pay.refundFault = func(n int) (bool, error) {
			if n == 1 {
				return false, errLost
			}
			return true, nil
		}
		r.pay.mu.Unlock()
		if _, err := r.eng.Refund(r.ctx, o.OutTradeNo, 800, ""); !errors.Is(err, app.ErrRefundUnknown) {
			t.Fatalf("refund: %v", err)
		}
		r.restart() // before the follow-up ran
		done := r.refundDone(o.OutTradeNo, 1)
		if done.Refunded() != 800 || done.State != app.StatePartiallyRefunded {
			t.Errorf("after restart: %s refunded %s", done.State, done.Refunded())
		}
		if refunds := r.simRefunds(o.OutTradeNo); len(refunds) != 1 {
			t.Errorf("WeChat holds %d refunds, want 1", len(refunds))
		}
	})
}

func TestRefundNotificationSettlesARefund(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		r.scan(o.CodeURL)
		r.waitFor(o.OutTradeNo, app.StatePaid)
		if _, err := r.eng.Refund(r.ctx, o.OutTradeNo, 4600, ""); err != nil {
			t.Fatal(err)
		}
		// WeChat finishes the refund and notifies; no query is needed.
		r.sim.SettleRefunds()
		got := r.waitFor(o.OutTradeNo, app.StateRefunded)
		if got.Refunded() != 4600 {
			t.Errorf("refunded %s", got.Refunded())
		}
	})
}

func TestPayErrorLeavesTheQRPayable(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		r.notify.down.Store(true) // no notification: only queries tell
		o := r.charge()
		if _, err := r.sim.Scan(context.Background(), wxsim.ScanRequest{URL: o.CodeURL, Outcome: wxsim.OutcomeNotEnough}); err != nil {
			t.Fatal(err)
		}
		// Several polls see PAYERROR; the order must stay awaiting.
		for i := 0; i < 3; i++ {
			r.advance(2 * time.Second)
		}
		if got := r.order(o.OutTradeNo); got.State != app.StateAwaiting {
			t.Fatalf("after PAYERROR: %s, want awaiting (the QR is still payable)", got.State)
		}
		r.scan(o.CodeURL) // the customer switches cards
		r.advanceUntil(o.OutTradeNo, app.StatePaid, 2*time.Second)
	})
}

func TestCloseWaitsFiveAndAHalfMinutes(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		var at []time.Time
		var mu sync.Mutex
		r.pay.mu.Lock()
		r.pay.beforeClose = func() {
			mu.Lock()
			at = append(at, r.clock.Now())
			mu.Unlock()
		}
		r.pay.mu.Unlock()
		if _, err := r.eng.Cancel(r.ctx, o.OutTradeNo); err != nil {
			t.Fatal(err)
		}
		r.advanceUntil(o.OutTradeNo, app.StateClosed, 10*time.Second)
		mu.Lock()
		defer mu.Unlock()
		for _, a := range at {
			if a.Sub(o.CreatedAt) < 5*time.Minute+30*time.Second {
				t.Errorf("close sent %s after creation, want ≥ 5m30s", a.Sub(o.CreatedAt))
			}
		}
	})
}

// numbers hands out the given order numbers first, then the store's.
type numbers struct {
	*store.Store
	mu   sync.Mutex
	next []string
}

func (n *numbers) NextOutTradeNo(kiosk string, now time.Time) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.next) > 0 {
		no := n.next[0]
		n.next = n.next[1:]
		return no, nil
	}
	return n.Store.NextOutTradeNo(kiosk, now)
}

func TestAReusedOrderNumberIsNeverASale(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		old := r.charge()
		r.scan(old.CodeURL)
		r.waitFor(old.OutTradeNo, app.StatePaid)
		// A second ledger (a restored backup, a till with a copied kiosk_id)
		// hands out the same number for a cart of the same amount.
		r.stop()
		r.eng.Wait()
		r.st.Close()
		r.dir = t.TempDir()
		r.openStore()
		nums := &numbers{Store: r.st, next: []string{old.OutTradeNo}}
		c := r.base
		c.Orders, c.Catalog, c.Reports, c.Printer, c.Payments = nums, r.st, r.st, r.prn, r.pay
		c.Clock = r.spy
		eng, err := app.NewEngine(c)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer func() { cancel(); eng.Wait() }()
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		receipts := r.prn.count(app.PaperReceipt)
		sale, err := eng.Charge(ctx, cartLines())
		if err != nil {
			t.Fatalf("charge: %v", err)
		}
		if sale.OutTradeNo == old.OutTradeNo || sale.State != app.StateAwaiting || sale.CodeURL == "" {
			t.Fatalf("charge gave %s %s; want a new number awaiting payment", sale.OutTradeNo, sale.State)
		}
		dup, err := r.st.Get(old.OutTradeNo)
		if err != nil {
			t.Fatal(err)
		}
		if dup.State.Paid() || dup.Flag != app.FlagNumberCollision {
			t.Errorf("reused number: %s flag %q; want closed and flagged", dup.State, dup.Flag)
		}
		if n := r.prn.count(app.PaperReceipt); n != receipts {
			t.Errorf("a receipt was printed for the earlier customer's payment")
		}
	})
}

func TestRestoredBackupNeverReusesNumbers(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		backup := filepath.Join(t.TempDir(), "backup.db")
		if err := r.st.BackupFile(backup); err != nil {
			t.Fatal(err)
		}
		old := r.charge()
		r.scan(old.CodeURL)
		r.waitFor(old.OutTradeNo, app.StatePaid)
		r.stop()
		r.eng.Wait()
		r.st.Close()
		data, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, "ledger.db"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		r.openStore()
		r.startEngine()
		sale := r.charge() // the same cart, the same amount
		if sale.OutTradeNo == old.OutTradeNo || sale.State != app.StateAwaiting {
			t.Fatalf("after restore: %s %s (earlier sale %s)", sale.OutTradeNo, sale.State, old.OutTradeNo)
		}
	})
}
func TestChargeRefusesBadCarts(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		cases := []struct {
			name  string
			lines []app.Line
			want  error
		}{
			{"empty", nil, app.ErrEmptyCart},
			{"zero qty", []app.Line{{ProductID: "1", Name: "a", UnitPrice: 100, Qty: 0}}, app.ErrBadAmount},
			{"negative price", []app.Line{{ProductID: "1", Name: "a", UnitPrice: -100, Qty: 1}}, app.ErrBadAmount},
			{"over WeChat's maximum", []app.Line{{ProductID: "1", Name: "a", UnitPrice: 1 << 30, Qty: 3}}, app.ErrBadAmount},
		}
		for _, c := range cases {
			if _, err := r.eng.Charge(r.ctx, c.lines); !errors.Is(err, c.want) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			}
		}
		o := r.charge()
		if _, err := r.eng.Charge(r.ctx, cartLines()); !errors.Is(err, app.ErrBusy) {
			t.Errorf("second charge while %s waits: %v", o.OutTradeNo, err)
		}
		open, _ := r.st.OpenOrders()
		if len(open) != 1 {
			t.Errorf("%d open orders, want 1", len(open))
		}
	})
}

// recvOrFail receives from ch; the timeout only turns a hang into a failure.
func recvOrFail[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestGoodsHandedOverClearsPaidAfterCancel(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		o := r.charge()
		if _, err := r.eng.Cancel(r.ctx, o.OutTradeNo); err != nil {
			t.Fatal(err)
		}
		r.scan(o.CodeURL) // the customer pays anyway
		got := r.waitFor(o.OutTradeNo, app.StatePaidAfterCancel)
		if got.Flag != app.FlagPaidAfterCancel {
			t.Fatalf("flag %q", got.Flag)
		}
		got, err := r.eng.Resolve(o.OutTradeNo, "goods handed over")
		if err != nil || got.Flag != app.FlagNone || got.State != app.StatePaidAfterCancel {
			t.Fatalf("resolve: %v flag %q state %s", err, got.Flag, got.State)
		}
		if f, _ := r.st.Flagged(); len(f) != 0 {
			t.Errorf("still %d orders needing attention", len(f))
		}
	})
}

func TestEachPaymentIsAnnouncedOnce(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		var mu sync.Mutex
		var said []app.Fen
		r := newRig(t, onAPI(api), engOpt(func(c *app.EngineConfig) {
			c.Announce = func(f app.Fen) { mu.Lock(); said = append(said, f); mu.Unlock() }
		}))
		o := r.charge()
		r.scan(o.CodeURL)
		r.waitFor(o.OutTradeNo, app.StatePaid)
		d := <-r.notify.bodies // WeChat repeats the notification
		if err := r.eng.HandleNotification(r.ctx, d.header, d.body); err != nil {
			t.Fatal(err)
		}
		if _, err := r.eng.Refund(r.ctx, o.OutTradeNo, 100, ""); err != nil {
			t.Fatal(err)
		}
		r.restart()
		if _, err := r.eng.Reprint(r.ctx, o.OutTradeNo); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(said) != 1 || said[0] != o.Total {
			t.Errorf("announced %v, want once %s", said, o.Total)
		}
	})
}

func TestShelfLabelsNeedAPIv2(t *testing.T) {
	r := newRig(t, onAPI(apiV3))
	if _, err := r.eng.PrintLabel(r.ctx, "1001"); !errors.Is(err, app.ErrPayUnsupported) {
		t.Errorf("a v3 kiosk printing a mode-1 label: %v, want ErrPayUnsupported", err)
	}
	if reply := r.eng.HandleNativeCallback(r.ctx, []byte("<xml></xml>")); reply != nil {
		t.Errorf("a v3 kiosk answered a mode-1 callback: %s", reply)
	}
}

func TestLastPaidComesFromTheLedgerAfterARestart(t *testing.T) {
	r := newRig(t)
	o := r.charge()
	r.scan(o.CodeURL)
	r.waitFor(o.OutTradeNo, app.StatePaid)
	r.restart()
	last, ok := r.eng.LastPaid()
	if !ok || last.OutTradeNo != o.OutTradeNo {
		t.Fatalf("last paid after restart: %v %s, want %s", ok, last.OutTradeNo, o.OutTradeNo)
	}
	if _, err := r.eng.Reprint(r.ctx, last.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	if n := r.prn.count(app.PaperReceipt); n != 2 {
		t.Errorf("%d receipts, want the sale's and its copy", n)
	}
}

func TestOwnerEditsTheCatalog(t *testing.T) {
	r := newRig(t)
	p := app.Product{ID: "9001", Name: "桂花拿铁", Price: 2600, Category: "咖啡", Active: true}
	if err := r.eng.SaveProduct(p); err != nil {
		t.Fatal(err)
	}
	p.Price = 2800
	if err := r.eng.SaveProduct(p); err != nil {
		t.Fatal(err)
	}
	ps, _ := r.eng.Products()
	found := false
	for _, q := range ps {
		if q.ID == "9001" {
			found = q.Price == 2800
		}
	}
	if !found {
		t.Errorf("the new price is not in the catalog: %+v", ps)
	}
	if err := r.eng.SaveProduct(app.Product{ID: "9002", Name: "", Price: 100}); !errors.Is(err, app.ErrBadProduct) {
		t.Errorf("a product without a name: %v", err)
	}
}

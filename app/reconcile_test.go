package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
	"saoma/store"
)

// recDay is the business day the reconciliation tests trade on.
const recDay app.Day = "2026-11-20"

// at is a Beijing time on recDay.
func at(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, wxpay.Shanghai()) }

func paidOrder(no string, total app.Fen, tx string, paidAt time.Time, refunds ...app.Refund) app.Order {
	return app.Order{OutTradeNo: no, Total: total, State: app.StatePaid, TransactionID: tx, PaidAt: paidAt, CreatedAt: paidAt, Refunds: refunds}
}

func payRow(no string, amount app.Fen, tx string, t time.Time) app.BillRow {
	return app.BillRow{OutTradeNo: no, TransactionID: tx, TradeTime: t, State: app.BillPaid, Amount: amount, Fee: (amount*6 + 500) / 1000, FeeRate: "0.60%"}
}

func refundRow(no, rno string, amount app.Fen, st app.RefundState) app.BillRow {
	return app.BillRow{OutTradeNo: no, State: app.BillRefund, OutRefundNo: rno, RefundID: "50" + rno, RefundAmount: amount,
		RefundState: st, Fee: -(amount*6 + 500) / 1000}
}

func TestReconcileFindsEveryKindOfDifference(t *testing.T) {
	refund := func(rno string, amount app.Fen, st app.RefundState, t time.Time) app.Refund {
		return app.Refund{OutRefundNo: rno, Amount: amount, State: st, CreatedAt: t}
	}
	cases := []struct {
		name   string
		ledger []app.Order
		bill   []app.BillRow
		want   []app.Diff
	}{
		{"a ledger that agrees with the bill has no difference",
			[]app.Order{paidOrder("K1", 3800, "T1", at(9, 0), refund("K1-R1", 1000, app.RefundSucceeded, at(10, 0)))},
			[]app.BillRow{payRow("K1", 3800, "T1", at(9, 0)), refundRow("K1", "K1-R1", 1000, app.RefundSucceeded)},
			nil},
		{"a payment the ledger lacks is to be added",
			nil,
			[]app.BillRow{payRow("K2", 990, "T2", at(9, 0))},
			[]app.Diff{{Kind: app.DiffOnlyAtWeChat, OutTradeNo: "K2", TransactionID: "T2", WeChat: 990, Action: app.ActionAddSale}}},
		{"a payment the ledger has unpaid is to be confirmed",
			[]app.Order{{OutTradeNo: "K3", Total: 990, State: app.StateAwaiting, CodeURL: "weixin://x"}},
			[]app.BillRow{payRow("K3", 990, "T3", at(9, 0))},
			[]app.Diff{{Kind: app.DiffUnpaidInLedger, OutTradeNo: "K3", TransactionID: "T3", Ledger: 990, WeChat: 990, Action: app.ActionConfirmSale}}},
		{"a sale WeChat never had is the ledger's only",
			[]app.Order{paidOrder("K4", 1200, "T4", at(11, 0))},
			nil,
			[]app.Diff{{Kind: app.DiffOnlyInLedger, OutTradeNo: "K4", TransactionID: "T4", Ledger: 1200, Action: app.ActionCheckPlatform}}},
		{"a sale paid on another day is not missing from this day's bill",
			[]app.Order{paidOrder("K5", 1200, "T5", at(11, 0).AddDate(0, 0, 1))},
			nil,
			nil},
		{"an amount that differs is reported with both amounts",
			[]app.Order{paidOrder("K6", 3800, "T6", at(9, 0))},
			[]app.BillRow{payRow("K6", 3700, "T6", at(9, 0))},
			[]app.Diff{{Kind: app.DiffAmount, OutTradeNo: "K6", TransactionID: "T6", Ledger: 3800, WeChat: 3700, Action: app.ActionCheckPlatform}}},
		{"an unpaid order whose payment differs in amount is not confirmed",
			[]app.Order{{OutTradeNo: "K7", Total: 3800, State: app.StateAwaiting, Flag: app.FlagAmountMismatch}},
			[]app.BillRow{payRow("K7", 3700, "T7", at(9, 0))},
			[]app.Diff{{Kind: app.DiffAmount, OutTradeNo: "K7", TransactionID: "T7", Ledger: 3800, WeChat: 3700, Action: app.ActionCheckPlatform}}},
		{"another transaction for a paid order is a transaction difference",
			[]app.Order{paidOrder("K8", 990, "T8", at(9, 0))},
			[]app.BillRow{payRow("K8", 990, "T8-OTHER", at(9, 0))},
			[]app.Diff{{Kind: app.DiffTransaction, OutTradeNo: "K8", TransactionID: "T8-OTHER", Ledger: 990, WeChat: 990, Action: app.ActionCheckPlatform}}},
		{"a refund only at WeChat is to be checked",
			[]app.Order{paidOrder("K9", 990, "T9", at(8, 0))},
			[]app.BillRow{payRow("K9", 990, "T9", at(8, 0)), refundRow("K9", "K9-R1", 500, app.RefundSucceeded)},
			[]app.Diff{{Kind: app.DiffRefundOnlyAtWeChat, OutTradeNo: "K9", OutRefundNo: "K9-R1", WeChat: 500, Action: app.ActionCheckRefund}}},
		{"a refund only in the ledger is to be checked",
			[]app.Order{paidOrder("K10", 990, "T10", at(8, 0), refund("K10-R1", 500, app.RefundProcessing, at(12, 0)))},
			[]app.BillRow{payRow("K10", 990, "T10", at(8, 0))},
			[]app.Diff{{Kind: app.DiffRefundOnlyInLedger, OutTradeNo: "K10", OutRefundNo: "K10-R1", Ledger: 500, Action: app.ActionCheckRefund}}},
		{"a failed refund in the ledger is not missing from the bill",
			[]app.Order{paidOrder("K11", 990, "T11", at(8, 0), refund("K11-R1", 500, app.RefundFailed, at(12, 0)))},
			[]app.BillRow{payRow("K11", 990, "T11", at(8, 0))},
			nil},
		{"a refund amount that differs is reported",
			[]app.Order{paidOrder("K12", 990, "T12", at(8, 0), refund("K12-R1", 500, app.RefundSucceeded, at(12, 0)))},
			[]app.BillRow{payRow("K12", 990, "T12", at(8, 0)), refundRow("K12", "K12-R1", 400, app.RefundSucceeded)},
			[]app.Diff{{Kind: app.DiffRefundAmount, OutTradeNo: "K12", OutRefundNo: "K12-R1", Ledger: 500, WeChat: 400, Action: app.ActionCheckRefund}}},
		{"a refund WeChat closed that the ledger counts is a state difference",
			[]app.Order{paidOrder("K13", 990, "T13", at(8, 0), refund("K13-R1", 500, app.RefundSucceeded, at(12, 0)))},
			[]app.BillRow{payRow("K13", 990, "T13", at(8, 0)), refundRow("K13", "K13-R1", 500, app.RefundFailed)},
			[]app.Diff{{Kind: app.DiffRefundState, OutTradeNo: "K13", OutRefundNo: "K13-R1", Ledger: 500, WeChat: 500, Action: app.ActionCheckRefund}}},
		{"a refund still processing in the ledger agrees with a succeeded one",
			[]app.Order{paidOrder("K14", 990, "T14", at(8, 0), refund("K14-R1", 500, app.RefundProcessing, at(12, 0)))},
			[]app.BillRow{payRow("K14", 990, "T14", at(8, 0)), refundRow("K14", "K14-R1", 500, app.RefundSucceeded)},
			nil},
		{"a payment reversed the same day that the ledger never sold is no difference",
			nil,
			[]app.BillRow{payRow("K15", 990, "T15", at(8, 0)), {OutTradeNo: "K15", State: app.BillReversed, OutRefundNo: "K15", RefundAmount: 990, RefundState: app.RefundSucceeded}},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := app.Reconcile(recDay, c.ledger, c.bill)
			if len(got.Diffs) != len(c.want) {
				t.Fatalf("diffs %+v, want %+v", got.Diffs, c.want)
			}
			for i := range c.want {
				if got.Diffs[i] != c.want[i] {
					t.Errorf("diff %d = %+v, want %+v", i, got.Diffs[i], c.want[i])
				}
			}
			wantState := app.Reconciled
			if len(c.want) > 0 {
				wantState = app.Differences
			}
			if got.State != wantState {
				t.Errorf("state %s, want %s", got.State, wantState)
			}
		})
	}
}

func TestReconcileTotalsWhatReachesTheBank(t *testing.T) {
	bill := []app.BillRow{
		payRow("K1", 3800, "T1", at(9, 0)),                  // fee 23
		payRow("K2", 84, "T2", at(9, 30)),                   // fee 1
		refundRow("K1", "K1-R1", 1000, app.RefundSucceeded), // fee −6
	}
	ledger := []app.Order{paidOrder("K1", 3800, "T1", at(9, 0), app.Refund{OutRefundNo: "K1-R1", Amount: 1000, State: app.RefundSucceeded, CreatedAt: at(12, 0)}),
		paidOrder("K2", 84, "T2", at(9, 30))}
	got := app.Reconcile(recDay, ledger, bill)
	if got.Gross != 3884 || got.Refunds != 1000 || got.Fees != 18 || got.Net != 3884-1000-18 || got.Orders != 2 {
		t.Errorf("gross %s refunds %s fees %s net %s orders %d", got.Gross, got.Refunds, got.Fees, got.Net, got.Orders)
	}
	if got.State != app.Reconciled {
		t.Errorf("state %s, diffs %+v", got.State, got.Diffs)
	}
}

func TestExplainingEveryDifferenceReconcilesTheDay(t *testing.T) {
	rec := app.Reconcile(recDay, nil, []app.BillRow{payRow("K1", 990, "T1", at(9, 0)), payRow("K2", 990, "T2", at(9, 0))})
	if rec.State != app.Differences || rec.Open() != 2 {
		t.Fatalf("state %s open %d", rec.State, rec.Open())
	}
	if err := rec.Explain(0, "owner 1234: sold at the door", at(20, 0)); err != nil {
		t.Fatal(err)
	}
	if rec.State != app.Differences || rec.Open() != 1 {
		t.Fatalf("one explained: state %s open %d", rec.State, rec.Open())
	}
	if err := rec.Explain(1, "", at(20, 0)); err == nil {
		t.Error("an explanation without a note was taken")
	}
	if err := rec.Explain(2, "x", at(20, 0)); !errors.Is(err, app.ErrNoDiff) {
		t.Errorf("a difference the day lacks: %v", err)
	}
	_ = rec.Explain(1, "owner 1234: test payment", at(20, 0))
	if rec.State != app.Reconciled {
		t.Errorf("all explained: state %s", rec.State)
	}
}

func TestLatestBillDayFollowsWeChatsTenOClock(t *testing.T) {
	cases := []struct {
		name string
		now  time.Time
		want app.Day
	}{
		{"at 09:59 yesterday's bill is not out", time.Date(2026, 11, 21, 9, 59, 0, 0, wxpay.Shanghai()), "2026-11-19"},
		{"at 10:00 yesterday's bill is out", time.Date(2026, 11, 21, 10, 0, 0, 0, wxpay.Shanghai()), "2026-11-20"},
		{"UTC times are read in Beijing", time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC), "2026-11-20"},
	}
	for _, c := range cases {
		if got := app.LatestBillDay(c.now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if got, want := app.NextBillAt(at(10, 0)), at(10, 0).AddDate(0, 0, 1); !got.Equal(want) {
		t.Errorf("next bill after 10:00 is %s, want %s", got, want)
	}
}

// reconRig is a ledger, the simulator and the v2 adapter on one manual
// clock, without an engine: the kiosk's part is played by hand.
type reconRig struct {
	t     *testing.T
	clock *wxsim.ManualClock
	spy   spyClock
	sim   *wxsim.Server
	st    *store.Store
	pay   *wechat.V2
	bills *flakyBills
	n     int
}

// flakyBills answers ErrBillNotReady for the first notReady calls.
type flakyBills struct {
	app.Bills
	notReady atomic.Int64
	calls    atomic.Int64
}

func (f *flakyBills) Bill(ctx context.Context, day app.Day) ([]app.BillRow, error) {
	f.calls.Add(1)
	if f.notReady.Add(-1) >= 0 {
		return nil, app.ErrBillNotReady
	}
	return f.Bills.Bill(ctx, day)
}

func newReconRig(t *testing.T, now time.Time) *reconRig {
	t.Helper()
	r := &reconRig{t: t, clock: wxsim.NewManualClock(now)}
	r.spy = spyClock{ManualClock: r.clock, afters: make(chan time.Duration, 64)}
	sim, err := wxsim.Start(wxsim.Config{Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r.sim = sim
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	r.pay = v2(t, sim)
	r.bills = &flakyBills{Bills: r.pay}
	return r
}

func (r *reconRig) reconciler(first app.Day) *app.Reconciler {
	r.t.Helper()
	rc, err := app.NewReconciler(app.ReconcilerConfig{Bills: r.bills, Ledger: r.st, Clock: r.spy, FirstDay: first,
		Backoff: 5 * time.Minute})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc
}

// placed is an order the kiosk created and got a QR for from WeChat.
func (r *reconRig) placed(total app.Fen) app.Order {
	r.t.Helper()
	return r.placedAs(total, total)
}

// placedAs is placed with WeChat asked for another amount than the ledger
// holds (a bug, a tampered request).
func (r *reconRig) placedAs(total, atWeChat app.Fen) app.Order {
	r.t.Helper()
	r.n++
	now := r.clock.Now()
	no := "K1" + now.Format("060102") + "RC" + string(rune('A'+r.n))
	if err := r.st.Create(app.Order{OutTradeNo: no, KioskID: "k1", Total: total, CreatedAt: now}); err != nil {
		r.t.Fatal(err)
	}
	qr, err := r.pay.PlaceQR(context.Background(), app.QROrder{OutTradeNo: no, Total: atWeChat, Description: "测试小店-咖啡",
		ProductID: "1001", TimeStart: now, TimeExpire: now.Add(time.Hour), NotifyURL: "http://127.0.0.1:1/n"})
	if err != nil {
		r.t.Fatal(err)
	}
	o, err := r.st.Update(no, func(o *app.Order) error {
		o.CodeURL, o.QRIssuedAt = qr.CodeURL, now
		return o.Move(app.StateAwaiting, app.SourceUnifiedOrder, now, "QR issued")
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

// paid has the customer pay o; heard says whether the kiosk learned of it.
func (r *reconRig) paid(o app.Order, heard bool) string {
	r.t.Helper()
	res, err := r.sim.Scan(context.Background(), wxsim.ScanRequest{URL: o.CodeURL})
	if err != nil {
		r.t.Fatal(err)
	}
	if heard {
		p, err := r.pay.Query(context.Background(), o.OutTradeNo)
		if err != nil {
			r.t.Fatal(err)
		}
		_, _, err = r.st.Confirm(app.Confirmation{OutTradeNo: o.OutTradeNo, TransactionID: p.TransactionID, TotalFee: p.Total,
			TimeEnd: p.PaidAt, Source: app.SourceQuery}, r.clock.Now())
		if err != nil {
			r.t.Fatal(err)
		}
	}
	return res.TransactionID
}

// sale is a sale the kiosk made and heard of.
func (r *reconRig) sale(total app.Fen) app.Order {
	r.t.Helper()
	o := r.placed(total)
	r.paid(o, true)
	return r.order(o.OutTradeNo)
}

func (r *reconRig) order(no string) app.Order {
	r.t.Helper()
	o, err := r.st.Get(no)
	if err != nil {
		r.t.Fatal(err)
	}
	return o
}

func diffOf(rec app.Reconciliation, no string) (app.Diff, bool) {
	for _, d := range rec.Diffs {
		if d.OutTradeNo == no {
			return d, true
		}
	}
	return app.Diff{}, false
}

func TestReconcilerMatchesADayAgainstTheSimulator(t *testing.T) {
	r := newReconRig(t, at(9, 0))
	ctx := context.Background()
	good := r.sale(3800)

	// A sale whose notification and queries were all lost: paid at
	// WeChat, awaiting in the ledger.
	lost := r.placed(1800)
	lostTx := r.paid(lost, false)

	// A sale the ledger never had (a ledger restored from an older backup).
	const ghost = "K1GHOST0001"
	qr, err := r.pay.PlaceQR(ctx, app.QROrder{OutTradeNo: ghost, Total: 990, Description: "测试小店-咖啡", ProductID: "1001",
		TimeStart: r.clock.Now(), TimeExpire: r.clock.Now().Add(time.Hour), NotifyURL: "http://127.0.0.1:1/n"})
	if err != nil {
		t.Fatal(err)
	}
	ghostRes, err := r.sim.Scan(ctx, wxsim.ScanRequest{URL: qr.CodeURL})
	if err != nil {
		t.Fatal(err)
	}

	// An order in the ledger that WeChat never had.
	never := r.placed(500)
	if _, _, err := r.st.Confirm(app.Confirmation{OutTradeNo: never.OutTradeNo, TransactionID: "4200000000NEVER", TotalFee: 500,
		TimeEnd: r.clock.Now(), Source: app.SourceQuery}, r.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// An amount mismatch: WeChat was asked for 3700, the ledger says 3800.
	odd := r.placedAs(3800, 3700)
	oddTx := r.paid(odd, false)
	if _, err := r.st.Update(odd.OutTradeNo, func(o *app.Order) error {
		_, err := o.Confirm(app.Confirmation{OutTradeNo: o.OutTradeNo, TransactionID: oddTx, TotalFee: 3700, TimeEnd: r.clock.Now(),
			Source: app.SourceNotification}, r.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// A refund made in the merchant platform, not at the kiosk.
	if _, err := r.pay.Refund(ctx, app.RefundRequest{OutTradeNo: good.OutTradeNo, OutRefundNo: "PLATFORM-R1", Total: 3800, Amount: 800}); err != nil {
		t.Fatal(err)
	}
	r.sim.SettleRefunds()

	r.clock.Set(time.Date(2026, 11, 21, 10, 0, 0, 0, wxpay.Shanghai()))
	rec, err := r.reconciler("").Day(ctx, recDay)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a sale whose notification and queries were all lost is confirmed and flagged", func(t *testing.T) {
		d, _ := diffOf(rec, lost.OutTradeNo)
		o := r.order(lost.OutTradeNo)
		if d.Kind != app.DiffUnpaidInLedger || d.Action != app.ActionConfirmed || o.State != app.StatePaid ||
			o.Flag != app.FlagFoundByReconciliation || o.TransactionID != lostTx {
			t.Errorf("diff %+v; order %s flag %q tx %s", d, o.State, o.Flag, o.TransactionID)
		}
	})
	t.Run("a sale the ledger never had is added, paid and flagged", func(t *testing.T) {
		d, _ := diffOf(rec, ghost)
		o := r.order(ghost)
		if d.Kind != app.DiffOnlyAtWeChat || d.Action != app.ActionAdded || o.State != app.StatePaid || o.Total != 990 ||
			o.Flag != app.FlagFoundByReconciliation || o.TransactionID != ghostRes.TransactionID || len(o.Events) == 0 {
			t.Errorf("diff %+v; order %+v", d, o)
		}
		flagged, _ := r.st.Flagged()
		if len(flagged) < 2 {
			t.Errorf("the found sales are not in the attention list: %d flagged", len(flagged))
		}
	})
	t.Run("an order WeChat never had is the ledger's only", func(t *testing.T) {
		if d, _ := diffOf(rec, never.OutTradeNo); d.Kind != app.DiffOnlyInLedger || d.Ledger != 500 {
			t.Errorf("diff %+v", d)
		}
	})
	t.Run("an amount mismatch is reported, not confirmed", func(t *testing.T) {
		d, _ := diffOf(rec, odd.OutTradeNo)
		if d.Kind != app.DiffAmount || d.Ledger != 3800 || d.WeChat != 3700 || r.order(odd.OutTradeNo).State.Paid() {
			t.Errorf("diff %+v", d)
		}
	})
	t.Run("a refund only at WeChat is reported", func(t *testing.T) {
		var found bool
		for _, d := range rec.Diffs {
			found = found || (d.Kind == app.DiffRefundOnlyAtWeChat && d.OutRefundNo == "PLATFORM-R1" && d.WeChat == 800)
		}
		if !found {
			t.Errorf("diffs %+v", rec.Diffs)
		}
	})
	t.Run("the sale that agrees is no difference", func(t *testing.T) {
		if d, ok := diffOf(rec, good.OutTradeNo); ok && d.Kind != app.DiffRefundOnlyAtWeChat {
			t.Errorf("diff %+v", d)
		}
	})
	t.Run("the day's settlement adds up and is stored", func(t *testing.T) {
		gross := app.Fen(3800 + 1800 + 990 + 3700)
		fees := app.Fen(23+11+6+22) - 5 // the refund returns 4.8 → 5 fen
		if rec.Gross != gross || rec.Refunds != 800 || rec.Fees != fees || rec.Net != gross-800-fees || rec.Orders != 4 {
			t.Errorf("gross %s refunds %s fees %s net %s orders %d", rec.Gross, rec.Refunds, rec.Fees, rec.Net, rec.Orders)
		}
		got, err := r.st.Reconciliation(recDay)
		if err != nil || got.State != app.Differences || len(got.Diffs) != len(rec.Diffs) || !got.CheckedAt.Equal(r.clock.Now()) {
			t.Errorf("stored %+v, %v", got, err)
		}
	})
	t.Run("reconciling again finds the fixed sales agreeing", func(t *testing.T) {
		again, err := r.reconciler("").Day(ctx, recDay)
		if err != nil {
			t.Fatal(err)
		}
		for _, no := range []string{lost.OutTradeNo, ghost} {
			if d, ok := diffOf(again, no); ok {
				t.Errorf("%s still differs: %+v", no, d)
			}
		}
	})
}

// waiting waits until the reconciler waits on its clock and returns for
// how long.
func (r *reconRig) waiting() time.Duration {
	r.t.Helper()
	select {
	case d := <-r.spy.afters:
		return d
	case <-time.After(20 * time.Second):
		r.t.Fatal("the reconciler never waited on its clock")
	}
	return 0
}

func TestReconcilerRunsOnItsOwn(t *testing.T) {
	t.Run("three missed days are caught up, a day without trade among them", func(t *testing.T) {
		r := newReconRig(t, at(9, 0))
		day1 := r.sale(990)
		r.clock.Set(at(9, 0).AddDate(0, 0, 2)) // the 21st passes without a sale
		day3 := r.sale(1800)
		r.clock.Set(at(9, 0).AddDate(0, 0, 4)) // the kiosk was off on the 23rd morning
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.reconciler("").Run(ctx) }()
		if d := r.waiting(); d != time.Hour { // caught up to the 22nd; next bill at 10:00
			t.Errorf("waits %s, want 1h until 10:00", d)
		}
		for i, day := range []app.Day{"2026-11-20", "2026-11-21", "2026-11-22"} {
			rec, err := r.st.Reconciliation(day)
			if err != nil || rec.State != app.Reconciled {
				t.Errorf("day %d (%s): %+v, %v", i+1, day, rec, err)
			}
		}
		if rec, _ := r.st.Reconciliation("2026-11-21"); rec.Orders != 0 || rec.Gross != 0 {
			t.Errorf("the day without trade: %+v", rec)
		}
		if rec, _ := r.st.Reconciliation("2026-11-22"); rec.Gross != day3.Total {
			t.Errorf("the 22nd: gross %s, want %s", rec.Gross, day3.Total)
		}
		r.clock.Advance(time.Hour) // 10:00 on the 24th: the 23rd's bill
		r.waiting()
		if rec, err := r.st.Reconciliation("2026-11-23"); err != nil || rec.State != app.Reconciled {
			t.Errorf("the 23rd: %+v, %v", rec, err)
		}
		if _, err := r.st.Reconciliation("2026-11-19"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("before the first sale: %v", err)
		}
		_ = day1
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	})
	t.Run("a bill not yet published is asked for again after a backoff", func(t *testing.T) {
		r := newReconRig(t, at(9, 0))
		r.sale(990)
		r.bills.notReady.Store(2)
		r.clock.Set(time.Date(2026, 11, 21, 10, 0, 0, 0, wxpay.Shanghai()))
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go func() { _ = r.reconciler("").Run(ctx) }()
		if d := r.waiting(); d != 5*time.Minute {
			t.Errorf("first retry in %s, want 5m", d)
		}
		if _, err := r.st.Reconciliation(recDay); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("stored before the bill came: %v", err)
		}
		r.clock.Advance(5 * time.Minute)
		if d := r.waiting(); d != 10*time.Minute {
			t.Errorf("second retry in %s, want 10m (doubled)", d)
		}
		r.clock.Advance(10 * time.Minute)
		r.waiting()
		if rec, err := r.st.Reconciliation(recDay); err != nil || rec.State != app.Reconciled || rec.Orders != 1 {
			t.Errorf("after the bill came: %+v, %v", rec, err)
		}
		if n := r.bills.calls.Load(); n != 3 {
			t.Errorf("asked %d times, want 3", n)
		}
	})
	t.Run("a ledger without activity asks for nothing", func(t *testing.T) {
		r := newReconRig(t, at(12, 0))
		if err := r.reconciler("").CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := r.bills.calls.Load(); n != 0 {
			t.Errorf("asked %d times", n)
		}
	})
	t.Run("a configured first day is reconciled though the ledger is empty", func(t *testing.T) {
		r := newReconRig(t, time.Date(2026, 11, 22, 12, 0, 0, 0, wxpay.Shanghai()))
		if err := r.reconciler("2026-11-20").CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		if recs, err := r.st.Reconciliations("2026-11-01", "2026-11-30"); err != nil || len(recs) != 2 {
			t.Errorf("%d days stored, want the 20th and 21st: %v", len(recs), err)
		}
	})
}

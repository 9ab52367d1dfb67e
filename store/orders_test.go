package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

var allStates = []app.State{app.StateCreated, app.StateAwaiting, app.StatePaid, app.StateCancelPending,
	app.StateClosed, app.StateExpired, app.StatePaidAfterCancel, app.StatePartiallyRefunded, app.StateRefunded}

// orderIn stores an order already in state st.
func orderIn(t *testing.T, s *Store, no string, st app.State) {
	t.Helper()
	o := newOrder(no, at(10, 0))
	o.State = st
	if st.Paid() {
		o.TransactionID, o.PaidAt = "TX"+no, at(10, 1)
	}
	if err := s.putOrders([]app.Order{o}); err != nil {
		t.Fatal(err)
	}
}

func TestEveryTransitionThroughUpdate(t *testing.T) {
	s := mustOpenStore(t)
	n := 0
	for _, from := range allStates {
		for _, to := range allStates {
			legal := app.CanTransition(from, to)
			name := fmt.Sprintf("%s to %s is refused", from, to)
			if legal {
				name = fmt.Sprintf("%s to %s is saved", from, to)
			}
			t.Run(name, func(t *testing.T) {
				n++
				no := fmt.Sprintf("T%d", n)
				orderIn(t, s, no, from)
				before, _ := s.Get(no)
				got, err := s.Update(no, func(o *app.Order) error {
					if to.Paid() && !from.Paid() {
						o.TransactionID = "TX" + no
					}
					return o.Move(to, app.SourceSystem, at(11, 0), "test")
				})
				after, gerr := s.Get(no)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if legal {
					if err != nil || got.State != to || after.State != to || len(after.Events) != len(before.Events)+1 {
						t.Fatalf("got %v, %s, stored %s", err, got.State, after.State)
					}
					return
				}
				if !errors.Is(err, app.ErrIllegalTransition) {
					t.Fatalf("got %v, want ErrIllegalTransition", err)
				}
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("refused move changed the order")
				}
			})
		}
	}
	mustCheck(t, s)
}

func TestUpdateRefusesWhatAppWouldNot(t *testing.T) {
	cases := []struct {
		name string
		fn   func(o *app.Order)
		want error
	}{
		{"setting the state straight to refunded is illegal", func(o *app.Order) { o.State = app.StateRefunded }, app.ErrIllegalTransition},
		{"changing the out_trade_no is refused", func(o *app.Order) { o.OutTradeNo = "X1" }, ErrInvalid},
		{"rewriting history is refused", func(o *app.Order) { o.Events = nil }, ErrInvalid},
		{"a paid state without a transaction id is refused", func(o *app.Order) { o.State = app.StatePaid }, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustOpenStore(t)
			o := newOrder("K1A", at(10, 0))
			mustCreate(t, s, o)
			if _, err := s.Update(o.OutTradeNo, func(o *app.Order) error {
				return o.Move(app.StateAwaiting, app.SourceUnifiedOrder, at(10, 1), "qr")
			}); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Get(o.OutTradeNo)
			_, err := s.Update(o.OutTradeNo, func(o *app.Order) error { c.fn(o); return nil })
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			after, _ := s.Get(o.OutTradeNo)
			if !reflect.DeepEqual(before, after) {
				t.Fatal("refused update changed the order")
			}
		})
	}
}

func TestCreate(t *testing.T) {
	s := mustOpenStore(t)
	o := newOrder("K1B", at(10, 0))
	mustCreate(t, s, o)
	if err := s.Create(o); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	bad := newOrder("K1C", at(10, 0))
	bad.Total++
	if err := s.Create(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("total not matching lines: got %v, want ErrInvalid", err)
	}
	bad = newOrder("bad no!", at(10, 0))
	if err := s.Create(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad out_trade_no: got %v, want ErrInvalid", err)
	}
	if _, err := s.Get("K1C"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("refused order was stored: %v", err)
	}
	opens, err := s.OpenOrders()
	if err != nil || len(opens) != 1 {
		t.Fatalf("open orders: %d, %v", len(opens), err)
	}
}

func TestConfirmations(t *testing.T) {
	s := mustOpenStore(t)
	paid := mustPaid(t, s, "K1P", at(10, 0))

	t.Run("the same transaction twice is already paid and changes nothing", func(t *testing.T) {
		got, outcome, err := s.Confirm(paidConfirmation(paid, "TXK1P", at(10, 0)), at(10, 5))
		if err != nil || outcome != app.AlreadyPaid {
			t.Fatalf("got %v, %v", outcome, err)
		}
		if !reflect.DeepEqual(got, paid) || dayIndexCount(t, s, paid.OutTradeNo) != 1 {
			t.Fatal("duplicate confirmation changed the order or the index")
		}
	})
	t.Run("a second transaction is flagged and is not a second sale", func(t *testing.T) {
		got, outcome, err := s.Confirm(paidConfirmation(paid, "TXOTHER", at(10, 0)), at(10, 6))
		if err != nil || outcome != app.ConflictingPayment || got.Flag != app.FlagConflictingPayment || got.TransactionID != "TXK1P" {
			t.Fatalf("got %v, %+v, %v", outcome, got.Flag, err)
		}
		sum, _ := s.Summary("2026-11-22", "2026-11-22")
		if sum.Sales != 1 || sum.Flagged != 1 {
			t.Fatalf("summary: %d sales, %d flagged", sum.Sales, sum.Flagged)
		}
	})
	t.Run("an amount mismatch saves the flag but makes no sale", func(t *testing.T) {
		o := newOrder("K1M", at(11, 0))
		mustCreate(t, s, o)
		c := paidConfirmation(o, "TXM", at(11, 1))
		c.TotalFee = 1
		got, outcome, err := s.Confirm(c, at(11, 1))
		if err != nil || outcome != app.AmountMismatch || got.State != app.StateCreated || got.Flag != app.FlagAmountMismatch {
			t.Fatalf("got %v, %+v, %v", outcome, got, err)
		}
		flagged, _ := s.Flagged()
		if len(flagged) != 2 || flagged[0].OutTradeNo != "K1M" {
			t.Fatalf("flagged: %v", flagged)
		}
		sum, _ := s.Summary("2026-11-22", "2026-11-22")
		if sum.Sales != 1 || sum.Flagged != 2 {
			t.Fatalf("summary: %d sales, %d flagged", sum.Sales, sum.Flagged)
		}
	})
	t.Run("paid after cancel is a flagged sale the owner sees", func(t *testing.T) {
		o := newOrder("K1X", at(12, 0))
		mustCreate(t, s, o)
		if _, err := s.Update(o.OutTradeNo, func(o *app.Order) error {
			return o.Move(app.StateClosed, app.SourceCashier, at(12, 1), "cancel")
		}); err != nil {
			t.Fatal(err)
		}
		got, outcome, err := s.Confirm(paidConfirmation(o, "TXX", at(12, 5)), at(12, 5))
		if err != nil || outcome != app.ConfirmedAfterCancel || got.State != app.StatePaidAfterCancel {
			t.Fatalf("got %v, %v, %v", outcome, got.State, err)
		}
		sum, _ := s.Summary("2026-11-22", "2026-11-22")
		if sum.Sales != 2 || sum.ByState[app.StatePaidAfterCancel] != 1 || sum.ByState[app.StateClosed] != 0 {
			t.Fatalf("summary: %+v", sum)
		}
		if dayIndexCount(t, s, "K1X") != 1 {
			t.Fatal("paid-after-cancel order indexed more than once")
		}
	})
	t.Run("an unknown order is not found", func(t *testing.T) {
		_, _, err := s.Confirm(app.Confirmation{OutTradeNo: "NOPE", TransactionID: "T"}, at(13, 0))
		if !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	mustCheck(t, s)
}

func TestRefunds(t *testing.T) {
	s := mustOpenStore(t)
	o := mustPaid(t, s, "K1R", at(10, 0))
	got, err := s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "R1", Amount: 1000, State: app.RefundSucceeded}, at(11, 0))
	if err != nil || got.State != app.StatePartiallyRefunded {
		t.Fatalf("partial refund: %v, %v", got.State, err)
	}
	if _, err := s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "R1", Amount: 1000}, at(11, 1)); err != nil {
		t.Fatalf("same refund again: %v", err)
	}
	before, _ := s.Get(o.OutTradeNo)
	_, err = s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "R2", Amount: o.Total}, at(11, 2))
	if !errors.Is(err, app.ErrRefundTooLarge) {
		t.Fatalf("refund above paid: got %v, want ErrRefundTooLarge", err)
	}
	after, _ := s.Get(o.OutTradeNo)
	if !reflect.DeepEqual(before, after) || after.Refunded() != 1000 {
		t.Fatal("refused refund changed the order")
	}
	if _, err := s.SetRefundState(o.OutTradeNo, "R1", "WXR1", app.RefundFailed, at(12, 0)); !errors.Is(err, app.ErrRefundFinal) {
		t.Fatalf("a succeeded refund turned failed: %v", err)
	}
	if _, err := s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "R4", Amount: 500}, at(12, 1)); err != nil {
		t.Fatal(err)
	}
	got, err = s.SetRefundState(o.OutTradeNo, "R4", "WXR4", app.RefundFailed, at(12, 2))
	if err != nil || got.Refunded() != 1000 || got.RefundPending() != 0 || got.State != app.StatePartiallyRefunded {
		t.Fatalf("failed refund: refunded %v pending %v %s, %v", got.Refunded(), got.RefundPending(), got.State, err)
	}
	if _, err := s.SetRefundState(o.OutTradeNo, "R1", "", "bogus", at(12, 0)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bogus refund state: %v", err)
	}
	notPaid := newOrder("K1N", at(10, 0))
	mustCreate(t, s, notPaid)
	if _, err := s.AddRefund("K1N", app.Refund{OutRefundNo: "R3", Amount: 1}, at(12, 0)); !errors.Is(err, app.ErrNotPaid) {
		t.Fatalf("refund of unpaid order: %v", err)
	}
	mustCheck(t, s)
}

func TestBusinessDayBoundary(t *testing.T) {
	s := mustOpenStore(t)
	mustPaid(t, s, "K1LATE", time.Date(2026, 11, 23, 2, 0, 0, 0, shanghai))
	mustPaid(t, s, "K1EARLY", time.Date(2026, 11, 23, 4, 0, 0, 0, shanghai))
	sat, _ := s.Summary("2026-11-22", "2026-11-22")
	sun, _ := s.Summary("2026-11-23", "2026-11-23")
	if sat.Sales != 1 || sun.Sales != 1 {
		t.Fatalf("a 02:00 sale belongs to the previous day: 22nd %d, 23rd %d", sat.Sales, sun.Sales)
	}
	orders, _ := s.DayOrders("2026-11-22", "2026-11-22")
	if len(orders) != 1 || orders[0].OutTradeNo != "K1LATE" {
		t.Fatalf("day orders of the 22nd: %v", orders)
	}
	if sat.ByHour[2] != sat.Gross {
		t.Fatalf("by hour uses the clock hour: %v", sat.ByHour)
	}
}

func TestSummaryOfAKnownDay(t *testing.T) {
	s := mustOpenStore(t)
	a := mustPaid(t, s, "K1S1", at(9, 10))  // 4600
	b := mustPaid(t, s, "K1S2", at(12, 30)) // 4600
	if _, err := s.AddRefund(b.OutTradeNo, app.Refund{OutRefundNo: "RB", Amount: 1000, State: app.RefundSucceeded}, at(13, 0)); err != nil {
		t.Fatal(err)
	}
	closed := newOrder("K1S3", at(14, 0))
	mustCreate(t, s, closed)
	if _, err := s.Update("K1S3", func(o *app.Order) error {
		return o.Move(app.StateClosed, app.SourceCashier, at(14, 1), "cancel")
	}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, newOrder("K1S4", at(15, 0))) // still open: not in the report
	mustPaid(t, s, "K1S5", at(12, 0).AddDate(0, 0, 1))

	got, err := s.Summary("2026-11-22", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sales != 3 || got.Gross != 13800 || got.Refunds != 1000 || got.Net != 12800 || got.Flagged != 0 {
		t.Fatalf("totals: %+v", got)
	}
	wantDays := []app.DayTotal{{Day: "2026-11-22", Sales: 2, Gross: 9200, Refunds: 1000, Net: 8200}, {Day: "2026-11-23", Sales: 1, Gross: 4600, Net: 4600}}
	if !reflect.DeepEqual(got.Days, wantDays) {
		t.Fatalf("days: %+v", got.Days)
	}
	wantProducts := []app.ProductTotal{{ProductID: "1001", Name: "美式咖啡", Qty: 6, Amount: 10800}, {ProductID: "2001", Name: "牛角面包", Qty: 3, Amount: 3000}}
	if !reflect.DeepEqual(got.ByProduct, wantProducts) {
		t.Fatalf("products: %+v", got.ByProduct)
	}
	if got.ByHour[9] != a.Total || got.ByHour[12] != 9200 {
		t.Fatalf("by hour: %v", got.ByHour)
	}
	wantStates := map[app.State]int{app.StatePaid: 2, app.StatePartiallyRefunded: 1, app.StateClosed: 1}
	if !reflect.DeepEqual(got.ByState, wantStates) {
		t.Fatalf("by state: %v", got.ByState)
	}
	for _, c := range []struct{ from, to app.Day }{{"2026-11-23", "2026-11-22"}, {"yesterday", "2026-11-22"}, {"2000-01-01", "2026-01-01"}} {
		if _, err := s.Summary(c.from, c.to); !errors.Is(err, ErrInvalid) {
			t.Fatalf("range %s..%s: got %v, want ErrInvalid", c.from, c.to, err)
		}
	}
	mustCheck(t, s)
}

func TestChangingTheDayBoundaryRebuildsTheIndex(t *testing.T) {
	path := t.TempDir() + "/" + LedgerFile
	s := mustOpenPath(t, path)
	mustPaid(t, s, "K1B1", time.Date(2026, 11, 23, 2, 0, 0, 0, shanghai))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{Location: shanghai}) // midnight boundary
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	sum, _ := s2.Summary("2026-11-23", "2026-11-23")
	if sum.Sales != 1 {
		t.Fatalf("with a midnight boundary the 02:00 sale is on the 23rd: %+v", sum)
	}
	mustCheck(t, s2)
}

func TestDayOrdersAreNewestFirstWithHistory(t *testing.T) {
	s := mustOpenStore(t)
	mustPaid(t, s, "K1D1", at(9, 0))
	mustPaid(t, s, "K1D2", at(11, 0))
	mustCreate(t, s, newOrder("K1D3", at(12, 0))) // open: not listed
	got, err := s.DayOrders("2026-11-22", "2026-11-22")
	if err != nil || len(got) != 2 || got[0].OutTradeNo != "K1D2" || got[1].OutTradeNo != "K1D1" || len(got[0].Events) == 0 {
		t.Fatalf("day orders: %v, %v", got, err)
	}
}

func TestGetRefusesHostileOutTradeNos(t *testing.T) {
	s := mustOpenStore(t)
	for _, no := range []string{"", "K1\x00", strings.Repeat("9", 33), "../../etc", "订单"} {
		t.Run(fmt.Sprintf("%q is invalid", no), func(t *testing.T) {
			if _, err := s.Get(no); !errors.Is(err, ErrInvalid) {
				t.Fatalf("get: %v", err)
			}
			if _, err := s.Update(no, func(*app.Order) error { return nil }); !errors.Is(err, ErrInvalid) {
				t.Fatalf("update: %v", err)
			}
		})
	}
}

func TestCheckFindsABrokenIndex(t *testing.T) {
	s := mustOpenStore(t)
	mustPaid(t, s, "K1C1", at(9, 0))
	mustCheck(t, s)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDays).Put(dayKey("2026-11-22", at(9, 30), "K1GHOST"), []byte("{}"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}

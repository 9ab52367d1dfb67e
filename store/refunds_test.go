package store

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

// dayRefunds is one business day's refund figures in a summary.
type dayRefunds struct {
	Gross, Refunds, Pending, Net app.Fen
}

func TestRefundsCountOnTheDayTheyWereAskedFor(t *testing.T) {
	sale := at(12, 0) // 2026-11-22, 4600
	nextDay := func(h, m int) time.Time { return at(h, m).AddDate(0, 0, 1) }
	cases := []struct {
		name   string
		asked  time.Time
		states []app.RefundState // news applied in order after the refund is asked for
		want   [3]dayRefunds     // 22nd, 23rd, 24th
	}{
		{
			name:   "a refund succeeded the next day counts on the next day",
			asked:  nextDay(10, 0),
			states: []app.RefundState{app.RefundSucceeded},
			want:   [3]dayRefunds{{Gross: 4600, Net: 4600}, {Refunds: 1000, Net: -1000}, {}},
		},
		{
			name:   "a refund asked for the same day counts on the sale's day",
			asked:  at(13, 0),
			states: []app.RefundState{app.RefundSucceeded},
			want:   [3]dayRefunds{{Gross: 4600, Refunds: 1000, Net: 3600}, {}, {}},
		},
		{
			name:   "a refund asked for at 02:00 belongs to the previous business day",
			asked:  nextDay(2, 0),
			states: []app.RefundState{app.RefundSucceeded},
			want:   [3]dayRefunds{{Gross: 4600, Refunds: 1000, Net: 3600}, {}, {}},
		},
		{
			name:  "a pending refund is shown apart and not subtracted from net",
			asked: nextDay(10, 0),
			want:  [3]dayRefunds{{Gross: 4600, Net: 4600}, {Pending: 1000}, {}},
		},
		{
			name:   "a processing refund is pending",
			asked:  nextDay(10, 0),
			states: []app.RefundState{app.RefundProcessing},
			want:   [3]dayRefunds{{Gross: 4600, Net: 4600}, {Pending: 1000}, {}},
		},
		{
			name:   "an abnormal refund is pending",
			asked:  nextDay(10, 0),
			states: []app.RefundState{app.RefundProcessing, app.RefundChange},
			want:   [3]dayRefunds{{Gross: 4600, Net: 4600}, {Pending: 1000}, {}},
		},
		{
			name:   "a failed refund counts nowhere",
			asked:  nextDay(10, 0),
			states: []app.RefundState{app.RefundProcessing, app.RefundFailed},
			want:   [3]dayRefunds{{Gross: 4600, Net: 4600}, {}, {}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustOpenStore(t)
			o := mustPaid(t, s, "K1RD", sale)
			if _, err := s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "K1RD-R1", Amount: 1000}, c.asked); err != nil {
				t.Fatal(err)
			}
			for i, st := range c.states {
				// News arrives on the 24th: the refund still counts when asked for.
				if _, err := s.SetRefundState(o.OutTradeNo, "K1RD-R1", "WX1", st, nextDay(10, i).AddDate(0, 0, 1)); err != nil {
					t.Fatal(err)
				}
			}
			mustCheck(t, s)
			sum, err := s.Summary("2026-11-22", "2026-11-24")
			if err != nil {
				t.Fatal(err)
			}
			var total dayRefunds
			for i, d := range sum.Days {
				got := dayRefunds{Gross: d.Gross, Refunds: d.Refunds, Pending: d.RefundsPending, Net: d.Net}
				if got != c.want[i] {
					t.Errorf("%s: got %+v, want %+v", d.Day, got, c.want[i])
				}
				total.Gross += c.want[i].Gross
				total.Refunds += c.want[i].Refunds
				total.Pending += c.want[i].Pending
				total.Net += c.want[i].Net
			}
			got := dayRefunds{Gross: sum.Gross, Refunds: sum.Refunds, Pending: sum.RefundsPending, Net: sum.Net}
			if got != total {
				t.Errorf("range: got %+v, want %+v", got, total)
			}
			// Each day on its own agrees with its line in the range.
			for i, d := range sum.Days {
				one, err := s.Summary(d.Day, d.Day)
				if err != nil {
					t.Fatal(err)
				}
				got := dayRefunds{Gross: one.Gross, Refunds: one.Refunds, Pending: one.RefundsPending, Net: one.Net}
				if got != c.want[i] {
					t.Errorf("summary of %s alone: got %+v, want %+v", d.Day, got, c.want[i])
				}
			}
		})
	}
}

func TestRefundsOfManyOrdersAddUpByDay(t *testing.T) {
	s := mustOpenStore(t)
	a := mustPaid(t, s, "K1M1", at(9, 0))
	b := mustPaid(t, s, "K1M2", at(10, 0).AddDate(0, 0, 1))
	steps := []struct {
		no, refund string
		amount     app.Fen
		asked      time.Time
		final      app.RefundState // "" leaves it pending
	}{
		{a.OutTradeNo, "K1M1-R1", 600, at(9, 30), app.RefundSucceeded},
		{a.OutTradeNo, "K1M1-R2", 400, at(11, 0).AddDate(0, 0, 1), app.RefundSucceeded},
		{b.OutTradeNo, "K1M2-R1", 4600, at(12, 0).AddDate(0, 0, 1), app.RefundFailed},
		{b.OutTradeNo, "K1M2-R2", 300, at(13, 0).AddDate(0, 0, 1), ""},
	}
	for _, st := range steps {
		if _, err := s.AddRefund(st.no, app.Refund{OutRefundNo: st.refund, Amount: st.amount}, st.asked); err != nil {
			t.Fatal(err)
		}
		if st.final != "" {
			if _, err := s.SetRefundState(st.no, st.refund, "", st.final, st.asked.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustCheck(t, s)
	sum, err := s.Summary("2026-11-22", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	want := []app.DayTotal{
		{Day: "2026-11-22", Sales: 1, Gross: 4600, Refunds: 600, Net: 4000},
		{Day: "2026-11-23", Sales: 1, Gross: 4600, Refunds: 400, RefundsPending: 300, Net: 4200},
	}
	if !reflect.DeepEqual(sum.Days, want) {
		t.Fatalf("days: %+v", sum.Days)
	}
	if sum.Refunds != 1000 || sum.RefundsPending != 300 || sum.Net != 8200 {
		t.Fatalf("range: refunds %s pending %s net %s", sum.Refunds, sum.RefundsPending, sum.Net)
	}
}

func TestVersion2FileGetsTheRefundDayIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	s := mustOpenPath(t, path)
	o := mustPaid(t, s, "K1V2", at(12, 0))
	if _, err := s.AddRefund(o.OutTradeNo, app.Refund{OutRefundNo: "K1V2-R1", Amount: 1000, State: app.RefundSucceeded}, at(10, 0).AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	// Make it the version-2 layout: no refund-day index.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketRefundDays); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(2))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNeedsUpgrade) {
		t.Fatalf("read-only open of version 2: got %v, want ErrNeedsUpgrade", err)
	}
	s = mustOpenPath(t, path)
	mustCheck(t, s)
	sum, err := s.Summary("2026-11-23", "2026-11-23")
	if err != nil || sum.Refunds != 1000 || sum.Net != -1000 {
		t.Fatalf("refund day after migration: %+v, %v", sum, err)
	}
	var v uint64
	_ = s.db.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	if v != SchemaVersion {
		t.Fatalf("schema after migration = %d, want %d", v, SchemaVersion)
	}
}

func TestCheckFindsAStrayRefundDayKey(t *testing.T) {
	s := mustOpenStore(t)
	mustPaid(t, s, "K1C2", at(9, 0))
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRefundDays).Put(dayKey("2026-11-22", at(9, 30), "K1GHOST-R1"), []byte(`{"o":"K1GHOST","a":1,"s":"success"}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}

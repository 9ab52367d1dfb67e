package store

import (
	"errors"
	"path/filepath"
	"testing"

	"saoma/app"
)

func TestReconciliationsAreStoredPerDay(t *testing.T) {
	s := mustOpenStore(t)
	t.Run("a ledger never reconciled has no day and an empty range", func(t *testing.T) {
		if _, err := s.Reconciliation("2026-11-20"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("error = %v, want ErrNotFound", err)
		}
		if got, err := s.Reconciliations("2026-11-01", "2026-11-30"); err != nil || len(got) != 0 {
			t.Errorf("%v, %v", got, err)
		}
	})
	days := []app.Reconciliation{
		{Day: "2026-11-21", State: app.Reconciled, Gross: 1000, Fees: 6, Net: 994, Orders: 1, CheckedAt: at(10, 0)},
		{Day: "2026-11-20", State: app.Differences, Diffs: []app.Diff{{Kind: app.DiffOnlyInLedger, OutTradeNo: "K1", Ledger: 500,
			Action: app.ActionCheckPlatform}}, CheckedAt: at(10, 0)},
		{Day: "2026-12-01", State: app.Reconciled},
	}
	for _, r := range days {
		if err := s.SaveReconciliation(r); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("a day reads back as saved", func(t *testing.T) {
		got, err := s.Reconciliation("2026-11-21")
		if err != nil || got.Net != 994 || got.State != app.Reconciled || !got.CheckedAt.Equal(at(10, 0)) {
			t.Errorf("%+v, %v", got, err)
		}
	})
	t.Run("a range lists its days oldest first", func(t *testing.T) {
		got, err := s.Reconciliations("2026-11-01", "2026-11-30")
		if err != nil || len(got) != 2 || got[0].Day != "2026-11-20" || got[1].Day != "2026-11-21" {
			t.Errorf("%+v, %v", got, err)
		}
	})
	t.Run("explaining the only difference reconciles the day", func(t *testing.T) {
		got, err := s.ExplainDifference("2026-11-20", 0, "owner: test sale, voided", at(20, 0))
		if err != nil || got.State != app.Reconciled {
			t.Fatalf("%+v, %v", got, err)
		}
		again, _ := s.Reconciliation("2026-11-20")
		if again.Diffs[0].Explained != "owner: test sale, voided" || again.State != app.Reconciled {
			t.Errorf("stored %+v", again)
		}
		if _, err := s.ExplainDifference("2026-11-20", 3, "x", at(20, 0)); !errors.Is(err, app.ErrNoDiff) {
			t.Errorf("a difference the day lacks: %v", err)
		}
		if _, err := s.ExplainDifference("2026-11-25", 0, "x", at(20, 0)); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("a day never reconciled: %v", err)
		}
	})
	t.Run("a malformed day is refused", func(t *testing.T) {
		if err := s.SaveReconciliation(app.Reconciliation{Day: "20261120"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("reconciliations survive a reopen and a read-only open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), LedgerFile)
		w := mustOpenPath(t, path)
		if err := w.SaveReconciliation(days[0]); err != nil {
			t.Fatal(err)
		}
		_ = w.Close()
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if got, err := ro.Reconciliation("2026-11-21"); err != nil || got.Gross != 1000 {
			t.Errorf("%+v, %v", got, err)
		}
	})
	mustCheck(t, s)
}

func TestBillOrdersCoverTheDayAndItsNeighbours(t *testing.T) {
	s := mustOpenStore(t) // 04:00 day boundary: 02:00 on the 22nd is the 21st's
	early := mustPaid(t, s, "K1-EARLY", at(2, 0))
	today := mustPaid(t, s, "K1-TODAY", at(12, 0))
	old := mustPaid(t, s, "K1-OLD", at(12, 0).AddDate(0, 0, -10))
	if _, err := s.AddRefund(old.OutTradeNo, app.Refund{OutRefundNo: "K1-OLD-R1", Amount: 100}, at(13, 0)); err != nil {
		t.Fatal(err)
	}
	mustPaid(t, s, "K1-FAR", at(12, 0).AddDate(0, 0, 5))
	waiting := newOrder("K1-WAIT", at(12, 30))
	mustCreate(t, s, waiting)

	got, err := s.BillOrders("2026-11-22")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, o := range got {
		if have[o.OutTradeNo] {
			t.Errorf("%s listed twice", o.OutTradeNo)
		}
		have[o.OutTradeNo] = true
	}
	for _, no := range []string{early.OutTradeNo, today.OutTradeNo, old.OutTradeNo, waiting.OutTradeNo} {
		if !have[no] {
			t.Errorf("%s missing from %v", no, have)
		}
	}
	if have["K1-FAR"] {
		t.Error("a sale five days later is listed")
	}
	if d, err := s.OldestDay(); err != nil || d != "2026-11-12" {
		t.Errorf("oldest day %q, %v", d, err)
	}
}

func TestAddFoundStoresAFlaggedPaidOrderOnce(t *testing.T) {
	s := mustOpenStore(t)
	paidAt := at(9, 0)
	found := app.Order{OutTradeNo: "K1-FOUND", Total: 990, State: app.StatePaid, Flag: app.FlagFoundByReconciliation,
		TransactionID: "4200FOUND", PaidAt: paidAt, CreatedAt: paidAt,
		Events: []app.Event{{At: at(10, 0), Source: app.SourceReconciliation, From: app.StateCreated, To: app.StatePaid, Note: "found"}}}
	if err := s.AddFound(found); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFound(found); !errors.Is(err, ErrExists) {
		t.Errorf("added twice: %v", err)
	}
	unpaid := found
	unpaid.OutTradeNo, unpaid.State = "K1-UNPAID", app.StateAwaiting
	unflagged := found
	unflagged.OutTradeNo, unflagged.Flag = "K1-UNFLAGGED", app.FlagNone
	for _, o := range []app.Order{unpaid, unflagged} {
		if err := s.AddFound(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", o.OutTradeNo, err)
		}
	}
	flagged, _ := s.Flagged()
	sum, _ := s.Summary("2026-11-22", "2026-11-22")
	if len(flagged) != 1 || sum.Gross != 990 || sum.Sales != 1 {
		t.Errorf("flagged %d, summary %+v", len(flagged), sum)
	}
	mustCheck(t, s)
}

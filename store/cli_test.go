package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saoma/app"
)

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenPath(t, LedgerPath(dir))
	mustPaid(t, s, "K1CLI1", at(10, 0))

	t.Run("a running kiosk is reported plainly", func(t *testing.T) {
		err := ExportCommand([]string{"-data", dir, "-date", "2026-11-22", "-o", filepath.Join(dir, "x.csv")}, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "Saoma is running and holds "+LedgerPath(dir)) {
			t.Fatalf("got %v", err)
		}
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("a day is exported to a file", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "day.xlsx")
		var stdout bytes.Buffer
		if err := ExportCommand([]string{"-data", dir, "-date", "2026-11-22", "-o", out}, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil || !bytes.HasPrefix(b, []byte("PK")) {
			t.Fatalf("want an xlsx (zip) file: %v", err)
		}
	})
	t.Run("a range is exported as CSV to stdout", func(t *testing.T) {
		var stdout bytes.Buffer
		if err := ExportCommand([]string{"-data", dir, "-from", "2026-11-21", "-to", "2026-11-22"}, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "K1CLI1") {
			t.Fatalf("stdout: %s", stdout.String())
		}
	})
	t.Run("a bad date changes nothing and says why", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "bad.csv")
		err := ExportCommand([]string{"-data", dir, "-date", "22/11/2026", "-o", out}, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("a failed export left a file")
		}
	})
	t.Run("a directory without a ledger is reported and no ledger is created", func(t *testing.T) {
		empty := t.TempDir()
		err := ExportCommand([]string{"-data", empty, "-date", "2026-11-22"}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "no ledger in "+empty) {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(LedgerPath(empty)); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("export created a ledger")
		}
	})
	t.Run("the demo ledger is found when only demo mode has run", func(t *testing.T) {
		top := t.TempDir()
		if err := os.MkdirAll(filepath.Join(top, "demo"), 0o700); err != nil {
			t.Fatal(err)
		}
		d := mustOpenPath(t, LedgerPath(filepath.Join(top, "demo")))
		mustPaid(t, d, "K1DEMO1", at(11, 0))
		d.Close()
		var stdout, stderr bytes.Buffer
		if err := ExportCommand([]string{"-data", top, "-date", "2026-11-22", "-lang", "en"}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "K1DEMO1") || !strings.Contains(stderr.String(), "demo ledger") {
			t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
		}
	})
}

func TestSeedDemoCommandIsDeterministicAndRealistic(t *testing.T) {
	var exports [2]string
	for i := range exports {
		dir := t.TempDir()
		var out bytes.Buffer
		if err := SeedDemoCommand([]string{"-data", dir, "-days", "3", "-per-day", "40", "-seed", "7"}, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		s := mustOpenPath(t, LedgerPath(dir))
		mustCheck(t, s)
		today := app.BusinessDay(time.Now(), 4*time.Hour, shanghai)
		sum, err := s.Summary(today.Add(-3), today)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Sales == 0 || sum.Refunds == 0 || sum.ByState[app.StateClosed] == 0 || sum.Flagged == 0 || sum.Days[0].Sales != 0 {
			t.Fatalf("demo trading lacks sales, refunds, cancels or a paid-after-cancel: %+v", sum)
		}
		// A kiosk starting on the demo ledger gets fresh numbers.
		no, err := s.NextOutTradeNo("K1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(no); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("next out_trade_no %s collides with demo data", no)
		}
		var buf bytes.Buffer
		if err := s.Export(&buf, today.Add(-2), today.Add(-1), app.ExportCSV); err != nil {
			t.Fatal(err)
		}
		exports[i] = buf.String()
	}
	if exports[0] != exports[1] {
		t.Fatal("the same seed gave different demo data")
	}
}

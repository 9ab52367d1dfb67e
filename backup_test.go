package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"saoma/app"
	"saoma/store"
)

func TestDailyBackupKeepsTwoWeeksAndRestores(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.LedgerPath(dir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutProduct(app.Product{ID: "1", Name: "水", Price: 300, Active: true}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var last string
	for i := range 20 {
		p, err := dailyBackup(st, dir, day.AddDate(0, 0, i))
		if err != nil {
			t.Fatal(err)
		}
		last = p
	}
	if again, _ := dailyBackup(st, dir, day.AddDate(0, 0, 19)); again != last {
		t.Errorf("second backup the same day went to %s", again)
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "backups", "ledger-*.db"))
	if len(files) != keepBackups {
		t.Errorf("%d backups kept, want %d", len(files), keepBackups)
	}
	if filepath.Base(files[0]) != "ledger-2026-11-07.db" {
		t.Errorf("oldest kept %s", files[0])
	}
	// A backup is a ledger: restore by copying it over.
	restored := t.TempDir()
	b, _ := os.ReadFile(last)
	os.WriteFile(store.LedgerPath(restored), b, 0o600)
	rs, err := store.Open(store.LedgerPath(restored), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if ps, _ := rs.Products(); len(ps) != 1 || ps[0].Name != "水" {
		t.Errorf("restored products %+v", ps)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync"
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

func TestBackupDailyTakesOneBackupEachDayWhileRunning(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.LedgerPath(dir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	waits := make(chan chan time.Time)
	after := func(time.Duration) <-chan time.Time {
		ch := make(chan time.Time, 1)
		waits <- ch
		return ch
	}
	reports := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		backupDaily(ctx, st, dir, clock, after, func(p string, err error) {
			if err != nil {
				t.Error(err)
			}
			reports <- filepath.Base(p)
		})
	}()
	for hour := 0; hour < 50; hour++ { // two days and a bit, an hour at a time
		w := <-waits
		mu.Lock()
		now = now.Add(time.Hour)
		mu.Unlock()
		w <- now
	}
	<-waits
	cancel()
	<-done
	close(reports)
	var got []string
	for r := range reports {
		got = append(got, r)
	}
	want := []string{"ledger-2026-11-01.db", "ledger-2026-11-02.db", "ledger-2026-11-03.db", "ledger-2026-11-04.db"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backups %v, want %v", got, want)
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"saoma/store"
)

// keepBackups is how many daily ledger backups the kiosk keeps.
const keepBackups = 14

// dailyBackup copies the ledger (hot, while selling) to
// DIR/backups/ledger-YYYY-MM-DD.db once a day and removes all but the newest
// keepBackups. A failed backup is reported, never fatal.
func dailyBackup(st *store.Store, dataDir string, now time.Time) (string, error) {
	dir := filepath.Join(dataDir, "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	path := filepath.Join(dir, "ledger-"+now.Format("2006-01-02")+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil // today's is done
	}
	if err := st.BackupFile(path); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "ledger-*.db"))
	sort.Strings(old)
	for len(old) > keepBackups {
		os.Remove(old[0])
		old = old[1:]
	}
	return path, nil
}

// backupDaily takes the day's backup now and checks again every hour until
// ctx ends, so a kiosk that stays up for days still gets one backup each
// day. report hears of each backup taken or failed.
func backupDaily(ctx context.Context, st *store.Store, dataDir string, now func() time.Time,
	after func(time.Duration) <-chan time.Time, report func(path string, err error)) {
	last := ""
	for {
		path, err := dailyBackup(st, dataDir, now())
		if err != nil || path != last {
			report(path, err)
		}
		if err == nil {
			last = path
		}
		select {
		case <-ctx.Done():
			return
		case <-after(time.Hour):
		}
	}
}

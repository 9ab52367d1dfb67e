package main

import (
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

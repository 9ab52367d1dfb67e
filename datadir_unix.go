//go:build !windows

package main

import (
	"os"
	"path/filepath"
)

// defaultDataDir is where the ledger lives unless -data says otherwise:
// $XDG_DATA_HOME/saoma or ~/.local/share/saoma.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "saoma")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "saoma")
	}
	return "saoma-data"
}

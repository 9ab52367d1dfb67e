//go:build windows

package main

import (
	"os"
	"path/filepath"
)

// defaultDataDir is where the ledger lives unless -data says otherwise:
// %LOCALAPPDATA%\Saoma. Local, not roaming (%APPDATA%): a roaming profile
// copies its files at logon and logoff, which a live database must not
// go through.
func defaultDataDir() string {
	if d := os.Getenv("LOCALAPPDATA"); d != "" {
		return filepath.Join(d, "Saoma")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Saoma")
	}
	return "saoma-data"
}

//go:build !linux

package ui

// systemDrives lists the removable drives mounted on this machine. Only
// Linux is known so far; elsewhere the export chooser offers the home and
// data folders (Windows drive letters are for later).
func systemDrives() []string { return nil }

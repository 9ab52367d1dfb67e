package ui

import "saoma/drives"

// systemDrives lists the removable drives (USB sticks, SD cards) an export
// can go to: mount points on Linux, drive letters on Windows.
func systemDrives() []string { return drives.Removable() }

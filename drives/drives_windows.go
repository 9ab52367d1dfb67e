//go:build windows

package drives

import "golang.org/x/sys/windows"

// Removable returns the roots of the removable drives, e.g. ["E:\"].
// USB hard disks report themselves as fixed drives and are not listed.
func Removable() []string {
	mask, err := windows.GetLogicalDrives()
	if err != nil {
		return nil
	}
	return removableLetters(mask, func(root string) uint32 {
		p, err := windows.UTF16PtrFromString(root)
		if err != nil {
			return 0
		}
		return windows.GetDriveType(p)
	})
}

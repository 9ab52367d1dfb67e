//go:build !windows

package drives

import "os"

// Removable returns the mount points of the removable drives, e.g.
// ["/media/shop/USBSTICK"], or none when the mounts table cannot be read.
func Removable() []string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil
	}
	defer f.Close()
	return removableMounts(f)
}

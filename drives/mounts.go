package drives

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// removableMounts returns the mount points in a mounts table
// (/proc/self/mounts) where desktops mount removable media: under /media/
// (udisks on Debian, usbmount) and /run/media/ (udisks elsewhere).
func removableMounts(r io.Reader) []string {
	var dirs []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		dir := unescapeMount(f[1])
		if strings.HasPrefix(dir, "/media/") || strings.HasPrefix(dir, "/run/media/") {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// unescapeMount undoes the octal escapes (\040 for a space) the kernel
// writes in mount points.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

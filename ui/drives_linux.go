package ui

import (
	"bufio"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// systemDrives lists the removable drives mounted on this Linux machine
// (USB sticks, SD cards), by their mount points: what udisks mounts under
// /media/<user> and /run/media/<user>, what usbmount mounts under /media,
// and what an installer mounted by hand under /mnt.
func systemDrives() []string {
	return mountedDrives("/proc/self/mounts", driveRoots())
}

// driveRoots are the folders Linux desktops mount removable drives in.
func driveRoots() []string {
	roots := []string{"/media", "/run/media", "/mnt"}
	if u, err := user.Current(); err == nil && u.Username != "" {
		roots = append(roots, filepath.Join("/media", u.Username), filepath.Join("/run/media", u.Username))
	}
	return roots
}

// mountedDrives lists the mount points in mounts (a /proc/self/mounts
// file) that sit directly in one of roots, sorted. If mounts cannot be
// read, it lists the folders in roots instead (a drive may then be an
// empty mount point: writing to it says so).
func mountedDrives(mounts string, roots []string) []string {
	inRoot := func(p string) bool {
		dir := filepath.Dir(p)
		for _, r := range roots {
			if dir == filepath.Clean(r) {
				return true
			}
		}
		return false
	}
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[filepath.Clean(r)] = true
	}
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] && !isRoot[p] && inRoot(p) {
			seen[p] = true
			out = append(out, p)
		}
	}
	f, err := os.Open(mounts)
	if err != nil {
		for _, r := range roots {
			entries, _ := os.ReadDir(r)
			for _, e := range entries {
				if e.IsDir() {
					add(filepath.Join(r, e.Name()))
				}
			}
		}
		sort.Strings(out)
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		add(filepath.Clean(unescapeMount(fields[1])))
	}
	sort.Strings(out)
	return out
}

// unescapeMount undoes the octal escapes /proc/self/mounts writes for a
// space, tab, newline and backslash in a mount point ("\040").
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
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

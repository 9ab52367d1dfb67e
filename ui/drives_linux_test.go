package ui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestMountedDrivesAreTheMountPointsInTheDriveRoots(t *testing.T) {
	media, mnt := t.TempDir(), t.TempDir()
	user := filepath.Join(media, "kiosk")
	mounts := filepath.Join(t.TempDir(), "mounts")
	lines := "/dev/sda1 / ext4 rw 0 0\n" +
		"proc /proc proc rw 0 0\n" +
		"/dev/sdb1 " + filepath.Join(user, `MY\040STICK`) + " vfat rw 0 0\n" +
		"/dev/sdc1 " + filepath.Join(mnt, "usb") + " exfat rw 0 0\n" +
		"tmpfs " + user + " tmpfs rw 0 0\n" + // a root itself is no drive
		"/dev/sdd1 " + filepath.Join(mnt, "usb", "deeper") + " vfat rw 0 0\n" +
		"short-line\n"
	if err := os.WriteFile(mounts, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	got := mountedDrives(mounts, []string{media, user, mnt})
	want := []string{filepath.Join(user, "MY STICK"), filepath.Join(mnt, "usb")}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("drives %q, want %q", got, want)
	}
}

func TestWithoutAMountTableTheFoldersInTheRootsAreTheDrives(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"STICK", "CARD"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "a-file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got := mountedDrives(filepath.Join(root, "no-such-mounts"), []string{root, filepath.Join(root, "missing")})
	want := []string{filepath.Join(root, "CARD"), filepath.Join(root, "STICK")}
	if !slices.Equal(got, want) {
		t.Errorf("drives %q, want %q", got, want)
	}
}

func TestMountPointEscapesAreUndone(t *testing.T) {
	for in, want := range map[string]string{
		`/media/u/MY\040STICK`: "/media/u/MY STICK",
		`/mnt/a\134b`:          `/mnt/a\b`,
		`/mnt/plain`:           "/mnt/plain",
		`/mnt/trailing\04`:     `/mnt/trailing\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTheSystemsDriveRootsIncludeTheUsersMediaFolders(t *testing.T) {
	roots := driveRoots()
	for _, want := range []string{"/media", "/run/media", "/mnt"} {
		if !slices.Contains(roots, want) {
			t.Errorf("roots %q lack %s", roots, want)
		}
	}
}

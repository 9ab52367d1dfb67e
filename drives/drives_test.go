package drives

import (
	"slices"
	"strings"
	"testing"
)

func TestRemovableLetters(t *testing.T) {
	types := map[string]uint32{`C:\`: 3, `D:\`: 5, `E:\`: driveRemovable, `Z:\`: driveRemovable}
	driveType := func(root string) uint32 { return types[root] }
	tests := []struct {
		name string
		mask uint32
		want []string
	}{
		{"only removable drives are listed, in letter order", 1<<2 | 1<<3 | 1<<4 | 1<<25, []string{`E:\`, `Z:\`}},
		{"a drive missing from the mask is not asked about", 1 << 2, nil},
		{"no drives give none", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := removableLetters(tt.mask, driveType); !slices.Equal(got, tt.want) {
				t.Errorf("removableLetters = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRemovableMounts(t *testing.T) {
	const table = `sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
/dev/sdb1 /media/shop/USB\040STICK vfat rw,nosuid,nodev 0 0
/dev/sdc1 /run/media/shop/CARD exfat rw 0 0
/dev/sdd1 /mnt/backup ext4 rw 0 0
short
`
	got := removableMounts(strings.NewReader(table))
	want := []string{"/media/shop/USB STICK", "/run/media/shop/CARD"}
	if !slices.Equal(got, want) {
		t.Errorf("removableMounts = %q, want %q", got, want)
	}
}

func TestUnescapeMount(t *testing.T) {
	tests := []struct{ in, want string }{
		{`/media/a\040b`, "/media/a b"},
		{`/media/tab\011x`, "/media/tab\tx"},
		{`/media/plain`, "/media/plain"},
		{`/media/end\04`, `/media/end\04`},
	}
	for _, tt := range tests {
		if got := unescapeMount(tt.in); got != tt.want {
			t.Errorf("unescapeMount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

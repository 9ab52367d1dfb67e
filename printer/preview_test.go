package printer

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// mode returns path's permission bits.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// names lists dir's entries, sorted; none if dir does not exist.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// writeAged writes size bytes to dir/name, last modified age before now.
func writeAged(t *testing.T, dir, name string, size int, now time.Time, age time.Duration) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
		t.Fatal(err)
	}
}

func TestPreviewsAreReadableByTheKioskUserOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "previews")
	if err := os.Mkdir(dir, 0o755); err != nil { // as an older version left it
		t.Fatal(err)
	}
	q, w := newQueue(t, Config{Kind: "png", PreviewDir: dir, Paper: 58})
	id, err := q.Print(context.Background(), testPapers()["receipt"])
	if err != nil {
		t.Fatal(err)
	}
	j := w.until(t, id, JobDone)
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("preview folder mode %v, want 0700", got)
	}
	if got := mode(t, j.Preview); got != 0o600 {
		t.Errorf("preview mode %v, want 0600", got)
	}
}

func TestRealPrinterWritesPreviewsOnlyWhenAsked(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "no previews by default", true: "previews with KeepPreviews"}[keep], func(t *testing.T) {
			tmp := t.TempDir()
			lp := filepath.Join(tmp, "lp0")
			if err := os.WriteFile(lp, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(tmp, "previews")
			q, w := newQueue(t, Config{Kind: "device", Device: lp, PreviewDir: dir, KeepPreviews: keep})
			if q.Confirms() {
				t.Error("a device file cannot confirm")
			}
			id, err := q.Print(context.Background(), testPapers()["receipt"])
			if err != nil {
				t.Fatal(err)
			}
			j := w.until(t, id, JobDone)
			if got := names(t, dir); (len(got) > 0) != keep || (j.Preview != "") != keep {
				t.Fatalf("previews %v, job preview %q; want some: %v", got, j.Preview, keep)
			}
			if keep && mode(t, j.Preview) != 0o600 {
				t.Errorf("preview mode %v, want 0600", mode(t, j.Preview))
			}
		})
	}
}

func TestPrunePreviews(t *testing.T) {
	now := cst(14, 10)
	day := 24 * time.Hour
	tests := []struct {
		name     string
		maxAge   time.Duration
		maxBytes int64
		want     []string
	}{
		{"previews older than the age go", 30 * day, -1,
			[]string{"a.png", "b.png", "c.png", "notes.txt", "old.txt"}},
		{"the oldest go until the rest fit the cap", -1, 250,
			[]string{"b.png", "c.png", "notes.txt", "old.txt"}},
		{"age and cap together", 30 * day, 150,
			[]string{"c.png", "notes.txt", "old.txt"}},
		{"negative age and cap keep everything", -1, -1,
			[]string{"a.png", "b.png", "c.png", "crash.png.tmp", "notes.txt", "old.png", "old.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAged(t, dir, "old.png", 100, now, 31*day)
			writeAged(t, dir, "crash.png.tmp", 100, now, 40*day)
			writeAged(t, dir, "a.png", 100, now, 3*day)
			writeAged(t, dir, "b.png", 100, now, 2*day)
			writeAged(t, dir, "c.png", 100, now, time.Hour)
			writeAged(t, dir, "old.txt", 100, now, 90*day) // not ours: never touched
			writeAged(t, dir, "notes.txt", 5000, now, 0)
			if err := prunePreviews(dir, now, tt.maxAge, tt.maxBytes); err != nil {
				t.Fatal(err)
			}
			if got := names(t, dir); !slices.Equal(got, tt.want) {
				t.Errorf("left %v, want %v", got, tt.want)
			}
			for _, n := range names(t, dir) {
				if m := mode(t, filepath.Join(dir, n)); isPreviewName(n) && m != 0o600 {
					t.Errorf("%s mode %v, want 0600", n, m)
				}
			}
		})
	}
	t.Run("a missing folder is nothing to prune", func(t *testing.T) {
		if err := prunePreviews(filepath.Join(t.TempDir(), "none"), now, day, 1); err != nil {
			t.Error(err)
		}
	})
}

// The defaults prune at start: 30 days, even for a real printer that no
// longer writes previews.
func TestNewPrunesPreviewsOlderThan30Days(t *testing.T) {
	now := cst(14, 10)
	dir := t.TempDir()
	writeAged(t, dir, "20261001-120000-0001.png", 10, now, 31*24*time.Hour)
	writeAged(t, dir, "20261120-120000-0001.png", 10, now, 2*24*time.Hour)
	newQueue(t, Config{Kind: "tcp", Address: "192.0.2.7", PreviewDir: dir, Now: func() time.Time { return now }})
	if got, want := names(t, dir), []string{"20261120-120000-0001.png"}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}

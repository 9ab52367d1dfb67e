package printer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// makePrivateDir creates dir readable by the kiosk's user only, and
// tightens one left world-readable by an older version.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// isPreviewName reports whether name is one of our preview files (a
// finished <id>.png or a <id>.png.tmp left by a crash); prunePreviews
// touches nothing else.
func isPreviewName(name string) bool {
	return strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".png.tmp")
}

// prunePreviews deletes the previews in dir modified more than maxAge
// before now (none by age if maxAge < 0), then the oldest until the rest
// total at most maxBytes (no cap if maxBytes < 0), and makes the survivors
// private (0600). A missing dir is not an error. It goes on past a file it
// cannot delete and returns the first such error.
func prunePreviews(dir string, now time.Time, maxAge time.Duration, maxBytes int64) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	type file struct {
		path string
		mod  time.Time
		size int64
	}
	var (
		files []file
		total int64
		first error
	)
	remove := func(path string) {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isPreviewName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		path := filepath.Join(dir, e.Name())
		if maxAge >= 0 && now.Sub(info.ModTime()) > maxAge {
			remove(path)
			continue
		}
		files = append(files, file{path, info.ModTime(), info.Size()})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	for len(files) > 0 && maxBytes >= 0 && total > maxBytes {
		remove(files[0].path)
		total -= files[0].size
		files = files[1:]
	}
	for _, f := range files {
		if err := os.Chmod(f.path, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

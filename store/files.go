package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempMark separates a temporary file's target name from its random
// digits: writing "backup.db" goes through ".backup.db.tmp123456789".
const tempMark = ".tmp"

// tempPattern is the os.CreateTemp pattern for a temporary copy of path.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + tempMark + "*"
}

// isTempName reports whether name is one tempPattern gives: a dot, a
// non-empty target name, ".tmp" and the decimal digits os.CreateTemp puts
// in place of the star.
func isTempName(name string) bool {
	if !strings.HasPrefix(name, ".") {
		return false
	}
	i := strings.LastIndex(name, tempMark)
	if i <= 1 {
		return false
	}
	digits := name[i+len(tempMark):]
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writeFileAtomic writes path through a temporary file in the same
// directory, fsync'd and renamed, so path holds either what it held before
// or everything write wrote. The temporary file is removed whenever path
// was not replaced: an error from write or from the file system, and a
// panic in write too. Only a killed process leaves one behind; CleanTemp
// removes those.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	renamed = true
	return syncDir(filepath.Dir(path))
}

// CleanTemp removes from dir (not its subdirectories) the temporary files
// the store's writers (BackupFile, the export command) leave behind when
// the process is killed while writing: regular files named "." + a target
// name + ".tmp" + digits. Nothing else is touched. The kiosk calls it at
// start-up on its data and backups directories, before any backup or
// export runs. It returns how many files it removed; a missing dir is not
// an error. Errors removing single files are joined and returned after
// trying the rest.
func CleanTemp(dir string) (removed int, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("clean temporary files in %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		removed++
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("clean temporary files in %s: %w", dir, errors.Join(errs...))
	}
	return removed, nil
}

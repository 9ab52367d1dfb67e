package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomicLeavesNoTempFile(t *testing.T) {
	errWrite := errors.New("disk full")
	cases := []struct {
		name    string
		write   func(io.Writer) error
		wantErr bool
		want    string // content of the target afterwards
	}{
		{"a finished write replaces the file", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, false, "new"},
		{"a failed write keeps the old file", func(w io.Writer) error { _, _ = io.WriteString(w, "half"); return errWrite }, true, "old"},
		{"a panicking write keeps the old file", func(w io.Writer) error { _, _ = io.WriteString(w, "half"); panic("boom") }, true, "old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sales.csv")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := func() (err error) {
				defer func() {
					if recover() != nil {
						err = errors.New("panicked")
					}
				}()
				return writeFileAtomic(path, c.write)
			}()
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil && !errors.Is(err, errWrite) && err.Error() != "panicked" {
				t.Fatalf("err = %v does not wrap the writer's error", err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != c.want {
				t.Errorf("file holds %q, want %q", got, c.want)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"sales.csv"}) {
				t.Errorf("directory holds %v, want only sales.csv", names)
			}
		})
	}
}

func TestBackupFileFailureLeavesNoTempFile(t *testing.T) {
	s := mustOpenStore(t)
	mustPaid(t, s, "K1T1", at(9, 0))
	dir := t.TempDir()
	// A directory in the backup's place makes the final rename fail.
	path := filepath.Join(dir, "backup.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.BackupFile(path); err == nil {
		t.Fatal("backup over a non-empty directory succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"backup.db"}) {
		t.Fatalf("directory holds %v, want only backup.db", names)
	}
}

func TestCleanTempRemovesOnlyTheStoresTempFiles(t *testing.T) {
	dir := t.TempDir()
	// Temporary files exactly as the writers create them, as a kill
	// mid-backup or mid-export leaves them.
	var leftovers []string
	for _, target := range []string{"backup-2026-11-22.db", "sales.xlsx", LedgerFile} {
		f, err := os.CreateTemp(dir, tempPattern(filepath.Join(dir, target)))
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
		leftovers = append(leftovers, filepath.Base(f.Name()))
	}
	keep := []string{
		LedgerFile,             // the ledger itself
		"backup-2026-11-22.db", // a finished backup
		".backup.db.tmp",       // no digits: not a CreateTemp name
		".backup.db.tmp12x",    // not only digits
		"backup.db.tmp123",     // no leading dot
		".tmp123",              // no target name
		".config-123.toml",     // the config writer's, not the store's
		"ledger.db.tmp",        // another package's temp name
		".notes.tmp1.txt",      // digits not at the end
	}
	for _, name := range keep {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Directories and files in subdirectories are left alone.
	if err := os.Mkdir(filepath.Join(dir, ".old.db.tmp42"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", ".x.db.tmp7"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".old.db.tmp42", "sub")

	removed, err := CleanTemp(dir)
	if err != nil || removed != len(leftovers) {
		t.Fatalf("CleanTemp = %d, %v; want %d, nil", removed, err, len(leftovers))
	}
	got := dirNames(t, dir)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Fatalf("directory holds %v, want %v", got, keep)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", ".x.db.tmp7")); err != nil {
		t.Fatalf("file in a subdirectory: %v", err)
	}
	if removed, err := CleanTemp(dir); err != nil || removed != 0 {
		t.Fatalf("second CleanTemp = %d, %v; want 0, nil", removed, err)
	}
}

func TestCleanTempOfAMissingDirectoryRemovesNothing(t *testing.T) {
	removed, err := CleanTemp(filepath.Join(t.TempDir(), "backups"))
	if err != nil || removed != 0 {
		t.Fatalf("CleanTemp = %d, %v; want 0, nil", removed, err)
	}
}

func TestIsTempName(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{".backup.db.tmp1", true},
		{".a.tmp4294967295", true},
		{".a.tmp.tmp9", true},
		{".a.tmp", false},
		{".tmp9", false},
		{"a.tmp9", false},
		{".a.tmp9 ", false},
		{".a.TMP9", false},
		{"", false},
	} {
		if got := isTempName(c.name); got != c.want {
			t.Errorf("isTempName(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

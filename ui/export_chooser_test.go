package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"saoma/app"
)

// exportKiosk is a kiosk on Sales whose home and data folders are
// temporary, with one temporary folder as a mounted USB stick.
type exportKiosk struct {
	*fakeKiosk
	home, data, stick string
	mounted           bool
}

func newExportKiosk(t *testing.T, loc string) *exportKiosk {
	t.Helper()
	home, data := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	e := &exportKiosk{home: home, data: data, stick: filepath.Join(t.TempDir(), "KINGSTON"), mounted: true}
	if err := os.Mkdir(e.stick, 0o700); err != nil {
		t.Fatal(err)
	}
	e.fakeKiosk = newFakeKiosk(t, app.Config{Locale: loc}, func(o *Options) { o.DataDir = data })
	e.k.sales = newSalesScreen(e.k)
	e.k.setBody("sales", e.k.sales.obj)
	e.k.sales.drives = func() []string {
		if e.mounted {
			return []string{e.stick}
		}
		return nil
	}
	return e
}

func TestExportPlacesListDrivesFirstThenHomeThenData(t *testing.T) {
	e := newExportKiosk(t, "zh")
	other := filepath.Join(t.TempDir(), "SD")
	got := e.k.exportPlaces([]string{e.stick, other})
	want := []exportPlace{
		{path: e.stick, label: "U盘 KINGSTON", drive: true},
		{path: other, label: "U盘 SD", drive: true},
		{path: e.home, label: "主文件夹"},
		{path: e.data, label: "收银机数据文件夹"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("places %v, want %v", got, want)
	}
}

func TestExportingToAStickWritesTheFileAndSaysWhere(t *testing.T) {
	for _, tc := range []struct {
		loc, name, said string
	}{
		{"zh", "销售-2026-11-22.csv", "已保存到U盘 KINGSTON："},
		{"en", "sales-2026-11-22.csv", "Saved to USB drive KINGSTON: "},
	} {
		t.Run(tc.loc, func(t *testing.T) {
			e := newExportKiosk(t, tc.loc)
			s := e.k.sales
			s.export(app.ExportCSV)
			c := s.chooser
			if c == nil || !e.k.dialogOpen() {
				t.Fatal("export opened no chooser")
			}
			if c.name.Text != tc.name {
				t.Errorf("file name %q, want %q", c.name.Text, tc.name)
			}
			if c.chosen != 0 || !c.places[0].drive || c.noDrive.Visible() {
				t.Errorf("the stick is not chosen first: %d of %v", c.chosen, c.places)
			}
			test := filepath.Join(e.stick, tc.name)
			if !strings.Contains(c.target.Text, test) {
				t.Errorf("target %q does not name %s", c.target.Text, test)
			}
			c.save()
			got, err := os.ReadFile(test)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "2026-11-22 2026-11-22 csv\n" {
				t.Errorf("file holds %q", got)
			}
			if want := tc.said + tc.name; s.msg.Text != want {
				t.Errorf("message %q, want %q", s.msg.Text, want)
			}
			if e.k.dialogOpen() {
				t.Error("the chooser stays open after saving")
			}
			entries, _ := os.ReadDir(e.stick)
			if len(entries) != 1 {
				t.Errorf("the stick holds %d files (a temporary file left?)", len(entries))
			}
		})
	}
}

func TestTheChooserStartsWhereTheOwnerSavedLastTime(t *testing.T) {
	e := newExportKiosk(t, "zh")
	s := e.k.sales
	s.export(app.ExportXLSX)
	s.chooser.choose(2) // the data folder
	s.chooser.save()
	if _, err := os.Stat(filepath.Join(e.data, "销售-2026-11-22.xlsx")); err != nil {
		t.Fatal(err)
	}
	s.span.SetSelectedIndex(1)
	s.export(app.ExportXLSX)
	c := s.chooser
	if got := c.places[c.chosen].path; got != e.data {
		t.Errorf("chooser starts in %s, want the data folder %s", got, e.data)
	}
	if want := "销售-2026-11-16_2026-11-22.xlsx"; c.name.Text != want {
		t.Errorf("file name %q, want %q", c.name.Text, want)
	}
	// The remembered folder gone, the first place (the stick) is chosen.
	e.k.app.Preferences().SetString(prefExportDir, filepath.Join(e.home, "gone"))
	s.export(app.ExportCSV)
	if c := s.chooser; c.chosen != 0 {
		t.Errorf("chooser starts at place %d", c.chosen)
	}
}

func TestAPulledStickIsRefusedNotWrittenIntoItsMountPoint(t *testing.T) {
	e := newExportKiosk(t, "zh")
	s := e.k.sales
	s.export(app.ExportCSV)
	c := s.chooser
	e.mounted = false // pulled out while the chooser was open
	c.save()
	if want := "U盘已拔出：请重新插入，再点「刷新」"; c.msg.Text != want {
		t.Errorf("message %q, want %q", c.msg.Text, want)
	}
	if entries, _ := os.ReadDir(e.stick); len(entries) != 0 {
		t.Errorf("%d files written into the empty mount point", len(entries))
	}
	if !e.k.dialogOpen() || !c.noDrive.Visible() || c.places[c.chosen].drive {
		t.Error("the chooser does not stay open offering the other places")
	}
	// Plugged in again: Refresh offers it once more and saving works.
	e.mounted = true
	c.rescan()
	c.choose(0)
	c.save()
	if _, err := os.Stat(filepath.Join(e.stick, "销售-2026-11-22.csv")); err != nil {
		t.Error(err)
	}
}

func TestABadFileNameIsRefusedWithASentence(t *testing.T) {
	e := newExportKiosk(t, "en")
	s := e.k.sales
	s.export(app.ExportCSV)
	c := s.chooser
	for _, name := range []string{"", "  ", "../up", `a\b`, "a:b", ".."} {
		c.name.SetText(name)
		c.save()
		if !strings.HasPrefix(c.msg.Text, "A file name cannot be empty") {
			t.Errorf("%q: message %q", name, c.msg.Text)
		}
	}
	c.name.SetText("for the accountant")
	c.save()
	if _, err := os.Stat(filepath.Join(e.stick, "for the accountant.csv")); err != nil {
		t.Errorf("the format's extension is not added: %v", err)
	}
}

func TestAFailedWriteSaysWhyInTheCashiersLanguage(t *testing.T) {
	l := langOf("zh")
	pathErr := func(errno syscall.Errno) error {
		return fmt.Errorf("export to /media/u/S: %w", &fs.PathError{Op: "open", Path: "/media/u/S/x", Err: errno})
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"a full stick", pathErr(syscall.ENOSPC), "export.err.full"},
		{"a write-protected stick", pathErr(syscall.EROFS), "export.err.readonly"},
		{"a folder not ours", pathErr(syscall.EACCES), "export.err.denied"},
		{"a stick pulled out mid-write", pathErr(syscall.EIO), "export.err.gone"},
		{"a vanished folder", pathErr(syscall.ENOENT), "export.err.gone"},
		{"a stick gone before writing", errDrivePulled, "export.err.pulled"},
		{"anything else", errors.New("odd"), "export.err.other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := exportErrText(l, tc.err), l.T(tc.want); got != want {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
}

func TestAWriteThatFailsLeavesNoFileBehind(t *testing.T) {
	dir := t.TempDir()
	// A folder where the file should go: the rename fails.
	if err := os.Mkdir(filepath.Join(dir, "x.csv"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.csv", "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := writeAtomic(dir, "x.csv", []byte("data")); err == nil {
		t.Fatal("writing over a folder succeeded")
	}
	if _, err := writeAtomic(filepath.Join(dir, "missing"), "x.csv", []byte("data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("writing into a missing folder: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d entries left, want only the folder", len(entries))
	}
	// An existing file is replaced whole.
	if err := os.WriteFile(filepath.Join(dir, "y.csv"), []byte("old and longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := writeAtomic(dir, "y.csv", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "y.csv")); string(got) != "new" {
		t.Errorf("file holds %q", got)
	}
}

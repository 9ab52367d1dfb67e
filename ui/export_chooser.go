package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// The export destination chooser: the kiosk's own dialog, in its language,
// instead of Fyne's file dialog (English, opening in /root). A USB stick is
// how an owner takes the file to the accountant, so removable drives come
// first, then the home folder, then the kiosk's data folder.

// prefExportDir is the app preference holding the folder the owner chose
// last; the chooser starts there while it is still offered.
const prefExportDir = "export.dir"

// exportPlace is a folder the chooser offers.
type exportPlace struct {
	path  string
	label string // what the owner reads: "U盘 KINGSTON", "主文件夹"
	drive bool   // a removable drive: checked still mounted before writing
}

// errDrivePulled is returned by the chooser's save when the chosen drive is
// no longer mounted (the stick was pulled out): its empty mount point must
// not receive the file.
var errDrivePulled = errors.New("the removable drive is no longer mounted")

// exportPlaces lists where an export may go: the drives (mount points)
// first, then the home folder, then the data folder, each once.
func (k *Kiosk) exportPlaces(drives []string) []exportPlace {
	l := k.lang
	var out []exportPlace
	seen := map[string]bool{}
	add := func(p exportPlace) {
		if p.path == "" || seen[filepath.Clean(p.path)] {
			return
		}
		seen[filepath.Clean(p.path)] = true
		out = append(out, p)
	}
	for _, d := range drives {
		add(exportPlace{path: d, label: l.T("export.drive", filepath.Base(d)), drive: true})
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(exportPlace{path: home, label: l.T("export.home")})
	}
	if k.opts.DataDir != "" {
		add(exportPlace{path: k.opts.DataDir, label: l.T("export.data")})
	}
	return out
}

// exportFileName is the name the chooser suggests for an export of
// from..to: 销售-2026-12-02.xlsx, sales-2026-11-26_2026-12-02.csv.
func exportFileName(l lang, from, to app.Day, f app.ExportFormat) string {
	if from == to {
		return fmt.Sprintf("%s-%s.%s", l.T("export.file"), from, f)
	}
	return fmt.Sprintf("%s-%s_%s.%s", l.T("export.file"), from, to, f)
}

// exportChooser is the open destination dialog.
type exportChooser struct {
	k      *Kiosk
	dlg    dialog.Dialog
	data   []byte
	ext    string
	drives func() []string // the mounted removable drives, asked again before writing
	done   func(msg string)

	places  []exportPlace
	chosen  int
	list    *fyne.Container // a button per place
	buttons []*keyButton
	noDrive *widget.Label
	name    *keyEntry
	target  *widget.Label // the full path the file will get
	msg     *widget.Label
	saveBtn *keyButton
	body    fyne.CanvasObject // the content, in a box of boxSize
	boxSize fyne.Size
}

// chooseExport opens the chooser for data under a suggested file name;
// done gets the sentence saying where the file went once it is written.
func (k *Kiosk) chooseExport(name string, data []byte, drives func() []string, done func(string)) *exportChooser {
	l := k.lang
	sc := k.theme.scale
	c := &exportChooser{k: k, data: data, ext: filepath.Ext(name), drives: drives, done: done}
	c.list = container.NewVBox()
	c.noDrive = widget.NewLabel(l.T("export.nodrive"))
	c.noDrive.Wrapping = fyne.TextWrapWord
	c.name = newEntry(k, false)
	c.name.SetText(name)
	c.name.OnChanged = func(string) { c.showTarget() }
	c.name.OnSubmitted = func(string) { c.save() }
	c.target = widget.NewLabel("")
	c.target.Wrapping = fyne.TextWrapBreak
	c.msg = widget.NewLabel("")
	c.msg.Wrapping = fyne.TextWrapWord
	c.msg.Importance = widget.DangerImportance
	c.saveBtn = newButton(k, l.T("export.save"), c.save)
	c.saveBtn.Importance = widget.HighImportance
	cancel := newButton(k, l.T("cancel"), func() { c.dlg.Hide() })
	rescan := newButton(k, l.T("export.rescan"), c.rescan)
	c.rescan()

	places := container.NewBorder(widget.NewLabelWithStyle(l.T("export.where"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, rescan, c.noDrive), nil, nil, container.NewVScroll(c.list))
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(l.T("export.name")), nil, c.name),
		c.target, c.msg,
		container.NewHBox(layout.NewSpacer(), cancel, container.NewStack(minSize(160*sc, 48*sc), c.saveBtn)))
	c.body = container.NewBorder(nil, bottom, nil, nil, places)
	c.boxSize = fyne.NewSize(600*sc, 480*sc)
	c.dlg = dialog.NewCustomWithoutButtons(l.T("export.title"), container.NewGridWrap(c.boxSize, c.body), k.win)
	k.showDialog(c.dlg)
	return c
}

// rescan lists the places again (a stick plugged in since), keeping the
// chosen folder, else the one chosen last time, else the first.
func (c *exportChooser) rescan() {
	keep := ""
	if c.chosen < len(c.places) {
		keep = c.places[c.chosen].path
	}
	if keep == "" {
		keep = c.k.app.Preferences().String(prefExportDir)
	}
	c.places = c.k.exportPlaces(c.drives())
	c.chosen = max(0, slices.IndexFunc(c.places, func(p exportPlace) bool { return p.path == keep }))
	c.list.Objects = nil
	c.buttons = nil
	for i, p := range c.places {
		b := newButton(c.k, p.label, func() { c.choose(i) })
		b.Alignment = widget.ButtonAlignLeading
		c.buttons = append(c.buttons, b)
		c.list.Add(container.NewStack(minHeight(52*c.k.theme.scale), b))
	}
	showIf(c.noDrive, !slices.ContainsFunc(c.places, func(p exportPlace) bool { return p.drive }))
	c.choose(c.chosen)
}

// choose marks place i as the destination.
func (c *exportChooser) choose(i int) {
	if i >= len(c.places) {
		return
	}
	c.chosen = i
	for j, b := range c.buttons {
		b.Importance = widget.MediumImportance
		if j == i {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	c.msg.SetText("")
	c.showTarget()
}

// showTarget shows the full path the file will be written to.
func (c *exportChooser) showTarget() {
	if c.chosen >= len(c.places) {
		c.target.SetText("")
		return
	}
	c.target.SetText(c.k.lang.T("export.target", filepath.Join(c.places[c.chosen].path, c.fileName())))
}

// fileName is the typed name with the format's extension.
func (c *exportChooser) fileName() string {
	n := strings.TrimSpace(c.name.Text)
	if n != "" && !strings.EqualFold(filepath.Ext(n), c.ext) {
		n += c.ext
	}
	return n
}

// save writes the file to the chosen place; on success the dialog closes,
// the place is remembered and done hears where the file went, else the
// dialog stays open saying why.
func (c *exportChooser) save() {
	l := c.k.lang
	if c.chosen >= len(c.places) {
		c.msg.SetText(l.T("export.noplace"))
		return
	}
	name := c.fileName()
	if name == "" || name == c.ext || strings.ContainsAny(name, `/\:*?"<>|`+"\x00") || strings.Trim(name, ".") == "" {
		// Also what FAT on a USB stick (and Windows) refuses.
		c.msg.SetText(l.T("export.badname"))
		return
	}
	p := c.places[c.chosen]
	if p.drive && !slices.Contains(c.drives(), p.path) {
		c.rescan()
		c.msg.SetText(exportErrText(l, errDrivePulled))
		return
	}
	path, err := writeAtomic(p.path, name, c.data)
	if err != nil {
		c.msg.SetText(exportErrText(l, err))
		return
	}
	c.k.app.Preferences().SetString(prefExportDir, p.path)
	c.dlg.Hide()
	if c.done != nil {
		// The place as the owner knows it and the file's name: the full
		// path was on the chooser, and would be cut off in Sales' footer.
		c.done(l.T("export.saved", p.label, filepath.Base(path)))
	}
}

// writeAtomic writes data to dir/name through a temporary file in dir that
// is synced and renamed into place, so a pulled stick or a full disk never
// leaves half a file under the real name. It returns the file's path.
func writeAtomic(dir, name string, data []byte) (string, error) {
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".saoma-export-*")
	if err != nil {
		return "", fmt.Errorf("export to %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return "", fmt.Errorf("export to %s: %w", dir, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("export to %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("export to %s: %w", dir, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil && !errors.Is(err, fs.ErrPermission) {
		return "", fmt.Errorf("export to %s: %w", dir, err) // FAT refuses modes with EPERM: harmless
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("export to %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil { // the new name reaches the stick too
		d.Sync()
		d.Close()
	}
	return path, nil
}

// exportErrText says in the owner's language why an export could not be
// written, and what to do.
func exportErrText(l lang, err error) string {
	switch {
	case errors.Is(err, errDrivePulled):
		return l.T("export.err.pulled")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return l.T("export.err.full")
	case errors.Is(err, syscall.EROFS):
		return l.T("export.err.readonly")
	case errors.Is(err, fs.ErrPermission):
		return l.T("export.err.denied")
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return l.T("export.err.gone")
	}
	return l.T("export.err.other")
}

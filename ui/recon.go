package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// The owner's books on the Sales screen: the shown day's reconciliation
// with WeChat's bill (未对账 / 已对账 / N 处差异), what reaches the bank,
// and the differences, each with what to do and, behind the owner's PIN, a
// note that explains it.

// reconBar is the line under the Sales cards: the day's state, its bank
// figures and the button to its differences.
type reconBar struct {
	obj   *fyne.Container
	icon  *widget.Icon // ✓ (not in the bundled fonts) when reconciled
	state *widget.Label
	bank  *widget.Label
	diffs *keyButton
}

func newReconBar(s *salesScreen) *reconBar {
	b := &reconBar{icon: widget.NewIcon(theme.ConfirmIcon()), state: widget.NewLabel(""), bank: widget.NewLabel("")}
	b.state.TextStyle = fyne.TextStyle{Bold: true}
	b.bank.Truncation = fyne.TextTruncateEllipsis
	b.diffs = newButton(s.k, "", s.showDiffs)
	b.obj = container.NewBorder(nil, nil, container.NewHBox(b.state, b.icon), b.diffs, b.bank)
	return b
}

// set shows rec (nil: the day was not reconciled yet).
func (b *reconBar) set(l lang, rec *app.Reconciliation) {
	defer b.obj.Refresh() // lays out what was shown or hidden
	b.icon.Hide()
	b.bank.SetText("")
	b.diffs.Hide()
	b.state.Importance = widget.MediumImportance
	b.state.TextStyle.Bold = true
	switch {
	case rec == nil || rec.State == app.Unreconciled:
		// Readable, not faint: a pale line here reads as a blank band.
		b.state.TextStyle.Bold = false
		b.state.SetText(l.T("recon.unreconciled"))
		return
	case rec.State == app.Differences:
		b.state.Importance = widget.DangerImportance
		b.state.SetText(diffCount(l, rec.Open()))
	default:
		b.state.Importance = widget.SuccessImportance
		b.state.SetText(l.T("recon.reconciled"))
		b.icon.Show()
	}
	b.bank.SetText(l.T("recon.bank", money(rec.Gross), money(rec.Refunds), money(rec.Fees), money(rec.Net)))
	if n := len(rec.Diffs); n > 0 {
		b.diffs.SetText(l.T("recon.show", n))
		b.diffs.Importance = widget.MediumImportance
		if rec.Open() > 0 {
			b.diffs.Importance = widget.DangerImportance
		}
		b.diffs.Show()
		b.diffs.Refresh()
	}
}

// diffCount is "N 处差异" / "N differences".
func diffCount(l lang, n int) string {
	if n == 1 {
		return l.T("recon.difference")
	}
	return l.T("recon.differences", n)
}

// loadRecon reads the shown day's reconciliation and the days with
// unexplained differences (as far back as WeChat keeps bills).
func (s *salesScreen) loadRecon(d app.Day) error {
	s.rec, s.diffDays = nil, nil
	recs, err := s.k.eng.Reconciliations(d, d)
	if err != nil {
		s.recon.set(s.k.lang, nil)
		return err
	}
	if len(recs) > 0 && recs[len(recs)-1].Day == d {
		r := recs[len(recs)-1]
		s.rec = &r
	}
	s.recon.set(s.k.lang, s.rec)
	today := s.k.today()
	recs, err = s.k.eng.Reconciliations(today.Add(-app.MaxCatchUpDays), today)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Open() > 0 {
			s.diffDays = append(s.diffDays, r)
		}
	}
	return nil
}

// openDiffs counts the unexplained differences of every day.
func (s *salesScreen) openDiffs() int {
	n := 0
	for i := range s.diffDays {
		n += s.diffDays[i].Open()
	}
	return n
}

// fillDiffDays shows, in the attention list, a button for each day with
// unexplained differences; tapping one opens that day's differences.
func (s *salesScreen) fillDiffDays() {
	s.diffDayBox.Objects = nil
	defer s.frame.Refresh() // lays the screen out anew as the row comes or goes
	if !s.flagged || len(s.diffDays) == 0 {
		s.diffDayRow.Hide()
		return
	}
	s.diffDayBox.Add(widget.NewLabel(s.k.lang.T("recon.days")))
	for i := len(s.diffDays) - 1; i >= 0; i-- { // newest first
		r := s.diffDays[i]
		b := newButton(s.k, s.k.lang.T("recon.day", r.Day, r.Open()), func() {
			s.flagged = false
			s.load(r.Day)
			s.showDiffs()
		})
		b.Importance = widget.DangerImportance
		s.diffDayBox.Add(b)
	}
	s.diffDayRow.Show()
	s.diffDayBox.Refresh()
}

// diffView is the open list of the shown day's differences.
type diffView struct {
	dlg     dialog.Dialog
	box     *fyne.Container
	explain []*widget.Button // per difference; nil once explained
	msg     *widget.Label
}

// showDiffs lists the shown day's differences with WeChat's bill.
func (s *salesScreen) showDiffs() {
	if s.rec == nil {
		return
	}
	k := s.k
	v := &diffView{box: container.NewVBox(), msg: widget.NewLabel("")}
	v.msg.Wrapping = fyne.TextWrapWord
	v.msg.Importance = widget.DangerImportance
	s.diffs = v
	s.fillDiffs()
	content := container.NewBorder(nil, v.msg, nil, nil, container.NewVScroll(v.box))
	v.dlg = dialog.NewCustom(k.lang.T("recon.title", s.rec.Day), k.lang.T("back"),
		container.NewGridWrap(fyne.NewSize(720*k.theme.scale, 500*k.theme.scale), content), k.win)
	v.dlg.SetOnClosed(func() {
		if s.diffs == v {
			s.diffs = nil
		}
	})
	k.showDialog(v.dlg)
}

// fillDiffs (re)builds the rows of the open difference list.
func (s *salesScreen) fillDiffs() {
	v, l := s.diffs, s.k.lang
	v.box.Objects = nil
	v.explain = make([]*widget.Button, len(s.rec.Diffs))
	words := func(text string) *widget.Label {
		lb := widget.NewLabel(text)
		lb.Wrapping = fyne.TextWrapWord
		return lb
	}
	if len(s.rec.Diffs) == 0 {
		v.box.Add(widget.NewLabel(l.T("recon.none")))
	}
	for i, d := range s.rec.Diffs {
		if i > 0 {
			v.box.Add(widget.NewSeparator())
		}
		kind := widget.NewLabel(l.T("diff." + string(d.Kind)))
		kind.TextStyle = fyne.TextStyle{Bold: true}
		kind.Wrapping = fyne.TextWrapWord
		if d.Explained == "" {
			kind.Importance = widget.DangerImportance
		}
		if d.Explained != "" {
			at := d.ExplainedAt.In(s.k.loc).Format("2006-01-02 15:04")
			done := words(l.T("recon.explained", d.Explained, at))
			done.Importance = widget.SuccessImportance
			v.box.Add(kind)
			v.box.Add(words(diffDetail(l, d)))
			v.box.Add(done)
			continue
		}
		day := s.rec.Day
		b := widget.NewButton(l.T("recon.explain"), func() {
			s.k.askPIN(pinOwner, func() { s.askNote(day, i) })
		})
		v.explain[i] = b
		v.box.Add(container.NewBorder(nil, nil, nil, container.NewCenter(b), kind))
		v.box.Add(words(diffDetail(l, d)))
		v.box.Add(words(l.T("action." + string(d.Action))))
	}
	v.box.Refresh()
}

// diffDetail is a difference's numbers: order, refund, ledger vs WeChat.
func diffDetail(l lang, d app.Diff) string {
	parts := []string{l.T("recon.order", d.OutTradeNo)}
	if d.OutRefundNo != "" {
		parts = append(parts, l.T("recon.refund", d.OutRefundNo))
	}
	amount := func(f app.Fen) string {
		if f == 0 {
			return "—"
		}
		return money(f)
	}
	parts = append(parts, l.T("recon.amounts", amount(d.Ledger), amount(d.WeChat)))
	if d.TransactionID != "" {
		parts = append(parts, l.T("recon.transaction", d.TransactionID))
	}
	return strings.Join(parts, " · ")
}

// notePad asks the owner's note on one difference.
type notePad struct {
	dlg   dialog.Dialog
	entry *keyEntry
	msg   *widget.Label
	quick []*widget.Button
	save  *widget.Button
}

// askNote asks the note explaining difference i of day (after the owner's
// PIN) and records it.
func (s *salesScreen) askNote(day app.Day, i int) {
	k := s.k
	l := k.lang
	p := &notePad{entry: newEntry(k, false), msg: widget.NewLabel(l.T("recon.note.hint"))}
	p.msg.Wrapping = fyne.TextWrapWord
	p.entry.SetPlaceHolder(l.T("recon.note.title"))
	quick := container.NewGridWithColumns(2)
	for _, key := range []string{"recon.note.checked", "recon.note.handed", "recon.note.refunded", "recon.note.test"} {
		b := widget.NewButton(l.T(key), func() { p.entry.SetText(l.T(key)) })
		p.quick = append(p.quick, b)
		quick.Add(b)
	}
	submit := func() {
		note := strings.TrimSpace(p.entry.Text)
		if note == "" {
			p.msg.SetText(l.T("recon.note.empty"))
			p.msg.Importance = widget.DangerImportance
			p.msg.Refresh()
			return
		}
		p.dlg.Hide()
		s.explain(day, i, note)
	}
	p.entry.OnSubmitted = func(string) { submit() }
	p.save = widget.NewButton(l.T("save"), submit)
	p.save.Importance = widget.HighImportance
	body := container.NewVBox(p.msg, p.entry, quick, p.save)
	p.dlg = dialog.NewCustom(l.T("recon.note.title"), l.T("cancel"),
		container.NewGridWrap(fyne.NewSize(560*k.theme.scale, 300*k.theme.scale), body), k.win)
	s.note = p
	k.showDialog(p.dlg)
	k.win.Canvas().Focus(p.entry)
}

// explain records the owner's note and shows the day, its list and the
// attention count anew.
func (s *salesScreen) explain(day app.Day, i int, note string) {
	rec, err := s.k.eng.ExplainDifference(day, i, note)
	if err != nil {
		if s.diffs != nil {
			s.diffs.msg.SetText(s.k.errText(err))
		} else {
			s.msg.SetText(s.k.errText(err))
		}
		return
	}
	s.k.status.set(s.k.eng.Status())
	s.load(s.day)
	if day == s.day {
		s.rec = &rec
		s.recon.set(s.k.lang, s.rec)
	}
	if s.diffs != nil && day == s.day {
		s.fillDiffs()
	}
}

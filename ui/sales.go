package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// salesScreen is the owner's day: totals, charts, the list of sales, and
// exports.
type salesScreen struct {
	k       *Kiosk
	obj     fyne.CanvasObject
	day     app.Day
	summary app.Summary
	orders  []app.Order

	dayBtn  *keyButton // the shown day; tapping opens a calendar
	nextBtn *keyButton
	cards   *fyne.Container
	hours   *fyne.Container
	days    *fyne.Container
	list    *keyList
	cols    *saleColumns // the list's column widths, shared by its rows
	msg     *widget.Label
	span    *keySelect // what to export: the day, 7 days or its month
	flagBtn *keyButton // switches the list to every order needing attention
	flagged bool       // the list shows flagged orders of all days
	csvBtn  *keyButton
	xlsxBtn *keyButton

	rec        *app.Reconciliation  // the shown day's; nil: not reconciled yet
	recon      *reconBar            // its state and bank figures
	diffDays   []app.Reconciliation // days with unexplained differences
	diffDayBox *fyne.Container      // their buttons, in the attention list
	diffDayRow fyne.CanvasObject
	frame      *fyne.Container // header, body and exports
	diffs      *diffView       // the open list of differences
	note       *notePad        // the open note prompt

	drives  func() []string // removable drives for exports: systemDrives unless a test sets it
	chooser *exportChooser  // the open export chooser, for tests
}

func (k *Kiosk) today() app.Day {
	return app.BusinessDay(k.now(), k.boundary, k.loc)
}

func newSalesScreen(k *Kiosk) *salesScreen {
	l := k.lang
	s := &salesScreen{k: k, day: k.today()}
	s.msg = widget.NewLabel("")
	s.cards = container.NewGridWithColumns(5)
	s.hours = container.NewStack()
	s.days = container.NewStack()
	s.cols = &saleColumns{}
	s.list = newList(k, func() int { return len(s.orders) }, func() fyne.CanvasObject {
		return container.New(s.cols, widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""))
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		s.fillRow(i, o.(*fyne.Container))
	})
	s.list.OnSelected = func(i widget.ListItemID) {
		s.list.UnselectAll()
		if i < len(s.orders) {
			s.showDetail(s.orders[i])
		}
	}
	s.flagBtn = newButton(k, "", s.toggleFlagged)
	s.span = newSelect(k, []string{l.T("span.day"), l.T("span.week"), l.T("span.month")}, nil)
	s.span.SetSelectedIndex(0)
	s.csvBtn = newButton(k, l.T("export.csv"), func() { s.export(app.ExportCSV) })
	s.xlsxBtn = newButton(k, l.T("export.xlsx"), func() { s.export(app.ExportXLSX) })
	s.dayBtn = newIconButton(k, "", theme.CalendarIcon(), s.pickDay)
	s.nextBtn = newIconButton(k, "", theme.NavigateNextIcon(), func() { s.load(s.day.Add(1)) })
	s.recon = newReconBar(s)
	s.diffDayBox = container.NewHBox()
	s.diffDayRow = container.NewHScroll(s.diffDayBox)
	s.diffDayRow.Hide()
	nav := container.NewHBox(
		newButton(k, l.T("back"), k.back),
		widget.NewLabelWithStyle(l.T("sales"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		newIconButton(k, "", theme.NavigateBackIcon(), func() { s.load(s.day.Add(-1)) }),
		s.dayBtn,
		s.nextBtn,
		newButton(k, l.T("today"), func() { s.load(k.today()) }),
		s.flagBtn,
	)
	// Exports sit under the list with their result beside them, so the
	// header fits 1024 px in English too.
	s.msg.Truncation = fyne.TextTruncateEllipsis
	exports := container.NewBorder(nil, nil, nil,
		container.NewHBox(widget.NewLabel(l.T("export")), s.span, s.csvBtn, s.xlsxBtn), s.msg)
	charts := container.NewGridWithColumns(2,
		container.NewBorder(widget.NewLabel(l.T("by.hour")), nil, nil, nil, s.hours),
		container.NewBorder(widget.NewLabel(l.T("last14")), nil, nil, nil, s.days))
	top := container.NewVBox(nav, s.cards, s.recon.obj, s.diffDayRow)
	body := container.NewVSplit(container.NewStack(minHeight(180*k.theme.scale), charts), s.list)
	body.Offset = 0.4
	s.frame = container.NewBorder(top, exports, nil, nil, body)
	s.obj = container.NewPadded(s.frame)
	s.load(s.day)
	return s
}

// load reads one business day (and the 13 before it for the chart).
func (s *salesScreen) load(d app.Day) {
	s.day = d
	s.dayBtn.SetText(string(d))
	if d >= s.k.today() {
		s.nextBtn.Disable()
	} else {
		s.nextBtn.Enable()
	}
	rep := s.k.eng.Reports()
	sum, err := rep.Summary(d, d)
	if err != nil {
		s.msg.SetText(s.k.errText(err))
		return
	}
	s.summary = sum
	s.orders, err = rep.DayOrders(d, d)
	if err != nil {
		s.msg.SetText(s.k.errText(err))
	}
	s.orders = append(s.stillCancelling(d, s.orders), s.orders...)
	recErr := s.loadRecon(d)
	flagged, _ := s.k.eng.Flagged()
	attention := len(flagged) + s.openDiffs()
	s.flagBtn.SetText(s.k.lang.T("show.flagged", attention))
	s.flagBtn.Importance = widget.MediumImportance
	if attention > 0 {
		s.flagBtn.Importance = widget.DangerImportance
	}
	if s.flagged {
		s.orders = flagged
		s.flagBtn.SetText(s.k.lang.T("show.day"))
	}
	s.flagBtn.Refresh()
	s.measureColumns()
	switch {
	case recErr != nil:
		s.msg.SetText(s.k.errText(recErr))
	case len(s.orders) == 0 && !s.flagged:
		s.msg.SetText(s.k.lang.T("no.sales"))
	default:
		s.msg.SetText("")
	}
	s.fillDiffDays()
	s.fillCards()
	s.hours.Objects = []fyne.CanvasObject{barChart(sum.ByHour[:], func(i int) string { return fmt.Sprint(i) }, 6)}
	s.hours.Refresh()
	if two, err := rep.Summary(d.Add(-13), d); err == nil {
		vals := make([]app.Fen, len(two.Days))
		for i, dt := range two.Days {
			vals[i] = dt.Gross
		}
		s.days.Objects = []fyne.CanvasObject{barChart(vals, func(i int) string { return string(two.Days[i].Day)[5:] }, 2)}
		s.days.Refresh()
	}
	s.list.Refresh()
}

// stillCancelling is the orders of day d the cashier cancelled that WeChat
// has not closed yet and listed does not hold (the ledger lists an order
// once its outcome is known), newest first.
func (s *salesScreen) stillCancelling(d app.Day, listed []app.Order) []app.Order {
	have := map[string]bool{}
	for _, o := range listed {
		have[o.OutTradeNo] = true
	}
	var out []app.Order
	for no := range s.k.cancelling {
		o, err := s.k.eng.Order(no)
		if err != nil || o.State != app.StateCancelPending {
			delete(s.k.cancelling, no) // closed (or paid after all): the ledger has it
			continue
		}
		if have[no] || app.BusinessDay(o.CreatedAt, s.k.boundary, s.k.loc) != d {
			continue
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}

func (s *salesScreen) fillCards() {
	l := s.k.lang
	card := func(title, value string, c color.Color) fyne.CanvasObject {
		v := canvas.NewText(value, c)
		v.TextSize = 28 * s.k.theme.scale
		v.TextStyle = fyne.TextStyle{Bold: true}
		return container.NewStack(canvas.NewRectangle(color.White),
			container.NewPadded(container.NewVBox(widget.NewLabel(title), v)))
	}
	// The day's unexplained differences with WeChat's bill need the
	// owner too.
	flagged := s.summary.Flagged
	if s.rec != nil {
		flagged += s.rec.Open()
	}
	attention := colorInk
	if flagged > 0 {
		attention = colorDanger
	}
	refundsTitle := l.T("refunds")
	if p := s.summary.RefundsPending; p > 0 {
		// Asked for, not yet confirmed by WeChat: shown, not counted.
		refundsTitle = l.T("refunds.pending", money(p))
	}
	s.cards.Objects = []fyne.CanvasObject{
		card(l.T("gross"), money(s.summary.Gross), colorInk),
		card(l.T("count"), fmt.Sprint(s.summary.Sales), colorInk),
		card(refundsTitle, money(s.summary.Refunds), colorInk),
		card(l.T("net"), money(s.summary.Net), colorPay),
		card(l.T("attention"), fmt.Sprint(flagged), attention),
	}
	s.cards.Refresh()
}

func stateColor(o app.Order) color.Color {
	switch {
	case o.Flag != app.FlagNone:
		return colorDanger
	case o.State == app.StatePaid:
		return colorPay
	case o.State == app.StatePartiallyRefunded || o.State == app.StateRefunded:
		return colorWaiting
	}
	return colorGrey
}

func (s *salesScreen) stateText(o app.Order) string {
	t := s.detailState(o)
	if m := methodText(s.k.lang, o); m != "" {
		t += " · " + m // how it was paid, after the state so a narrow column cuts it first
	}
	return t
}

// rowCells are the list's columns for o: time, number, amount, state and
// WeChat's transaction id.
func (s *salesScreen) rowCells(o app.Order) []string {
	at := o.CreatedAt
	if !o.PaidAt.IsZero() {
		at = o.PaidAt
	}
	return []string{at.In(s.k.loc).Format("15:04"), o.OutTradeNo, money(o.Total), s.stateText(o), o.TransactionID}
}

// measureColumns sizes the list's columns for the shown orders: each as
// wide as its widest cell, so no state is cut; the transaction id takes
// what is left.
func (s *salesScreen) measureColumns() {
	var w [saleCols]float32
	size := theme.TextSize()
	// The label's padding, and a pixel each side: a label cuts a text that
	// is exactly as wide as the room it has ("20:41" shows as "20:…").
	pad := 2*theme.InnerPadding() + 2
	for _, o := range s.orders {
		for j, c := range s.rowCells(o) {
			style := fyne.TextStyle{}
			if j == 3 {
				style.Bold = stateColor(o) == colorDanger
			}
			w[j] = max(w[j], fyne.MeasureText(c, size, style).Width+pad)
		}
	}
	s.cols.widths = w
}

func (s *salesScreen) fillRow(i int, row *fyne.Container) {
	if i >= len(s.orders) {
		return
	}
	o := s.orders[i]
	// The list reuses rows laid out under earlier widths (another day, or
	// before the window was rescaled), and a label cuts its text for the
	// width it has when the text is set: widths first, then texts.
	s.cols.Layout(row.Objects, row.Size())
	for j, c := range s.rowCells(o) {
		lb := row.Objects[j].(*widget.Label)
		lb.Truncation = fyne.TextTruncateEllipsis
		lb.Importance = widget.MediumImportance
		lb.TextStyle = fyne.TextStyle{}
		if j == 3 {
			switch stateColor(o) {
			case colorDanger:
				lb.Importance = widget.DangerImportance
				lb.TextStyle.Bold = true // paid after cancel, mismatch: stand out
			case colorPay:
				lb.Importance = widget.SuccessImportance
			case colorWaiting:
				lb.Importance = widget.WarningImportance
			}
		}
		lb.SetText(c)
	}
}

// detailSummary is a sale's lines, total, payment method, WeChat's
// transaction and refunds: everything in its detail but the state (shown
// once, on a line of its own) and the history.
func (s *salesScreen) detailSummary(o app.Order) string {
	l := s.k.lang
	var b strings.Builder
	for _, ln := range o.Lines {
		fmt.Fprintf(&b, "%s ×%d  %s\n", ln.Name, ln.Qty, money(ln.Amount()))
	}
	fmt.Fprintf(&b, "%s %s", l.T("total"), money(o.Total))
	if m := methodText(l, o); m != "" {
		b.WriteString(" · " + m)
	}
	b.WriteString("\n")
	if o.TransactionID != "" {
		b.WriteString(l.T("note.paid", o.TransactionID) + "\n")
	}
	for _, r := range o.Refunds {
		fmt.Fprintf(&b, "%s %s %s · %s\n", l.T("refund"), r.OutRefundNo, money(r.Amount), l.T("refund.state."+string(r.State)))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// detailState is a sale's state with its flag, when the flag says more.
func (s *salesScreen) detailState(o app.Order) string {
	l := s.k.lang
	t := l.T("state." + string(o.State))
	if f := l.T("flag." + string(o.Flag)); o.Flag != app.FlagNone && f != t {
		t += " · " + f
	}
	return t
}

// saleDetail is an open sale's detail: its summary and state, rewritten
// when a refund, check or note changes the order.
type saleDetail struct {
	summary, state, result *widget.Label
}

func (s *salesScreen) setDetail(d *saleDetail, o app.Order) {
	d.summary.SetText(s.detailSummary(o))
	d.state.SetText(s.detailState(o))
	d.state.Importance = widget.MediumImportance
	switch stateColor(o) {
	case colorDanger:
		d.state.Importance = widget.DangerImportance
	case colorPay:
		d.state.Importance = widget.SuccessImportance
	case colorWaiting:
		d.state.Importance = widget.WarningImportance
	}
	d.state.Refresh()
}

// showDetail opens a sale: lines, state, history, reprint, refund.
func (s *salesScreen) showDetail(o app.Order) {
	l := s.k.lang
	var b strings.Builder
	b.WriteString(l.T("events") + ":\n")
	rules := noteRules()
	for _, e := range o.Events {
		fmt.Fprintf(&b, "%s  %s\n", e.At.In(s.k.loc).Format("01-02 15:04:05"), s.k.eventText(e, rules))
	}
	det := &saleDetail{summary: widget.NewLabel(""), state: widget.NewLabel(""), result: widget.NewLabel("")}
	det.summary.Wrapping = fyne.TextWrapWord
	det.state.TextStyle.Bold = true
	det.state.Wrapping = fyne.TextWrapWord
	s.setDetail(det, o)
	history := widget.NewLabel(strings.TrimSuffix(b.String(), "\n"))
	history.Wrapping = fyne.TextWrapWord
	amount := widget.NewEntry()
	amount.SetPlaceHolder(l.T("refund.amount"))
	var d dialog.Dialog
	result := det.result
	result.Wrapping = fyne.TextWrapWord
	refund := widget.NewButton(l.T("refund"), func() {
		f, err := app.ParseYuan(amount.Text)
		if err != nil {
			result.SetText(l.T("err.yuan"))
			return
		}
		if f <= 0 || f > o.Refundable() {
			result.SetText(l.T("refund.range", money(o.Refundable())))
			return
		}
		c := dialog.NewConfirm(l.T("refund"), l.T("refund.confirm", money(f), o.OutTradeNo), func(ok bool) {
			if ok {
				s.refund(o, f, det, amount)
			}
		}, s.k.win)
		c.SetConfirmText(l.T("refund"))
		c.SetDismissText(l.T("cancel"))
		c.SetConfirmImportance(widget.DangerImportance)
		s.k.showDialog(c)
	})
	refund.Importance = widget.DangerImportance
	reprint := widget.NewButton(l.T("reprint"), func() {
		s.k.request(func(ctx context.Context) error {
			_, err := s.k.eng.Reprint(ctx, o.OutTradeNo)
			return err
		}, func(err error) {
			s.k.logErr("reprint "+o.OutTradeNo, err)
			if err != nil {
				result.SetText(s.k.printErrText(err))
				return
			}
			result.SetText(l.T("reprinted"))
		})
	})
	actions := container.NewVBox(result)
	pending := false
	for _, r := range o.Refunds {
		pending = pending || r.State == app.RefundPending
	}
	switch {
	case pending:
		// WeChat's answer to a refund was lost: the same refund is asked
		// about (and resent unchanged if WeChat never got it) — never a
		// second refund.
		result.SetText(l.T("refund.pending.hint"))
		check := widget.NewButton(l.T("refund.check"), func() { s.retryRefund(o, det) })
		check.Importance = widget.HighImportance
		actions.Add(container.NewHBox(check, reprint))
	case o.State.Paid():
		actions.Add(container.NewBorder(nil, nil, nil, container.NewHBox(refund, reprint), amount))
	}
	if o.Flag == app.FlagPaidAfterCancel || o.Flag == app.FlagFoundByReconciliation {
		// The customer paid; the owner confirms the goods were given.
		handed := widget.NewButton(l.T("handed.over"), func() {
			s.k.askPIN(pinOwner, func() { s.resolve(o, l.T("handed.over.note"), det) })
		})
		actions.Add(handed)
	}
	content := container.NewBorder(nil, actions, nil, nil,
		container.NewVScroll(container.NewVBox(det.summary, det.state, history)))
	d = dialog.NewCustom(l.T("detail")+" "+o.OutTradeNo, l.T("back"),
		container.NewGridWrap(fyne.NewSize(640*s.k.theme.scale, 460*s.k.theme.scale), content), s.k.win)
	s.k.showDialog(d)
}

// export saves the chosen span as CSV or XLSX through the kiosk's own
// destination chooser (removable drives first).
func (s *salesScreen) export(f app.ExportFormat) {
	from, to := s.exportRange()
	var buf bytes.Buffer
	if err := s.k.eng.Reports().ExportWith(&buf, from, to, app.ExportOptions{Format: f, Lang: s.k.cfg.Locale}); err != nil {
		s.msg.SetText(s.k.errText(err))
		return
	}
	drives := s.drives
	if drives == nil {
		drives = systemDrives
	}
	s.chooser = s.k.chooseExport(exportFileName(s.k.lang, from, to, f), buf.Bytes(), drives, s.msg.SetText)
}

// refund asks the engine to return f of o and reports in the detail.
func (s *salesScreen) refund(o app.Order, f app.Fen, det *saleDetail, amount *widget.Entry) {
	result := det.result
	l := s.k.lang
	var got app.Order
	s.k.request(func(ctx context.Context) (err error) {
		got, err = s.k.eng.Refund(ctx, o.OutTradeNo, f, "")
		return err
	}, func(err error) {
		if err != nil {
			result.SetText(s.k.errText(err))
			s.load(s.day)
			return
		}
		s.setDetail(det, got)
		result.SetText(l.T("refund.done", money(f)))
		if got.RefundPending() > 0 {
			result.SetText(l.T("refund.waiting", money(f)))
		}
		amount.SetText("")
		s.load(s.day)
	})
}

// retryRefund asks WeChat about a refund whose answer was lost.
func (s *salesScreen) retryRefund(o app.Order, det *saleDetail) {
	result := det.result
	l := s.k.lang
	var got app.Order
	s.k.request(func(ctx context.Context) (err error) {
		got, err = s.k.eng.RetryRefund(ctx, o.OutTradeNo)
		return err
	}, func(err error) {
		if err != nil {
			result.SetText(s.k.errText(err))
			return
		}
		s.setDetail(det, got)
		result.SetText(l.T("refund.checked"))
		s.load(s.day)
	})
}

// resolve records the owner's word on a flagged order.
func (s *salesScreen) resolve(o app.Order, note string, det *saleDetail) {
	got, err := s.k.eng.Resolve(o.OutTradeNo, note)
	if err != nil {
		det.result.SetText(s.k.errText(err))
		return
	}
	s.setDetail(det, got)
	det.result.SetText(s.k.lang.T("handed.over.done"))
	s.load(s.day)
}

// exportRange is the span the owner chose, ending on the shown day: that
// day, the 7 days up to it, or its calendar month up to it.
func (s *salesScreen) exportRange() (from, to app.Day) {
	to = s.day
	switch s.span.SelectedIndex() {
	case 1:
		return to.Add(-6), to
	case 2:
		return app.Day(string(to)[:8] + "01"), to
	}
	return to, to
}

// pickDay opens a calendar on the shown day; choosing a date shows it.
func (s *salesScreen) pickDay() {
	var d dialog.Dialog
	cal := widget.NewCalendar(s.day.Time(s.k.loc), func(t time.Time) {
		d.Hide()
		s.load(app.Day(t.Format("2006-01-02")))
	})
	d = dialog.NewCustom(s.k.lang.T("pick.day"), s.k.lang.T("cancel"), cal, s.k.win)
	s.k.showDialog(d)
}

// toggleFlagged switches the list between the shown day and every order
// needing attention (paid after cancel, amount mismatch), whatever its day,
// with the days whose differences with WeChat's bill are unexplained.
func (s *salesScreen) toggleFlagged() {
	s.flagged = !s.flagged
	s.load(s.day)
}

// saleCols is the number of columns in the Sales list.
const saleCols = 5

// saleColumns lays out a Sales list row: every column but the last at the
// width of its widest cell (measureColumns), the last (the transaction id)
// in what is left, so the rows line up and the state is never cut.
type saleColumns struct {
	widths [saleCols]float32
}

func (c *saleColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	gap := theme.Padding()
	x := float32(0)
	for i, o := range objs {
		w := c.widths[min(i, saleCols-1)]
		if i == len(objs)-1 {
			w = max(0, size.Width-x)
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + gap
	}
}

func (c *saleColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(0, h)
}

package store

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"saoma/app"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX export in the default, bilingual language. A
// Chinese or English export names its sheets in that language only
// ("汇总"/"Summary", "明细"/"Detail", "按日"/"By day").
const (
	SheetSummary = "汇总 Summary"
	SheetDetail  = "明细 Detail"
	SheetByDay   = "按日 By day"
)

// Number formats of the XLSX export.
const (
	moneyFormat    = "¥#,##0.00"
	dateTimeFormat = "yyyy-mm-dd hh:mm:ss"
	dateFormat     = "yyyy-mm-dd"
	textFormat     = 49 // built-in "@": the cell stays text when edited
	paperA4        = 9  // PageLayoutOptions.Size of A4, the paper shops in China use
)

// timeLayout is how CSV times are written, in the shop's zone.
const timeLayout = "2006-01-02 15:04:05"

// ExportOptions says how ExportWith writes a file (app.ExportOptions).
type ExportOptions = app.ExportOptions

// column is one column of an export table.
type column struct {
	head  label
	width float64 // XLSX width in characters
}

// detailColumns are the columns of the CSV and of the XLSX detail sheet,
// one row per order.
var detailColumns = []column{
	{lblTime, 20}, {lblDay, 12}, {lblOutTradeNo, 22}, {lblTransaction, 32}, {lblItems, 36},
	{lblTotal, 12}, {lblRefunded, 12}, {lblRefundPending, 14}, {lblNet, 12},
	{lblState, 14}, {lblStateCode, 18}, {lblFlag, 16}, {lblFlagCode, 18}, {lblMethod, 12},
}

// dayColumns are the columns of the by-day CSV and XLSX sheet.
var dayColumns = []column{
	{lblDay, 14}, {lblPaidOrders, 12}, {lblGross, 14}, {lblRefunds, 14}, {lblRefundsPending, 16}, {lblNet, 14},
	{lblFees, 12}, {lblSettle, 16}, {lblReconState, 16},
}

// headers renders the columns' headers in lang.
func headers(cols []column, lang string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.head.in(lang)
	}
	return out
}

// guard defuses spreadsheet formula injection: a text cell starting with
// = + - @ tab or CR gets a leading apostrophe so it stays text.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// numberLike reports whether a spreadsheet opening a CSV would read s as a
// number, date or time rather than text: it has a digit and nothing but
// digits and the characters of numbers, exponents, dates and times.
func numberLike(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case strings.IndexByte(".,eE+-/: ", c) >= 0:
		default:
			return false
		}
	}
	return digit
}

// maxFormulaString is the longest string constant an Excel formula may
// hold.
const maxFormulaString = 255

// csvID writes an identifier (transaction id, out_trade_no) to a CSV cell
// so that Excel, WPS and LibreOffice keep every digit. A number-like id is
// written as the formula ="4200…": it evaluates to the id as text, so a
// 28-digit transaction id is not turned into 4.20077507820261E+27. It is
// safe from formula injection because s holds no quote (numberLike allows
// none), so it cannot leave the string literal. Any other id is text to a
// spreadsheet already and only gets the usual guard.
func csvID(s string) string {
	if len(s) <= maxFormulaString && numberLike(s) {
		return `="` + s + `"`
	}
	return guard(s)
}

// items renders a row's lines as "美式咖啡 ×2; 拿铁 ×1".
func (r *row) items() string {
	var b strings.Builder
	for i, l := range r.Lines {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(l.Name)
		b.WriteString(" ×")
		b.WriteString(strconv.Itoa(l.Qty))
	}
	return b.String()
}

// net is the money the order leaves with the shop: nothing unless paid,
// and refunds only once WeChat reports them succeeded.
func (r *row) net() app.Fen {
	if !r.State.Paid() {
		return 0
	}
	return r.Total - r.Refunded
}

// exportRows collects the rows of from..to and their summary from one read
// transaction, so both sheets agree.
func (s *Store) exportRows(from, to app.Day) ([]dayRow, app.Summary, error) {
	n, err := checkRange(from, to)
	if err != nil {
		return nil, app.Summary{}, err
	}
	acc := newSummer(from, n)
	var rows []dayRow
	err = s.scan(from, to, func(r *dayRow) error {
		rows = append(rows, *r)
		return acc.add(r)
	}, acc.addRefund)
	if err != nil {
		return nil, app.Summary{}, err
	}
	return rows, acc.finish(), nil
}

// Export writes business days from..to to w with the default options
// (bilingual labels, one CSV row per order): see ExportWith.
func (s *Store) Export(w io.Writer, from, to app.Day, f app.ExportFormat) error {
	return s.ExportWith(w, from, to, ExportOptions{Format: f})
}

// ExportWith writes business days from..to to w as opts asks.
//
// CSV is UTF-8 with a BOM so Excel reads Chinese: one row per order of those
// days' sales with its refunds succeeded and still pending, or with
// opts.ByDay one row per day. Number-like ids are written as ="…" so a
// spreadsheet keeps them as text (see csvID).
//
// XLSX has a summary sheet (whose refunds and pending refunds are those
// asked for in the range, see Summary), a detail sheet like the CSV, and a
// by-day sheet when the range spans several days. Times are date-time cells
// in the shop's zone, amounts numbers formatted ¥#,##0.00, ids text cells;
// every sheet has a frozen header row and prints landscape on A4, one page
// wide, repeating its header row.
//
// In both, text cells that could be read as formulas are defused with a
// leading apostrophe. Nothing is written when the options or range are
// invalid (ErrInvalid).
func (s *Store) ExportWith(w io.Writer, from, to app.Day, opts ExportOptions) error {
	if opts.Format != app.ExportCSV && opts.Format != app.ExportXLSX {
		return fmt.Errorf("export: format %q: want csv or xlsx: %w", opts.Format, ErrInvalid)
	}
	if opts.Lang != ExportBilingual && opts.Lang != ExportChinese && opts.Lang != ExportEnglish {
		return fmt.Errorf("export: language %q: want zh, en or both: %w", opts.Lang, ErrInvalid)
	}
	rows, sum, err := s.exportRows(from, to)
	if err != nil {
		return fmt.Errorf("export %s to %s: %w", from, to, err)
	}
	recs, err := s.Reconciliations(from, to)
	if err != nil {
		return fmt.Errorf("export %s to %s: %w", from, to, err)
	}
	switch {
	case opts.Format == app.ExportXLSX:
		err = writeXLSX(w, rows, sum, recs, opts.Lang)
	case opts.ByDay:
		err = writeDaysCSV(w, sum, recs, opts.Lang)
	default:
		err = writeCSV(w, rows, opts.Lang)
	}
	if err != nil {
		return fmt.Errorf("export %s to %s as %s: %w", from, to, opts.Format, err)
	}
	return nil
}

// csvFile writes a CSV with a BOM, buffered, keeping the first error.
type csvFile struct {
	bw *bufio.Writer
	cw *csv.Writer
}

func newCSVFile(w io.Writer, header []string) (*csvFile, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	f := &csvFile{bw: bw, cw: csv.NewWriter(bw)}
	return f, f.cw.Write(header)
}

func (f *csvFile) close() error {
	f.cw.Flush()
	if err := f.cw.Error(); err != nil {
		return err
	}
	return f.bw.Flush()
}

func writeCSV(w io.Writer, rows []dayRow, lang string) error {
	f, err := newCSVFile(w, headers(detailColumns, lang))
	if err != nil {
		return err
	}
	rec := make([]string, len(detailColumns))
	for i := range rows {
		r := &rows[i]
		rec[0] = r.At.Format(timeLayout)
		rec[1] = string(r.Day)
		rec[2] = csvID(r.OutTradeNo)
		rec[3] = csvID(r.TransactionID)
		rec[4] = guard(r.items())
		rec[5] = r.Total.Yuan()
		rec[6] = r.Refunded.Yuan()
		rec[7] = r.Pending.Yuan()
		rec[8] = r.net().Yuan()
		rec[9] = guard(stateText(r.State, lang))
		rec[10] = guard(string(r.State))
		rec[11] = guard(flagText(r.Flag, lang))
		rec[12] = guard(string(r.Flag))
		rec[13] = methodText(r.Mode, lang)
		if err := f.cw.Write(rec); err != nil {
			return err
		}
	}
	return f.close()
}

// writeDaysCSV writes one row per business day of the summary's range,
// quiet days included, so a month export has every date.
func writeDaysCSV(w io.Writer, sum app.Summary, recs []app.Reconciliation, lang string) error {
	f, err := newCSVFile(w, headers(dayColumns, lang))
	if err != nil {
		return err
	}
	byDay := reconByDay(recs)
	for _, d := range sum.Days {
		rec := []string{string(d.Day), strconv.Itoa(d.Sales), d.Gross.Yuan(), d.Refunds.Yuan(), d.RefundsPending.Yuan(), d.Net.Yuan(), "", "", textOf(reconStates, app.Unreconciled, lang)}
		if r, ok := byDay[d.Day]; ok {
			rec[6], rec[7], rec[8] = r.Fees.Yuan(), r.Net.Yuan(), textOf(reconStates, r.State, lang)
		}
		if err := f.cw.Write(rec); err != nil {
			return err
		}
	}
	return f.close()
}

// yuanNumber turns fen into the number a spreadsheet cell shows. The value
// is parsed from the exact decimal string, so no float arithmetic touches
// money; the float exists only in the file.
func yuanNumber(f app.Fen) float64 {
	v, _ := strconv.ParseFloat(f.Yuan(), 64)
	return v
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts from
// 1 March 1900 on (Excel's phantom 29 February 1900 is why it is the 30th).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelTime is the serial number of t's wall-clock time in its own zone,
// to the second: a spreadsheet cell has no zone, so the cell shows the
// time the shop's clock showed.
func excelTime(t time.Time) float64 {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	return float64(wall.Sub(excelEpoch)/time.Second) / 86400
}

// excelDay is the serial number of a business day; a malformed day (never
// in a ledger that passed checkRange) becomes text.
func excelDay(d app.Day) any {
	t, err := time.Parse(app.DayLayout, string(d))
	if err != nil {
		return string(d)
	}
	return float64(t.Sub(excelEpoch) / (24 * time.Hour))
}

// styles are the XLSX cell styles of an export.
type styles struct {
	money, dateTime, date, text, bold int
}

func newStyles(x *excelize.File) (styles, error) {
	var st styles
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.money, excelize.Style{CustomNumFmt: ptr(moneyFormat)}},
		{&st.dateTime, excelize.Style{CustomNumFmt: ptr(dateTimeFormat)}},
		{&st.date, excelize.Style{CustomNumFmt: ptr(dateFormat)}},
		{&st.text, excelize.Style{NumFmt: textFormat}},
		{&st.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
	} {
		id, err := x.NewStyle(&s.style)
		if err != nil {
			return st, err
		}
		*s.id = id
	}
	return st, nil
}

// sheetNames are the export's sheet names in its language.
type sheetNames struct{ summary, detail, byDay string }

func namesIn(lang string) sheetNames {
	return sheetNames{sheetSummary.in(lang), sheetDetail.in(lang), sheetByDay.in(lang)}
}

func writeXLSX(w io.Writer, rows []dayRow, sum app.Summary, recs []app.Reconciliation, lang string) (err error) {
	x := excelize.NewFile()
	defer func() {
		if cerr := x.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	st, err := newStyles(x)
	if err != nil {
		return err
	}
	names := namesIn(lang)
	if err := x.SetSheetName("Sheet1", names.summary); err != nil {
		return err
	}
	if err := writeSummarySheet(x, names.summary, sum, st, lang); err != nil {
		return fmt.Errorf("summary sheet: %w", err)
	}
	if err := writeDetailSheet(x, names.detail, rows, st, lang); err != nil {
		return fmt.Errorf("detail sheet: %w", err)
	}
	if len(sum.Days) > 1 {
		if err := writeDaySheet(x, names.byDay, sum, recs, st, lang); err != nil {
			return fmt.Errorf("by-day sheet: %w", err)
		}
	}
	if len(recs) > 0 {
		if err := writeReconSheets(x, recs, st, lang); err != nil {
			return fmt.Errorf("reconciliation sheets: %w", err)
		}
	}
	_, err = x.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

// preparePrint makes sheet print as an accountant files it: landscape A4,
// scaled to one page wide and as many pages tall as it takes, row 1
// repeated on every page, and row 1 frozen on screen. For a streamed sheet
// it must run before the stream writer is made, which copies these
// settings.
func preparePrint(x *excelize.File, sheet string) error {
	if err := x.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := x.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size:        ptr(paperA4),
		Orientation: ptr("landscape"),
		FitToWidth:  ptr(1),
		FitToHeight: ptr(0), // 0: as many pages tall as the rows need
	}); err != nil {
		return err
	}
	quoted := "'" + strings.ReplaceAll(sheet, "'", "''") + "'"
	if err := x.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: quoted + "!$1:$1", Scope: sheet,
	}); err != nil {
		return err
	}
	return x.SetPanes(sheet, headerPane)
}

// headerPane freezes row 1.
var headerPane = &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}

// sheetRows writes rows one after another to a sheet, keeping the first
// error so the caller checks once.
type sheetRows struct {
	x     *excelize.File
	sheet string
	money int
	r     int
	err   error
}

// put writes vals as the next row; style (if not 0) applies to the whole
// row, and the 1-based moneyCols get the money format.
func (w *sheetRows) put(style int, moneyCols []int, vals ...any) {
	w.r++
	if w.err != nil || len(vals) == 0 {
		return
	}
	first, err := excelize.CoordinatesToCellName(1, w.r)
	if err != nil {
		w.err = err
		return
	}
	if w.err = w.x.SetSheetRow(w.sheet, first, &vals); w.err != nil {
		return
	}
	if style != 0 {
		last, _ := excelize.CoordinatesToCellName(len(vals), w.r)
		w.err = w.x.SetCellStyle(w.sheet, first, last, style)
	}
	for _, c := range moneyCols {
		if w.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(c, w.r)
		w.err = w.x.SetCellStyle(w.sheet, cell, cell, w.money)
	}
}

func writeSummarySheet(x *excelize.File, sheet string, sum app.Summary, st styles, lang string) error {
	if err := preparePrint(x, sheet); err != nil {
		return err
	}
	w := &sheetRows{x: x, sheet: sheet, money: st.money}
	yuan := []int{2}
	w.put(st.bold, nil, lblPeriod.in(lang), string(sum.From)+" – "+string(sum.To))
	w.put(0, nil, lblSales.in(lang), sum.Sales)
	w.put(0, yuan, lblGross.in(lang), yuanNumber(sum.Gross))
	w.put(0, yuan, lblRefunds.in(lang), yuanNumber(sum.Refunds))
	w.put(0, yuan, lblRefundsPending.in(lang), yuanNumber(sum.RefundsPending))
	w.put(0, yuan, lblNet.in(lang), yuanNumber(sum.Net))
	w.put(0, nil, lblFlagged.in(lang), sum.Flagged)
	w.put(0, nil)
	w.put(st.bold, nil, lblDay.in(lang), lblSales.in(lang), lblGross.in(lang), lblRefunds.in(lang), lblRefundsPending.in(lang), lblNet.in(lang))
	for _, d := range sum.Days {
		w.put(0, []int{3, 4, 5, 6}, string(d.Day), d.Sales, yuanNumber(d.Gross), yuanNumber(d.Refunds),
			yuanNumber(d.RefundsPending), yuanNumber(d.Net))
	}
	w.put(0, nil)
	w.put(st.bold, nil, lblProduct.in(lang), lblProductID.in(lang), lblQty.in(lang), lblAmount.in(lang))
	for _, p := range sum.ByProduct {
		w.put(0, []int{4}, guard(p.Name), guard(p.ProductID), p.Qty, yuanNumber(p.Amount))
		if w.err == nil {
			cell, _ := excelize.CoordinatesToCellName(2, w.r)
			w.err = x.SetCellStyle(sheet, cell, cell, st.text)
		}
	}
	if w.err != nil {
		return w.err
	}
	return x.SetColWidth(sheet, "A", "F", 22)
}

// headRow is the bold header row of a streamed sheet.
func headRow(cols []column, lang string, bold int) []any {
	head := make([]any, len(cols))
	for i, h := range headers(cols, lang) {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	return head
}

// streamSheet makes a new sheet ready for printing and returns its stream
// writer with the column widths set and the header row written.
func streamSheet(x *excelize.File, sheet string, cols []column, lang string, bold int) (*excelize.StreamWriter, error) {
	if _, err := x.NewSheet(sheet); err != nil {
		return nil, err
	}
	if err := preparePrint(x, sheet); err != nil {
		return nil, err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	// Right to left: excelize's stream writer lists a sheet's columns in
	// the reverse order they were set, and Excel wants them ascending.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return nil, err
		}
	}
	return sw, sw.SetRow("A1", headRow(cols, lang, bold))
}

func writeDetailSheet(x *excelize.File, sheet string, rows []dayRow, st styles, lang string) error {
	sw, err := streamSheet(x, sheet, detailColumns, lang, st.bold)
	if err != nil {
		return err
	}
	vals := make([]any, len(detailColumns))
	money := func(f app.Fen) excelize.Cell { return excelize.Cell{StyleID: st.money, Value: yuanNumber(f)} }
	text := func(s string) excelize.Cell { return excelize.Cell{StyleID: st.text, Value: s} }
	for i := range rows {
		r := &rows[i]
		vals[0] = excelize.Cell{StyleID: st.dateTime, Value: excelTime(r.At)}
		vals[1] = excelize.Cell{StyleID: st.date, Value: excelDay(r.Day)}
		vals[2] = text(guard(r.OutTradeNo))
		vals[3] = text(guard(r.TransactionID))
		vals[4] = guard(r.items())
		vals[5] = money(r.Total)
		vals[6] = money(r.Refunded)
		vals[7] = money(r.Pending)
		vals[8] = money(r.net())
		vals[9] = guard(stateText(r.State, lang))
		vals[10] = guard(string(r.State))
		vals[11], vals[12] = nil, nil // no flag: blank cells, not empty text
		if r.Flag != app.FlagNone {
			vals[11] = guard(flagText(r.Flag, lang))
			vals[12] = guard(string(r.Flag))
		}
		vals[13] = methodText(r.Mode, lang)
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// writeDaySheet writes one row per business day and a total row.
func writeDaySheet(x *excelize.File, sheet string, sum app.Summary, recs []app.Reconciliation, st styles, lang string) error {
	byDay := reconByDay(recs)
	sw, err := streamSheet(x, sheet, dayColumns, lang, st.bold)
	if err != nil {
		return err
	}
	money := func(f app.Fen, style int) excelize.Cell { return excelize.Cell{StyleID: style, Value: yuanNumber(f)} }
	for i, d := range sum.Days {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		vals := []any{
			excelize.Cell{StyleID: st.date, Value: excelDay(d.Day)}, d.Sales,
			money(d.Gross, st.money), money(d.Refunds, st.money), money(d.RefundsPending, st.money), money(d.Net, st.money),
			nil, nil, textOf(reconStates, app.Unreconciled, lang),
		}
		if r, ok := byDay[d.Day]; ok {
			vals[6], vals[7], vals[8] = money(r.Fees, st.money), money(r.Net, st.money), textOf(reconStates, r.State, lang)
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	boldMoney, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr(moneyFormat), Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	cell, err := excelize.CoordinatesToCellName(1, len(sum.Days)+2)
	if err != nil {
		return err
	}
	if err := sw.SetRow(cell, []any{
		excelize.Cell{StyleID: st.bold, Value: lblSum.in(lang)}, excelize.Cell{StyleID: st.bold, Value: sum.Sales},
		money(sum.Gross, boldMoney), money(sum.Refunds, boldMoney), money(sum.RefundsPending, boldMoney), money(sum.Net, boldMoney),
	}); err != nil {
		return err
	}
	return sw.Flush()
}

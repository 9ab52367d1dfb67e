package store

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"saoma/app"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX export.
const (
	SheetSummary = "汇总 Summary"
	SheetDetail  = "明细 Detail"
)

// moneyFormat is the XLSX number format of amounts.
const moneyFormat = "¥#,##0.00"

// timeLayout is how export times are written, in the shop's zone.
const timeLayout = "2006-01-02 15:04:05"

// detailHeader is the header of the CSV and of the XLSX detail sheet.
var detailHeader = []string{
	"时间 Time", "营业日 Day", "订单号 Out trade no", "微信支付单号 Transaction id", "商品 Items",
	"金额 Total", "已退款 Refunded", "退款处理中 Refund pending", "净额 Net", "状态 State", "标记 Flag",
}

// guard defuses spreadsheet formula injection: a text cell starting with
// = + - @ tab or CR gets a leading apostrophe so it stays text.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
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

// Export writes business days from..to to w: CSV (UTF-8 with a BOM so
// Excel reads Chinese, one row per order of those days' sales, with its
// refunds succeeded and still pending) or XLSX (a summary sheet whose
// refunds and pending refunds are those asked for in the range, see
// Summary, and a detail sheet like the CSV, amounts as numbers formatted
// ¥#,##0.00). Text cells that
// could be read as formulas are defused with a leading apostrophe.
func (s *Store) Export(w io.Writer, from, to app.Day, f app.ExportFormat) error {
	if f != app.ExportCSV && f != app.ExportXLSX {
		return fmt.Errorf("export: format %q: want csv or xlsx: %w", f, ErrInvalid)
	}
	rows, sum, err := s.exportRows(from, to)
	if err != nil {
		return fmt.Errorf("export %s to %s: %w", from, to, err)
	}
	if f == app.ExportCSV {
		err = writeCSV(w, rows)
	} else {
		err = writeXLSX(w, rows, sum)
	}
	if err != nil {
		return fmt.Errorf("export %s to %s as %s: %w", from, to, f, err)
	}
	return nil
}

func writeCSV(w io.Writer, rows []dayRow) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(detailHeader); err != nil {
		return err
	}
	rec := make([]string, len(detailHeader))
	for i := range rows {
		r := &rows[i]
		rec[0] = r.At.Format(timeLayout)
		rec[1] = string(r.Day)
		rec[2] = guard(r.OutTradeNo)
		rec[3] = guard(r.TransactionID)
		rec[4] = guard(r.items())
		rec[5] = r.Total.Yuan()
		rec[6] = r.Refunded.Yuan()
		rec[7] = r.Pending.Yuan()
		rec[8] = r.net().Yuan()
		rec[9] = guard(string(r.State))
		rec[10] = guard(string(r.Flag))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// yuanNumber turns fen into the number a spreadsheet cell shows. The value
// is parsed from the exact decimal string, so no float arithmetic touches
// money; the float exists only in the file.
func yuanNumber(f app.Fen) float64 {
	v, _ := strconv.ParseFloat(f.Yuan(), 64)
	return v
}

func writeXLSX(w io.Writer, rows []dayRow, sum app.Summary) (err error) {
	x := excelize.NewFile()
	defer func() {
		if cerr := x.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	money, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr(moneyFormat)})
	if err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := x.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	if err := writeSummarySheet(x, sum, money, bold); err != nil {
		return fmt.Errorf("summary sheet: %w", err)
	}
	if _, err := x.NewSheet(SheetDetail); err != nil {
		return err
	}
	if err := writeDetailSheet(x, rows, money, bold); err != nil {
		return fmt.Errorf("detail sheet: %w", err)
	}
	_, err = x.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

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

func writeSummarySheet(x *excelize.File, sum app.Summary, money, bold int) error {
	w := &sheetRows{x: x, sheet: SheetSummary, money: money}
	yuan := []int{2}
	w.put(bold, nil, "期间 Period", string(sum.From)+" – "+string(sum.To))
	w.put(0, nil, "笔数 Sales", sum.Sales)
	w.put(0, yuan, "收款 Gross", yuanNumber(sum.Gross))
	w.put(0, yuan, "退款 Refunds", yuanNumber(sum.Refunds))
	w.put(0, yuan, "退款处理中 Refunds pending", yuanNumber(sum.RefundsPending))
	w.put(0, yuan, "净额 Net", yuanNumber(sum.Net))
	w.put(0, nil, "待处理 Flagged", sum.Flagged)
	w.put(0, nil)
	w.put(bold, nil, "营业日 Day", "笔数 Sales", "收款 Gross", "退款 Refunds", "退款处理中 Refunds pending", "净额 Net")
	for _, d := range sum.Days {
		w.put(0, []int{3, 4, 5, 6}, string(d.Day), d.Sales, yuanNumber(d.Gross), yuanNumber(d.Refunds),
			yuanNumber(d.RefundsPending), yuanNumber(d.Net))
	}
	w.put(0, nil)
	w.put(bold, nil, "商品 Product", "编号 Id", "数量 Qty", "金额 Amount")
	for _, p := range sum.ByProduct {
		w.put(0, []int{4}, guard(p.Name), guard(p.ProductID), p.Qty, yuanNumber(p.Amount))
	}
	if w.err != nil {
		return w.err
	}
	return x.SetColWidth(SheetSummary, "A", "F", 18)
}

func writeDetailSheet(x *excelize.File, rows []dayRow, money, bold int) error {
	sw, err := x.NewStreamWriter(SheetDetail)
	if err != nil {
		return err
	}
	widths := []float64{20, 12, 26, 32, 40, 12, 12, 14, 12, 18, 18}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	head := make([]any, len(detailHeader))
	for i, h := range detailHeader {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	vals := make([]any, len(detailHeader))
	for i := range rows {
		r := &rows[i]
		vals[0] = r.At.Format(timeLayout)
		vals[1] = string(r.Day)
		vals[2] = guard(r.OutTradeNo)
		vals[3] = guard(r.TransactionID)
		vals[4] = guard(r.items())
		vals[5] = excelize.Cell{StyleID: money, Value: yuanNumber(r.Total)}
		vals[6] = excelize.Cell{StyleID: money, Value: yuanNumber(r.Refunded)}
		vals[7] = excelize.Cell{StyleID: money, Value: yuanNumber(r.Pending)}
		vals[8] = excelize.Cell{StyleID: money, Value: yuanNumber(r.net())}
		vals[9] = guard(string(r.State))
		vals[10] = guard(string(r.Flag))
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

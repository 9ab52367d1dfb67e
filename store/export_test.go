package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"saoma/app"

	"github.com/xuri/excelize/v2"
)

// longTX is a real-looking 28-digit WeChat transaction id: a spreadsheet
// that reads it as a number keeps only 15 digits of it.
const longTX = "4200775078202612022235580601"

// exportDay stores a day with a sale with a refund still pending, a partly
// refunded sale, a closed order, a sale of a product whose name tries
// formula injection, and an order paid after it was cancelled (flagged)
// whose transaction id has WeChat's 28 digits.
func exportDay(t *testing.T) *Store {
	t.Helper()
	s := mustOpenStore(t)
	a := mustPaid(t, s, "K120261122000001", at(8, 15))
	if _, err := s.AddRefund(a.OutTradeNo, app.Refund{OutRefundNo: "R1", Amount: 600}, at(8, 30)); err != nil {
		t.Fatal(err)
	}
	b := mustPaid(t, s, "K120261122000002", at(12, 5))
	if _, err := s.AddRefund(b.OutTradeNo, app.Refund{OutRefundNo: "R2", Amount: 1000, State: app.RefundSucceeded}, at(12, 30)); err != nil {
		t.Fatal(err)
	}
	mustClosed(t, s, newOrder("K120261122000003", at(13, 0)))
	evil := app.Order{OutTradeNo: "K120261122000004", KioskID: "K1", CreatedAt: at(15, 0), Total: 500, CodeURL: "weixin://x",
		Lines: []app.Line{{ProductID: "9", Name: "=HYPERLINK(\"http://x\")", UnitPrice: 500, Qty: 1}}}
	mustCreate(t, s, evil)
	if _, _, err := s.Confirm(paidConfirmation(evil, "@TX4", at(15, 1)), at(15, 1)); err != nil {
		t.Fatal(err)
	}
	late := newOrder("K120261122000005", at(16, 0))
	mustClosed(t, s, late)
	if _, _, err := s.Confirm(paidConfirmation(late, longTX, at(16, 2)), at(16, 2)); err != nil {
		t.Fatal(err)
	}
	return s
}

// mustClosed creates o and cancels it a minute later.
func mustClosed(t *testing.T, s *Store, o app.Order) {
	t.Helper()
	mustCreate(t, s, o)
	if _, err := s.Update(o.OutTradeNo, func(o *app.Order) error {
		return o.Move(app.StateClosed, app.SourceCashier, o.CreatedAt.Add(time.Minute), "cancel")
	}); err != nil {
		t.Fatal(err)
	}
}

// exportMonthEnd stores a sale on 2026-11-21, its refund and another sale
// on 2026-11-22, and nothing on 2026-11-23.
func exportMonthEnd(t *testing.T) *Store {
	t.Helper()
	s := mustOpenStore(t)
	a := mustPaid(t, s, "K120261121000001", time.Date(2026, 11, 21, 10, 0, 0, 0, shanghai))
	if _, err := s.AddRefund(a.OutTradeNo, app.Refund{OutRefundNo: "R1", Amount: 1000, State: app.RefundSucceeded}, at(9, 0)); err != nil {
		t.Fatal(err)
	}
	mustPaid(t, s, "K120261122000001", at(12, 0))
	b := mustPaid(t, s, "K120261122000002", at(13, 0))
	if _, err := s.AddRefund(b.OutTradeNo, app.Refund{OutRefundNo: "R2", Amount: 500}, at(13, 5)); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustExport(t *testing.T, s *Store, from, to app.Day, opts ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.ExportWith(&buf, from, to, opts); err != nil {
		t.Fatalf("export %s..%s %+v: %v", from, to, opts, err)
	}
	return buf.Bytes()
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Fatalf("CSV has no BOM: %q", b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func openXLSX(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

func TestExportCSVMatchesGolden(t *testing.T) {
	s := exportDay(t)
	var buf bytes.Buffer
	if err := s.Export(&buf, "2026-11-22", "2026-11-22", app.ExportCSV); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export_2026-11-22.csv")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Fatalf("CSV differs from %s (run with -update and review the diff):\n%s", golden, got)
	}
	got := buf.String()
	if !strings.HasPrefix(got, "\uFEFF") || !strings.Contains(got, "美式咖啡 ×2") || !strings.Contains(got, "'=HYPERLINK") || !strings.Contains(got, "'@TX4") {
		t.Fatalf("want a BOM, Chinese names and defused formulas:\n%s", got)
	}
}

func TestExportCSVKeepsTransactionIDsAsText(t *testing.T) {
	recs := readCSV(t, mustExport(t, exportDay(t), "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportCSV}))
	if len(recs) != 6 {
		t.Fatalf("%d records, want a header and 5 orders", len(recs))
	}
	if got, want := recs[5][3], `="`+longTX+`"`; got != want {
		t.Fatalf("28-digit transaction id written as %q, want %q", got, want)
	}
	if got := recs[1][2]; got != "K120261122000001" {
		t.Fatalf("an out_trade_no with letters is already text, written as %q", got)
	}
}

func TestCSVIDForms(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"a 28-digit transaction id becomes a text formula", longTX, `="` + longTX + `"`},
		{"an all-digit out_trade_no becomes a text formula", "0012026112200001", `="0012026112200001"`},
		{"a date-like id becomes a text formula", "2026-11-22", `="2026-11-22"`},
		{"a sum stays a string literal, never arithmetic", "-2+3", `="-2+3"`},
		{"an id with letters is left alone", "K120261122000001", "K120261122000001"},
		{"an id starting with = is defused", "=1+1", "'=1+1"},
		{"an id starting with @ is defused", "@TX4", "'@TX4"},
		{"a quote cannot close the literal: not wrapped", `1"&HYPERLINK("x")&"`, `1"&HYPERLINK("x")&"`},
		{"empty stays empty", "", ""},
		{"digits too long for a formula string stay plain", strings.Repeat("1", 256), strings.Repeat("1", 256)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := csvID(c.in); got != c.want {
				t.Fatalf("csvID(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestExportXLSXHasNumbersAndSheets(t *testing.T) {
	x := openXLSX(t, mustExport(t, exportDay(t), "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX}))
	if got := x.GetSheetList(); len(got) != 2 || got[0] != SheetSummary || got[1] != SheetDetail {
		t.Fatalf("sheets of a one-day export: %v", got)
	}
	rows, err := x.GetRows(SheetDetail)
	if err != nil || len(rows) != 6 {
		t.Fatalf("detail rows: %d, %v", len(rows), err)
	}
	if rows[1][4] != "美式咖啡 ×2; 牛角面包 ×1" || rows[4][4] != "'=HYPERLINK(\"http://x\") ×1" {
		t.Fatalf("items: %q / %q", rows[1][4], rows[4][4])
	}
	for _, cell := range []string{"F2", "G3", "H2", "I3"} {
		typ, err := x.GetCellType(SheetDetail, cell)
		if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
			t.Fatalf("%s is type %v, want a number", cell, typ)
		}
	}
	raw, _ := x.GetCellValue(SheetDetail, "I3", excelize.Options{RawCellValue: true})
	if raw != "36" {
		t.Fatalf("net of the refunded sale = %q, want 36", raw)
	}
	raw, _ = x.GetCellValue(SheetDetail, "H2", excelize.Options{RawCellValue: true})
	if raw != "6" {
		t.Fatalf("pending refund of the first sale = %q, want 6", raw)
	}
	shown, _ := x.GetCellValue(SheetDetail, "F2")
	if shown != "¥46.00" {
		t.Fatalf("total shown as %q, want ¥46.00", shown)
	}
	for _, c := range []struct{ label, cell, want string }{
		{"收款 Gross", "B3", "143"},
		{"退款 Refunds", "B4", "10"},
		{"退款处理中 Refunds pending", "B5", "6"},
		{"净额 Net", "B6", "133"},
	} {
		label, _ := x.GetCellValue(SheetSummary, "A"+c.cell[1:])
		got, _ := x.GetCellValue(SheetSummary, c.cell, excelize.Options{RawCellValue: true})
		if label != c.label || got != c.want {
			t.Errorf("summary %s: %q = %q, want %q = %q", c.cell, label, got, c.label, c.want)
		}
	}
}

func TestExportXLSXTimesAreDateTimeCells(t *testing.T) {
	x := openXLSX(t, mustExport(t, exportDay(t), "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX}))
	for _, c := range []struct{ cell, raw, shown string }{
		// 2026-11-22 is day 46348 of Excel's 1900 system; 08:15 is 0.34375 of a day.
		{"A2", "46348.34375", "2026-11-22 08:15:00"},
		{"B2", "46348", "2026-11-22"},
	} {
		typ, err := x.GetCellType(SheetDetail, c.cell)
		if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
			t.Errorf("%s is type %v (%v), want a number formatted as a date", c.cell, typ, err)
		}
		raw, _ := x.GetCellValue(SheetDetail, c.cell, excelize.Options{RawCellValue: true})
		shown, _ := x.GetCellValue(SheetDetail, c.cell)
		if raw != c.raw || shown != c.shown {
			t.Errorf("%s = %q shown %q, want %q shown %q", c.cell, raw, shown, c.raw, c.shown)
		}
	}
}

func TestExcelTimeIsTheShopsWallClock(t *testing.T) {
	utc := time.Date(2026, 11, 22, 0, 15, 0, 0, time.UTC) // 08:15 in Shanghai
	if got, want := excelTime(utc.In(shanghai)), 46348.34375; got != want {
		t.Fatalf("excelTime = %v, want %v (the shop's 08:15, not UTC's 00:15)", got, want)
	}
}

func TestExportXLSXIDsAreTextCells(t *testing.T) {
	x := openXLSX(t, mustExport(t, exportDay(t), "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX}))
	for _, c := range []struct{ cell, want string }{
		{"C2", "K120261122000001"},
		{"D6", longTX},
		{"D5", "'@TX4"},
	} {
		typ, err := x.GetCellType(SheetDetail, c.cell)
		if err != nil || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
			t.Errorf("%s is type %v (%v), want text", c.cell, typ, err)
		}
		got, _ := x.GetCellValue(SheetDetail, c.cell, excelize.Options{RawCellValue: true})
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.cell, got, c.want)
		}
		id, _ := x.GetCellStyle(SheetDetail, c.cell)
		st, err := x.GetStyle(id)
		if err != nil || st.NumFmt != textFormat {
			t.Errorf("%s has number format %d (%v), want %d (text) so an edit keeps it text", c.cell, st.NumFmt, err, textFormat)
		}
	}
}

func TestExportXLSXSheetsPrintAndFreezeTheirHeader(t *testing.T) {
	x := openXLSX(t, mustExport(t, exportMonthEnd(t), "2026-11-21", "2026-11-23", ExportOptions{Format: app.ExportXLSX}))
	sheets := x.GetSheetList()
	if len(sheets) != 3 {
		t.Fatalf("sheets: %v", sheets)
	}
	titles := map[string]string{}
	for _, d := range x.GetDefinedName() {
		if d.Name == "_xlnm.Print_Titles" {
			titles[d.Scope] = d.RefersTo
		}
	}
	for _, sheet := range sheets {
		t.Run(sheet, func(t *testing.T) {
			layout, err := x.GetPageLayout(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 ||
				layout.FitToHeight == nil || *layout.FitToHeight != 0 || *layout.Size != paperA4 {
				t.Errorf("page layout: orientation %s, size %d, fit %v×%v; want landscape A4 one page wide",
					*layout.Orientation, *layout.Size, layout.FitToWidth, layout.FitToHeight)
			}
			props, err := x.GetSheetProps(sheet)
			if err != nil || props.FitToPage == nil || !*props.FitToPage {
				t.Errorf("fit to page is off (%v), so Excel ignores the fit", err)
			}
			panes, err := x.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
				t.Errorf("panes %+v (%v), want row 1 frozen", panes, err)
			}
			if want := "'" + sheet + "'!$1:$1"; titles[sheet] != want {
				t.Errorf("print titles %q, want %q", titles[sheet], want)
			}
			for col, min := range map[string]float64{"A": 12, "B": 10} {
				if w, err := x.GetColWidth(sheet, col); err != nil || w < min {
					t.Errorf("column %s is %v wide (%v), want at least %v", col, w, err, min)
				}
			}
		})
	}
}

func TestExportLabelsInTheExportsLanguage(t *testing.T) {
	s := exportDay(t)
	for _, c := range []struct {
		lang                          string
		timeHead, label, flag, detail string
	}{
		{ExportBilingual, "时间 Time", "取消后到账 Paid after cancel", "取消后到账 Paid after cancel", SheetDetail},
		{ExportChinese, "时间", "取消后到账", "取消后到账", "明细"},
		{ExportEnglish, "Time", "Paid after cancel", "Paid after cancel", "Detail"},
	} {
		t.Run("lang "+c.lang, func(t *testing.T) {
			recs := readCSV(t, mustExport(t, s, "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportCSV, Lang: c.lang}))
			late := recs[5]
			if recs[0][0] != c.timeHead || late[9] != c.label || late[11] != c.flag {
				t.Errorf("CSV header %q, state %q, flag %q; want %q, %q, %q", recs[0][0], late[9], late[11], c.timeHead, c.label, c.flag)
			}
			if late[10] != string(app.StatePaidAfterCancel) || late[12] != string(app.FlagPaidAfterCancel) {
				t.Errorf("machine codes %q / %q, want them untranslated", late[10], late[12])
			}
			if recs[1][11] != "" || recs[1][12] != "" {
				t.Errorf("an unflagged order has flag %q / %q", recs[1][11], recs[1][12])
			}
			x := openXLSX(t, mustExport(t, s, "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX, Lang: c.lang}))
			if got := x.GetSheetList(); got[1] != c.detail {
				t.Fatalf("XLSX sheets %v, want the detail sheet named %q", got, c.detail)
			}
			if got, _ := x.GetCellValue(c.detail, "J6"); got != c.label {
				t.Errorf("XLSX state %q, want %q", got, c.label)
			}
		})
	}
}

func TestExportByDayCSVHasEveryDayAndRefundsOnTheirDay(t *testing.T) {
	recs := readCSV(t, mustExport(t, exportMonthEnd(t), "2026-11-21", "2026-11-23", ExportOptions{Format: app.ExportCSV, ByDay: true}))
	want := [][]string{
		{"营业日 Day", "收款笔数 Paid orders", "收款 Gross", "退款 Refunds", "退款处理中 Refunds pending", "净额 Net", "手续费 Fees", "结算金额 Net settlement", "对账状态 Reconciled"},
		{"2026-11-21", "1", "46.00", "0.00", "0.00", "46.00", "", "", "未对账 Not reconciled"},
		{"2026-11-22", "2", "92.00", "10.00", "5.00", "82.00", "", "", "未对账 Not reconciled"},
		{"2026-11-23", "0", "0.00", "0.00", "0.00", "0.00", "", "", "未对账 Not reconciled"},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestExportXLSXByDaySheetForSeveralDays(t *testing.T) {
	s := exportMonthEnd(t)
	// The middle day was matched against WeChat's bill: its fees and what
	// reached the bank show beside the takings.
	if err := s.SaveReconciliation(app.Reconciliation{Day: "2026-11-22", State: app.Reconciled, Gross: 9200, Refunds: 1000, Fees: 55, Net: 8145}); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, mustExport(t, s, "2026-11-21", "2026-11-23", ExportOptions{Format: app.ExportXLSX}))
	if got := x.GetSheetList(); got[2] != SheetByDay {
		t.Fatalf("sheets %v, want %q last", got, SheetByDay)
	}
	rows, err := x.GetRows(SheetByDay, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"营业日 Day", "收款笔数 Paid orders", "收款 Gross", "退款 Refunds", "退款处理中 Refunds pending", "净额 Net", "手续费 Fees", "结算金额 Net settlement", "对账状态 Reconciled"},
		{"46347", "1", "46", "0", "0", "46", "", "", "未对账 Not reconciled"},
		{"46348", "2", "92", "10", "5", "82", "0.55", "81.45", "已对账 ✓ Reconciled ✓"},
		{"46349", "0", "0", "0", "0", "0", "", "", "未对账 Not reconciled"},
		{"合计 Total", "3", "138", "10", "5", "128"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	if shown, _ := x.GetCellValue(SheetByDay, "A3"); shown != "2026-11-22" {
		t.Errorf("day shown as %q, want 2026-11-22", shown)
	}
	if shown, _ := x.GetCellValue(SheetByDay, "F5"); shown != "¥128.00" {
		t.Errorf("total net shown as %q, want ¥128.00", shown)
	}
}

func TestExportRefusesBadInput(t *testing.T) {
	s := mustOpenStore(t)
	for _, c := range []struct {
		name     string
		from, to app.Day
		opts     ExportOptions
	}{
		{"pdf is not a format", "2026-11-22", "2026-11-22", ExportOptions{Format: "pdf"}},
		{"a reversed range is refused", "2026-11-23", "2026-11-22", ExportOptions{Format: app.ExportCSV}},
		{"fr is not a language", "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX, Lang: "fr"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := s.ExportWith(&buf, c.from, c.to, c.opts); !errors.Is(err, ErrInvalid) || buf.Len() != 0 {
				t.Fatalf("%v, wrote %d bytes", err, buf.Len())
			}
		})
	}
}

func TestBackupWhileWriting(t *testing.T) {
	s := mustOpenStore(t)
	for i := 0; i < 20; i++ {
		mustPaid(t, s, "K1BK"+string(rune('A'+i)), at(9, i))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, 1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			o := newOrder("K1W"+strings.Repeat("x", 1)+string(rune('A'+i%26))+string(rune('a'+i/26)), at(10, 0))
			if err := s.Create(o); err != nil {
				errs <- err
				return
			}
		}
	}()
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := s.BackupFile(backup); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if err := s.BackupFile(s.Path()); err == nil {
		t.Fatal("backing up over the ledger itself was allowed")
	}
	b := mustOpenPath(t, backup)
	mustCheck(t, b)
	sum, err := b.Summary("2026-11-22", "2026-11-22")
	if err != nil || sum.Sales != 20 {
		t.Fatalf("backup holds %d sales, %v", sum.Sales, err)
	}
}

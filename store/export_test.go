package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"saoma/app"

	"github.com/xuri/excelize/v2"
)

// exportDay stores a day with a sale with a refund still pending, a partly
// refunded sale, a closed order and a sale of a product whose name tries
// formula injection.
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
	c := newOrder("K120261122000003", at(13, 0))
	mustCreate(t, s, c)
	if _, err := s.Update(c.OutTradeNo, func(o *app.Order) error {
		return o.Move(app.StateClosed, app.SourceCashier, at(13, 1), "cancel")
	}); err != nil {
		t.Fatal(err)
	}
	evil := app.Order{OutTradeNo: "K120261122000004", KioskID: "K1", CreatedAt: at(15, 0), Total: 500, CodeURL: "weixin://x",
		Lines: []app.Line{{ProductID: "9", Name: "=HYPERLINK(\"http://x\")", UnitPrice: 500, Qty: 1}}}
	mustCreate(t, s, evil)
	if _, _, err := s.Confirm(paidConfirmation(evil, "@TX4", at(15, 1)), at(15, 1)); err != nil {
		t.Fatal(err)
	}
	return s
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

func TestExportXLSXHasNumbersAndSheets(t *testing.T) {
	s := exportDay(t)
	var buf bytes.Buffer
	if err := s.Export(&buf, "2026-11-22", "2026-11-22", app.ExportXLSX); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 2 || got[0] != SheetSummary || got[1] != SheetDetail {
		t.Fatalf("sheets: %v", got)
	}
	rows, err := x.GetRows(SheetDetail)
	if err != nil || len(rows) != 5 {
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
		{"收款 Gross", "B3", "97"},
		{"退款 Refunds", "B4", "10"},
		{"退款处理中 Refunds pending", "B5", "6"},
		{"净额 Net", "B6", "87"},
	} {
		label, _ := x.GetCellValue(SheetSummary, "A"+c.cell[1:])
		got, _ := x.GetCellValue(SheetSummary, c.cell, excelize.Options{RawCellValue: true})
		if label != c.label || got != c.want {
			t.Errorf("summary %s: %q = %q, want %q = %q", c.cell, label, got, c.label, c.want)
		}
	}
}

func TestExportRefusesBadInput(t *testing.T) {
	s := mustOpenStore(t)
	var buf bytes.Buffer
	if err := s.Export(&buf, "2026-11-22", "2026-11-22", "pdf"); err == nil || buf.Len() != 0 {
		t.Fatalf("pdf: %v, wrote %d bytes", err, buf.Len())
	}
	if err := s.Export(&buf, "2026-11-23", "2026-11-22", app.ExportCSV); err == nil || buf.Len() != 0 {
		t.Fatalf("reversed range: %v, wrote %d bytes", err, buf.Len())
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

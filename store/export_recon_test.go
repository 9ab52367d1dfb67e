package store

import (
	"bytes"
	"testing"

	"saoma/app"
)

func TestXLSXCarriesTheReconciliation(t *testing.T) {
	s := exportDay(t)
	r := app.Reconciliation{Day: "2026-11-22", State: app.Differences, Orders: 3, Gross: 13800, Refunds: 1000, Fees: 77, Net: 12723,
		CheckedAt: at(11, 0).AddDate(0, 0, 1),
		Diffs: []app.Diff{{Kind: app.DiffOnlyAtWeChat, OutTradeNo: "K120261122000009", TransactionID: "4200001234202611221234567890",
			WeChat: 3800, Action: app.ActionAdded}}}
	if err := s.SaveReconciliation(r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, recon, diffs, state, kind string }{
		{"zh", "对账", "差异", "有差异", "微信有收款，账本没有"},
		{"en", "Reconciliation", "Differences", "Differences", "Paid at WeChat, not in the ledger"},
	} {
		var buf bytes.Buffer
		if err := s.ExportWith(&buf, "2026-11-22", "2026-11-22", ExportOptions{Format: app.ExportXLSX, Lang: c.lang}); err != nil {
			t.Fatal(err)
		}
		x := openXLSX(t, buf.Bytes())
		rows, err := x.GetRows(c.recon)
		if err != nil || len(rows) != 2 {
			t.Fatalf("%s: reconciliation sheet %v %v", c.lang, rows, err)
		}
		if rows[1][1] != c.state || rows[1][5] != "¥0.77" || rows[1][6] != "¥127.23" || rows[1][7] != "1" {
			t.Errorf("%s: day row %q", c.lang, rows[1])
		}
		diffs, err := x.GetRows(c.diffs)
		if err != nil || len(diffs) != 2 || diffs[1][1] != c.kind || diffs[1][4] != "4200001234202611221234567890" {
			t.Errorf("%s: differences %q %v", c.lang, diffs, err)
		}
	}
}

package printer

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saoma/app"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update and review the diff)", name)
	}
}

// hexDump formats ESC/POS bytes one command-ish chunk per line, so golden
// diffs are readable: a new line before every ESC, GS, FS and after LF.
func hexDump(b []byte) []byte {
	var out strings.Builder
	for i, c := range b {
		if i > 0 && (c == esc || c == gs || c == fsc) && b[i-1] != lf {
			out.WriteByte('\n')
		}
		out.WriteString(hex.EncodeToString([]byte{c}))
		if c == lf {
			out.WriteByte('\n')
		} else {
			out.WriteByte(' ')
		}
	}
	out.WriteByte('\n')
	return []byte(out.String())
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cst is a fixed Asia/Shanghai time for test papers.
func cst(h, m int) time.Time {
	return time.Date(2026, 11, 22, h, m, 0, 0, time.FixedZone("CST", 8*3600))
}

func testOrder() app.Order {
	lines := []app.Line{
		{ProductID: "tea", Name: "珍珠奶茶（大杯，少冰，七分糖，加椰果和布丁）", UnitPrice: 1250, Qty: 2},
		{ProductID: "bun", Name: "叉烧包 BBQ pork bun", UnitPrice: 800, Qty: 1},
		{ProductID: "water", Name: "Nongfu Spring mineral water 550ml", UnitPrice: 200, Qty: 3},
	}
	var total app.Fen
	for _, l := range lines {
		total += l.Amount()
	}
	return app.Order{
		OutTradeNo: "K1-20261122-0007", KioskID: "K1", Lines: lines, Total: total,
		State: app.StatePaid, CreatedAt: cst(14, 5),
		CodeURL: "weixin://wxpay/bizpayurl?pr=Mvasgua", CodeURLExpires: cst(16, 5),
		TransactionID: "4200001234202611221234567890", PaidAt: cst(14, 6),
	}
}

func testPapers() map[string]app.Paper {
	paid := testOrder()
	refunded := testOrder()
	refunded.State = app.StatePartiallyRefunded
	refunded.Refunds = []app.Refund{{OutRefundNo: "K1-20261122-0007-R1", Amount: 600, State: app.RefundSucceeded, CreatedAt: cst(15, 30)}}
	open := testOrder()
	open.State, open.TransactionID, open.PaidAt = app.StateAwaiting, "", time.Time{}
	return map[string]app.Paper{
		"receipt":             {Kind: app.PaperReceipt, Shop: "扫码小店 Saoma", KioskID: "K1", Order: paid},
		"receipt_refund_copy": {Kind: app.PaperReceipt, Shop: "扫码小店 Saoma", KioskID: "K1", Order: refunded, Reprint: true},
		"bill":                {Kind: app.PaperBill, Shop: "扫码小店 Saoma", KioskID: "K1", Order: open},
		"label": {Kind: app.PaperLabel, Shop: "扫码小店 Saoma", QR: "weixin://wxpay/s/An4baqw",
			Product: app.Product{ID: "tea", Name: "珍珠奶茶 大杯", Price: 1250, QRID: "tea"}},
	}
}

// wantQR is what each test paper's QR must decode to.
func wantQR(name string, p app.Paper) string {
	switch p.Kind {
	case app.PaperBill:
		return p.Order.CodeURL
	case app.PaperLabel:
		return p.QR
	}
	return p.Order.OutTradeNo
}

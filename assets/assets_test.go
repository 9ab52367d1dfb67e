package assets

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/go-text/typesetting/font"
)

// The CJK font has CFF outlines ("OTTO"): the GUI parses it once per text
// style, and a TrueType (glyf) font is parsed glyph by glyph up front
// (16.7 MB kept per parse for the TrueType original, 7.5 MB for this
// subroutinized CFF; BenchmarkCJKFontParse, tools/cjkfont).
func TestCJKFontHasCFFOutlinesAndParses(t *testing.T) {
	b := CJKFont()
	if len(b) < 4 || string(b[:4]) != "OTTO" {
		t.Fatalf("CJK font starts with %q, want OTTO (CFF outlines)", b[:min(4, len(b))])
	}
	f, err := font.ParseTTF(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "微信收款元扫码小店退款拿铁" {
		if _, ok := f.NominalGlyph(r); !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}

// BenchmarkCJKFontParse reports the heap a parse of the CJK font keeps
// (retained-MB), as the GUI pays it once per text style.
func BenchmarkCJKFontParse(b *testing.B) {
	var retained uint64
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		f, err := font.ParseTTF(bytes.NewReader(CJKFont()))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		runtime.KeepAlive(f)
		retained = m1.HeapAlloc - m0.HeapAlloc
	}
	b.ReportMetric(float64(retained)/(1<<20), "retained-MB")
}

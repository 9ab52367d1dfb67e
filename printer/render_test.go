package printer

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"saoma/payment/wxpay"
)

// decodeQR reads the one QR code in img the way a phone would.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func mustRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every paper at both widths renders, its QR decodes to what was meant,
// and the preview matches testdata/<paper>_<width>.png (go test -update
// rewrites them; look at them after a change).
func TestPreviewsRoundTrip(t *testing.T) {
	r := mustRenderer(t)
	for name, p := range testPapers() {
		for _, paper := range []int{58, 80} {
			t.Run(fmt.Sprintf("%s_%d", name, paper), func(t *testing.T) {
				prof, err := ProfileFor(paper, 0)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := Layout(p, prof.Cols)
				if err != nil {
					t.Fatal(err)
				}
				img, err := r.Render(doc, prof)
				if err != nil {
					t.Fatal(err)
				}
				if img.Bounds().Dx() != prof.Dots {
					t.Errorf("image is %d dots wide, paper %d", img.Bounds().Dx(), prof.Dots)
				}
				if got, want := decodeQR(t, img), wantQR(name, p); got != want {
					t.Errorf("QR decodes to %q, want %q", got, want)
				}
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				golden(t, fmt.Sprintf("%s_%d.png", name, paper), buf.Bytes())
			})
		}
	}
}

func TestRenderedQRHasAtLeastFourDotsPerModule(t *testing.T) {
	for name, p := range testPapers() {
		for _, paper := range []int{58, 80} {
			prof, _ := ProfileFor(paper, 0)
			doc, err := Layout(p, prof.Cols)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range doc.Blocks {
				q, ok := b.(QR)
				if !ok {
					continue
				}
				sym, err := planQR(q.Data, q.MaxModule, prof.Dots)
				if err != nil {
					t.Fatal(err)
				}
				if sym.module < 4 {
					t.Errorf("%s at %d mm: %d dots per module, want ≥ 4", name, paper, sym.module)
				}
			}
		}
	}
}

// The seed's point: a short link makes a smaller QR than the signed
// mode-1 link it stands for, so it prints bigger per module and scans
// better.
func TestShortLinkMakesASmallerQR(t *testing.T) {
	long := wxpay.BizPayURL("wx2421b1c4370ec43b", "10000100", "192006250b4c09247ec02edce69f6a2d", "tea", time.Unix(1415949957, 0))
	short := "weixin://wxpay/s/An4baqw"
	l, err := planQR(long, 8, 384)
	if err != nil {
		t.Fatal(err)
	}
	s, err := planQR(short, 8, 384)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.bits) >= len(l.bits) {
		t.Errorf("short link QR has %d modules, long link %d: want fewer", len(s.bits), len(l.bits))
	}
	if s.module <= l.module {
		t.Errorf("short link prints at %d dots/module, long at %d: want larger", s.module, l.module)
	}
	r := mustRenderer(t)
	for _, data := range []string{long, short} {
		img, err := r.Render(Doc{Blocks: []Block{QR{Data: data}}}, Profile{Paper: 58, Dots: 384, Cols: 32})
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, img); got != data {
			t.Errorf("decoded %q, want %q", got, data)
		}
	}
}

// The raster fallback sends exactly the QR bitmap the preview shows.
func TestRasterQRDecodes(t *testing.T) {
	p := testPapers()["bill"]
	prof, _ := ProfileFor(58, 0)
	doc, err := Layout(p, prof.Cols)
	if err != nil {
		t.Fatal(err)
	}
	job, err := Encode(doc, prof, EncodeOptions{RasterQR: true})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(job, []byte{gs, '(', 'k'}) {
		t.Error("raster job contains GS ( k")
	}
	img := rasterImage(t, job)
	if got := decodeQR(t, img); got != p.Order.CodeURL {
		t.Errorf("raster QR decodes to %q, want %q", got, p.Order.CodeURL)
	}
}

// rasterImage parses the first GS v 0 command of job into an image.
func rasterImage(t *testing.T, job []byte) image.Image {
	t.Helper()
	i := bytes.Index(job, []byte{gs, 'v', '0', 0})
	if i < 0 {
		t.Fatal("no GS v 0 in job")
	}
	xb := int(job[i+4]) | int(job[i+5])<<8
	h := int(job[i+6]) | int(job[i+7])<<8
	data := job[i+8:]
	if len(data) < xb*h {
		t.Fatalf("raster needs %d bytes, job has %d", xb*h, len(data))
	}
	img := image.NewGray(image.Rect(0, 0, xb*8, h))
	for y := range h {
		for x := range xb * 8 {
			if data[y*xb+x/8]&(0x80>>(x%8)) == 0 {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
}

func TestEncodedReceiptGolden(t *testing.T) {
	for _, paper := range []int{58, 80} {
		prof, _ := ProfileFor(paper, 0)
		doc, err := Layout(testPapers()["receipt_refund_copy"], prof.Cols)
		if err != nil {
			t.Fatal(err)
		}
		job, err := Encode(doc, prof, EncodeOptions{KickDrawer: true})
		if err != nil {
			t.Fatal(err)
		}
		checkStream(t, job)
		golden(t, fmt.Sprintf("receipt_%d.hex", paper), hexDump(job))
	}
}

// Every paper encodes to a job a GBK printer parses cleanly, with native
// or raster QR, and the QR payload is stored verbatim.
func TestEveryPaperEncodesCleanly(t *testing.T) {
	for name, p := range testPapers() {
		for _, paper := range []int{58, 80} {
			for _, raster := range []bool{false, true} {
				prof, _ := ProfileFor(paper, 0)
				doc, err := Layout(p, prof.Cols)
				if err != nil {
					t.Fatal(err)
				}
				job, err := Encode(doc, prof, EncodeOptions{RasterQR: raster})
				if err != nil {
					t.Fatalf("%s %d mm raster=%v: %v", name, paper, raster, err)
				}
				checkStream(t, job)
				if !bytes.HasPrefix(job, []byte{esc, '@'}) || !bytes.HasSuffix(job, []byte{gs, 'V', 66, 0}) {
					t.Errorf("%s %d mm: job does not start with ESC @ and end with a cut", name, paper)
				}
				if hasStore := bytes.Contains(job, append([]byte("1P0"), wantQR(name, p)...)); hasStore == raster {
					t.Errorf("%s %d mm raster=%v: native QR store present = %v", name, paper, raster, hasStore)
				}
			}
		}
	}
}

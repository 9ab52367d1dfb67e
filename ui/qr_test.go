package ui

import (
	"context"
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"saoma/app"
)

// TestQRIsBigAndCrisp lays the Pay screen out at both kiosk sizes and
// checks the QR against the design: at least 400 px (1024×768) or 640 px
// (1920×1080) a side, drawn in pure black and white (whole pixels per
// module, no scaling blur).
func TestQRIsBigAndCrisp(t *testing.T) {
	cases := []struct {
		size fyne.Size
		demo bool // the demo hint takes a line under the QR
		min  int
	}{
		{fyne.NewSize(1024, 768), false, 400},
		{fyne.NewSize(1024, 768), true, 400},
		{fyne.NewSize(1920, 1080), false, 640},
		{fyne.NewSize(1920, 1080), true, 600},
	}
	for _, c := range cases {
		f := newFakeKiosk(t, app.Config{}, func(o *Options) {
			o.Size = c.size
			o.Demo, o.SimURL = c.demo, "http://127.0.0.1:8090/"
		})
		f.resize(c.size)
		f.tapTile("1001")
		o, _ := f.eng.Charge(context.Background(), f.k.sell.cart.Lines())
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=NwY5Mz9" // WeChat's length
		f.k.showPay(o)
		f.k.win.Resize(c.size)
		qs := f.k.pay.qr.Size()
		img := f.k.pay.qr.draw(int(qs.Width), int(qs.Height))
		side := inkSide(img)
		if side < c.min {
			t.Errorf("%vx%v demo %v: QR %d px a side, want ≥ %d", c.size.Width, c.size.Height, c.demo, side, c.min)
		}
		if got := decodeQR(t, img); got != o.CodeURL {
			t.Errorf("the QR reads %q, want %q", got, o.CodeURL)
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); !(r == g && g == bl && (r == 0 || r == 0xffff)) {
					t.Fatalf("pixel %d,%d is %v: not pure black or white", x, y, img.At(x, y))
				}
			}
		}
	}
}

// inkSide is the width of the black part of a QR image.
func inkSide(img image.Image) int {
	b := img.Bounds()
	minX, maxX := b.Max.X, b.Min.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.At(x, y) == (color.RGBA{A: 0xff}) {
				minX, maxX = min(minX, x), max(maxX, x)
			}
		}
	}
	return maxX - minX + 1
}

// decodeQR reads a QR code the way a phone would.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR does not decode: %v", err)
	}
	return res.GetText()
}

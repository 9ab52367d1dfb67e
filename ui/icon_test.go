package ui

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

var updateIcon = flag.Bool("update-icon", false, "redraw ../Icon.png (the app icon FyneApp.toml names)")

// iconPath is the app icon at the module root, next to FyneApp.toml.
const iconPath = "../Icon.png"

// drawIcon draws the app icon: a QR code in WeChat green on a white plate,
// on a green rounded square. 512×512, as fyne package wants.
func drawIcon() *image.NRGBA {
	const size, radius = 512, 96
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	// The rounded square, anti-aliased by 4×4 supersampling at the corners.
	inside := func(x, y float64) bool {
		cx := math.Min(math.Max(x, radius), size-radius)
		cy := math.Min(math.Max(y, radius), size-radius)
		return math.Hypot(x-cx, y-cy) <= radius
	}
	for y := range size {
		for x := range size {
			n := 0
			for sy := range 4 {
				for sx := range 4 {
					if inside(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4) {
						n++
					}
				}
			}
			c := colorPay
			c.A = uint8(n * 255 / 16)
			img.SetNRGBA(x, y, c)
		}
	}
	q, err := qrcode.New("SAOMA", qrcode.Low)
	if err != nil {
		panic(err) // a constant that always encodes
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	ppm := 14
	plate := (len(bits) + 2) * ppm
	x0 := (size - plate) / 2
	white := color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	for y := range plate {
		for x := range plate {
			mx, my := x/ppm-1, y/ppm-1
			c := white
			if mx >= 0 && my >= 0 && my < len(bits) && mx < len(bits) && bits[my][mx] {
				c = colorPay
			}
			img.SetNRGBA(x0+x, x0+y, c)
		}
	}
	return img
}

// TestAppIcon keeps Icon.png what drawIcon draws; go test -run TestAppIcon
// -update-icon redraws it.
func TestAppIcon(t *testing.T) {
	want := drawIcon()
	if *updateIcon {
		var buf bytes.Buffer
		if err := png.Encode(&buf, want); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(iconPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(iconPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("Icon.png is %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := range 512 {
		for x := range 512 {
			if color.NRGBAModel.Convert(got.At(x, y)) != want.At(x, y) {
				t.Fatalf("Icon.png differs from drawIcon at %d,%d; run go test ./ui -run TestAppIcon -update-icon", x, y)
			}
		}
	}
}

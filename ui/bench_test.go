package ui

import "testing"

// BenchmarkQRDraw renders a payment QR at the Pay screen's size on a
// 1920×1080 kiosk (whole pixels per module).
func BenchmarkQRDraw(b *testing.B) {
	v := newQRView()
	v.set("weixin://wxpay/bizpayurl?pr=NwY5Mz9", false)
	for i := range b.N {
		v.cache = nil
		if img := v.draw(700+i%2, 700); img.Bounds().Dx() == 0 {
			b.Fatal("empty QR")
		}
	}
}

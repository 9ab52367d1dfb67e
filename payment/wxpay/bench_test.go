package wxpay

import (
	"testing"
	"time"
)

// BenchmarkUnifiedOrderSignEncode measures building, validating, signing and
// encoding a realistic unified-order request (target < 10 µs/op).
func BenchmarkUnifiedOrderSignEncode(b *testing.B) {
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	r := goodOrder()
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.unifiedOrderParams(r)
		if err != nil {
			b.Fatal(err)
		}
		if body := c.sign(p).EncodeXML(); len(body) == 0 {
			b.Fatal("empty body")
		}
	}
}

// BenchmarkNotificationVerifyDecode measures ParseNotification of a
// realistic signed notification (target < 20 µs/op).
func BenchmarkNotificationVerifyDecode(b *testing.B) {
	body := signedNotification(SignMD5, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNotification(body, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

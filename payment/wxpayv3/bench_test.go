package wxpayv3

import (
	"testing"
	"time"
)

// BenchmarkNativeRequestSignEncode measures checking, encoding and signing
// a Native order request (one RSA-2048 signature dominates).
func BenchmarkNativeRequestSignEncode(b *testing.B) {
	k := loadKeys(b)
	c, err := NewClient(Config{MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial, PrivateKey: k.merchant,
		APIv3Key: testAPIv3Key, Verifier: NewPublicKeyVerifier(testPubKeyID, k.wechatPub), Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	o := NativeOrder{OutTradeNo: "K1-20261202-0007", Description: "Saoma 咖啡 x2", Total: 1250,
		TimeExpire: fixedNow.Add(5 * time.Minute), Attach: "kiosk-1", NotifyURL: testNotifyURL}
	u := c.apiURL(pathNative, nil)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		body, err := c.nativeBody(o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.newRequest(ctx, "POST", u, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNotificationVerifyDecrypt measures Notifier.Parse of a payment
// notification: RSA verification, envelope, AES-GCM, transaction JSON.
func BenchmarkNotificationVerifyDecrypt(b *testing.B) {
	k := loadKeys(b)
	clock := newClock()
	n := newTestNotifier(b, k, clock)
	h, body, err := Platform{Serial: testPubKeyID, Key: k.wechat}.TransactionNotification(testAPIv3Key, "EV-B", paidTx(), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Parse(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

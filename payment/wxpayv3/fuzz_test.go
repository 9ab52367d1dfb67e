package wxpayv3

import (
	"testing"
)

// FuzzNotificationDecode feeds arbitrary (already authenticated) bodies to
// the envelope decoder: it must never panic, and anything it accepts must
// carry exactly one of a transaction or a refund.
func FuzzNotificationDecode(f *testing.F) {
	k := loadKeys(f)
	p := Platform{Serial: testPubKeyID, Key: k.wechat}
	_, tx, err := p.TransactionNotification(testAPIv3Key, "EV-F1", paidTx(), fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	_, rf, _ := p.RefundNotification(testAPIv3Key, "EV-F2", testRefund(RefundSuccess), fixedNow)
	f.Add(tx)
	f.Add(rf)
	f.Add([]byte(`{"id":"x","resource_type":"encrypt-resource","resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"123456789012"}}`))
	n := newTestNotifier(f, k, newClock())
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := n.decode(body)
		if err != nil {
			return
		}
		if (got.Transaction == nil) == (got.Refund == nil) {
			t.Fatalf("accepted %q with transaction %v and refund %v", body, got.Transaction, got.Refund)
		}
	})
}

// FuzzParseAuthorization: the simulator's header parser never panics and
// anything it accepts round-trips through Authorization.String.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="abc",timestamp="1700000000",serial_no="AB",signature="c2ln"`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid=""`)
	f.Fuzz(func(t *testing.T, v string) {
		a, err := ParseAuthorization(v)
		if err != nil {
			return
		}
		b, err := ParseAuthorization(a.String())
		if err != nil || b != a {
			t.Fatalf("%q parsed as %+v, re-parsed as %+v (%v)", v, a, b, err)
		}
	})
}

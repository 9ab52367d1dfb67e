package relay

import (
	"reflect"
	"testing"

	"saoma/payment/wxsim"
)

// FuzzDecodeFrame feeds arbitrary websocket messages to the frame decoder
// both sides use: it must never panic, and what it accepts re-encodes.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"ack","seq":3,"epoch":"abc"}`))
	f.Add([]byte(`{"type":"callback_reply","id":"x","body":"<xml></xml>"}`))
	f.Add([]byte(`{"type":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":"notify","seq":1,"body":"<xml>\u0000\u001f\"\\\\\n\t\r\u2028é</xml>"}`))
	f.Add([]byte("{\"type\":\"x\",\"body\":\"\xff\xfe\"}"))
	f.Add([]byte(`{"type":"notify","seq":2,"body":"{}","headers":{"Wechatpay-Nonce":"n\"1","Wechatpay-Serial":"PUB_KEY_ID_1"}}`))
	f.Add([]byte(`{"type":"notify","headers":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			return
		}
		again, err := decodeFrame(fr.encode())
		if err != nil {
			t.Fatalf("re-decode of %s: %v", fr.encode(), err)
		}
		if !sameFrame(again, fr) {
			t.Fatalf("round trip changed the frame:\n%+v\n%+v", fr, again)
		}
	})
}

// FuzzCheckNotification feeds arbitrary bodies to the notify validation of
// a kiosk with and without the merchant key: no panic, and with the key
// nothing unsigned is ever accepted; only a checked signature counts as
// verified.
func FuzzCheckNotification(f *testing.F) {
	f.Add(notification(wxsim.DemoKey, "K1-1", "4200000001202601010000000001"))
	f.Add([]byte(`<xml><return_code>SUCCESS</return_code></xml>`))
	f.Add([]byte(`<!DOCTYPE x><xml/>`))
	withKey := &kioskConf{Kiosk: testKiosks()[0]}
	withoutKey := &kioskConf{Kiosk: testKiosks()[1]}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, verified, rej := checkNotification(withoutKey, body); rej == nil && verified {
			t.Fatal("a notification counted as verified without the merchant key")
		}
		dedupe, verified, rej := checkNotification(withKey, body)
		if rej == nil && (dedupe == "" || !verified) {
			t.Fatalf("accepted with dedupe key %q, verified %v", dedupe, verified)
		}
	})
}

// sameFrame compares two frames, an empty Headers map equal to none (the
// encoder omits both).
func sameFrame(a, b *frame) bool {
	x, y := *a, *b
	if len(x.Headers) == 0 {
		x.Headers = nil
	}
	if len(y.Headers) == 0 {
		y.Headers = nil
	}
	return reflect.DeepEqual(x, y)
}

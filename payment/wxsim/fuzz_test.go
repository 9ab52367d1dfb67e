package wxsim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"saoma/payment/wxpay"
)

// FuzzAPIBody feeds arbitrary bodies to every API path: the simulator must
// always answer HTTP 200 with a flat XML reply whose return_code is SUCCESS
// or FAIL, and a SUCCESS reply must carry a valid signature.
func FuzzAPIBody(f *testing.F) {
	sim, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = sim.Close() })
	good := wxpay.Params{"appid": DemoAppID, "mch_id": DemoMchID, "nonce_str": "n", "out_trade_no": "F1"}
	good["sign"] = good.Sign(DemoKey, wxpay.SignMD5)
	for _, seed := range [][]byte{
		good.EncodeXML(),
		[]byte("<xml></xml>"),
		[]byte(`<!DOCTYPE x [<!ENTITY e "x">]><xml><a>&e;</a></xml>`),
		[]byte("<xml><a><b>1</b></a></xml>"),
		[]byte("\xff\xfe<xml/>"),
	} {
		f.Add(uint8(0), seed)
	}
	paths := []string{"/pay/unifiedorder", "/pay/orderquery", "/pay/closeorder", "/tools/shorturl", "/pay/refundquery", "/pay/downloadbill", "/secapi/pay/refund"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d", path, rec.Code)
		}
		out := rec.Body.Bytes()
		if path == "/pay/downloadbill" && !bytes.HasPrefix(out, []byte("<xml>")) {
			return // a bill for a correctly signed request
		}
		p, err := wxpay.ParseXML(out)
		if err != nil {
			t.Fatalf("%s: reply %q: %v", path, out, err)
		}
		switch p["return_code"] {
		case "FAIL":
		case "SUCCESS":
			st, _ := wxpay.Params{"sign_type": sniffSignType(body)}.SignType()
			if err := p.Verify(DemoKey, st); err != nil {
				t.Fatalf("%s: unsigned SUCCESS reply %v", path, p)
			}
		default:
			t.Fatalf("%s: return_code %q", path, p["return_code"])
		}
	})
}

func sniffSignType(body []byte) string {
	p, err := wxpay.ParseXML(body)
	if err != nil {
		return ""
	}
	return p["sign_type"]
}

package wxpay

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func signedCallback(edit func(p Params)) []byte {
	p := Params{
		"appid": testAppID, "mch_id": testMchID, "openid": "o8GeHuLAsgefS_80exEr1cTqekUs",
		"is_subscribe": "Y", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "product_id": "88888",
	}
	if edit != nil {
		edit(p)
	}
	p["sign"] = p.Sign(testKey, SignMD5)
	return p.EncodeXML()
}

func TestParseNativeCallback(t *testing.T) {
	t.Run("a signed callback is accepted", func(t *testing.T) {
		cb, err := ParseNativeCallback(signedCallback(nil), testKey)
		if err != nil {
			t.Fatal(err)
		}
		if cb.ProductID != "88888" || cb.OpenID != "o8GeHuLAsgefS_80exEr1cTqekUs" || cb.AppID != testAppID ||
			cb.MchID != testMchID || cb.IsSubscribe != "Y" || cb.NonceStr == "" || cb.Raw["sign"] == "" {
			t.Errorf("callback = %+v", cb)
		}
	})
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"a callback signed with another key is refused", func() []byte {
			p, _ := ParseXML(signedCallback(nil))
			p["product_id"] = "99999"
			return p.EncodeXML()
		}(), ErrSignature},
		{"a callback without product_id is refused", signedCallback(func(p Params) { delete(p, "product_id") }), ErrBadMessage},
		{"a callback without openid is refused", signedCallback(func(p Params) { delete(p, "openid") }), ErrBadMessage},
		{"a product_id longer than 32 is refused", signedCallback(func(p Params) { p["product_id"] = strings.Repeat("9", 33) }), ErrBadMessage},
		{"a DOCTYPE callback is refused", []byte(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hosts">]><xml><product_id>&e;</product_id></xml>`), ErrDoctype},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseNativeCallback(tt.body, testKey); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNativeCallbackReplies(t *testing.T) {
	t.Run("a success reply is signed and yields the prepay_id", func(t *testing.T) {
		body := NativeCallbackReply(testAppID, testMchID, testKey, "wx201410272009395522657a690389285100")
		p, err := ParseXML(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(testKey, SignMD5); err != nil {
			t.Fatalf("reply not MD5-signed: %v", err)
		}
		if p["return_code"] != "SUCCESS" || p["result_code"] != "SUCCESS" || p["appid"] != testAppID || p["mch_id"] != testMchID || len(p["nonce_str"]) != 32 {
			t.Errorf("reply = %v", p)
		}
		id, err := ParseNativeCallbackReply(body, testKey)
		if err != nil || id != "wx201410272009395522657a690389285100" {
			t.Errorf("ParseNativeCallbackReply = %q, %v", id, err)
		}
	})
	t.Run("a failure reply carries the customer message", func(t *testing.T) {
		body := NativeCallbackFail(testAppID, testMchID, testKey, "商品已售完")
		_, err := ParseNativeCallbackReply(body, testKey)
		var we *Error
		if !errors.As(err, &we) || we.ErrCodeDes != "商品已售完" {
			t.Fatalf("error = %v", err)
		}
	})
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"a reply signed with another key is refused", NativeCallbackReply(testAppID, testMchID, "00000000000000000000000000000000", "wx1"), ErrSignature},
		{"an unsigned reply is refused", Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "prepay_id": "wx1"}.EncodeXML(), ErrSignature},
		{"a success reply without prepay_id is refused", NativeCallbackReply(testAppID, testMchID, testKey, ""), ErrBadMessage},
		{"a protocol FAIL is an *Error", Params{"return_code": "FAIL", "return_msg": "x"}.EncodeXML(), ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseNativeCallbackReply(tt.body, testKey); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBizPayURL(t *testing.T) {
	raw := BizPayURL(testAppID, testMchID, testKey, "88888", fixedNow)
	t.Run("the link has the documented shape and verifies", func(t *testing.T) {
		if !strings.HasPrefix(raw, "weixin://wxpay/bizpayurl?sign=") {
			t.Fatalf("link = %s", raw)
		}
		p, err := ParseBizPayURL(raw, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if p["product_id"] != "88888" || p["time_stamp"] != "1795341600" || p["appid"] != testAppID || p["mch_id"] != testMchID || len(p["nonce_str"]) != 32 {
			t.Errorf("params = %v", p)
		}
	})
	t.Run("the documented example link verifies", func(t *testing.T) {
		// WXPAY_V2.md §2.2 extra vector, parameters in another order.
		ex := "weixin://wxpay/bizpayurl?appid=wxd930ea5d5a258f4f&mch_id=10000100&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&product_id=88888&time_stamp=1414488825&sign=9D1D490CBBF322C6C570375718106149"
		if _, err := ParseBizPayURL(ex, officialKey); err != nil {
			t.Fatal(err)
		}
	})
	u, _ := url.Parse(raw)
	q := u.Query()
	withQuery := func(edit func(q url.Values)) string {
		c := url.Values{}
		for k, v := range q {
			c[k] = append([]string(nil), v...)
		}
		edit(c)
		return "weixin://wxpay/bizpayurl?" + c.Encode()
	}
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"a changed product_id is refused", withQuery(func(q url.Values) { q.Set("product_id", "99999") }), ErrSignature},
		{"a missing sign is refused", withQuery(func(q url.Values) { q.Del("sign") }), ErrBadMessage},
		{"a repeated parameter is refused", withQuery(func(q url.Values) { q.Add("product_id", "88888") }), ErrBadMessage},
		{"another scheme is refused", strings.Replace(raw, "weixin://", "https://", 1), ErrBadMessage},
		{"another path is refused", strings.Replace(raw, "/bizpayurl?", "/pay?", 1), ErrBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseBizPayURL(tt.raw, testKey); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

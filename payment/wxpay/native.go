package wxpay

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Names used in errors for the mode-1 messages.
const (
	apiNativeCallback      = "native callback"
	apiNativeCallbackReply = "native callback reply"
	apiBizPayURL           = "bizpayurl"
)

// bizPayURLPrefix starts every mode-1 static QR link.
const bizPayURLPrefix = "weixin://wxpay/bizpayurl?"

// NativeCallback is WeChat's verified mode-1 callback: a customer (OpenID)
// scanned the static QR of ProductID and is waiting for a prepay_id.
type NativeCallback struct {
	AppID, MchID string
	OpenID       string
	ProductID    string
	IsSubscribe  string // Y/N, deprecated by WeChat
	NonceStr     string
	// Raw holds every verified field.
	Raw Params
}

// ParseNativeCallback decodes and authenticates a mode-1 callback body with
// the same hardening as ParseNotification (size cap, no DOCTYPE, signature
// per sign_type, MD5 when absent) and checks its required fields.
func ParseNativeCallback(body []byte, key string) (*NativeCallback, error) {
	p, err := verifiedMessage(apiNativeCallback, body, key, false)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"appid", "mch_id", "openid", "product_id", "nonce_str"} {
		if p[name] == "" {
			return nil, fmt.Errorf("wxpay %s: %w: %s missing", apiNativeCallback, ErrBadMessage, name)
		}
	}
	if len(p["product_id"]) > 32 {
		return nil, fmt.Errorf("wxpay %s: %w: product_id longer than 32 bytes", apiNativeCallback, ErrBadMessage)
	}
	return &NativeCallback{
		AppID:       p["appid"],
		MchID:       p["mch_id"],
		OpenID:      p["openid"],
		ProductID:   p["product_id"],
		IsSubscribe: p["is_subscribe"],
		NonceStr:    p["nonce_str"],
		Raw:         p,
	}, nil
}

// NativeCallbackReply is the signed (MD5) answer to a mode-1 callback that
// hands WeChat the prepay_id of the unified order just placed.
func NativeCallbackReply(appID, mchID, key, prepayID string) []byte {
	p := Params{
		"return_code":  "SUCCESS",
		"return_msg":   "OK",
		"appid":        appID,
		"mch_id":       mchID,
		"nonce_str":    NonceStr(),
		"prepay_id":    prepayID,
		"result_code":  "SUCCESS",
		"err_code_des": "OK",
	}
	p["sign"] = p.Sign(key, SignMD5)
	return p.EncodeXML()
}

// NativeCallbackFail is the signed (MD5) answer refusing a mode-1 callback;
// WeChat shows msg (err_code_des) to the customer, so keep it short and
// customer-facing (e.g. "商品已售完").
func NativeCallbackFail(appID, mchID, key, msg string) []byte {
	p := Params{
		"return_code":  "SUCCESS",
		"return_msg":   "OK",
		"appid":        appID,
		"mch_id":       mchID,
		"nonce_str":    NonceStr(),
		"result_code":  "FAIL",
		"err_code_des": msg,
	}
	p["sign"] = p.Sign(key, SignMD5)
	return p.EncodeXML()
}

// ParseNativeCallbackReply reads a merchant's answer to a mode-1 callback
// (the simulator's side). It verifies the signature and returns the
// prepay_id; a refusal (return_code or result_code FAIL) is an *Error whose
// ErrCodeDes is the message for the customer.
func ParseNativeCallbackReply(body []byte, key string) (prepayID string, err error) {
	const api = apiNativeCallbackReply
	p, err := verifiedMessage(api, body, key, true)
	if err != nil {
		return "", err
	}
	switch p["result_code"] {
	case "SUCCESS":
		if p["prepay_id"] == "" {
			return "", fmt.Errorf("wxpay %s: %w: prepay_id missing", api, ErrBadMessage)
		}
		return p["prepay_id"], nil
	case "FAIL":
		return "", errorFrom(api, p)
	}
	return "", fmt.Errorf("wxpay %s: %w: result_code %q", api, ErrBadMessage, clip(p["result_code"]))
}

// BizPayURL returns the signed mode-1 static QR link for productID:
// weixin://wxpay/bizpayurl?sign=…&appid=…&mch_id=…&product_id=…&time_stamp=…&nonce_str=…
// signed with MD5 (the only algorithm the link supports). now supplies
// time_stamp (seconds). Values are URL-escaped; keep product ids URL-safe
// so the link stays short.
func BizPayURL(appID, mchID, key, productID string, now time.Time) string {
	p := Params{
		"appid":      appID,
		"mch_id":     mchID,
		"product_id": productID,
		"time_stamp": strconv.FormatInt(now.Unix(), 10),
		"nonce_str":  NonceStr(),
	}
	sign := p.Sign(key, SignMD5)
	var b strings.Builder
	b.WriteString(bizPayURLPrefix)
	for i, kv := range [][2]string{
		{"sign", sign}, {"appid", appID}, {"mch_id", mchID}, {"product_id", productID},
		{"time_stamp", p["time_stamp"]}, {"nonce_str", p["nonce_str"]},
	} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}

// ParseBizPayURL parses a mode-1 link and verifies its MD5 signature over
// every parameter but sign. It returns all parameters (sign included).
// Parameter order does not matter; a repeated parameter is refused.
func ParseBizPayURL(raw, key string) (Params, error) {
	const api = apiBizPayURL
	if key == "" {
		return nil, fmt.Errorf("wxpay %s: %w: empty API key", api, ErrInvalidInput)
	}
	if len(raw) > 2048 {
		return nil, fmt.Errorf("wxpay %s: %w: link too long", api, ErrBadMessage)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "weixin" || u.Host != "wxpay" || u.Path != "/bizpayurl" {
		return nil, fmt.Errorf("wxpay %s: %w: not a weixin://wxpay/bizpayurl link", api, ErrBadMessage)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w: bad query", api, ErrBadMessage)
	}
	p := make(Params, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("wxpay %s: %w: parameter %s repeated", api, ErrBadMessage, clip(k))
		}
		p[k] = vs[0]
	}
	for _, name := range []string{"sign", "appid", "mch_id", "product_id", "time_stamp", "nonce_str"} {
		if p[name] == "" {
			return nil, fmt.Errorf("wxpay %s: %w: %s missing", api, ErrBadMessage, name)
		}
	}
	if err := p.Verify(key, SignMD5); err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if !isDigits(p["time_stamp"]) || len(p["time_stamp"]) > 10 {
		return nil, fmt.Errorf("wxpay %s: %w: time_stamp is not seconds", api, ErrBadMessage)
	}
	return p, nil
}

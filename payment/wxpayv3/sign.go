package wxpayv3

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names and values of the v3 signature scheme.
const (
	HeaderSerial        = "Wechatpay-Serial"
	HeaderSignature     = "Wechatpay-Signature"
	HeaderTimestamp     = "Wechatpay-Timestamp"
	HeaderNonce         = "Wechatpay-Nonce"
	HeaderSignatureType = "Wechatpay-Signature-Type"
	HeaderRequestID     = "Request-Id"
	// SignatureType is the only signature scheme accepted: the default of
	// Wechatpay-Signature-Type and the Authorization scheme.
	SignatureType = "WECHATPAY2-SHA256-RSA2048"
)

// MaxClockSkew is how far a signed message's timestamp may be from our
// clock: a difference of MaxClockSkew or more is ErrStale, as in the
// official SDK.
const MaxClockSkew = 5 * time.Minute

// nonceChars is the alphabet of our nonces, as the official SDK's.
const nonceChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NonceStr returns a fresh 32-character random nonce from [0-9A-Za-z].
func NonceStr() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	for i := range b {
		b[i] = nonceChars[int(b[i])%len(nonceChars)]
	}
	return string(b[:])
}

// RequestMessage is the string a merchant signs for a request:
// "METHOD\nURI\ntimestamp\nnonce\nbody\n", where URI is the path plus query
// as sent (URL.RequestURI) and body is "" for a GET.
func RequestMessage(method, uri string, ts int64, nonce string, body []byte) string {
	return method + "\n" + uri + "\n" + strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + string(body) + "\n"
}

// ResponseMessage is the string WeChat signs for a reply or notification:
// "timestamp\nnonce\nbody\n" (body "" for a 204).
func ResponseMessage(ts int64, nonce string, body []byte) string {
	return strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + string(body) + "\n"
}

// Authorization is the parsed Authorization header of a merchant request.
type Authorization struct {
	MchID     string
	Nonce     string
	Timestamp int64
	Serial    string // merchant certificate serial (serial_no)
	Signature string
}

// String formats a as the Authorization header value, fields in the
// official SDK's order.
func (a Authorization) String() string {
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		SignatureType, a.MchID, a.Nonce, a.Timestamp, a.Serial, a.Signature)
}

// SignRequest returns the Authorization header value for a request, signed
// with the merchant's key at time now with a fresh nonce.
func SignRequest(mchID, serial string, key *rsa.PrivateKey, method, uri string, body []byte, now time.Time) (string, error) {
	a := Authorization{MchID: mchID, Nonce: NonceStr(), Timestamp: now.Unix(), Serial: serial}
	sig, err := signRSA(key, RequestMessage(method, uri, a.Timestamp, a.Nonce, body))
	if err != nil {
		return "", err
	}
	a.Signature = sig
	return a.String(), nil
}

// ParseAuthorization parses an Authorization header value. Fields are
// read by name, in any order; all five are required, and the scheme must
// be SignatureType. Errors wrap ErrSignature.
func ParseAuthorization(v string) (Authorization, error) {
	var a Authorization
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || scheme != SignatureType {
		return a, fmt.Errorf("%w: Authorization scheme is not %s", ErrSignature, SignatureType)
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
			return a, fmt.Errorf("%w: malformed Authorization field", ErrSignature)
		}
		val = val[1 : len(val)-1]
		if seen[k] {
			return a, fmt.Errorf("%w: repeated Authorization field %q", ErrSignature, clip(k))
		}
		seen[k] = true
		switch k {
		case "mchid":
			a.MchID = val
		case "nonce_str":
			a.Nonce = val
		case "timestamp":
			ts, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return a, fmt.Errorf("%w: Authorization timestamp is not an integer", ErrSignature)
			}
			a.Timestamp = ts
		case "serial_no":
			a.Serial = val
		case "signature":
			a.Signature = val
		}
	}
	if a.MchID == "" || a.Nonce == "" || !seen["timestamp"] || a.Serial == "" || a.Signature == "" {
		return a, fmt.Errorf("%w: Authorization lacks a field", ErrSignature)
	}
	return a, nil
}

// Merchant is what WeChat knows about a merchant to check its requests.
type Merchant struct {
	MchID     string
	Serial    string         // merchant API certificate serial
	PublicKey *rsa.PublicKey // the merchant's public key
}

// VerifyRequest checks, as WeChat does, a merchant request r whose body
// was read into body: the Authorization header must parse, name m's mchid
// and serial, be within MaxClockSkew of now (ErrStale), and carry a valid
// signature over RequestMessage with r.RequestURI (ErrSignature). Real
// WeChat answers a failure with 401 SIGN_ERROR. It is for simulators.
func VerifyRequest(r *http.Request, body []byte, m Merchant, now time.Time) (Authorization, error) {
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return a, err
	}
	if a.MchID != m.MchID {
		return a, fmt.Errorf("%w: Authorization mchid is not the merchant's", ErrSignature)
	}
	if a.Serial != m.Serial {
		return a, fmt.Errorf("%w: %w: Authorization serial_no", ErrSignature, ErrUnknownSerial)
	}
	if err := checkFresh(a.Timestamp, now); err != nil {
		return a, err
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if err := verifyRSA(m.PublicKey, RequestMessage(r.Method, uri, a.Timestamp, a.Nonce, body), a.Signature); err != nil {
		return a, err
	}
	return a, nil
}

// Platform is WeChat's side of the signatures: its private key and the
// serial (public key id "PUB_KEY_ID_…" or platform certificate serial)
// merchants know it by. It is for simulators and tests.
type Platform struct {
	Serial string
	Key    *rsa.PrivateKey
}

// SignHeaders sets on h the four Wechatpay-* headers signing body at time
// now, with a fresh nonce, as WeChat does for every 2xx reply and every
// notification.
func (p Platform) SignHeaders(h http.Header, body []byte, now time.Time) error {
	ts, nonce := now.Unix(), NonceStr()
	sig, err := signRSA(p.Key, ResponseMessage(ts, nonce, body))
	if err != nil {
		return err
	}
	h.Set(HeaderSerial, p.Serial)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, sig)
	return nil
}

// checkFresh returns ErrStale when ts (Unix seconds) is MaxClockSkew or
// more away from now.
func checkFresh(ts int64, now time.Time) error {
	d := now.Unix() - ts
	if d < 0 {
		d = -d
	}
	if d >= int64(MaxClockSkew/time.Second) {
		return fmt.Errorf("%w: timestamp %d is %d s from our clock", ErrStale, ts, d)
	}
	return nil
}

// verifySigned checks the Wechatpay-* headers of a reply or notification
// against body: all four present, timestamp fresh, signature valid for
// the named serial. Both checks run before any of body is parsed.
func verifySigned(v Verifier, h http.Header, body []byte, now time.Time) error {
	serial := strings.TrimSpace(h.Get(HeaderSerial))
	sig := strings.TrimSpace(h.Get(HeaderSignature))
	tsText := strings.TrimSpace(h.Get(HeaderTimestamp))
	nonce := strings.TrimSpace(h.Get(HeaderNonce))
	if serial == "" || sig == "" || tsText == "" || nonce == "" {
		return fmt.Errorf("%w: Wechatpay-* header missing", ErrSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: Wechatpay-Timestamp is not an integer", ErrSignature)
	}
	if err := checkFresh(ts, now); err != nil {
		return err
	}
	return v.Verify(serial, ResponseMessage(ts, nonce, body), sig)
}

// WriteReply writes a signed 2xx reply as WeChat does: v as JSON with
// status (200 if 0), or, when v is nil, 204 No Content signed over the
// empty body. It is for simulators.
func (p Platform) WriteReply(w http.ResponseWriter, status int, v any, now time.Time) error {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return fmt.Errorf("wxpayv3: reply: %w", err)
		}
		w.Header().Set("Content-Type", "application/json")
	}
	if err := p.SignHeaders(w.Header(), body, now); err != nil {
		return err
	}
	switch {
	case v == nil:
		status = http.StatusNoContent
	case status == 0:
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// WriteError writes an error reply as WeChat does: status with
// {"code":code,"message":message}, unsigned. It is for simulators.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

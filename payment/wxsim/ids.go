package wxsim

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"saoma/payment/wxpay"
)

const (
	digits   = "0123456789"
	alnum    = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	openidCh = alnum + "_-"
)

// randString returns n characters drawn uniformly from alphabet (at most 64
// symbols) using the operating system's generator.
func randString(n int, alphabet string) string {
	buf := make([]byte, n)
	var r [1]byte
	for i := range buf {
		for {
			if _, err := rand.Read(r[:]); err != nil {
				panic("wxsim: crypto/rand failed: " + err.Error())
			}
			// Rejection sampling keeps every symbol equally likely.
			limit := 256 - 256%len(alphabet)
			if int(r[0]) < limit {
				buf[i] = alphabet[int(r[0])%len(alphabet)]
				break
			}
		}
	}
	return string(buf)
}

// newTransactionID returns a 28-digit WeChat-style transaction id:
// "4200" + 6 digits + yyyyMMdd + 10 digits.
func newTransactionID(now time.Time) string {
	return "4200" + randString(6, digits) + now.In(wxpay.Shanghai()).Format("20060102") + randString(10, digits)
}

// newRefundID returns a 29-digit WeChat-style refund id: "50" + 1 + 4 digits
// + yyyyMMdd + 14 digits.
func newRefundID(now time.Time) string {
	return "501" + randString(4, digits) + now.In(wxpay.Shanghai()).Format("20060102") + randString(14, digits)
}

// newPrepayID returns "wx" + yyyyMMddHHmmss + 22 lowercase hex digits, the
// shape of WeChat's prepay ids (36 characters).
func newPrepayID(now time.Time) string {
	var b [11]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("wxsim: crypto/rand failed: " + err.Error())
	}
	return "wx" + wxpay.FormatTime(now) + hex.EncodeToString(b[:])
}

// newOpenID returns "o" + 27 characters, the shape of an official-account
// openid.
func newOpenID() string { return "o" + randString(27, openidCh) }

// Link prefixes the simulator hands out and accepts.
const (
	codeURLPrefix  = "weixin://wxpay/bizpayurl?pr="
	bizPayPrefix   = "weixin://wxpay/bizpayurl?"
	shortURLPrefix = "weixin://wxpay/s/"
)

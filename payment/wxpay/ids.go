package wxpay

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // Windows kiosks have no zoneinfo; WeChat times are Asia/Shanghai.
)

// TimeLayout is the layout of WeChat's time fields (time_start,
// time_expire, time_end), always in Beijing time.
const TimeLayout = "20060102150405"

var shanghai = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable with time/tzdata embedded; keep a correct fixed zone anyway.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
})

// Shanghai returns the Asia/Shanghai location WeChat's wall-clock times use.
func Shanghai() *time.Location { return shanghai() }

// FormatTime renders t as WeChat's yyyyMMddHHmmss in Beijing time.
func FormatTime(t time.Time) string { return t.In(shanghai()).Format(TimeLayout) }

// ParseTime parses WeChat's yyyyMMddHHmmss (Beijing time).
func ParseTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(TimeLayout, s, shanghai())
	if err != nil {
		return time.Time{}, fmt.Errorf("wxpay: bad time %q: want yyyyMMddHHmmss", s)
	}
	return t, nil
}

const nonceAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NonceStr returns a 32-character random string of [0-9a-zA-Z] from the
// operating system's cryptographic generator.
func NonceStr() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("wxpay: crypto/rand failed: " + err.Error()) // documented never to fail
	}
	for i := range b {
		// Rejection sampling keeps the 62 symbols equally likely: 248 = 4*62.
		for b[i] >= 248 {
			var r [1]byte
			_, _ = rand.Read(r[:])
			b[i] = r[0]
		}
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b[:])
}

// ValidOutTradeNo reports whether s is an acceptable out_trade_no: 1–32
// characters of digits, ASCII letters and _ - | *. The error wraps
// ErrInvalidInput.
func ValidOutTradeNo(s string) error {
	if len(s) == 0 || len(s) > 32 {
		return fmt.Errorf("%w: out_trade_no must be 1-32 characters, got %d", ErrInvalidInput, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !outTradeNoByte(s[i]) {
			return fmt.Errorf("%w: out_trade_no has invalid character %q", ErrInvalidInput, s[i])
		}
	}
	return nil
}

// ValidOutRefundNo reports whether s is an acceptable out_refund_no: 1–64
// characters of digits, ASCII letters and _ - | * @. The error wraps
// ErrInvalidInput.
func ValidOutRefundNo(s string) error {
	if len(s) == 0 || len(s) > 64 {
		return fmt.Errorf("%w: out_refund_no must be 1-64 characters, got %d", ErrInvalidInput, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !outTradeNoByte(s[i]) && s[i] != '@' {
			return fmt.Errorf("%w: out_refund_no has invalid character %q", ErrInvalidInput, s[i])
		}
	}
	return nil
}

func outTradeNoByte(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return c == '_' || c == '-' || c == '|' || c == '*'
}

package wxpay

import (
	"bytes"
	"fmt"
	"math"
	"time"
)

// apiNotify names payment notifications in errors.
const apiNotify = "notify"

// Notification is a verified payment result notification (支付结果通知).
// ResultCode may be FAIL (with ErrCode/ErrCodeDes): the payment did not
// happen. Before marking an order paid, the caller must still check that
// AppID and MchID are its own and that TotalFee equals the order's amount.
type Notification struct {
	AppID, MchID  string
	OutTradeNo    string
	TransactionID string
	OpenID        string
	TradeType     string
	BankType      string
	FeeType       string
	Attach        string
	// ResultCode is SUCCESS (paid) or FAIL.
	ResultCode, ErrCode, ErrCodeDes string
	TotalFee, CashFee               int64 // fen
	TimeEnd                         time.Time
	// Raw holds every verified field, including coupons and unknown ones.
	Raw Params
}

// ParseNotification decodes, authenticates and checks a payment
// notification body, in that order, before any field is trusted:
//   - the hardened decoder: at most MaxBodySize bytes (ErrTooLarge), no
//     DOCTYPE/ENTITY (ErrDoctype), a flat <xml> (ErrMalformed);
//   - return_code must be SUCCESS (a FAIL is an *Error);
//   - the signature must verify with key and the algorithm named by the
//     message's sign_type, MD5 when absent (ErrSignature);
//   - required fields must be present and well formed (ErrBadMessage).
func ParseNotification(body []byte, key string) (*Notification, error) {
	p, err := verifiedMessage(apiNotify, body, key, true)
	if err != nil {
		return nil, err
	}
	return notificationFrom(p)
}

// ParseNotification is the package function plus a check that the
// notification is addressed to this client's appid and mch_id.
func (c *Client) ParseNotification(body []byte) (*Notification, error) {
	n, err := ParseNotification(body, c.key)
	if err != nil {
		return nil, err
	}
	if n.AppID != c.appID || n.MchID != c.mchID {
		return nil, fmt.Errorf("wxpay %s: %w: appid/mch_id is not ours", apiNotify, ErrBadMessage)
	}
	return n, nil
}

// verifiedMessage is the common inbound path: size cap, hardened decode,
// optional return_code check, signature check.
func verifiedMessage(api string, body []byte, key string, hasReturnCode bool) (Params, error) {
	if key == "" {
		return nil, fmt.Errorf("wxpay %s: %w: empty API key", api, ErrInvalidInput)
	}
	p, err := DecodeXML(bytes.NewReader(body), MaxBodySize)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if hasReturnCode {
		switch p["return_code"] {
		case "SUCCESS":
		case "FAIL":
			return nil, errorFrom(api, p)
		default:
			return nil, fmt.Errorf("wxpay %s: %w: return_code %q", api, ErrBadMessage, clip(p["return_code"]))
		}
	}
	if err := p.VerifySelf(key); err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	return p, nil
}

// notificationFrom checks the fields of a verified notification.
func notificationFrom(p Params) (*Notification, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("wxpay %s: %w: %s", apiNotify, ErrBadMessage, fmt.Sprintf(format, args...))
	}
	n := &Notification{
		AppID:         p["appid"],
		MchID:         p["mch_id"],
		OutTradeNo:    p["out_trade_no"],
		TransactionID: p["transaction_id"],
		OpenID:        p["openid"],
		TradeType:     p["trade_type"],
		BankType:      p["bank_type"],
		FeeType:       p["fee_type"],
		Attach:        p["attach"],
		ResultCode:    p["result_code"],
		ErrCode:       p["err_code"],
		ErrCodeDes:    p["err_code_des"],
		Raw:           p,
	}
	for _, name := range []string{"appid", "mch_id", "nonce_str", "result_code", "out_trade_no"} {
		if p[name] == "" {
			return nil, bad("%s missing", name)
		}
	}
	if ValidOutTradeNo(n.OutTradeNo) != nil {
		return nil, bad("out_trade_no is malformed")
	}
	success := false
	switch n.ResultCode {
	case "SUCCESS":
		success = true
		for _, name := range []string{"transaction_id", "openid", "trade_type", "bank_type", "total_fee", "cash_fee", "time_end"} {
			if p[name] == "" {
				return nil, bad("%s missing", name)
			}
		}
	case "FAIL":
	default:
		return nil, bad("result_code %q", clip(n.ResultCode))
	}
	var err error
	if s := p["total_fee"]; s != "" {
		if n.TotalFee, err = p.Int("total_fee"); err != nil || n.TotalFee <= 0 || n.TotalFee > math.MaxInt32 {
			return nil, bad("total_fee is not a positive amount")
		}
	}
	if s := p["cash_fee"]; s != "" {
		if n.CashFee, err = p.Int("cash_fee"); err != nil || n.CashFee < 0 || (success && n.CashFee > n.TotalFee) {
			return nil, bad("cash_fee is not an amount within total_fee")
		}
	}
	if s := p["time_end"]; s != "" {
		if n.TimeEnd, err = ParseTime(s); err != nil {
			return nil, bad("time_end is not yyyyMMddHHmmss")
		}
	}
	return n, nil
}

// NotifyReply is the body to answer a payment notification with: SUCCESS
// once the notification is verified and durably recorded (WeChat then stops
// re-sending), FAIL otherwise. msg defaults to "OK" on success. The reply is
// unsigned, as in WeChat's examples.
func NotifyReply(ok bool, msg string) []byte {
	code := "FAIL"
	if ok {
		code = "SUCCESS"
		if msg == "" {
			msg = "OK"
		}
	}
	return Params{"return_code": code, "return_msg": msg}.EncodeXML()
}

// ParseNotifyReply reads a merchant's answer to a notification (the
// simulator's side): ok is true for return_code SUCCESS. Anything other than
// a flat <xml> with return_code SUCCESS or FAIL is an error.
func ParseNotifyReply(body []byte) (ok bool, msg string, err error) {
	p, err := DecodeXML(bytes.NewReader(body), MaxBodySize)
	if err != nil {
		return false, "", fmt.Errorf("wxpay notify reply: %w", err)
	}
	switch p["return_code"] {
	case "SUCCESS":
		return true, p["return_msg"], nil
	case "FAIL":
		return false, p["return_msg"], nil
	}
	return false, "", fmt.Errorf("wxpay notify reply: %w: return_code %q", ErrBadMessage, clip(p["return_code"]))
}

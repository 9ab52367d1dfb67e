package wxpay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"
)

const (
	apiMicropay = "/pay/micropay"
	apiReverse  = "/secapi/pay/reverse"
)

// MinMicropayExpireInterval is the shortest time_expire − time_start WeChat
// accepts for a 付款码 (micropay) order ("刷卡至少1分钟").
const MinMicropayExpireInterval = time.Minute

// Trade types reported by OrderQuery, notifications and bills.
const (
	TradeTypeNative   = "NATIVE"   // the customer scans the merchant's QR
	TradeTypeMicropay = "MICROPAY" // the merchant scans the customer's 付款码
)

// ValidAuthCode reports whether s has the shape of a WeChat 付款码
// (auth_code): 18 ASCII digits starting with 10 to 15. Anything else is not
// a WeChat payment code (an Alipay code, a product barcode, a typo).
func ValidAuthCode(s string) error {
	if len(s) != 18 {
		return fmt.Errorf("%w: auth_code must be 18 digits, got %d characters", ErrInvalidInput, len(s))
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: auth_code must be digits only", ErrInvalidInput)
		}
	}
	if s[0] != '1' || s[1] > '5' {
		return fmt.Errorf("%w: auth_code must start with 10-15 (not a WeChat payment code)", ErrInvalidInput)
	}
	return nil
}

// MicropayRequest is a 付款码 payment: the kiosk scanned the payer's code.
// The code is single use, so a call is never repeated with another
// auth_code under the same OutTradeNo; after an unknown outcome the order
// is queried (OrderQuery) and, if it must be abandoned, reversed (Reverse).
type MicropayRequest struct {
	// Body is the goods description, 1–128 bytes of UTF-8. Required.
	Body string
	// OutTradeNo is our order number (see ValidOutTradeNo). Required.
	OutTradeNo string
	// TotalFee is the amount in fen, 1 … 2^31−1. Required.
	TotalFee int64
	// SpbillCreateIP is the IPv4/IPv6 address of the kiosk. Required.
	SpbillCreateIP string
	// AuthCode is the scanned 付款码 (see ValidAuthCode). Required.
	AuthCode string
	// Attach is echoed back verbatim in the reply and queries; ≤ 127 bytes.
	Attach string
	// DeviceInfo is the terminal id, ≤ 32 bytes; optional.
	DeviceInfo string
	// Detail is the 单品优惠 JSON, ≤ 6000 bytes; optional.
	Detail string
	// GoodsTag is the coupon tag, ≤ 32 bytes; optional.
	GoodsTag string
	// TimeStart is when the order was created; optional (zero: not sent).
	TimeStart time.Time
	// TimeExpire is when the order stops accepting payment; optional. It
	// must be at least MinMicropayExpireInterval after TimeStart, or after
	// now when TimeStart is zero.
	TimeExpire time.Time
}

// MicropayResponse is a 付款码 payment that WeChat reports as paid.
type MicropayResponse struct {
	TransactionID string
	OutTradeNo    string
	OpenID        string
	IsSubscribe   string // Y or N
	TradeType     string // MICROPAY
	BankType      string
	FeeType       string
	Attach        string
	DeviceInfo    string
	TotalFee      int64 // fen
	CashFee       int64 // fen
	TimeEnd       time.Time
	// Raw holds every verified reply field, coupons and unknown ones included.
	Raw Params
}

// Micropay charges the payer's 付款码 (POST /pay/micropay). Parameters are
// checked before anything is sent (ErrInvalidInput, also for an auth_code
// that is not a WeChat payment code). A nil error means paid: the reply
// carried transaction_id, the amount asked for and time_end.
//
// Failures whose outcome is NOT final — see MicropayUnknown — must be
// followed by OrderQuery (and, to give up, Reverse), never by assuming
// either way: ErrUserPaying (the payer is entering the password), ErrSystem
// and ErrBankError (WeChat does not know yet), ErrTransport, and any reply
// that fails verification (ErrSignature, ErrBadMessage). Final refusals
// include ErrAuthCodeInvalid, ErrAuthCodeExpire, ErrAuthCodeError,
// ErrNotEnough, ErrNotSupportCard, ErrOrderPaid, ErrOrderClosed,
// ErrOrderReversed, ErrParamError, ErrBuyerMismatch and ErrTradeError.
func (c *Client) Micropay(ctx context.Context, r *MicropayRequest) (*MicropayResponse, error) {
	const api = apiMicropay
	p, err := c.micropayParams(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, c.hc, api, p)
	if err != nil {
		return nil, err
	}
	if err := require(api, resp, "transaction_id", "out_trade_no", "total_fee", "time_end"); err != nil {
		return nil, err
	}
	if resp["out_trade_no"] != r.OutTradeNo {
		return nil, fmt.Errorf("wxpay %s: reply: %w: out_trade_no differs from the request", api, ErrBadMessage)
	}
	out := &MicropayResponse{
		TransactionID: resp["transaction_id"],
		OutTradeNo:    resp["out_trade_no"],
		OpenID:        resp["openid"],
		IsSubscribe:   resp["is_subscribe"],
		TradeType:     resp["trade_type"],
		BankType:      resp["bank_type"],
		FeeType:       resp["fee_type"],
		Attach:        resp["attach"],
		DeviceInfo:    resp["device_info"],
		Raw:           resp,
	}
	if out.TotalFee, err = replyInt(api, resp, "total_fee", true); err != nil {
		return nil, err
	}
	if out.TotalFee != r.TotalFee {
		return nil, fmt.Errorf("wxpay %s: reply: %w: total_fee %d differs from the %d asked for", api, ErrBadMessage, out.TotalFee, r.TotalFee)
	}
	if out.CashFee, err = replyInt(api, resp, "cash_fee", false); err != nil {
		return nil, err
	}
	if out.TimeEnd, err = ParseTime(resp["time_end"]); err != nil {
		return nil, fmt.Errorf("wxpay %s: reply: %w: time_end is not yyyyMMddHHmmss", api, ErrBadMessage)
	}
	return out, nil
}

// micropayParams validates r and returns its unsigned request fields.
func (c *Client) micropayParams(r *MicropayRequest) (Params, error) {
	const api = apiMicropay
	if r == nil {
		return nil, invalid(api, "nil request")
	}
	if err := ValidOutTradeNo(r.OutTradeNo); err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if err := ValidAuthCode(r.AuthCode); err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if r.Body == "" || len(r.Body) > 128 {
		return nil, invalid(api, "body must be 1-128 bytes, got %d", len(r.Body))
	}
	if r.TotalFee <= 0 || r.TotalFee > math.MaxInt32 {
		return nil, invalid(api, "total_fee must be 1..%d fen, got %d", math.MaxInt32, r.TotalFee)
	}
	if _, err := netip.ParseAddr(r.SpbillCreateIP); err != nil {
		return nil, invalid(api, "spbill_create_ip must be an IP address")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"attach", r.Attach, 127}, {"device_info", r.DeviceInfo, 32}, {"detail", r.Detail, 6000}, {"goods_tag", r.GoodsTag, 32}} {
		if len(f.v) > f.max {
			return nil, invalid(api, "%s must be at most %d bytes, got %d", f.name, f.max, len(f.v))
		}
	}
	if !r.TimeExpire.IsZero() {
		from := r.TimeStart
		if from.IsZero() {
			from = c.now()
		}
		if r.TimeExpire.Sub(from) < MinMicropayExpireInterval {
			return nil, invalid(api, "time_expire must be at least %v after time_start (or now)", MinMicropayExpireInterval)
		}
	}
	p := make(Params, 20)
	p["body"] = r.Body
	p["out_trade_no"] = r.OutTradeNo
	p.SetInt("total_fee", r.TotalFee)
	p["spbill_create_ip"] = r.SpbillCreateIP
	p["auth_code"] = r.AuthCode
	setIf(p, "attach", r.Attach)
	setIf(p, "device_info", r.DeviceInfo)
	setIf(p, "detail", r.Detail)
	setIf(p, "goods_tag", r.GoodsTag)
	if !r.TimeStart.IsZero() {
		p["time_start"] = FormatTime(r.TimeStart)
	}
	if !r.TimeExpire.IsZero() {
		p["time_expire"] = FormatTime(r.TimeExpire)
	}
	return p, nil
}

// MicropayUnknown reports whether err, returned by Micropay, leaves the
// payment's outcome open: the money may or may not have been taken, so the
// order must be queried (OrderQuery) until it is final, or reversed. It is
// false for nil, for ErrInvalidInput and ErrNoCertificate (nothing was
// sent), for a protocol-layer FAIL (WeChat did not process the request)
// other than SYSTEMERROR, and for final business refusals. It is true for
// ErrUserPaying, ErrSystem, ErrBankError, ErrTransport, and any reply that
// could not be trusted (ErrSignature, ErrBadMessage, ErrTooLarge, …).
func MicropayUnknown(err error) bool {
	if err == nil || errors.Is(err, ErrInvalidInput) || errors.Is(err, ErrNoCertificate) {
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		return true
	}
	switch e.ErrCode {
	case "USERPAYING", "SYSTEMERROR", "BANKERROR":
		return true
	case "":
		return e.ReturnMsg == "SYSTEMERROR"
	}
	return false
}

// Reverse cancels a 付款码 order (POST /secapi/pay/reverse, mutual TLS with
// the merchant certificate; without Config.CertP12 it returns
// ErrNoCertificate and sends nothing). An unpaid order is closed, a paid
// one is refunded in full; either way it ends REVOKED. recall is WeChat's
// flag: true means the reversal is not finished — call Reverse again (with
// the same order) until it answers recall false.
//
// On a business failure recall is still WeChat's flag (true with
// SYSTEMERROR). Errors: ErrSystem (retry), ErrReverseExpire (older than 7
// days: refund instead), ErrUserPaying, ErrOrderNotExist, ErrTradeError,
// ErrInvalidRequest, ErrParamError; ErrTransport leaves the outcome open —
// call again.
func (c *Client) Reverse(ctx context.Context, outTradeNo string) (recall bool, err error) {
	const api = apiReverse
	if err := ValidOutTradeNo(outTradeNo); err != nil {
		return false, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if c.certClient == nil {
		return false, fmt.Errorf("wxpay %s: %w", api, ErrNoCertificate)
	}
	data, err := c.post(ctx, c.certClient, api, Params{"out_trade_no": outTradeNo}, MaxBodySize)
	if err != nil {
		return false, err
	}
	r, err := ParseXML(data)
	if err != nil {
		return false, fmt.Errorf("wxpay %s: reply: %w", api, err)
	}
	resp, err := c.check(api, r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.ReturnCode == "SUCCESS" {
			// A business failure comes after the signature check: its
			// recall flag is WeChat's.
			return r["recall"] == "Y", err
		}
		return false, err
	}
	switch resp["recall"] {
	case "Y":
		return true, nil
	case "N":
		return false, nil
	}
	return false, fmt.Errorf("wxpay %s: reply: %w: recall %q is not Y or N", api, ErrBadMessage, clip(resp["recall"]))
}

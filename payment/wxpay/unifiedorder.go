package wxpay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"time"
)

const apiUnifiedOrder = "/pay/unifiedorder"

// MinExpireInterval is the shortest time_expire − time_start WeChat's
// older documents accept ("> 5 minutes"); newer ones suggest 1 minute. We
// enforce the stricter rule so both are satisfied.
const MinExpireInterval = 5 * time.Minute

// UnifiedOrderRequest is a Native (trade_type=NATIVE) unified order. A retry
// of the same order must repeat every field exactly (WeChat's re-entry
// rule), so build it once and keep it.
type UnifiedOrderRequest struct {
	// Body is the goods description, 1–128 bytes of UTF-8
	// (e.g. "品牌-分店-商品"). Required.
	Body string
	// OutTradeNo is our order number (see ValidOutTradeNo). Required.
	OutTradeNo string
	// TotalFee is the amount in fen, 1 … 2^31−1. Required.
	TotalFee int64
	// SpbillCreateIP is the IPv4/IPv6 address of the machine calling the
	// API (the kiosk). Required.
	SpbillCreateIP string
	// TimeStart is when the order was created; optional (zero: not sent).
	TimeStart time.Time
	// TimeExpire is when the order stops accepting payment; optional. It
	// must be at least MinExpireInterval after TimeStart, or after now when
	// TimeStart is zero.
	TimeExpire time.Time
	// NotifyURL receives the payment notification: absolute http(s), at most
	// 256 bytes, no query string. Required.
	NotifyURL string
	// ProductID is the merchant's product (or order) id, at most 32 bytes;
	// required for NATIVE.
	ProductID string
	// Attach is echoed back verbatim in query and notification; ≤ 127 bytes.
	Attach string
	// DeviceInfo is the terminal id, ≤ 32 bytes; optional.
	DeviceInfo string
	// Detail is the 单品优惠 JSON, ≤ 6000 bytes; optional.
	Detail string
	// OpenID is the payer, ≤ 128 bytes; optional for NATIVE (mode 1 knows it).
	OpenID string
}

// UnifiedOrderResponse is what a successful unified order returns.
type UnifiedOrderResponse struct {
	// PrepayID identifies the prepayment, valid for 2 hours; a mode-1
	// callback reply carries it.
	PrepayID string
	// CodeURL is the opaque weixin:// link to render as the payment QR,
	// valid for 2 hours.
	CodeURL string
	// TradeType is NATIVE.
	TradeType string
}

// UnifiedOrder asks WeChat for a Native payment QR. Parameters are checked
// before anything is sent (errors wrap ErrInvalidInput). WeChat's refusals
// come back as *Error: ErrOrderPaid, ErrOrderClosed, ErrInvalidRequest
// (also for a re-entry with different parameters), ErrSystem (retry with the
// same request). A transport failure wraps ErrTransport: the order may or
// may not exist, so query it or resend the identical request.
func (c *Client) UnifiedOrder(ctx context.Context, r *UnifiedOrderRequest) (*UnifiedOrderResponse, error) {
	p, err := c.unifiedOrderParams(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, c.hc, apiUnifiedOrder, p)
	if err != nil {
		return nil, err
	}
	if err := require(apiUnifiedOrder, resp, "prepay_id", "code_url"); err != nil {
		return nil, err
	}
	return &UnifiedOrderResponse{
		PrepayID:  resp["prepay_id"],
		CodeURL:   resp["code_url"],
		TradeType: resp["trade_type"],
	}, nil
}

// unifiedOrderParams validates r and returns its unsigned request fields.
func (c *Client) unifiedOrderParams(r *UnifiedOrderRequest) (Params, error) {
	const api = apiUnifiedOrder
	if r == nil {
		return nil, invalid(api, "nil request")
	}
	if err := ValidOutTradeNo(r.OutTradeNo); err != nil {
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
	if err := checkNotifyURL(r.NotifyURL, true); err != nil {
		return nil, invalid(api, "%v", err)
	}
	if r.ProductID == "" || len(r.ProductID) > 32 {
		return nil, invalid(api, "product_id is required for NATIVE and must be at most 32 bytes")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"attach", r.Attach, 127}, {"device_info", r.DeviceInfo, 32}, {"detail", r.Detail, 6000}, {"openid", r.OpenID, 128}} {
		if len(f.v) > f.max {
			return nil, invalid(api, "%s must be at most %d bytes, got %d", f.name, f.max, len(f.v))
		}
	}
	if !r.TimeExpire.IsZero() {
		from := r.TimeStart
		if from.IsZero() {
			from = c.now()
		}
		if r.TimeExpire.Sub(from) < MinExpireInterval {
			return nil, invalid(api, "time_expire must be at least %v after time_start (or now)", MinExpireInterval)
		}
	}
	p := make(Params, 20)
	p["body"] = r.Body
	p["out_trade_no"] = r.OutTradeNo
	p.SetInt("total_fee", r.TotalFee)
	p["spbill_create_ip"] = r.SpbillCreateIP
	p["notify_url"] = r.NotifyURL
	p["trade_type"] = "NATIVE"
	p["product_id"] = r.ProductID
	setIf(p, "attach", r.Attach)
	setIf(p, "device_info", r.DeviceInfo)
	setIf(p, "detail", r.Detail)
	setIf(p, "openid", r.OpenID)
	if !r.TimeStart.IsZero() {
		p["time_start"] = FormatTime(r.TimeStart)
	}
	if !r.TimeExpire.IsZero() {
		p["time_expire"] = FormatTime(r.TimeExpire)
	}
	return p, nil
}

// setIf stores v under k when v is not empty.
func setIf(p Params, k, v string) {
	if v != "" {
		p[k] = v
	}
}

// checkNotifyURL applies the notify_url rules: absolute http(s), at most
// 256 bytes, no query string or fragment. An empty URL is allowed unless
// required.
func checkNotifyURL(s string, required bool) error {
	if s == "" {
		if required {
			return errors.New("notify_url is required")
		}
		return nil
	}
	if len(s) > 256 {
		return errors.New("notify_url must be at most 256 bytes")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("notify_url must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return errors.New("notify_url must not carry a query string or fragment")
	}
	return nil
}

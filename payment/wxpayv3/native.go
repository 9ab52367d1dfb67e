package wxpayv3

import (
	"context"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"
)

// API paths.
const (
	pathNative     = "/v3/pay/transactions/native"
	pathByOutTrade = "/v3/pay/transactions/out-trade-no/"
	pathByID       = "/v3/pay/transactions/id/"
	pathRefunds    = "/v3/refund/domestic/refunds"
	pathTradeBill  = "/v3/bill/tradebill"
)

// NativeOrder is a Native (scan-code) payment order to create.
type NativeOrder struct {
	// OutTradeNo is our order number: 6–32 characters of [0-9A-Za-z_-|*],
	// unique per merchant. Required.
	OutTradeNo string
	// Description is shown to the payer (商品描述), 1–127 bytes. Required.
	Description string
	// Total is the amount in fen, > 0. Required. Currency is always CNY.
	Total int64
	// TimeExpire is when the QR code stops working; zero leaves WeChat's
	// default (2 h). If set, it must be after the client's clock.
	TimeExpire time.Time
	// Attach comes back unchanged in queries and notifications, ≤ 128 bytes.
	Attach string
	// NotifyURL receives the payment notification: an absolute http(s)
	// URL without query. Required.
	NotifyURL string
}

// amount is the amount object of order and refund requests.
type amount struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// nativeRequest is the JSON body of a Native order.
type nativeRequest struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire,omitempty"`
	Attach      string `json:"attach,omitempty"`
	NotifyURL   string `json:"notify_url"`
	Amount      amount `json:"amount"`
}

// nativeBody checks o and builds the request body.
func (c *Client) nativeBody(o NativeOrder) (*nativeRequest, error) {
	switch {
	case !validNo(o.OutTradeNo, 6, 32, "_-|*"):
		return nil, fmt.Errorf("%w: out_trade_no must be 6-32 of [0-9A-Za-z_-|*]", ErrInvalidInput)
	case o.Description == "" || len(o.Description) > 127 || !utf8.ValidString(o.Description):
		return nil, fmt.Errorf("%w: description must be 1-127 bytes of UTF-8", ErrInvalidInput)
	case o.Total <= 0:
		return nil, fmt.Errorf("%w: total must be > 0 fen", ErrInvalidInput)
	case len(o.Attach) > 128 || !utf8.ValidString(o.Attach):
		return nil, fmt.Errorf("%w: attach must be at most 128 bytes of UTF-8", ErrInvalidInput)
	case !o.TimeExpire.IsZero() && !o.TimeExpire.After(c.now()):
		return nil, fmt.Errorf("%w: time_expire is not in the future", ErrInvalidInput)
	}
	if err := checkNotifyURL(o.NotifyURL); err != nil {
		return nil, err
	}
	return &nativeRequest{
		AppID: c.appID, MchID: c.mchID, Description: o.Description, OutTradeNo: o.OutTradeNo,
		TimeExpire: formatOptTime(o.TimeExpire), Attach: o.Attach, NotifyURL: o.NotifyURL,
		Amount: amount{Total: o.Total, Currency: "CNY"},
	}, nil
}

// NativePrepay creates a Native order (POST /v3/pay/transactions/native)
// and returns its code_url ("weixin://wxpay/bizpayurl?pr=…") to show as
// a QR code. Resending the identical order returns the same code_url; a
// transport error leaves the outcome unknown, so resend it identically
// or query.
func (c *Client) NativePrepay(ctx context.Context, o NativeOrder) (string, error) {
	body, err := c.nativeBody(o)
	if err != nil {
		return "", fmt.Errorf("wxpayv3 POST %s: %w", pathNative, err)
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := c.call(ctx, "POST", pathNative, nil, body, &out); err != nil {
		return "", err
	}
	if out.CodeURL == "" {
		return "", fmt.Errorf("wxpayv3 POST %s: reply: %w: code_url missing", pathNative, ErrBadMessage)
	}
	return out.CodeURL, nil
}

// QueryByOutTradeNo returns the order with our order number
// (GET /v3/pay/transactions/out-trade-no/{no}?mchid=…). An order WeChat
// does not know is ErrOrderNotExist.
func (c *Client) QueryByOutTradeNo(ctx context.Context, outTradeNo string) (*Transaction, error) {
	if !validNo(outTradeNo, 6, 32, "_-|*") {
		return nil, fmt.Errorf("wxpayv3 GET %s: %w: out_trade_no", pathByOutTrade, ErrInvalidInput)
	}
	return c.query(ctx, pathByOutTrade+outTradeNo)
}

// QueryByTransactionID returns the order with WeChat's transaction id
// (GET /v3/pay/transactions/id/{id}?mchid=…).
func (c *Client) QueryByTransactionID(ctx context.Context, transactionID string) (*Transaction, error) {
	if !validNo(transactionID, 1, 32, "") {
		return nil, fmt.Errorf("wxpayv3 GET %s: %w: transaction_id", pathByID, ErrInvalidInput)
	}
	return c.query(ctx, pathByID+transactionID)
}

// query fetches a Transaction and checks it belongs to this merchant.
func (c *Client) query(ctx context.Context, path string) (*Transaction, error) {
	var tx Transaction
	if err := c.call(ctx, "GET", path, url.Values{"mchid": {c.mchID}}, nil, &tx); err != nil {
		return nil, err
	}
	if tx.MchID != c.mchID || (tx.AppID != "" && tx.AppID != c.appID) {
		return nil, fmt.Errorf("wxpayv3 GET %s: reply: %w: mchid/appid is not ours", path, ErrBadMessage)
	}
	return &tx, nil
}

// CloseOrder closes an unpaid order
// (POST /v3/pay/transactions/out-trade-no/{no}/close, 204). Closing an
// already closed order succeeds; WeChat may answer ORDERPAID for a paid
// one (ErrOrderPaid): query it.
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) error {
	if !validNo(outTradeNo, 6, 32, "_-|*") {
		return fmt.Errorf("wxpayv3 POST %s: %w: out_trade_no", pathByOutTrade, ErrInvalidInput)
	}
	body := struct {
		MchID string `json:"mchid"`
	}{c.mchID}
	return c.call(ctx, "POST", pathByOutTrade+outTradeNo+"/close", nil, body, nil)
}

// validNo reports whether s has min–max characters, each an ASCII letter,
// digit or one of extra.
func validNo(s string, min, max int, extra string) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		ok := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		for j := 0; !ok && j < len(extra); j++ {
			ok = b == extra[j]
		}
		if !ok {
			return false
		}
	}
	return true
}

// checkNotifyURL requires an absolute http(s) URL without query.
func checkNotifyURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || len(s) > 255 {
		return fmt.Errorf("%w: notify_url must be an absolute http(s) URL without query", ErrInvalidInput)
	}
	return nil
}

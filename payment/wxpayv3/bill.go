package wxpayv3

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MaxBillSize caps a downloaded bill file; larger ones are ErrTooLarge.
const MaxBillSize = 32 << 20

// BillInfo is where to fetch a bill and how to check it, from TradeBill.
type BillInfo struct {
	HashType    string // SHA1
	HashValue   string // hex
	DownloadURL string
}

// TradeBill asks for the trade bill of one Beijing day, date
// "YYYY-MM-DD", with every transaction (GET /v3/bill/tradebill,
// bill_type=ALL). A day without transactions is ErrNoStatement; a bill not
// generated yet (before about 10:00 the next day) is ErrStatementCreating.
func (c *Client) TradeBill(ctx context.Context, date string) (*BillInfo, error) {
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return nil, fmt.Errorf("wxpayv3 GET %s: %w: bill_date must be YYYY-MM-DD", pathTradeBill, ErrInvalidInput)
	}
	var out struct {
		HashType    string `json:"hash_type"`
		HashValue   string `json:"hash_value"`
		DownloadURL string `json:"download_url"`
	}
	q := url.Values{"bill_date": {date}, "bill_type": {"ALL"}}
	if err := c.call(ctx, "GET", pathTradeBill, q, nil, &out); err != nil {
		return nil, err
	}
	if out.DownloadURL == "" || out.HashValue == "" {
		return nil, fmt.Errorf("wxpayv3 GET %s: reply: %w: download_url or hash_value missing", pathTradeBill, ErrBadMessage)
	}
	return &BillInfo{HashType: out.HashType, HashValue: out.HashValue, DownloadURL: out.DownloadURL}, nil
}

// DownloadBill fetches the file b names with a signed GET and returns it
// after checking its SHA1 against b.HashValue (ErrBillHash). The download
// reply is not signed by WeChat; the hash from the signed TradeBill reply
// authenticates it. The URL must be on the client's BaseURL host (else
// ErrInvalidInput), so our Authorization never goes elsewhere.
func (c *Client) DownloadBill(ctx context.Context, b *BillInfo) ([]byte, error) {
	const api = "GET bill download"
	u, err := url.Parse(b.DownloadURL)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("wxpayv3 %s: %w: download_url is not on the API host", api, ErrInvalidInput)
	}
	if ht := b.HashType; ht != "" && !strings.EqualFold(ht, "SHA1") {
		return nil, fmt.Errorf("wxpayv3 %s: %w: unsupported hash_type %q", api, ErrBadMessage, clip(ht))
	}
	req, err := c.newRequest(ctx, "GET", u, nil)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3 %s: %w", api, err)
	}
	data, err := c.do(api, req, MaxBillSize, false)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(data)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), b.HashValue) {
		return nil, fmt.Errorf("wxpayv3 %s: %w", api, ErrBillHash)
	}
	return data, nil
}

// FetchTradeBill is TradeBill followed by DownloadBill.
func (c *Client) FetchTradeBill(ctx context.Context, date string) ([]byte, error) {
	b, err := c.TradeBill(ctx, date)
	if err != nil {
		return nil, err
	}
	return c.DownloadBill(ctx, b)
}

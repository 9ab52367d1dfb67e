package wxpayv3

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// RefundRequest asks for (part of) a paid order's money back.
type RefundRequest struct {
	// OutTradeNo or TransactionID names the order; one is required, and
	// TransactionID wins when both are set.
	OutTradeNo    string
	TransactionID string
	// OutRefundNo is our refund number: 1–64 characters of
	// [0-9A-Za-z_-|*@]. Resending the same number is idempotent.
	OutRefundNo string
	// Reason is shown to the payer, ≤ 80 bytes; optional.
	Reason string
	// NotifyURL receives the REFUND.* notification; optional (without it,
	// the one configured in the merchant portal is used).
	NotifyURL string
	// Refund is the amount to return and Total the order's amount, in fen;
	// 0 < Refund ≤ Total.
	Refund, Total int64
}

// refundRequest is the JSON body of a refund.
type refundRequest struct {
	TransactionID string       `json:"transaction_id,omitempty"`
	OutTradeNo    string       `json:"out_trade_no,omitempty"`
	OutRefundNo   string       `json:"out_refund_no"`
	Reason        string       `json:"reason,omitempty"`
	NotifyURL     string       `json:"notify_url,omitempty"`
	Amount        refundAmount `json:"amount"`
}

type refundAmount struct {
	Refund   int64  `json:"refund"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// refundBody checks r and builds the request body.
func refundBody(r RefundRequest) (*refundRequest, error) {
	b := &refundRequest{
		OutRefundNo: r.OutRefundNo, Reason: r.Reason, NotifyURL: r.NotifyURL,
		Amount: refundAmount{Refund: r.Refund, Total: r.Total, Currency: "CNY"},
	}
	switch {
	case r.TransactionID != "":
		if !validNo(r.TransactionID, 1, 32, "") {
			return nil, fmt.Errorf("%w: transaction_id", ErrInvalidInput)
		}
		b.TransactionID = r.TransactionID
	case validNo(r.OutTradeNo, 6, 32, "_-|*"):
		b.OutTradeNo = r.OutTradeNo
	default:
		return nil, fmt.Errorf("%w: a valid out_trade_no or transaction_id is required", ErrInvalidInput)
	}
	switch {
	case !validNo(r.OutRefundNo, 1, 64, "_-|*@"):
		return nil, fmt.Errorf("%w: out_refund_no must be 1-64 of [0-9A-Za-z_-|*@]", ErrInvalidInput)
	case r.Refund <= 0 || r.Refund > r.Total:
		return nil, fmt.Errorf("%w: refund must be > 0 and at most total", ErrInvalidInput)
	case len(r.Reason) > 80 || !utf8.ValidString(r.Reason):
		return nil, fmt.Errorf("%w: reason must be at most 80 bytes of UTF-8", ErrInvalidInput)
	}
	if r.NotifyURL != "" {
		if err := checkNotifyURL(r.NotifyURL); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Refund requests a refund (POST /v3/refund/domestic/refunds) and
// returns WeChat's record, usually PROCESSING: follow it with QueryRefund
// or the REFUND.* notification. NOT_ENOUGH is ErrNotEnough.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*Refund, error) {
	body, err := refundBody(r)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3 POST %s: %w", pathRefunds, err)
	}
	var out Refund
	if err := c.call(ctx, "POST", pathRefunds, nil, body, &out); err != nil {
		return nil, err
	}
	if out.OutRefundNo != r.OutRefundNo {
		return nil, fmt.Errorf("wxpayv3 POST %s: reply: %w: out_refund_no differs", pathRefunds, ErrBadMessage)
	}
	return &out, nil
}

// QueryRefund returns the refund with our refund number
// (GET /v3/refund/domestic/refunds/{out_refund_no}); an unknown one is
// ErrResourceNotExists.
func (c *Client) QueryRefund(ctx context.Context, outRefundNo string) (*Refund, error) {
	if !validNo(outRefundNo, 1, 64, "_-|*@") {
		return nil, fmt.Errorf("wxpayv3 GET %s: %w: out_refund_no", pathRefunds, ErrInvalidInput)
	}
	path := pathRefunds + "/" + outRefundNo
	var out Refund
	if err := c.call(ctx, "GET", path, nil, nil, &out); err != nil {
		return nil, err
	}
	if out.OutRefundNo != outRefundNo {
		return nil, fmt.Errorf("wxpayv3 GET %s: reply: %w: out_refund_no differs", path, ErrBadMessage)
	}
	return &out, nil
}

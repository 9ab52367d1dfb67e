package wxpay

import (
	"context"
	"fmt"
	"time"
)

const (
	apiOrderQuery = "/pay/orderquery"
	apiCloseOrder = "/pay/closeorder"
)

// TradeState is an order's transaction state reported by OrderQuery.
type TradeState string

// The trade states of WXPAY_V2.md §4.2.
const (
	TradeSuccess    TradeState = "SUCCESS"    // paid
	TradeRefund     TradeState = "REFUND"     // a refund was initiated
	TradeNotPay     TradeState = "NOTPAY"     // not paid yet
	TradeClosed     TradeState = "CLOSED"     // closed
	TradeRevoked    TradeState = "REVOKED"    // revoked (micropay only)
	TradeUserPaying TradeState = "USERPAYING" // payer is confirming (micropay only)
	TradePayError   TradeState = "PAYERROR"   // payment failed, e.g. bank declined
	TradeAccept     TradeState = "ACCEPT"     // received, awaiting debit (newer docs)
)

// Valid reports whether s is one of the documented trade states.
func (s TradeState) Valid() bool {
	switch s {
	case TradeSuccess, TradeRefund, TradeNotPay, TradeClosed, TradeRevoked,
		TradeUserPaying, TradePayError, TradeAccept:
		return true
	}
	return false
}

// Paid reports whether money was taken for the order: SUCCESS, or REFUND
// (paid, then a refund started).
func (s TradeState) Paid() bool { return s == TradeSuccess || s == TradeRefund }

// OrderQueryRequest names the order to query; TransactionID wins when both
// are set.
type OrderQueryRequest struct {
	OutTradeNo    string
	TransactionID string
}

// OrderQueryResponse is an order's state. When TradeState is not SUCCESS
// (or REFUND) only OutTradeNo, Attach and TradeStateDesc are meaningful.
type OrderQueryResponse struct {
	TradeState     TradeState
	TradeStateDesc string
	OutTradeNo     string
	TransactionID  string
	OpenID         string
	TradeType      string
	BankType       string
	Attach         string
	FeeType        string
	TotalFee       int64 // fen
	CashFee        int64 // fen
	TimeEnd        time.Time
	// Raw holds every verified reply field, coupons and unknown ones included.
	Raw Params
}

// OrderQuery asks for an order's state. The three layers are checked:
// return_code and result_code failures are *Error (ErrOrderNotExist,
// ErrSystem to retry); trade_state must be a documented state. For a paid
// order the reply must carry transaction_id, total_fee and time_end, and its
// out_trade_no must be the one asked about.
func (c *Client) OrderQuery(ctx context.Context, r OrderQueryRequest) (*OrderQueryResponse, error) {
	const api = apiOrderQuery
	p := make(Params, 8)
	switch {
	case r.TransactionID != "":
		if len(r.TransactionID) > 32 {
			return nil, invalid(api, "transaction_id must be at most 32 bytes")
		}
		p["transaction_id"] = r.TransactionID
	case r.OutTradeNo != "":
		if err := ValidOutTradeNo(r.OutTradeNo); err != nil {
			return nil, fmt.Errorf("wxpay %s: %w", api, err)
		}
		p["out_trade_no"] = r.OutTradeNo
	default:
		return nil, invalid(api, "out_trade_no or transaction_id is required")
	}
	resp, err := c.call(ctx, c.hc, api, p)
	if err != nil {
		return nil, err
	}
	return parseOrderQuery(api, resp, r)
}

// parseOrderQuery checks and converts a verified orderquery reply.
func parseOrderQuery(api string, resp Params, r OrderQueryRequest) (*OrderQueryResponse, error) {
	out := &OrderQueryResponse{
		TradeState:     TradeState(resp["trade_state"]),
		TradeStateDesc: resp["trade_state_desc"],
		OutTradeNo:     resp["out_trade_no"],
		TransactionID:  resp["transaction_id"],
		OpenID:         resp["openid"],
		TradeType:      resp["trade_type"],
		BankType:       resp["bank_type"],
		Attach:         resp["attach"],
		FeeType:        resp["fee_type"],
		Raw:            resp,
	}
	if !out.TradeState.Valid() {
		return nil, fmt.Errorf("wxpay %s: reply: %w: unknown trade_state %q", api, ErrBadMessage, clip(resp["trade_state"]))
	}
	if err := require(api, resp, "out_trade_no"); err != nil {
		return nil, err
	}
	if r.TransactionID == "" && out.OutTradeNo != r.OutTradeNo {
		return nil, fmt.Errorf("wxpay %s: reply: %w: out_trade_no differs from the query", api, ErrBadMessage)
	}
	if r.TransactionID != "" && out.TransactionID != "" && out.TransactionID != r.TransactionID {
		return nil, fmt.Errorf("wxpay %s: reply: %w: transaction_id differs from the query", api, ErrBadMessage)
	}
	paid := out.TradeState.Paid()
	if paid {
		if err := require(api, resp, "transaction_id", "total_fee", "time_end"); err != nil {
			return nil, err
		}
	}
	var err error
	if out.TotalFee, err = replyInt(api, resp, "total_fee", paid); err != nil {
		return nil, err
	}
	if out.CashFee, err = replyInt(api, resp, "cash_fee", false); err != nil {
		return nil, err
	}
	if s := resp["time_end"]; s != "" {
		if out.TimeEnd, err = ParseTime(s); err != nil {
			return nil, fmt.Errorf("wxpay %s: reply: %w: time_end is not yyyyMMddHHmmss", api, ErrBadMessage)
		}
	}
	return out, nil
}

// CloseOrder closes an unpaid order so it can no longer be paid. WeChat
// refuses within 5 minutes of creation. ORDERCLOSED comes back as an error
// matching ErrOrderClosed (the order is closed: treat as done); ORDERPAID as
// ErrOrderPaid (it was paid after all); SYSTEMERROR as ErrSystem (retry).
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) error {
	if err := ValidOutTradeNo(outTradeNo); err != nil {
		return fmt.Errorf("wxpay %s: %w", apiCloseOrder, err)
	}
	_, err := c.call(ctx, c.hc, apiCloseOrder, Params{"out_trade_no": outTradeNo})
	return err
}

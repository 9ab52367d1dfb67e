package wxpay

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

const (
	apiRefund      = "/secapi/pay/refund"
	apiRefundQuery = "/pay/refundquery"
)

// RefundRequest asks for (part of) a paid order's money back. Retry a failed
// refund with the same OutRefundNo and amounts: WeChat refunds once per
// out_refund_no.
type RefundRequest struct {
	// OutTradeNo or TransactionID names the order; TransactionID wins.
	OutTradeNo, TransactionID string
	// OutRefundNo is our refund number (see ValidOutRefundNo). Required.
	OutRefundNo string
	// TotalFee is the original order amount and RefundFee this refund, in
	// fen; 0 < RefundFee ≤ TotalFee.
	TotalFee, RefundFee int64
	// RefundDesc is shown to the payer; ≤ 80 bytes, optional.
	RefundDesc string
	// NotifyURL overrides the platform's refund notification URL; optional,
	// same rules as the unified order's.
	NotifyURL string
}

// RefundResponse means WeChat accepted the refund; the outcome comes from
// RefundQuery or the refund notification.
type RefundResponse struct {
	TransactionID, OutTradeNo, OutRefundNo, RefundID string
	RefundFee, TotalFee, CashFee                     int64 // fen
}

// Refund requests a refund over mutual TLS with the merchant certificate
// (Config.CertP12); without one it returns ErrNoCertificate and sends
// nothing. Retryable refusals: ErrSystem, ErrBizNeedRetry (same request),
// INVALID_REQ_TOO_MUCH and FREQUENCY_LIMITED (later); see Error.Retryable.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResponse, error) {
	const api = apiRefund
	if r == nil {
		return nil, invalid(api, "nil request")
	}
	p := make(Params, 12)
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
	if err := ValidOutRefundNo(r.OutRefundNo); err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	if r.TotalFee <= 0 || r.RefundFee <= 0 || r.RefundFee > r.TotalFee {
		return nil, invalid(api, "need 0 < refund_fee (%d) <= total_fee (%d)", r.RefundFee, r.TotalFee)
	}
	if len(r.RefundDesc) > 80 {
		return nil, invalid(api, "refund_desc must be at most 80 bytes, got %d", len(r.RefundDesc))
	}
	if err := checkNotifyURL(r.NotifyURL, false); err != nil {
		return nil, invalid(api, "%v", err)
	}
	if c.certClient == nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, ErrNoCertificate)
	}
	p["out_refund_no"] = r.OutRefundNo
	p.SetInt("total_fee", r.TotalFee)
	p.SetInt("refund_fee", r.RefundFee)
	setIf(p, "refund_desc", r.RefundDesc)
	setIf(p, "notify_url", r.NotifyURL)
	resp, err := c.call(ctx, c.certClient, api, p)
	if err != nil {
		return nil, err
	}
	if err := require(api, resp, "refund_id", "out_refund_no", "refund_fee"); err != nil {
		return nil, err
	}
	if resp["out_refund_no"] != r.OutRefundNo {
		return nil, fmt.Errorf("wxpay %s: reply: %w: out_refund_no differs from the request", api, ErrBadMessage)
	}
	out := &RefundResponse{
		TransactionID: resp["transaction_id"],
		OutTradeNo:    resp["out_trade_no"],
		OutRefundNo:   resp["out_refund_no"],
		RefundID:      resp["refund_id"],
	}
	if out.RefundFee, err = replyInt(api, resp, "refund_fee", true); err != nil {
		return nil, err
	}
	if out.TotalFee, err = replyInt(api, resp, "total_fee", false); err != nil {
		return nil, err
	}
	if out.CashFee, err = replyInt(api, resp, "cash_fee", false); err != nil {
		return nil, err
	}
	return out, nil
}

// RefundQueryRequest names what to look up; the first non-empty of
// RefundID, OutRefundNo, TransactionID, OutTradeNo is used (WeChat's
// priority). Offset pages through orders with more than 10 refunds.
type RefundQueryRequest struct {
	RefundID, OutRefundNo, TransactionID, OutTradeNo string
	Offset                                           int
}

// RefundQueryResponse lists an order's refunds (at most 10 per page).
type RefundQueryResponse struct {
	TransactionID, OutTradeNo string
	TotalFee, CashFee         int64 // fen
	// TotalRefundCount is the order's refund count over all pages
	// (total_refund_count, or refund_count when WeChat omits it).
	TotalRefundCount int
	Refunds          []RefundInfo
}

// RefundInfo is one refund of a RefundQueryResponse.
type RefundInfo struct {
	OutRefundNo, RefundID, RefundChannel string
	// RefundStatus is SUCCESS, REFUNDCLOSE, PROCESSING or CHANGE.
	RefundStatus string
	// RefundRecvAccount is where the money went (refund_recv_accout_$n).
	RefundRecvAccount string
	RefundFee         int64 // fen
	SuccessTime       time.Time
}

// maxRefundsPerPage bounds refund_count in a reply; WeChat pages by 10 and
// allows at most 50 refunds per order.
const maxRefundsPerPage = 50

// RefundQuery reports the refunds of an order (or one refund). An unknown
// refund is ErrRefundNotExist; SYSTEMERROR (ErrSystem) may be retried.
func (c *Client) RefundQuery(ctx context.Context, r RefundQueryRequest) (*RefundQueryResponse, error) {
	const api = apiRefundQuery
	p := make(Params, 10)
	switch {
	case r.RefundID != "":
		if len(r.RefundID) > 32 {
			return nil, invalid(api, "refund_id must be at most 32 bytes")
		}
		p["refund_id"] = r.RefundID
	case r.OutRefundNo != "":
		if err := ValidOutRefundNo(r.OutRefundNo); err != nil {
			return nil, fmt.Errorf("wxpay %s: %w", api, err)
		}
		p["out_refund_no"] = r.OutRefundNo
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
		return nil, invalid(api, "one of refund_id, out_refund_no, transaction_id, out_trade_no is required")
	}
	if r.Offset < 0 {
		return nil, invalid(api, "offset must not be negative")
	}
	if r.Offset > 0 {
		p.SetInt("offset", int64(r.Offset))
	}
	resp, err := c.call(ctx, c.hc, api, p)
	if err != nil {
		return nil, err
	}
	return parseRefundQuery(api, resp)
}

// parseRefundQuery checks and converts a verified refundquery reply.
func parseRefundQuery(api string, resp Params) (*RefundQueryResponse, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("wxpay %s: reply: %w: %s", api, ErrBadMessage, fmt.Sprintf(format, args...))
	}
	out := &RefundQueryResponse{TransactionID: resp["transaction_id"], OutTradeNo: resp["out_trade_no"]}
	var err error
	if out.TotalFee, err = replyInt(api, resp, "total_fee", false); err != nil {
		return nil, err
	}
	if out.CashFee, err = replyInt(api, resp, "cash_fee", false); err != nil {
		return nil, err
	}
	n, err := replyInt(api, resp, "refund_count", true)
	if err != nil {
		return nil, err
	}
	if n > maxRefundsPerPage {
		return nil, bad("refund_count %d exceeds %d", n, maxRefundsPerPage)
	}
	total := n
	if resp["total_refund_count"] != "" {
		if total, err = replyInt(api, resp, "total_refund_count", true); err != nil {
			return nil, err
		}
		if total > maxRefundsPerPage*10 {
			return nil, bad("total_refund_count %d is implausible", total)
		}
	}
	out.TotalRefundCount = int(total)
	out.Refunds = make([]RefundInfo, 0, n)
	for i := range int(n) {
		sfx := "_" + strconv.Itoa(i)
		ri := RefundInfo{
			OutRefundNo:       resp["out_refund_no"+sfx],
			RefundID:          resp["refund_id"+sfx],
			RefundChannel:     resp["refund_channel"+sfx],
			RefundStatus:      resp["refund_status"+sfx],
			RefundRecvAccount: resp["refund_recv_accout"+sfx],
		}
		if ri.RefundRecvAccount == "" {
			ri.RefundRecvAccount = resp["refund_recv_account"+sfx]
		}
		if ri.OutRefundNo == "" || ri.RefundID == "" || ri.RefundStatus == "" {
			return nil, bad("refund %d lacks out_refund_no, refund_id or refund_status", i)
		}
		if ri.RefundFee, err = replyInt(api, resp, "refund_fee"+sfx, true); err != nil {
			return nil, err
		}
		if s := resp["refund_success_time"+sfx]; s != "" {
			// WeChat writes "2016-07-25 15:26:26" here, Beijing time.
			if ri.SuccessTime, err = time.ParseInLocation(time.DateTime, s, Shanghai()); err != nil {
				if ri.SuccessTime, err = ParseTime(s); err != nil {
					return nil, bad("refund_success_time%s is not a time", sfx)
				}
			}
		}
		out.Refunds = append(out.Refunds, ri)
	}
	return out, nil
}

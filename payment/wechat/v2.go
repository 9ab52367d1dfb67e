package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"saoma/app"
	"saoma/payment/wxpay"
)

// V2 is WeChat Pay API v2 as the engine's payment port (app.Payments) and
// shelf QR (app.ShelfQR, Native mode 1, which only v2 has). It verifies
// notifications and callbacks with the merchant's API key.
type V2 struct {
	client            *wxpay.Client
	appID, mchID, key string
	spbillIP          string
}

var (
	_ app.Payments = (*V2)(nil)
	_ app.ShelfQR  = (*V2)(nil)
)

// NewV2 wraps a v2 client. key is the merchant's API key (it verifies
// notifications and signs mode-1 replies); spbillIP is sent with unified
// orders ("127.0.0.1" if empty).
func NewV2(c *wxpay.Client, key, spbillIP string) (*V2, error) {
	if c == nil || len(key) != 32 {
		return nil, errors.New("wechat v2: a client and the 32-character API key are required")
	}
	if spbillIP == "" {
		spbillIP = "127.0.0.1"
	}
	return &V2{client: c, appID: c.AppID(), mchID: c.MchID(), key: key, spbillIP: spbillIP}, nil
}

// v2Err maps a wxpay error onto the engine's decisions, keeping the
// protocol error in the chain.
func v2Err(err error) error {
	var to error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wxpay.ErrTransport) || wxpay.IsRetryable(err):
		to = app.ErrPayUnknown
	case errors.Is(err, wxpay.ErrOrderNotExist):
		to = app.ErrPayNotFound
	case errors.Is(err, wxpay.ErrRefundNotExist):
		to = app.ErrPayRefundNotFound
	case errors.Is(err, wxpay.ErrOrderPaid):
		to = app.ErrPayAlreadyPaid
	case errors.Is(err, wxpay.ErrOrderClosed):
		to = app.ErrPayClosed
	case errors.Is(err, wxpay.ErrOutTradeNoUsed):
		to = app.ErrPayNumberUsed
	default:
		return err
	}
	return fmt.Errorf("%w: %w", to, err)
}

// PlaceQR sends a Native unified order.
func (v *V2) PlaceQR(ctx context.Context, o app.QROrder) (app.QR, error) {
	resp, err := v.client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body:           o.Description,
		OutTradeNo:     o.OutTradeNo,
		TotalFee:       int64(o.Total),
		SpbillCreateIP: v.spbillIP,
		TimeStart:      o.TimeStart,
		TimeExpire:     o.TimeExpire,
		NotifyURL:      o.NotifyURL,
		ProductID:      o.ProductID,
		Attach:         o.Attach,
		OpenID:         o.PayerOpenID,
	})
	if err != nil {
		return app.QR{}, v2Err(err)
	}
	return app.QR{CodeURL: resp.CodeURL, PrepayID: resp.PrepayID}, nil
}

// v2States maps trade_state.
var v2States = map[wxpay.TradeState]app.PayState{
	wxpay.TradeSuccess:    app.PayPaid,
	wxpay.TradeRefund:     app.PayRefunded,
	wxpay.TradeNotPay:     app.PayOpen,
	wxpay.TradeUserPaying: app.PayPaying,
	wxpay.TradePayError:   app.PayFailed,
	wxpay.TradeClosed:     app.PayClosed,
	wxpay.TradeRevoked:    app.PayRevoked,
}

// Query asks for an order's state (/pay/orderquery).
func (v *V2) Query(ctx context.Context, outTradeNo string) (app.Payment, error) {
	q, err := v.client.OrderQuery(ctx, wxpay.OrderQueryRequest{OutTradeNo: outTradeNo})
	if err != nil {
		return app.Payment{}, v2Err(err)
	}
	st, ok := v2States[q.TradeState]
	if !ok {
		st = app.PayOpen // not final: keep asking
	}
	return app.Payment{OutTradeNo: q.OutTradeNo, State: st, TransactionID: q.TransactionID, Total: app.Fen(q.TotalFee),
		PaidAt: q.TimeEnd, Payer: q.OpenID}, nil
}

// Close closes an unpaid order (/pay/closeorder). Closed or unknown orders
// count as closed.
func (v *V2) Close(ctx context.Context, outTradeNo string) error {
	err := v.client.CloseOrder(ctx, outTradeNo)
	if errors.Is(err, wxpay.ErrOrderClosed) || errors.Is(err, wxpay.ErrOrderNotExist) {
		return nil
	}
	return v2Err(err)
}

// Refund asks for a refund over the merchant certificate (/secapi/pay/refund).
func (v *V2) Refund(ctx context.Context, r app.RefundRequest) (app.RefundResult, error) {
	resp, err := v.client.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID,
		OutRefundNo: r.OutRefundNo, TotalFee: int64(r.Total), RefundFee: int64(r.Amount), RefundDesc: r.Reason,
		NotifyURL: r.NotifyURL})
	if err != nil {
		return app.RefundResult{}, v2Err(err)
	}
	return app.RefundResult{OutRefundNo: resp.OutRefundNo, RefundID: resp.RefundID, Amount: app.Fen(resp.RefundFee),
		State: app.RefundProcessing}, nil
}

// v2RefundState maps refund_status.
func v2RefundState(status string) app.RefundState {
	switch status {
	case "SUCCESS":
		return app.RefundSucceeded
	case "REFUNDCLOSE":
		return app.RefundFailed
	case "CHANGE":
		return app.RefundChange
	}
	return app.RefundProcessing
}

func v2Refunds(q *wxpay.RefundQueryResponse) []app.RefundResult {
	out := make([]app.RefundResult, 0, len(q.Refunds))
	for _, ri := range q.Refunds {
		out = append(out, app.RefundResult{OutRefundNo: ri.OutRefundNo, RefundID: ri.RefundID, Amount: app.Fen(ri.RefundFee),
			State: v2RefundState(ri.RefundStatus), SucceededAt: ri.SuccessTime})
	}
	return out
}

// Refunds lists an order's refunds (/pay/refundquery by out_trade_no).
func (v *V2) Refunds(ctx context.Context, outTradeNo string) ([]app.RefundResult, error) {
	q, err := v.client.RefundQuery(ctx, wxpay.RefundQueryRequest{OutTradeNo: outTradeNo})
	if err != nil {
		return nil, v2Err(err)
	}
	return v2Refunds(q), nil
}

// RefundStatus reports one refund (/pay/refundquery by out_refund_no).
func (v *V2) RefundStatus(ctx context.Context, outTradeNo, outRefundNo string) (app.RefundResult, error) {
	q, err := v.client.RefundQuery(ctx, wxpay.RefundQueryRequest{OutRefundNo: outRefundNo})
	if err != nil {
		return app.RefundResult{}, v2Err(err)
	}
	for _, r := range v2Refunds(q) {
		if r.OutRefundNo == outRefundNo {
			return r, nil
		}
	}
	return app.RefundResult{}, fmt.Errorf("refund %s: %w", outRefundNo, app.ErrPayRefundNotFound)
}

// ParseEvent verifies a payment notification (signed with the API key) or
// a refund notification (req_info encrypted with it), and checks it is
// this merchant's.
func (v *V2) ParseEvent(_ map[string][]string, body []byte) (app.PayEvent, error) {
	if bytes.Contains(body, []byte("<req_info>")) {
		n, err := wxpay.DecryptRefundNotification(body, v.key)
		if err != nil {
			return app.PayEvent{}, fmt.Errorf("%w: refund notification: %v", app.ErrRejected, err)
		}
		if n.AppID != v.appID || n.MchID != v.mchID {
			return app.PayEvent{}, fmt.Errorf("%w: refund notification for appid %s mch_id %s, not ours", app.ErrRejected, n.AppID, n.MchID)
		}
		return app.PayEvent{Refund: &app.RefundEvent{OutTradeNo: n.OutTradeNo, RefundResult: app.RefundResult{
			OutRefundNo: n.OutRefundNo, RefundID: n.RefundID, Amount: app.Fen(n.RefundFee),
			State: v2RefundState(n.RefundStatus), SucceededAt: n.SuccessTime}}}, nil
	}
	n, err := wxpay.ParseNotification(body, v.key)
	if err != nil {
		return app.PayEvent{}, fmt.Errorf("%w: notification: %v", app.ErrRejected, err)
	}
	if n.AppID != v.appID || n.MchID != v.mchID {
		return app.PayEvent{}, fmt.Errorf("%w: notification for appid %s mch_id %s, not ours", app.ErrRejected, n.AppID, n.MchID)
	}
	if n.ResultCode != "SUCCESS" {
		return app.PayEvent{}, fmt.Errorf("%w: notification for %s reports %s %s", app.ErrRejected, n.OutTradeNo, n.ErrCode, n.ErrCodeDes)
	}
	return app.PayEvent{Payment: &app.Payment{OutTradeNo: n.OutTradeNo, State: app.PayPaid, TransactionID: n.TransactionID,
		Total: app.Fen(n.TotalFee), PaidAt: n.TimeEnd, Payer: n.OpenID}}, nil
}

// ProductQR signs a product's bizpayurl and shortens it (/tools/shorturl)
// so it scans well on paper.
func (v *V2) ProductQR(ctx context.Context, qrID string, now time.Time) (string, error) {
	long := wxpay.BizPayURL(v.appID, v.mchID, v.key, qrID, now)
	short, err := v.client.ShortURL(ctx, long)
	if err != nil {
		return "", v2Err(err)
	}
	return short, nil
}

// ParseScan verifies a mode-1 callback.
func (v *V2) ParseScan(body []byte) (app.Scan, error) {
	cb, err := wxpay.ParseNativeCallback(body, v.key)
	if err != nil {
		return app.Scan{}, fmt.Errorf("%w: scan callback: %v", app.ErrRejected, err)
	}
	if cb.AppID != v.appID || cb.MchID != v.mchID {
		return app.Scan{}, fmt.Errorf("%w: callback for appid %s mch_id %s", app.ErrRejected, cb.AppID, cb.MchID)
	}
	return app.Scan{ProductID: cb.ProductID, OpenID: cb.OpenID}, nil
}

// ScanReply answers a mode-1 callback with the order's prepay_id.
func (v *V2) ScanReply(prepayID string) []byte {
	return wxpay.NativeCallbackReply(v.appID, v.mchID, v.key, prepayID)
}

// ScanFail refuses a mode-1 callback; WeChat shows msg to the customer.
func (v *V2) ScanFail(msg string) []byte {
	return wxpay.NativeCallbackFail(v.appID, v.mchID, v.key, msg)
}

var _ app.CodePay = (*V2)(nil)

// PayCode charges the customer's payment code (/pay/micropay).
func (v *V2) PayCode(ctx context.Context, o app.CodeOrder) (app.Payment, error) {
	resp, err := v.client.Micropay(ctx, &wxpay.MicropayRequest{Body: o.Description, OutTradeNo: o.OutTradeNo,
		TotalFee: int64(o.Total), SpbillCreateIP: v.spbillIP, AuthCode: o.AuthCode, Attach: o.Attach})
	var we *wxpay.Error
	switch {
	case err == nil:
		return app.Payment{OutTradeNo: resp.OutTradeNo, State: app.PayPaid, TransactionID: resp.TransactionID,
			Total: app.Fen(resp.TotalFee), PaidAt: resp.TimeEnd, Payer: resp.OpenID}, nil
	case errors.Is(err, wxpay.ErrUserPaying):
		return app.Payment{}, fmt.Errorf("%w: %w", app.ErrPayUserPaying, err)
	case wxpay.MicropayUnknown(err):
		return app.Payment{}, fmt.Errorf("%w: %w", app.ErrPayUnknown, err)
	case errors.As(err, &we) && we.ErrCode != "":
		return app.Payment{}, &app.CodeRefusedError{Code: we.ErrCode, Err: err}
	}
	return app.Payment{}, err
}

// QueryCode asks for a payment-code order (/pay/orderquery).
func (v *V2) QueryCode(ctx context.Context, outTradeNo string) (app.Payment, error) {
	return v.Query(ctx, outTradeNo)
}

// Reverse cancels a payment-code order (/secapi/pay/reverse, with the
// merchant certificate); recall means call again.
func (v *V2) Reverse(ctx context.Context, outTradeNo string) (bool, error) {
	recall, err := v.client.Reverse(ctx, outTradeNo)
	if err != nil {
		return recall, v2Err(err)
	}
	return recall, nil
}

package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"saoma/app"
	"saoma/payment/wxpayv3"
)

// V3 is WeChat Pay API v3 as the engine's payment port. Requests are
// signed with the merchant's RSA key; replies and notifications are
// verified with WeChat Pay's public key (or platform certificates) and
// notifications decrypted with the APIv3 key, all inside the client. API v3
// has no Native mode 1, so V3 is no app.ShelfQR.
type V3 struct {
	client *wxpayv3.Client
}

var _ app.Payments = (*V3)(nil)

// NewV3 wraps a v3 client.
func NewV3(c *wxpayv3.Client) (*V3, error) {
	if c == nil {
		return nil, errors.New("wechat v3: a client is required")
	}
	return &V3{client: c}, nil
}

// v3Err maps a wxpayv3 error onto the engine's decisions, keeping the
// protocol error in the chain. refund says whether a 404 names a refund.
func v3Err(err error, refund bool) error {
	var to error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wxpayv3.ErrTransport) || wxpayv3.IsRetryable(err):
		to = app.ErrPayUnknown
	case refund && (errors.Is(err, wxpayv3.ErrResourceNotExists) || errors.Is(err, wxpayv3.ErrOrderNotExist)):
		to = app.ErrPayRefundNotFound
	case errors.Is(err, wxpayv3.ErrOrderNotExist):
		to = app.ErrPayNotFound
	case errors.Is(err, wxpayv3.ErrOrderPaid):
		to = app.ErrPayAlreadyPaid
	case errors.Is(err, wxpayv3.ErrOrderClosed):
		to = app.ErrPayClosed
	case errors.Is(err, wxpayv3.ErrOutTradeNoUsed):
		to = app.ErrPayNumberUsed
	default:
		return err
	}
	return fmt.Errorf("%w: %w", to, err)
}

// PlaceQR creates a Native order (POST /v3/pay/transactions/native).
func (v *V3) PlaceQR(ctx context.Context, o app.QROrder) (app.QR, error) {
	url, err := v.client.NativePrepay(ctx, wxpayv3.NativeOrder{OutTradeNo: o.OutTradeNo, Description: o.Description,
		Total: int64(o.Total), TimeExpire: o.TimeExpire, Attach: o.Attach, NotifyURL: o.NotifyURL})
	if err != nil {
		return app.QR{}, v3Err(err, false)
	}
	return app.QR{CodeURL: url}, nil
}

// v3States maps trade_state.
var v3States = map[wxpayv3.TradeState]app.PayState{
	wxpayv3.TradeSuccess:    app.PayPaid,
	wxpayv3.TradeRefund:     app.PayRefunded,
	wxpayv3.TradeNotPay:     app.PayOpen,
	wxpayv3.TradeUserPaying: app.PayPaying,
	wxpayv3.TradePayError:   app.PayFailed,
	wxpayv3.TradeClosed:     app.PayClosed,
	wxpayv3.TradeRevoked:    app.PayRevoked,
}

func v3Payment(t *wxpayv3.Transaction) app.Payment {
	st, ok := v3States[t.TradeState]
	if !ok {
		st = app.PayOpen
	}
	return app.Payment{OutTradeNo: t.OutTradeNo, State: st, TransactionID: t.TransactionID, Total: app.Fen(t.Total),
		PaidAt: t.SuccessTime, Payer: t.PayerOpenID}
}

// Query asks for an order by out_trade_no.
func (v *V3) Query(ctx context.Context, outTradeNo string) (app.Payment, error) {
	t, err := v.client.QueryByOutTradeNo(ctx, outTradeNo)
	if err != nil {
		return app.Payment{}, v3Err(err, false)
	}
	return v3Payment(t), nil
}

// Close closes an unpaid order (204). Closed or unknown orders count as
// closed.
func (v *V3) Close(ctx context.Context, outTradeNo string) error {
	err := v.client.CloseOrder(ctx, outTradeNo)
	if errors.Is(err, wxpayv3.ErrOrderClosed) || errors.Is(err, wxpayv3.ErrOrderNotExist) {
		return nil
	}
	return v3Err(err, false)
}

// v3RefundState maps a refund's status.
func v3RefundState(s wxpayv3.RefundStatus) app.RefundState {
	switch s {
	case wxpayv3.RefundSuccess:
		return app.RefundSucceeded
	case wxpayv3.RefundClosed:
		return app.RefundFailed
	case wxpayv3.RefundAbnormal:
		return app.RefundChange
	}
	return app.RefundProcessing
}

func v3Refund(r *wxpayv3.Refund) app.RefundResult {
	return app.RefundResult{OutRefundNo: r.OutRefundNo, RefundID: r.RefundID, Amount: app.Fen(r.Refund),
		State: v3RefundState(r.Status), SucceededAt: r.SuccessTime}
}

// Refund asks for a refund (POST /v3/refund/domestic/refunds).
func (v *V3) Refund(ctx context.Context, r app.RefundRequest) (app.RefundResult, error) {
	res, err := v.client.Refund(ctx, wxpayv3.RefundRequest{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID,
		OutRefundNo: r.OutRefundNo, Reason: r.Reason, NotifyURL: r.NotifyURL, Refund: int64(r.Amount), Total: int64(r.Total)})
	if err != nil {
		return app.RefundResult{}, v3Err(err, false)
	}
	return v3Refund(res), nil
}

// Refunds is not offered by API v3 (it queries refunds one by one):
// ErrPayUnsupported, and the engine asks RefundStatus for each refund.
func (v *V3) Refunds(context.Context, string) ([]app.RefundResult, error) {
	return nil, fmt.Errorf("wechat v3: list of an order's refunds: %w", app.ErrPayUnsupported)
}

// RefundStatus reports one refund (GET /v3/refund/domestic/refunds/{no}).
func (v *V3) RefundStatus(ctx context.Context, _, outRefundNo string) (app.RefundResult, error) {
	r, err := v.client.QueryRefund(ctx, outRefundNo)
	if err != nil {
		return app.RefundResult{}, v3Err(err, true)
	}
	return v3Refund(r), nil
}

// ParseEvent verifies a v3 notification from its Wechatpay-* headers and
// raw body, decrypts it and checks it is this merchant's.
func (v *V3) ParseEvent(header map[string][]string, body []byte) (app.PayEvent, error) {
	n, err := v.client.ParseNotification(http.Header(header), body)
	if err != nil {
		return app.PayEvent{}, fmt.Errorf("%w: v3 notification: %v", app.ErrRejected, err)
	}
	switch {
	case n.Transaction != nil:
		p := v3Payment(n.Transaction)
		return app.PayEvent{Payment: &p}, nil
	case n.Refund != nil:
		return app.PayEvent{Refund: &app.RefundEvent{OutTradeNo: n.Refund.OutTradeNo, RefundResult: v3Refund(n.Refund)}}, nil
	}
	return app.PayEvent{}, fmt.Errorf("%w: v3 notification %s carries nothing", app.ErrRejected, n.EventType)
}

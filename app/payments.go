package app

import (
	"context"
	"errors"
	"time"
)

// Payments is the payment provider as the checkout engine sees it, in the
// shop's terms: amounts in fen, states the engine decides on, errors it can
// act on. Each WeChat Pay API version is an adapter (package
// payment/wechat); the engine holds no API key and parses no protocol.
//
// Every method that changes something at the provider is idempotent for the
// same arguments: PlaceQR with the same QROrder returns the same order's QR,
// Refund with the same OutRefundNo refunds once.
type Payments interface {
	// PlaceQR asks for the payment QR of a new order (or again for an
	// order placed before, with identical parameters).
	PlaceQR(ctx context.Context, o QROrder) (QR, error)
	// Query reports an order's payment state; ErrPayNotFound if the
	// provider never received it.
	Query(ctx context.Context, outTradeNo string) (Payment, error)
	// Close makes an unpaid order unpayable. ErrPayAlreadyPaid if it was
	// paid; an order already closed or unknown is closed (nil).
	Close(ctx context.Context, outTradeNo string) error
	// Refund asks for a refund; the result is the provider's first word
	// (usually RefundProcessing).
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
	// Refunds lists what the provider knows of an order's refunds;
	// ErrPayRefundNotFound (or an empty list) when it has none.
	Refunds(ctx context.Context, outTradeNo string) ([]RefundResult, error)
	// RefundStatus reports one refund; ErrPayRefundNotFound if the
	// provider never received it.
	RefundStatus(ctx context.Context, outTradeNo, outRefundNo string) (RefundResult, error)
	// ParseEvent verifies a notification the provider sent (through the
	// relay, which is not trusted) and decodes it. header holds the HTTP
	// headers the provider signed with, if any. An error wraps ErrRejected.
	ParseEvent(header map[string][]string, body []byte) (PayEvent, error)
}

// ShelfQR is Native mode 1: a static QR per product, printed on a shelf
// label, whose scan reaches the kiosk as a callback. Only WeChat Pay API v2
// has it; without it the kiosk prints no product labels.
type ShelfQR interface {
	// ProductQR returns the short link to print for a product's qr id.
	ProductQR(ctx context.Context, qrID string, now time.Time) (string, error)
	// ParseScan verifies and decodes a scan callback; an error wraps
	// ErrRejected.
	ParseScan(body []byte) (Scan, error)
	// ScanReply is the signed answer carrying the order's prepay id.
	ScanReply(prepayID string) []byte
	// ScanFail is the signed refusal, with a message shown to the customer.
	ScanFail(msg string) []byte
}

// Scan is a customer scanning a product's shelf QR.
type Scan struct {
	ProductID string // the product_id the QR carries (a product's QRID)
	OpenID    string // the payer
}

// QROrder is what the provider needs to issue a payment QR. Every field is
// fixed when the order is created, so a re-sent request is identical.
type QROrder struct {
	OutTradeNo  string
	Total       Fen
	Description string // shown to the payer
	ProductID   string // Native requires one (v2)
	Attach      string // comes back with the payment
	TimeStart   time.Time
	TimeExpire  time.Time
	NotifyURL   string
	PayerOpenID string // the payer of a shelf-QR (mode 1) order
}

// QR is a payment QR issued by the provider.
type QR struct {
	CodeURL  string // what the customer scans
	PrepayID string // mode 1 answers with it; may be empty
}

// PayState is an order's payment state at the provider.
type PayState string

// The payment states. Only PayPaid and PayRefunded mean money came in;
// only PayClosed and PayRevoked are final without payment. PayOpen,
// PayPaying and PayFailed leave the QR payable.
const (
	PayOpen     PayState = "open"     // NOTPAY: waiting for the customer
	PayPaying   PayState = "paying"   // USERPAYING: entering the password
	PayFailed   PayState = "failed"   // PAYERROR: a try failed; the QR stays payable
	PayPaid     PayState = "paid"     // SUCCESS
	PayRefunded PayState = "refunded" // REFUND: paid, then (partly) refunded
	PayClosed   PayState = "closed"   // CLOSED
	PayRevoked  PayState = "revoked"  // REVOKED
)

// Payment is an order as the provider reports it.
type Payment struct {
	OutTradeNo    string
	State         PayState
	TransactionID string // when paid
	Total         Fen
	PaidAt        time.Time
	Payer         string // the payer's openid
}

// RefundRequest asks for money back. OutRefundNo is ours and names the
// refund for ever: sent again, it is the same refund.
type RefundRequest struct {
	OutTradeNo, TransactionID, OutRefundNo string
	Total, Amount                          Fen
	Reason                                 string
	NotifyURL                              string
}

// RefundResult is the provider's word on a refund.
type RefundResult struct {
	OutRefundNo string
	RefundID    string
	Amount      Fen
	State       RefundState
	SucceededAt time.Time
}

// PayEvent is a verified notification: a payment or a refund outcome.
type PayEvent struct {
	Payment *Payment
	Refund  *RefundEvent
}

// RefundEvent is a refund outcome notified by the provider.
type RefundEvent struct {
	OutTradeNo string
	RefundResult
}

// The errors a payment adapter wraps, for the engine to decide on. The
// provider's own error stays in the chain for the log.
var (
	// ErrPayUnknown: the answer was lost or the provider asked to try
	// again (transport failure, SYSTEMERROR, 5xx). The outcome is unknown;
	// the same request may be sent again.
	ErrPayUnknown = errors.New("payment provider's answer unknown")
	// ErrPayNotFound: the provider has no such order.
	ErrPayNotFound = errors.New("payment provider has no such order")
	// ErrPayRefundNotFound: the provider has no such refund.
	ErrPayRefundNotFound = errors.New("payment provider has no such refund")
	// ErrPayAlreadyPaid: the order is paid (placing or closing it).
	ErrPayAlreadyPaid = errors.New("order already paid")
	// ErrPayClosed: the order is closed and can no longer be paid.
	ErrPayClosed = errors.New("order closed at the payment provider")
	// ErrPayNumberUsed: the provider has another order under this number.
	ErrPayNumberUsed = errors.New("order number used for another order")
	// ErrPayUnsupported: this provider or API version cannot do it.
	ErrPayUnsupported = errors.New("not supported by this payment API")
)

// isTransient reports whether err leaves the outcome unknown and the same
// request may be sent again.
func isTransient(err error) bool {
	return errors.Is(err, ErrPayUnknown) || errors.Is(err, context.DeadlineExceeded)
}

package wxpayv3

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxNotificationSize caps a notification body; larger ones are refused
// with ErrTooLarge before their signature is checked. Real ones are about
// 1 KiB. Read bodies through http.MaxBytesReader with this limit + 1.
const MaxNotificationSize = 64 << 10

// Notification event types (event_type).
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS" // payment succeeded
	EventRefundSuccess      = "REFUND.SUCCESS"      // refund succeeded
	EventRefundAbnormal     = "REFUND.ABNORMAL"     // refund failed, needs the merchant portal
	EventRefundClosed       = "REFUND.CLOSED"       // refund closed
)

// Resource algorithm and envelope values.
const (
	algorithmAESGCM = "AEAD_AES_256_GCM"
	resourceType    = "encrypt-resource"
	gcmNonceSize    = 12
)

// Notification is a verified and decrypted notification. Exactly one of
// Transaction (EventTransactionSuccess) and Refund (EventRefund*) is set.
// WeChat resends a notification until it gets a 2xx reply, for about 24 h:
// handling must be idempotent (key on ID or on the order number).
type Notification struct {
	ID          string
	CreateTime  time.Time
	EventType   string
	Summary     string
	Transaction *Transaction
	Refund      *Refund
}

// envelope is the JSON shape of a notification body.
type envelope struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	EventType    string   `json:"event_type"`
	ResourceType string   `json:"resource_type"`
	Summary      string   `json:"summary"`
	Resource     resource `json:"resource"`
}

// resource is the encrypted part of a notification.
type resource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
	OriginalType   string `json:"original_type"`
}

// VerifyNotification authenticates a notification without decrypting it,
// and so without the APIv3 key: a relay uses it to refuse forgeries. It
// checks, before anything of body is parsed: the size (ErrTooLarge), the
// Wechatpay-Signature-Type (absent or SignatureType, else ErrSignature),
// the four Wechatpay-* headers and the signature over the raw body with v
// (ErrSignature, ErrUnknownSerial), and the timestamp against now
// (ErrStale).
func VerifyNotification(v Verifier, h http.Header, body []byte, now time.Time) error {
	if len(body) > MaxNotificationSize {
		return fmt.Errorf("wxpayv3 notification: %w", ErrTooLarge)
	}
	if st := strings.TrimSpace(h.Get(HeaderSignatureType)); st != "" && st != SignatureType {
		return fmt.Errorf("wxpayv3 notification: %w: unsupported Wechatpay-Signature-Type", ErrSignature)
	}
	if err := verifySigned(v, h, body, now); err != nil {
		return fmt.Errorf("wxpayv3 notification: %w", err)
	}
	return nil
}

// Notifier authenticates and decrypts notifications. It is safe for
// concurrent use. A Client has one; a process that only receives
// notifications can make its own.
type Notifier struct {
	verifier Verifier
	aead     cipher.AEAD
	now      func() time.Time
}

// NewNotifier returns a Notifier checking signatures with v, decrypting
// with the 32-byte apiV3Key and judging freshness with now (default
// time.Now).
func NewNotifier(v Verifier, apiV3Key string, now func() time.Time) (*Notifier, error) {
	if v == nil {
		return nil, fmt.Errorf("wxpayv3: notifier: %w: no Verifier", ErrInvalidInput)
	}
	aead, err := newGCM(apiV3Key)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: notifier: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Notifier{verifier: v, aead: aead, now: now}, nil
}

// newGCM makes the AES-256-GCM AEAD keyed by the APIv3 key's raw bytes.
func newGCM(apiV3Key string) (cipher.AEAD, error) {
	if len(apiV3Key) != 32 {
		return nil, fmt.Errorf("%w: the APIv3 key must be 32 bytes", ErrInvalidInput)
	}
	block, err := aes.NewCipher([]byte(apiV3Key))
	if err != nil {
		return nil, fmt.Errorf("%w: APIv3 key: %v", ErrInvalidInput, err)
	}
	return cipher.NewGCM(block)
}

// Parse authenticates a notification with VerifyNotification, then
// decodes the envelope, decrypts the resource (ErrDecrypt for a wrong key
// or tampered ciphertext) and decodes the payment or refund in it.
// Envelope violations, unknown event types and a refund whose status
// contradicts its event are ErrBadMessage. On any error, answer WeChat
// with WriteNotifyFail so that it retries.
func (n *Notifier) Parse(h http.Header, body []byte) (*Notification, error) {
	if err := VerifyNotification(n.verifier, h, body, n.now()); err != nil {
		return nil, err
	}
	out, err := n.decode(body)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3 notification: %w", err)
	}
	return out, nil
}

// decode parses an authenticated notification body.
func (n *Notifier) decode(body []byte) (*Notification, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: envelope JSON: %v", ErrBadMessage, err)
	}
	r := env.Resource
	switch {
	case env.ID == "":
		return nil, fmt.Errorf("%w: envelope lacks id", ErrBadMessage)
	case env.ResourceType != resourceType:
		return nil, fmt.Errorf("%w: resource_type %q", ErrBadMessage, clip(env.ResourceType))
	case r.Algorithm != algorithmAESGCM:
		return nil, fmt.Errorf("%w: resource algorithm %q", ErrBadMessage, clip(r.Algorithm))
	case len(r.Nonce) != gcmNonceSize:
		return nil, fmt.Errorf("%w: resource nonce is not %d bytes", ErrBadMessage, gcmNonceSize)
	}
	ct, err := parseTime("create_time", env.CreateTime)
	if err != nil {
		return nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: resource ciphertext is not base64", ErrBadMessage)
	}
	plain, err := n.aead.Open(nil, []byte(r.Nonce), sealed, []byte(r.AssociatedData))
	if err != nil {
		return nil, ErrDecrypt
	}
	out := &Notification{ID: env.ID, CreateTime: ct, EventType: env.EventType, Summary: env.Summary}
	switch env.EventType {
	case EventTransactionSuccess:
		var tx Transaction
		if err := json.Unmarshal(plain, &tx); err != nil {
			return nil, asBadMessage(err)
		}
		if tx.TradeState != TradeSuccess {
			return nil, fmt.Errorf("%w: %s with trade_state %s", ErrBadMessage, env.EventType, tx.TradeState)
		}
		out.Transaction = &tx
	case EventRefundSuccess, EventRefundAbnormal, EventRefundClosed:
		var rf Refund
		if err := json.Unmarshal(plain, &rf); err != nil {
			return nil, asBadMessage(err)
		}
		if refundEvent(rf.Status) != env.EventType {
			return nil, fmt.Errorf("%w: %s with refund_status %s", ErrBadMessage, env.EventType, rf.Status)
		}
		out.Refund = &rf
	default:
		return nil, fmt.Errorf("%w: unsupported event_type %q", ErrBadMessage, clip(env.EventType))
	}
	return out, nil
}

// refundEvent is the notification event for a final refund status, or ""
// for PROCESSING, which WeChat does not notify.
func refundEvent(s RefundStatus) string {
	switch s {
	case RefundSuccess:
		return EventRefundSuccess
	case RefundAbnormal:
		return EventRefundAbnormal
	case RefundClosed:
		return EventRefundClosed
	}
	return ""
}

// ParseNotification is Notifier.Parse with the client's keys and clock,
// plus a check that the payment or refund is addressed to this client's
// mchid (and, for a payment, appid): ErrBadMessage otherwise.
func (c *Client) ParseNotification(h http.Header, body []byte) (*Notification, error) {
	n, err := c.notifier.Parse(h, body)
	if err != nil {
		return nil, err
	}
	if tx := n.Transaction; tx != nil && (tx.MchID != c.mchID || tx.AppID != c.appID) {
		return nil, fmt.Errorf("wxpayv3 notification: %w: mchid/appid is not ours", ErrBadMessage)
	}
	if rf := n.Refund; rf != nil && rf.MchID != "" && rf.MchID != c.mchID {
		return nil, fmt.Errorf("wxpayv3 notification: %w: mchid is not ours", ErrBadMessage)
	}
	return n, nil
}

// WriteNotifyOK answers a handled notification: HTTP 204 with no body.
func WriteNotifyOK(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// WriteNotifyFail answers a notification that was not handled, so that
// WeChat retries it: status (a 4xx or 5xx; 500 if not) with
// {"code":"FAIL","message":message}. Keep message free of secrets.
func WriteNotifyFail(w http.ResponseWriter, status int, message string) {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	WriteError(w, status, "FAIL", message)
}

// TransactionNotification builds, as WeChat would, a TRANSACTION.SUCCESS
// notification for tx with the notification id id: the body with tx
// encrypted under apiV3Key, and the signed headers. It is for simulators.
func (p Platform) TransactionNotification(apiV3Key, id string, tx Transaction, now time.Time) (http.Header, []byte, error) {
	plain, err := json.Marshal(tx)
	if err != nil {
		return nil, nil, err
	}
	return p.notification(apiV3Key, id, EventTransactionSuccess, "支付成功", "transaction", plain, now)
}

// RefundNotification builds, as WeChat would, the REFUND.* notification
// for r's final Status (SUCCESS, ABNORMAL or CLOSED; PROCESSING is
// ErrInvalidInput). Set r.MchID. It is for simulators.
func (p Platform) RefundNotification(apiV3Key, id string, r Refund, now time.Time) (http.Header, []byte, error) {
	event := refundEvent(r.Status)
	if event == "" {
		return nil, nil, fmt.Errorf("wxpayv3: refund notification: %w: status %q is not final", ErrInvalidInput, r.Status)
	}
	plain, err := json.Marshal(r.wire(true))
	if err != nil {
		return nil, nil, err
	}
	summary := map[string]string{EventRefundSuccess: "退款成功", EventRefundAbnormal: "退款异常", EventRefundClosed: "退款关闭"}[event]
	return p.notification(apiV3Key, id, event, summary, "refund", plain, now)
}

// notification encrypts plain into an envelope and signs it.
func (p Platform) notification(apiV3Key, id, event, summary, kind string, plain []byte, now time.Time) (http.Header, []byte, error) {
	aead, err := newGCM(apiV3Key)
	if err != nil {
		return nil, nil, fmt.Errorf("wxpayv3: notification: %w", err)
	}
	nonce := NonceStr()[:gcmNonceSize]
	env := envelope{
		ID: id, CreateTime: FormatTime(now), EventType: event, ResourceType: resourceType, Summary: summary,
		Resource: resource{
			Algorithm:      algorithmAESGCM,
			Ciphertext:     base64.StdEncoding.EncodeToString(aead.Seal(nil, []byte(nonce), plain, []byte(kind))),
			AssociatedData: kind,
			Nonce:          nonce,
			OriginalType:   kind,
		},
	}
	body, err := json.Marshal(env)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderSignatureType, SignatureType)
	if err := p.SignHeaders(h, body, now); err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

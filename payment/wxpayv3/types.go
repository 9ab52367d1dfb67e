package wxpayv3

import (
	"encoding/json"
	"fmt"
	"time"
)

// beijing is the +08:00 offset WeChat's RFC 3339 times are written in. A
// fixed zone needs no tz database on the kiosk.
var beijing = time.FixedZone("CST", 8*60*60)

// FormatTime writes t as WeChat expects: RFC 3339 in +08:00, e.g.
// "2026-12-02T13:05:00+08:00".
func FormatTime(t time.Time) string { return t.In(beijing).Format(time.RFC3339) }

// parseTime reads an optional RFC 3339 time; "" is the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s is not RFC 3339", ErrBadMessage, field)
	}
	return t, nil
}

// formatOptTime is FormatTime, with the zero time written as "".
func formatOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}

// TradeState is a payment's state (trade_state).
type TradeState string

// Trade states.
const (
	TradeSuccess    TradeState = "SUCCESS"    // paid
	TradeRefund     TradeState = "REFUND"     // paid, then (partly) refunded
	TradeNotPay     TradeState = "NOTPAY"     // waiting for the customer
	TradeClosed     TradeState = "CLOSED"     // closed unpaid
	TradeRevoked    TradeState = "REVOKED"    // revoked (payment code only)
	TradeUserPaying TradeState = "USERPAYING" // customer entering a password
	TradePayError   TradeState = "PAYERROR"   // payment failed
)

// Valid reports whether s is one of the documented trade states.
func (s TradeState) Valid() bool {
	switch s {
	case TradeSuccess, TradeRefund, TradeNotPay, TradeClosed, TradeRevoked, TradeUserPaying, TradePayError:
		return true
	}
	return false
}

// Transaction is a payment order as WeChat reports it, from a query or a
// TRANSACTION.SUCCESS notification. Its JSON form (MarshalJSON and
// UnmarshalJSON) is WeChat's wire format, so a simulator can serve it.
// Before marking an order paid, check AppID, MchID and Total against it.
type Transaction struct {
	AppID          string
	MchID          string
	OutTradeNo     string
	TransactionID  string // empty until paid
	TradeType      string // NATIVE
	TradeState     TradeState
	TradeStateDesc string
	BankType       string
	Attach         string
	SuccessTime    time.Time // zero until paid
	Total          int64     // amount.total, fen
	PayerTotal     int64     // amount.payer_total, fen (after discounts)
	Currency       string    // CNY
	PayerCurrency  string
	PayerOpenID    string // payer.openid
}

// wireTransaction is the JSON shape of a Transaction.
type wireTransaction struct {
	AppID          string     `json:"appid,omitempty"`
	MchID          string     `json:"mchid,omitempty"`
	OutTradeNo     string     `json:"out_trade_no,omitempty"`
	TransactionID  string     `json:"transaction_id,omitempty"`
	TradeType      string     `json:"trade_type,omitempty"`
	TradeState     string     `json:"trade_state,omitempty"`
	TradeStateDesc string     `json:"trade_state_desc,omitempty"`
	BankType       string     `json:"bank_type,omitempty"`
	Attach         string     `json:"attach,omitempty"`
	SuccessTime    string     `json:"success_time,omitempty"`
	Payer          *wirePayer `json:"payer,omitempty"`
	Amount         *wireTxAmt `json:"amount,omitempty"`
}

type wirePayer struct {
	OpenID string `json:"openid,omitempty"`
}

type wireTxAmt struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total"`
	Currency      string `json:"currency,omitempty"`
	PayerCurrency string `json:"payer_currency,omitempty"`
}

// MarshalJSON writes t in WeChat's wire format.
func (t Transaction) MarshalJSON() ([]byte, error) {
	w := wireTransaction{
		AppID: t.AppID, MchID: t.MchID, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		TradeType: t.TradeType, TradeState: string(t.TradeState), TradeStateDesc: t.TradeStateDesc,
		BankType: t.BankType, Attach: t.Attach, SuccessTime: formatOptTime(t.SuccessTime),
		Amount: &wireTxAmt{Total: t.Total, PayerTotal: t.PayerTotal, Currency: t.Currency, PayerCurrency: t.PayerCurrency},
	}
	if t.PayerOpenID != "" {
		w.Payer = &wirePayer{OpenID: t.PayerOpenID}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads WeChat's wire format. It requires out_trade_no and
// a known trade_state, and for SUCCESS a transaction_id; amounts must not
// be negative. Errors wrap ErrBadMessage.
func (t *Transaction) UnmarshalJSON(data []byte) error {
	var w wireTransaction
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: transaction JSON: %v", ErrBadMessage, err)
	}
	st, err := parseTime("success_time", w.SuccessTime)
	if err != nil {
		return err
	}
	n := Transaction{
		AppID: w.AppID, MchID: w.MchID, OutTradeNo: w.OutTradeNo, TransactionID: w.TransactionID,
		TradeType: w.TradeType, TradeState: TradeState(w.TradeState), TradeStateDesc: w.TradeStateDesc,
		BankType: w.BankType, Attach: w.Attach, SuccessTime: st,
	}
	if w.Amount != nil {
		n.Total, n.PayerTotal, n.Currency, n.PayerCurrency = w.Amount.Total, w.Amount.PayerTotal, w.Amount.Currency, w.Amount.PayerCurrency
	}
	if w.Payer != nil {
		n.PayerOpenID = w.Payer.OpenID
	}
	switch {
	case n.OutTradeNo == "":
		return fmt.Errorf("%w: transaction lacks out_trade_no", ErrBadMessage)
	case !n.TradeState.Valid():
		return fmt.Errorf("%w: unknown trade_state %q", ErrBadMessage, clip(w.TradeState))
	case n.TradeState == TradeSuccess && n.TransactionID == "":
		return fmt.Errorf("%w: paid transaction lacks transaction_id", ErrBadMessage)
	case n.Total < 0 || n.PayerTotal < 0:
		return fmt.Errorf("%w: negative amount", ErrBadMessage)
	}
	*t = n
	return nil
}

// RefundStatus is a refund's state (status, or refund_status in a
// notification).
type RefundStatus string

// Refund states.
const (
	RefundSuccess    RefundStatus = "SUCCESS"    // money returned
	RefundClosed     RefundStatus = "CLOSED"     // refund closed
	RefundProcessing RefundStatus = "PROCESSING" // accepted, in progress
	RefundAbnormal   RefundStatus = "ABNORMAL"   // failed (e.g. card closed); needs the merchant portal
)

// Valid reports whether s is one of the documented refund states.
func (s RefundStatus) Valid() bool {
	switch s {
	case RefundSuccess, RefundClosed, RefundProcessing, RefundAbnormal:
		return true
	}
	return false
}

// Refund is a refund as WeChat reports it, from Refund, QueryRefund or a
// REFUND.* notification. Its JSON form is the refund API's wire format.
type Refund struct {
	RefundID            string
	OutRefundNo         string
	TransactionID       string
	OutTradeNo          string
	MchID               string // set in notifications only
	Channel             string // ORIGINAL, BALANCE, OTHER_BALANCE, OTHER_BANKCARD
	UserReceivedAccount string
	Status              RefundStatus
	CreateTime          time.Time
	SuccessTime         time.Time // zero unless SUCCESS
	Refund              int64     // amount.refund, fen
	Total               int64     // amount.total: the order's amount, fen
	PayerRefund         int64     // amount.payer_refund, fen
	PayerTotal          int64     // amount.payer_total, fen
	Currency            string
}

// wireRefund is the JSON shape of a Refund, both from the refund API
// (status) and from notifications (refund_status, mchid).
type wireRefund struct {
	MchID               string      `json:"mchid,omitempty"`
	RefundID            string      `json:"refund_id,omitempty"`
	OutRefundNo         string      `json:"out_refund_no,omitempty"`
	TransactionID       string      `json:"transaction_id,omitempty"`
	OutTradeNo          string      `json:"out_trade_no,omitempty"`
	Channel             string      `json:"channel,omitempty"`
	UserReceivedAccount string      `json:"user_received_account,omitempty"`
	Status              string      `json:"status,omitempty"`
	RefundStatus        string      `json:"refund_status,omitempty"`
	CreateTime          string      `json:"create_time,omitempty"`
	SuccessTime         string      `json:"success_time,omitempty"`
	Amount              *wireRfdAmt `json:"amount,omitempty"`
}

type wireRfdAmt struct {
	Total       int64  `json:"total"`
	Refund      int64  `json:"refund"`
	PayerTotal  int64  `json:"payer_total"`
	PayerRefund int64  `json:"payer_refund"`
	Currency    string `json:"currency,omitempty"`
}

// wire converts r to its wire shape; notice selects the notification's
// field names (refund_status, mchid) instead of the API's (status).
func (r Refund) wire(notice bool) wireRefund {
	w := wireRefund{
		RefundID: r.RefundID, OutRefundNo: r.OutRefundNo, TransactionID: r.TransactionID,
		OutTradeNo: r.OutTradeNo, Channel: r.Channel, UserReceivedAccount: r.UserReceivedAccount,
		CreateTime: formatOptTime(r.CreateTime), SuccessTime: formatOptTime(r.SuccessTime),
		Amount: &wireRfdAmt{Total: r.Total, Refund: r.Refund, PayerTotal: r.PayerTotal, PayerRefund: r.PayerRefund, Currency: r.Currency},
	}
	if notice {
		w.MchID, w.RefundStatus = r.MchID, string(r.Status)
	} else {
		w.Status = string(r.Status)
	}
	return w
}

// MarshalJSON writes r in the refund API's wire format.
func (r Refund) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire(false)) }

// UnmarshalJSON reads the refund API's or a refund notification's wire
// format. It requires out_refund_no and a known status; amounts must not
// be negative. Errors wrap ErrBadMessage.
func (r *Refund) UnmarshalJSON(data []byte) error {
	var w wireRefund
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: refund JSON: %v", ErrBadMessage, err)
	}
	ct, err := parseTime("create_time", w.CreateTime)
	if err != nil {
		return err
	}
	st, err := parseTime("success_time", w.SuccessTime)
	if err != nil {
		return err
	}
	status := w.Status
	if status == "" {
		status = w.RefundStatus
	}
	n := Refund{
		RefundID: w.RefundID, OutRefundNo: w.OutRefundNo, TransactionID: w.TransactionID,
		OutTradeNo: w.OutTradeNo, MchID: w.MchID, Channel: w.Channel,
		UserReceivedAccount: w.UserReceivedAccount, Status: RefundStatus(status),
		CreateTime: ct, SuccessTime: st,
	}
	if a := w.Amount; a != nil {
		n.Total, n.Refund, n.PayerTotal, n.PayerRefund, n.Currency = a.Total, a.Refund, a.PayerTotal, a.PayerRefund, a.Currency
	}
	switch {
	case n.OutRefundNo == "":
		return fmt.Errorf("%w: refund lacks out_refund_no", ErrBadMessage)
	case !n.Status.Valid():
		return fmt.Errorf("%w: unknown refund status %q", ErrBadMessage, clip(status))
	case n.Total < 0 || n.Refund < 0 || n.PayerTotal < 0 || n.PayerRefund < 0:
		return fmt.Errorf("%w: negative amount", ErrBadMessage)
	}
	*r = n
	return nil
}

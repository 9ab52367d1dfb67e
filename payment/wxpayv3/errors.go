package wxpayv3

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error is a failure WeChat Pay reported with a non-2xx HTTP status and,
// usually, a JSON body {"code","message"}. Callers that must decide inspect
// Code or call Retryable; errors.Is matches it against the sentinels below
// by Code. Error replies are not signed by WeChat (the official SDK checks
// the status before the signature too), so treat Message as a hint only.
type Error struct {
	API        string // e.g. "POST /v3/pay/transactions/native"
	StatusCode int    // HTTP status, e.g. 404
	Code       string // e.g. ORDER_NOT_EXIST; empty if the body was not JSON
	Message    string // WeChat's description, clipped
	RequestID  string // Request-Id header, for WeChat support
}

// Error implements error. It never includes the reply body, headers other
// than Request-Id, or secrets.
func (e *Error) Error() string {
	s := fmt.Sprintf("wxpayv3 %s: HTTP %d", e.API, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request-id " + e.RequestID + ")"
	}
	return s
}

// Is reports whether target is an *Error with the same Code, or, for a
// target without Code, the same StatusCode.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Code != "" {
		return t.Code == e.Code
	}
	return t.StatusCode != 0 && t.StatusCode == e.StatusCode
}

// Retryable reports whether the same request may be sent again unchanged:
// WeChat's SYSTEM_ERROR, FREQUENCY_LIMITED (after a pause), a bill still
// being generated, and any 5xx status.
func (e *Error) Retryable() bool {
	switch e.Code {
	case "SYSTEM_ERROR", "FREQUENCY_LIMITED", "STATEMENT_CREATING":
		return true
	}
	return e.StatusCode >= 500
}

// IsRetryable reports whether err is an *Error that may be retried
// unchanged. Transport errors are not covered: their outcome is unknown,
// so query first (or resend the identical request).
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// Sentinels for WeChat's error codes. Use errors.Is:
// errors.Is(err, wxpayv3.ErrOrderNotExist).
var (
	// ErrParam is PARAM_ERROR (400): a parameter is wrong; fix, do not retry.
	ErrParam = &Error{Code: "PARAM_ERROR"}
	// ErrInvalidRequest is INVALID_REQUEST (400): the request breaks a
	// business rule, e.g. an out_trade_no reused with different parameters.
	ErrInvalidRequest = &Error{Code: "INVALID_REQUEST"}
	// ErrSignError is SIGN_ERROR (401): WeChat refused OUR signature (wrong
	// private key or MchSerial). Not to be confused with ErrSignature.
	ErrSignError = &Error{Code: "SIGN_ERROR"}
	// ErrOrderNotExist is ORDER_NOT_EXIST (404): WeChat has no such order
	// (never created, or the create request never arrived).
	ErrOrderNotExist = &Error{Code: "ORDER_NOT_EXIST"}
	// ErrOrderClosed is ORDER_CLOSED: the order is already closed.
	ErrOrderClosed = &Error{Code: "ORDER_CLOSED"}
	// ErrOrderPaid is ORDERPAID: the order is already paid; treat it as
	// paid and query it for the transaction.
	ErrOrderPaid = &Error{Code: "ORDERPAID"}
	// ErrOutTradeNoUsed is OUT_TRADE_NO_USED: the merchant order number is
	// taken by a different order.
	ErrOutTradeNoUsed = &Error{Code: "OUT_TRADE_NO_USED"}
	// ErrFrequencyLimited is FREQUENCY_LIMITED (429): slow down and retry.
	ErrFrequencyLimited = &Error{Code: "FREQUENCY_LIMITED"}
	// ErrSystem is SYSTEM_ERROR (500): retry the same request.
	ErrSystem = &Error{Code: "SYSTEM_ERROR"}
	// ErrNotEnough is NOT_ENOUGH: the merchant balance cannot cover a refund.
	ErrNotEnough = &Error{Code: "NOT_ENOUGH"}
	// ErrResourceNotExists is RESOURCE_NOT_EXISTS (404): e.g. a refund
	// query for an out_refund_no WeChat does not know.
	ErrResourceNotExists = &Error{Code: "RESOURCE_NOT_EXISTS"}
	// ErrNoStatement is NO_STATEMENT_EXIST (400) from TradeBill: the day
	// has no bill (no transaction), an empty day rather than a fault.
	ErrNoStatement = &Error{Code: "NO_STATEMENT_EXIST"}
	// ErrStatementCreating is STATEMENT_CREATING (400) from TradeBill: the
	// bill is not generated yet; retry later (after 10:00 Beijing time).
	ErrStatementCreating = &Error{Code: "STATEMENT_CREATING"}
)

// Errors raised on our side of the wire. They are wrapped with the API and
// detail; test for them with errors.Is.
var (
	// ErrInvalidInput is returned before anything is sent when a request
	// parameter or the Config breaks the protocol's rules.
	ErrInvalidInput = errors.New("wxpayv3: invalid input")
	// ErrTransport is returned when a request could not be completed
	// (connection failure, timeout, cancelled context, unreadable reply).
	// WeChat may or may not have acted on it: query before deciding, or
	// resend the identical request. It never carries a reply body.
	ErrTransport = errors.New("wxpayv3: transport failure, outcome unknown")
	// ErrSignature is returned when a reply or notification has a missing,
	// malformed or wrong WeChat signature, or a serial we cannot verify.
	// Such a message must never be acted on.
	ErrSignature = errors.New("wxpayv3: WeChat signature invalid")
	// ErrUnknownSerial is returned (together with ErrSignature) when the
	// Wechatpay-Serial of a message names no key or certificate the
	// Verifier holds: WeChat may have rotated its key.
	ErrUnknownSerial = errors.New("wxpayv3: unknown Wechatpay-Serial")
	// ErrStale is returned when a signed reply, notification or request has
	// a timestamp 5 minutes or more away from our clock (replay, or a
	// wrong clock on one side).
	ErrStale = errors.New("wxpayv3: timestamp outside the 5-minute window")
	// ErrBadMessage is returned when an authenticated message breaks the
	// protocol: unparseable JSON, a missing required field, an unknown
	// state, an unsupported algorithm, or a mchid/appid that is not ours.
	ErrBadMessage = errors.New("wxpayv3: message violates the protocol")
	// ErrDecrypt is returned when a notification's resource cannot be
	// decrypted: a wrong APIv3 key or a tampered ciphertext.
	ErrDecrypt = errors.New("wxpayv3: resource decryption failed")
	// ErrTooLarge is returned when a reply or notification exceeds its size
	// cap (MaxReplySize, MaxNotificationSize, MaxBillSize).
	ErrTooLarge = errors.New("wxpayv3: message too large")
	// ErrBillHash is returned by DownloadBill when the file does not match
	// the hash WeChat announced for it.
	ErrBillHash = errors.New("wxpayv3: bill hash mismatch")
)

// maxErrText bounds WeChat-supplied text kept in an Error, so a hostile
// peer cannot make log lines arbitrarily long.
const maxErrText = 128

// clip shortens s to at most maxErrText runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxErrText {
		return s
	}
	r := []rune(s)
	return string(r[:maxErrText]) + "…"
}

package wxpay

import (
	"errors"
	"fmt"
)

// ErrSignature is returned when a response, notification or callback carries
// a missing or wrong signature. Such a message must never be acted on.
var ErrSignature = errors.New("wxpay: signature mismatch")

// Error is a failure reported by WeChat Pay: either the protocol layer
// (ReturnCode FAIL, with ReturnMsg) or the business layer (ResultCode FAIL,
// with ErrCode and ErrCodeDes). Callers that must decide what to do inspect
// ErrCode or call Retryable; errors.Is matches it against the sentinel
// errors below by ErrCode.
type Error struct {
	API        string // API path, e.g. "/pay/closeorder"
	ReturnCode string // protocol layer: SUCCESS or FAIL
	ReturnMsg  string
	ErrCode    string // business layer error code, e.g. ORDERPAID
	ErrCodeDes string
}

// Error implements error. It never includes the request body or secrets.
func (e *Error) Error() string {
	if e.ErrCode == "" {
		return fmt.Sprintf("wxpay %s: return_code=%s: %s", e.API, e.ReturnCode, e.ReturnMsg)
	}
	return fmt.Sprintf("wxpay %s: %s: %s", e.API, e.ErrCode, e.ErrCodeDes)
}

// Is reports whether target is an *Error with the same ErrCode (or, for a
// protocol-layer sentinel, the same ReturnCode and no ErrCode).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.ErrCode != "" {
		return t.ErrCode == e.ErrCode
	}
	return t.ReturnCode != "" && t.ReturnCode == e.ReturnCode && e.ErrCode == ""
}

// Retryable reports whether WeChat's documentation says the same request may
// be sent again unchanged (the retry matrix): system errors, concurrency
// rejections and bills still being generated.
func (e *Error) Retryable() bool {
	switch e.ErrCode {
	case "SYSTEMERROR", "BIZERR_NEED_RETRY", "INVALID_REQ_TOO_MUCH", "FREQUENCY_LIMITED":
		return true
	}
	if e.ErrCode == "" {
		switch e.ReturnMsg {
		case "SYSTEMERROR", "Bill Creating", "CompressGZip Error", "UnCompressGZip Error":
			return true
		}
	}
	return false
}

// Sentinel errors for outcomes callers must tell apart. Use errors.Is:
// errors.Is(err, wxpay.ErrOrderPaid).
var (
	// ErrProtocol matches any protocol-layer FAIL (return_code=FAIL).
	ErrProtocol = &Error{ReturnCode: "FAIL"}
	// ErrOrderPaid is returned by CloseOrder or UnifiedOrder when the order
	// has already been paid: treat the order as paid.
	ErrOrderPaid = &Error{ErrCode: "ORDERPAID"}
	// ErrOrderClosed is returned when the order has already been closed.
	ErrOrderClosed = &Error{ErrCode: "ORDERCLOSED"}
	// ErrOrderNotExist is returned when WeChat has no such order.
	ErrOrderNotExist = &Error{ErrCode: "ORDERNOTEXIST"}
	// ErrSystem is WeChat's SYSTEMERROR: retry the same request.
	ErrSystem = &Error{ErrCode: "SYSTEMERROR"}
	// ErrInvalidRequest is returned for parameter errors, including a
	// re-entry whose parameters differ from the first ("201 商户订单号重复").
	ErrInvalidRequest = &Error{ErrCode: "INVALID_REQUEST"}
	// ErrOutTradeNoUsed is returned for a duplicate merchant order number.
	ErrOutTradeNoUsed = &Error{ErrCode: "OUT_TRADE_NO_USED"}
	// ErrNotEnough is returned when the payer's (or, for refunds, the
	// merchant's) balance is insufficient.
	ErrNotEnough = &Error{ErrCode: "NOTENOUGH"}
	// ErrSignError is WeChat rejecting our signature (SIGNERROR).
	ErrSignError = &Error{ErrCode: "SIGNERROR"}
	// ErrRefundNotExist is returned by RefundQuery for an unknown refund.
	ErrRefundNotExist = &Error{ErrCode: "REFUNDNOTEXIST"}
	// ErrBizNeedRetry is a refund concurrency rejection: retry unchanged.
	ErrBizNeedRetry = &Error{ErrCode: "BIZERR_NEED_RETRY"}
)

// IsRetryable reports whether err is a WeChat error that may be retried
// unchanged. Transport errors are not covered: for them the caller decides
// (for unified order, query first or re-send identical parameters).
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

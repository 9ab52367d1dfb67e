package wxpay

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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
	if e.ErrCode == "" && e.ReturnCode == "SUCCESS" {
		return fmt.Sprintf("wxpay %s: result_code=FAIL: %s", e.API, e.ErrCodeDes)
	}
	if e.ErrCode == "" {
		return fmt.Sprintf("wxpay %s: return_code=%s: %s", e.API, e.ReturnCode, e.ReturnMsg)
	}
	return fmt.Sprintf("wxpay %s: %s: %s", e.API, e.ErrCode, e.ErrCodeDes)
}

// Is reports whether target is an *Error with the same ErrCode, or, for a
// sentinel without ErrCode, the same ReturnMsg (compared case-insensitively,
// as for the bill download's "No Bill Exist") or else the same ReturnCode,
// and no ErrCode.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.ErrCode != "" {
		return t.ErrCode == e.ErrCode
	}
	if e.ErrCode != "" {
		return false
	}
	if t.ReturnMsg != "" {
		return strings.EqualFold(t.ReturnMsg, e.ReturnMsg)
	}
	return t.ReturnCode != "" && t.ReturnCode == e.ReturnCode
}

// maxErrText bounds the WeChat-supplied text kept in an Error, so a hostile
// peer cannot make log lines or error strings arbitrarily long.
const maxErrText = 128

// clip shortens s to at most maxErrText runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxErrText {
		return s
	}
	r := []rune(s)
	return string(r[:maxErrText]) + "…"
}

// errorFrom builds the *Error for a failed reply of api from its fields.
func errorFrom(api string, p Params) *Error {
	return &Error{
		API:        api,
		ReturnCode: clip(p["return_code"]),
		ReturnMsg:  clip(p["return_msg"]),
		ErrCode:    clip(p["err_code"]),
		ErrCodeDes: clip(p["err_code_des"]),
	}
}

// Retryable reports whether WeChat's documentation says the same request may
// be sent again unchanged (the retry matrix): system errors, concurrency
// rejections and bills still being generated. A micropay (/pay/micropay)
// SYSTEMERROR or BANKERROR is not retryable: the payment's outcome is
// unknown and WeChat says to query the order (see MicropayUnknown).
func (e *Error) Retryable() bool {
	if e.API == apiMicropay {
		return false
	}
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
	// ErrSystem is WeChat's SYSTEMERROR: retry the same request — except
	// after Micropay, where the outcome is unknown: query the order.
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
	// ErrUserPaying is Micropay's USERPAYING: the payer is entering the
	// password. Not final: query the order until it is paid or failed
	// (or reverse it). From Reverse it means the order cannot be reversed
	// yet.
	ErrUserPaying = &Error{ErrCode: "USERPAYING"}
	// ErrBankError is Micropay's BANKERROR: the bank did not answer, the
	// outcome is unknown. Query the order; never assume.
	ErrBankError = &Error{ErrCode: "BANKERROR"}
	// ErrAuthCodeInvalid is AUTH_CODE_INVALID: the scanned code is not a
	// valid WeChat payment code. Final: ask for the 付款码 again.
	ErrAuthCodeInvalid = &Error{ErrCode: "AUTH_CODE_INVALID"}
	// ErrAuthCodeExpire is AUTHCODEEXPIRE: the code expired (or was used):
	// the payer must refresh it in WeChat. Final for this code.
	ErrAuthCodeExpire = &Error{ErrCode: "AUTHCODEEXPIRE"}
	// ErrAuthCodeError is AUTH_CODE_ERROR: the auth_code parameter is
	// wrong (each code works once). Final for this code.
	ErrAuthCodeError = &Error{ErrCode: "AUTH_CODE_ERROR"}
	// ErrNotSupportCard is NOTSUPORTCARD (WeChat's spelling): the payer's
	// card cannot pay this order. Final: ask for another card or cash.
	ErrNotSupportCard = &Error{ErrCode: "NOTSUPORTCARD"}
	// ErrOrderReversed is ORDERREVERSED: the order was reversed
	// (REVOKED). Final: use a new out_trade_no.
	ErrOrderReversed = &Error{ErrCode: "ORDERREVERSED"}
	// ErrParamError is PARAM_ERROR: a request parameter is wrong. Final.
	ErrParamError = &Error{ErrCode: "PARAM_ERROR"}
	// ErrBuyerMismatch is BUYER_MISMATCH: a re-sent micropay was paid by
	// another payer than the first. Final.
	ErrBuyerMismatch = &Error{ErrCode: "BUYER_MISMATCH"}
	// ErrTradeError is TRADE_ERROR: WeChat refused the trade (account
	// risk control, rules). Final.
	ErrTradeError = &Error{ErrCode: "TRADE_ERROR"}
	// ErrReverseExpire is Reverse's REVERSE_EXPIRE: the order is older than
	// 7 days and can no longer be reversed; refund it instead.
	ErrReverseExpire = &Error{ErrCode: "REVERSE_EXPIRE"}
	// ErrBillNotExist is returned by DownloadBill when the day has no
	// successful transaction ("No Bill Exist"): an empty day, not a fault.
	ErrBillNotExist = &Error{ReturnCode: "FAIL", ReturnMsg: "No Bill Exist"}
	// ErrBillCreating is returned by DownloadBill when the bill is not
	// generated yet ("Bill Creating"): retry after 10:00 Beijing time.
	ErrBillCreating = &Error{ReturnCode: "FAIL", ReturnMsg: "Bill Creating"}
)

// Errors raised on our side of the wire. They are wrapped with the API name
// and detail; test for them with errors.Is.
var (
	// ErrInvalidInput is returned before anything is sent when a request
	// parameter breaks the protocol's rules (format, length, range).
	ErrInvalidInput = errors.New("wxpay: invalid request parameter")
	// ErrBadMessage is returned when a reply, notification or callback that
	// passed the XML decoder breaks the protocol: a missing or malformed
	// required field, an unknown result code, or an appid/mch_id that is
	// not ours.
	ErrBadMessage = errors.New("wxpay: message violates the protocol")
	// ErrTransport is returned when the request could not be completed
	// (connection failure, timeout, cancelled context, HTTP status other
	// than 200). WeChat may or may not have acted on it: query before
	// deciding, or resend the identical request.
	ErrTransport = errors.New("wxpay: transport failure, outcome unknown")
	// ErrNoCertificate is returned by Refund and Reverse when
	// Config.CertP12 is empty: they need the merchant API certificate
	// (mutual TLS).
	ErrNoCertificate = errors.New("wxpay: no merchant API certificate configured (Config.CertP12)")
)

// IsRetryable reports whether err is a WeChat error that may be retried
// unchanged. Transport errors are not covered: for them the caller decides
// (for unified order, query first or re-send identical parameters).
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// Package wxpay speaks WeChat Pay API v2 (the XML protocol) for Native
// (scan-code) and 付款码 (micropay: the kiosk scans the payer's code)
// payments: request signing, a hardened XML codec, an API client
// with one method per endpoint, inbound notification and mode-1 callback
// parsing, and typed errors.
//
// It is a leaf library: it imports nothing from the rest of Saoma and keeps
// no package-level mutable state. Amounts are int64 fen; times crossing the
// wire are Asia/Shanghai wall-clock strings (yyyyMMddHHmmss), converted at
// the edge by FormatTime and ParseTime.
//
// # Errors
//
// Every Client call signs its request with Config.SignType and checks the
// reply in layers: return_code (FAIL → *Error matching ErrProtocol), then
// the reply's signature with the request's sign type (ErrSignature: never
// act on such a reply), then result_code (FAIL → *Error with ErrCode,
// matching ErrOrderPaid, ErrOrderClosed, ErrSystem, …), then, for
// OrderQuery, trade_state. Bad parameters are refused before sending
// (ErrInvalidInput); a malformed reply is ErrBadMessage; a connection
// failure, timeout or non-200 status wraps ErrTransport, and the context's
// own error (context.DeadlineExceeded) stays visible to errors.Is.
// IsRetryable follows WeChat's retry matrix.
//
// # 付款码 (micropay)
//
// Micropay charges a scanned auth_code. Its outcome can be open
// (MicropayUnknown: USERPAYING, SYSTEMERROR, BANKERROR, transport or
// untrusted reply): then poll OrderQuery until trade_state is final
// (SUCCESS, PAYERROR, REVOKED, …) and, to give up, Reverse until it answers
// recall=false. Never resend Micropay with another auth_code under the same
// out_trade_no.
//
// # Inbound messages
//
// ParseNotification, ParseNativeCallback and DecryptRefundNotification
// take the raw body of an unauthenticated public endpoint: they cap its
// size, refuse DOCTYPE/ENTITY (the 2018 XXE advisory), and authenticate it
// before any field is interpreted.
package wxpay

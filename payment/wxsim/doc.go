// Package wxsim is a WeChat Pay server for Native and 付款码 (micropay)
// payments speaking API v2 (XML) and API v3 (JSON + RSA) on the same
// listeners over one order book: the embedded default of Saoma's demo mode and the peer every test talks
// to. It is a strict peer, not a mock: it checks every request the way
// WeChat's servers do, keeps real order state, and calls the merchant back.
//
// # Running it
//
// In process, Start(Config{}) listens on 127.0.0.1 with two listeners that
// serve the same handler: URL() (plain HTTP) and TLSURL() (HTTPS, server
// certificate signed by the simulator's own CA, client certificates
// requested and verified when sent). /secapi/pay/refund answers only a
// request that came over HTTPS with the merchant certificate, as WeChat's
// does; Server.ClientConfig returns a wxpay.Config with the HTTPS URL, the
// CA (RootCAs) and the merchant PKCS#12 (MerchantP12, password = mch_id),
// so one client works for every API. New returns the bare http.Handler.
// cmd/wxpay-sim runs it as a separate process.
//
// # What it serves
//
//   - /pay/unifiedorder (NATIVE only; JSAPI/APP/MWEB answer NOAUTH):
//     code_url "weixin://wxpay/bizpayurl?pr=XXXXXXX" and prepay_id live 2 h.
//     A re-entry with identical business parameters returns the live
//     prepay, or a fresh one once 2 h have passed; different parameters are
//     INVALID_REQUEST "201 商户订单号重复"; a paid order is ORDERPAID, a
//     closed one ORDERCLOSED. time_expire must be at least 5 minutes ahead
//     (INVALID_REQUEST "time_expire时间过短，刷卡至少1分钟，其他5分钟").
//   - /pay/orderquery: NOTPAY, USERPAYING, PAYERROR, SUCCESS, REFUND,
//     CLOSED, REVOKED; ORDERNOTEXIST. 付款码 orders always carry
//     trade_type MICROPAY. Unless the order was paid (SUCCESS, REFUND)
//     only out_trade_no, attach, trade_state and trade_state_desc come back.
//     An order past its time_expire stays NOTPAY (unpayable) until closed.
//   - /pay/closeorder: refused within 5 minutes of creation with err_code
//     ORDER_CLOSE_TOO_EARLY (ErrCodeCloseTooEarly) "订单创建5分钟内不能关闭".
//     WeChat documents the rule but not its error; this code is the
//     simulator's choice and must not be retried in a loop. ORDERPAID,
//     ORDERCLOSED (closing twice), ORDERNOTEXIST.
//   - /tools/shorturl: long_url must be a weixin://wxpay/bizpayurl link (≤
//     512 bytes, raw or URL-encoded); the short link weixin://wxpay/s/XXXXXX
//     is stable per long URL.
//   - /secapi/pay/refund: partial refunds, one refund per out_refund_no
//     (same amount: the same refund again; another amount: ERROR), the sum
//     never above the paid amount (ERROR), at most 50 per order, unpaid
//     order ORDERNOTEXIST, total_fee must equal the order's (PARAM_ERROR).
//     A refund is PROCESSING until Config.RefundDelay has passed (or
//     Sim.SettleRefunds), then SUCCESS. A refund with notify_url gets the
//     refund result notification when it completes: appid, mch_id,
//     nonce_str and req_info (AES-256-ECB under the lower-case hex MD5 of
//     the key, Base64), retried on the payment schedule below.
//   - /pay/refundquery: lookup by refund_id > out_refund_no >
//     transaction_id > out_trade_no, per-refund _$n fields, pages of 10 via
//     offset with total_refund_count, REFUNDNOTEXIST.
//   - /pay/downloadbill: WeChat's text bill built from the simulator's
//     records (header, backtick-prefixed fields, summary header and line,
//     yuan, 0.60% fee), gzip on tar_type=GZIP; failures are XML with
//     return_msg "No Bill Exist", "Bill Creating" (before 10:00 the next
//     day, unless Config.InstantBills), "data format error", "invalid
//     bill_type".
//   - /pay/micropay (付款码): body, out_trade_no, total_fee,
//     spbill_create_ip, auth_code required; time_expire at least 1 minute
//     ahead. The auth_code must have been minted by POST /sim/paycode (or
//     MintPayCode): 18 digits starting 10–15, single use, valid 1 minute.
//     A code of another shape or never minted is AUTH_CODE_INVALID; a used
//     or expired one AUTHCODEEXPIRE. The code's outcome decides the rest:
//     SUCCESS (paid at once, no notification — 付款码 has no notify_url),
//     USERPAYING (err USERPAYING; the order is USERPAYING until
//     Config.PasswordDelay has passed, then SUCCESS), PASSWORD_FAIL (the
//     same, then PAYERROR), NOTENOUGH (PAYERROR), AUTH_CODE_INVALID (no
//     order), SYSTEMERROR (paid or no order, at random), SYSTEMERROR_PAID,
//     SYSTEMERROR_NOORDER. Re-entry checks come before the code: paid
//     ORDERPAID, reversed ORDERREVERSED, USERPAYING again USERPAYING, a
//     Native order's number or other parameters OUT_TRADE_NO_USED; a
//     PAYERROR order may be paid with a new code. Payment codes are kept
//     in memory only.
//   - /secapi/pay/reverse (merchant certificate, like refund): a USERPAYING
//     order is stopped with recall=Y and is REVOKED (the next call answers
//     recall=N); a paid order is refunded in full and REVOKED (a REVOKED
//     refund line in the bill); PAYERROR is REVOKED; REVOKED again is
//     recall=N. ORDERNOTEXIST, INVALID_TRANSACTIONID, REVERSE_EXPIRE after
//     7 days, TRADE_ERROR once refunded, INVALID_REQUEST for a non-MICROPAY
//     order. An injected SYSTEMERROR carries recall=Y.
//   - POST /sim/paycode (form openid, outcome): a fresh 付款码 as JSON
//     {"auth_code","openid","outcome","valid_ms"}; the page shows it as a
//     Code 128 barcode, a QR code and digits.
//   - POST /sim/scan, GET /sim/orders and GET /: the customer's phone (see
//     Scan and the Outcome constants) and a bilingual page to pay open QR
//     orders. Any other path is 404.
//
// # API v3
//
// Beside v2, on the same listeners and the same orders (a v2 order can be
// queried, refunded and paid through v3 and vice versa):
//
//   - POST /v3/pay/transactions/native: mchid, appid (APPID_MCHID_NOT_MATCH),
//     description (1–127 bytes), out_trade_no (6–32 of [0-9A-Za-z_-|*]),
//     amount.total (1..2^31-1 fen), amount.currency CNY, attach (≤ 128),
//     notify_url (absolute http(s), no query, ≤ 255), time_expire (RFC 3339,
//     at least 5 minutes ahead: 400 INVALID_REQUEST). Answers {"code_url"}.
//     Re-entry: identical parameters give the same code_url (a fresh one once
//     2 h have passed); different ones, or a v2 order's number, are 400
//     OUT_TRADE_NO_USED; paid is 400 ORDERPAID, closed 400 ORDER_CLOSED.
//     JSAPI, APP and H5 are 403 NO_AUTH.
//   - GET /v3/pay/transactions/out-trade-no/{no}?mchid= and
//     /id/{transaction_id}?mchid=: the wxpayv3.Transaction wire JSON; 404
//     ORDER_NOT_EXIST.
//   - POST /v3/pay/transactions/out-trade-no/{no}/close {"mchid"}: 204;
//     within 5 minutes of creation 400 ORDER_CLOSE_TOO_EARLY (as v2); paid
//     400 ORDERPAID; closing a closed order is 204 again.
//   - POST /v3/refund/domestic/refunds and GET
//     /v3/refund/domestic/refunds/{out_refund_no}: the v2 refund rules (one
//     refund per out_refund_no — the same one again, another amount 400
//     INVALID_REQUEST —, never above the paid amount, at most 50);
//     amount.total must equal the order's (PARAM_ERROR); unknown order or
//     refund 404 RESOURCE_NOT_EXISTS.
//
// Every v3 request's Authorization is checked with wxpayv3.VerifyRequest
// against the merchant's RSA public key and MerchantSerial, on Config.Clock
// (±5 minutes): 401 SIGN_ERROR otherwise. Every 2xx reply is signed with
// the simulated WeChat Pay key (public-key mode: Wechatpay-Serial is
// Config.WechatPayPublicKeyID); errors are unsigned {"code","message"}
// bodies. SystemErrorRate answers 500 SYSTEM_ERROR and FrequencyLimitRate
// 429 FREQUENCY_LIMITED before any processing. The RSA keys (merchant key
// and certificate, WeChat Pay key) are generated on first use and kept in
// DataDir; Server.ClientConfigV3 returns a ready wxpayv3.Config.
//
// Orders created through v3, and refunds requested through v3, are notified
// in v3 form: TRANSACTION.SUCCESS / REFUND.SUCCESS encrypted with
// AEAD_AES_256_GCM under Config.APIv3Key and signed, POSTed to the
// notify_url on the same retry schedule as v2 until the merchant answers 200
// or 204 (the body is not examined). The notification id stays the same
// across retries.
//
// # How v2 requests are checked
//
// In order: POST (else return_msg "请使用post方法"), a non-empty body
// ("post数据为空"), UTF-8 ("编码格式错误…"), a well-formed flat <xml>
// without DOCTYPE/ENTITY and ≤ 64 KiB ("XML格式错误"), mch_id known (a
// protocol FAIL, since an unknown merchant has no key to sign a reply
// with), sign_type MD5 or HMAC-SHA256, the signature ("签名错误"), nonce_str
// present and ≤ 32. These are protocol-layer failures: return_code FAIL,
// return_msg, no signature. Then, in the signed business layer: appid
// (APPID_NOT_EXIST; APPID_MCHID_NOT_MATCH for a well-formed "wx"+16 hex
// appid that is not the merchant's), required fields (LACK_PARAMS
// "缺少参数<field>"), and per-API rules. Field lengths and formats of
// WXPAY_V2.md §3 are protocol failures ("<field>参数长度有误", "invalid
// total_fee", "invalid spbill_create_ip", ...), as WeChat reports them.
// Every return_code=SUCCESS reply is signed with the request's sign type.
//
// # Notifications
//
// A payment is notified to the order's notify_url: all fields of
// WXPAY_V2.md §5, signed with the unified order's sign type (sign_type
// included when HMAC-SHA256). Only HTTP 200 with an XML body whose
// return_code is SUCCESS stops delivery; FAIL, other bodies, errors and
// timeouts (Config.NotifyTimeout) are retried after 15s/15s/30s/3m/10m/
// 20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, then given up (16 attempts, 24h4m).
// With DataDir, pending notifications resume after a restart.
//
// # Time
//
// Every timer runs on Config.Clock (ManualClock in tests). TimeScale N
// divides every protocol duration (retry schedule, 2 h prepay life, 5 min
// close rule, refund delay, 付款码 life and password delay, 7-day reverse
// limit) by N; wall-clock timestamps stay real.
//
// # Faults
//
// Config.Latency, SystemErrorRate (SYSTEMERROR before any processing, so
// retrying is always safe), DuplicateNotifyRate, DropNotifyRate and
// NotifyBeforeReply (every new order is paid at once and its first
// notification is delivered before the unified-order reply is written);
// Config.Seed makes the random faults repeatable.
package wxsim

// Package wxpayv3 speaks WeChat Pay API v3 (the JSON + RSA protocol) for
// Native (scan-code) payments: a Client with one method per endpoint,
// notification verification and decryption, typed errors, and the
// WeChat-side helpers a simulator needs to play WeChat faithfully.
//
// It is a leaf library: it imports nothing from the rest of Saoma and keeps
// no package-level mutable state. Amounts are int64 fen; times on the wire
// are RFC 3339 in +08:00, parsed to time.Time. Every clock is injected.
//
// # Signatures
//
// Requests carry Authorization: WECHATPAY2-SHA256-RSA2048 with
// mchid, nonce_str, timestamp, serial_no and signature, an RSA-SHA256
// signature by the merchant key over "METHOD\nURI\ntimestamp\nnonce\nbody\n"
// (RequestMessage). WeChat signs every 2xx reply and every notification
// with its own key over "timestamp\nnonce\nbody\n" (ResponseMessage) in the
// Wechatpay-Serial/-Signature/-Timestamp/-Nonce headers; a Verifier checks
// them with the WeChat Pay public key (by its id), platform certificates
// (by serial), or both during a migration.
//
// # Errors
//
// Every Client call checks the reply in layers: transport (ErrTransport,
// never carrying a body), HTTP status (non-2xx: *Error with StatusCode,
// Code and Message, matching ErrOrderNotExist, ErrSystem, … with
// errors.Is; Retryable for SYSTEM_ERROR, FREQUENCY_LIMITED and 5xx), size
// (ErrTooLarge), WeChat's signature (ErrSignature, ErrUnknownSerial) and
// its freshness within MaxClockSkew of the injected clock (ErrStale), then
// the body (ErrBadMessage). Bad parameters are refused before sending
// (ErrInvalidInput).
//
// # Notifications
//
// Notifier.Parse (or Client.ParseNotification) authenticates the raw body
// first (VerifyNotification: size, signature type, signature, freshness),
// then decodes the envelope and decrypts the resource with
// AEAD_AES_256_GCM under the APIv3 key. VerifyNotification alone needs no
// secret: a relay uses it to refuse forgeries. Answer with WriteNotifyOK or
// WriteNotifyFail.
//
// # Simulating WeChat
//
// VerifyRequest checks a merchant's Authorization as WeChat does;
// Platform.SignHeaders signs a reply (Platform.WriteReply writes one, and
// WriteError an unsigned error); Platform.TransactionNotification and
// Platform.RefundNotification build signed, encrypted notifications; and
// Transaction and Refund marshal to WeChat's wire JSON.
package wxpayv3

// Package wxpay speaks WeChat Pay API v2 (the XML protocol) for Native
// (scan-code) payments: request signing, a hardened XML codec, an API client
// with one method per endpoint, inbound notification and mode-1 callback
// parsing, and typed errors.
//
// It is a leaf library: it imports nothing from the rest of Saoma and keeps
// no package-level mutable state. Amounts are int64 fen; times crossing the
// wire are Asia/Shanghai wall-clock strings (yyyyMMddHHmmss), converted at
// the edge by FormatTime and ParseTime.
package wxpay

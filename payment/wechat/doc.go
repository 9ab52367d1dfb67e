// Package wechat adapts WeChat Pay to the checkout engine's payment port
// (app.Payments): V2 over payment/wxpay (XML, MD5/HMAC-SHA256 with the
// API key; also Native mode 1 as app.ShelfQR) and V3 over payment/wxpayv3
// (JSON, SHA256-RSA, WeChat Pay public key, AES-256-GCM notifications).
// Each translates requests, states and errors into the shop's terms, so
// the engine never sees a protocol type, an API key or a byte of XML or
// JSON.
package wechat

// Package relay carries WeChat Pay's callbacks to kiosks behind NAT.
//
// A kiosk sits behind a shop's router, but WeChat can only call a public
// URL. The relay Server is that URL: it takes payment notifications of
// WeChat Pay API v2 and v3 (POST /wxpay/notify/{kiosk}) and Native mode-1 callbacks
// (POST /wxpay/native-callback/{kiosk}) over HTTPS and hands them to the
// right kiosk over a websocket the kiosk keeps open (GET /ws). The kiosk
// side is Client.
//
// # Guarantees
//
//   - Nothing answered SUCCESS is lost: a notification is committed to the
//     relay's bbolt queue (fsync included) before WeChat gets SUCCESS; a
//     storage failure answers FAIL so WeChat retries. Concurrent
//     notifications share one commit (group commit), each answered only
//     after its own commit.
//   - Delivery is at least once and in order: every kiosk has its own
//     sequence; the kiosk acknowledges after its own commit; after a
//     reconnect delivery resumes after the last acknowledgement, and
//     acknowledged messages are pruned. Duplicates (same transaction_id) are
//     stored once, and the kiosk dedupes anyway.
//   - A kiosk only ever receives its own messages: it authenticates with a
//     per-kiosk bearer token (stored hashed, compared in constant time) and
//     the connection is bound to that kiosk.
//   - The relay is not trusted with money: bodies travel byte for byte
//     (WeChat Pay API v3 notifications with their signature headers), the
//     kiosk verifies every signature itself. When the relay holds the
//     merchant key (API v2) or WeChat Pay's public key (API v3, no secret
//     needed) it verifies too, so forgeries, and for v3 stale or replayed
//     requests, never reach the queue; without either a kiosk holds at
//     most MaxUnverified unacknowledged messages, so forgeries cannot fill
//     its queue.
//   - WeChat is never redirected: unclean paths ("//wxpay/notify/k1") are
//     served on their cleaned path.
//   - Every input is bounded: body size, DOCTYPE/ENTITY refused, frame
//     size, per-connection send queue and in-flight window, ping/pong and
//     write deadlines. A slow kiosk is disconnected, never waited on.
//
// The wire protocol (frames, sequence, epoch and acknowledgement rules) is
// described in docs/relay-protocol.md; running a relay in docs/deploy.md.
//
// The package keeps no global state: a kiosk in demo mode embeds a Server
// on a loopback listener next to the simulator.
package relay

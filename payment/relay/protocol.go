package relay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"saoma/payment/wxpayv3"
)

// ProtocolVersion is the version of the websocket protocol described in
// docs/relay-protocol.md. A kiosk sends it as the v query parameter; the
// relay answers the version it speaks on that connection in the welcome
// frame. Version 2 added the headers of WeChat Pay API v3 notifications
// to notify frames.
const ProtocolVersion = 2

// minProtocolVersion is the oldest version the relay still serves. A
// version-1 kiosk gets API v2 notifications as before; an API v3
// notification, which it could not verify without the headers, is held
// back for it until it reconnects with version 2.
const minProtocolVersion = 1

// headersVersion is the first protocol version whose notify frames carry
// headers.
const headersVersion = 2

// v3Headers are the headers of a WeChat Pay API v3 notification that the
// relay stores and forwards with its body: what the kiosk needs to verify
// the signature. Sorted, so frames and stored values list them in a fixed
// order.
var v3Headers = []string{
	wxpayv3.HeaderNonce,
	wxpayv3.HeaderSerial,
	wxpayv3.HeaderSignature,
	wxpayv3.HeaderSignatureType,
	wxpayv3.HeaderTimestamp,
}

// Frame types. Every websocket message is one JSON object (a text frame)
// whose "type" is one of these.
const (
	// typeWelcome (relay → kiosk) is the first frame of a connection: the
	// kiosk id, the relay's epoch and the sequence delivery resumes after.
	typeWelcome = "welcome"
	// typeNotify (relay → kiosk) carries one stored payment notification.
	typeNotify = "notify"
	// typeCallback (relay → kiosk) carries a mode-1 callback awaiting a reply.
	typeCallback = "callback"
	// typeAck (kiosk → relay) acknowledges every notification up to seq.
	typeAck = "ack"
	// typeCallbackReply (kiosk → relay) answers a callback by id.
	typeCallbackReply = "callback_reply"
)

// frame is the union of every message on the websocket; unused fields are
// omitted on the wire.
type frame struct {
	Type string `json:"type"`
	// V is the protocol version (welcome).
	V int `json:"v,omitempty"`
	// Kiosk is the kiosk the connection is authenticated as (welcome).
	Kiosk string `json:"kiosk,omitempty"`
	// Epoch identifies the relay's store (welcome, notify, ack).
	Epoch string `json:"epoch,omitempty"`
	// Seq is the per-kiosk sequence number (notify, ack).
	Seq uint64 `json:"seq,omitempty"`
	// ResumeAfter is the last sequence the relay considers acknowledged;
	// delivery starts after it (welcome).
	ResumeAfter uint64 `json:"resume_after,omitempty"`
	// PingMS is the relay's ping interval in milliseconds (welcome).
	PingMS int64 `json:"ping_ms,omitempty"`
	// Window is how many notifications may be in flight unacknowledged
	// (welcome).
	Window int `json:"window,omitempty"`
	// At is when the relay stored the notification, Unix milliseconds
	// (notify).
	At int64 `json:"at,omitempty"`
	// ID matches a callback with its reply (callback, callback_reply).
	ID string `json:"id,omitempty"`
	// DeadlineMS is how long the relay waits for the callback reply
	// (callback).
	DeadlineMS int64 `json:"deadline_ms,omitempty"`
	// Body is WeChat's body exactly as received (notify: XML for API v2,
	// JSON for API v3; callback) or the kiosk's signed XML reply
	// (callback_reply).
	Body string `json:"body,omitempty"`
	// Headers are the signature headers of an API v3 notification, by
	// canonical name (notify, protocol version 2 and later only). Absent
	// for API v2 notifications.
	Headers map[string]string `json:"headers,omitempty"`
}

// encode renders f as compact JSON, fields in declaration order, empty
// ones omitted. It is hand-written rather than encoding/json: it runs for
// every delivery on the connection's writer goroutine, and without
// reflection that goroutine's stack stays small, which matters with ten
// thousand connections. Bodies are not HTML-escaped; headers are written
// sorted by name.
func (f *frame) encode() []byte {
	b := make([]byte, 0, 128+len(f.Body)+len(f.Body)/8)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, f.Type)
	num := func(name string, v int64) {
		if v != 0 {
			b = append(b, `,"`...)
			b = append(b, name...)
			b = append(b, `":`...)
			b = strconv.AppendInt(b, v, 10)
		}
	}
	unum := func(name string, v uint64) {
		if v != 0 {
			b = append(b, `,"`...)
			b = append(b, name...)
			b = append(b, `":`...)
			b = strconv.AppendUint(b, v, 10)
		}
	}
	str := func(name, v string) {
		if v != "" {
			b = append(b, `,"`...)
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendJSONString(b, v)
		}
	}
	num("v", int64(f.V))
	str("kiosk", f.Kiosk)
	str("epoch", f.Epoch)
	unum("seq", f.Seq)
	unum("resume_after", f.ResumeAfter)
	num("ping_ms", f.PingMS)
	num("window", int64(f.Window))
	num("at", f.At)
	str("id", f.ID)
	num("deadline_ms", f.DeadlineMS)
	str("body", f.Body)
	if len(f.Headers) > 0 {
		b = append(b, `,"headers":{`...)
		names := make([]string, 0, len(f.Headers))
		for name := range f.Headers {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = appendJSONString(b, f.Headers[name])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as with encoding/json.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeFrame parses one websocket message.
func decodeFrame(data []byte) (*frame, error) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("relay: decode frame: %w", err)
	}
	if f.Type == "" {
		return nil, fmt.Errorf("relay: decode frame: no type")
	}
	return &f, nil
}

package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// refSign is an independent, deliberately plain implementation of the v2
// signature, so the fuzz tests do not check Params.Sign against itself.
func refSign(p Params, key string, st SignType) string {
	var keys []string
	for k, v := range p {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+p[k])
	}
	msg := strings.Join(parts, "&") + "&key=" + key
	if st == SignHMACSHA256 {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	}
	sum := md5.Sum([]byte(msg))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestRefSignMatchesTheOfficialVector(t *testing.T) {
	if got := refSign(officialExample(), officialKey, SignMD5); got != "9A0A8659F005D6984697E2CA0A9CF3B7" {
		t.Fatalf("refSign = %s", got)
	}
}

// validName reports whether s is a plain XML element name of the kind WeChat
// uses ([A-Za-z_][A-Za-z0-9_]*), and not "xml".
func validName(s string) bool {
	if s == "" || s == "xml" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func FuzzParseXML(f *testing.F) {
	f.Add([]byte(`<xml><a><![CDATA[x]]></a><b>1</b></xml>`), "attach", "a]]>b\r\nc")
	f.Add([]byte(`<?xml version="1.0"?><xml><return_code>SUCCESS</return_code></xml>`), "body", "扫码-拿铁")
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY e "y">]><xml><a>&e;</a></xml>`), "x_1", "&<>\"'")
	f.Add([]byte(`<xml><a><b>1</b></a></xml>`), "n", "")
	f.Add([]byte(`<xml><a>1</a><a>2</a></xml>`), "total_fee", "007")
	f.Fuzz(func(t *testing.T, data []byte, name, value string) {
		// The fast path accepts a subset of the general path and agrees
		// with it there.
		if fast, ok := parseFlat(data); ok && utf8.Valid(data) && !hasDeclaration(data) {
			slow, err := parseTokens(data, "xml")
			if err != nil {
				t.Fatalf("fast path accepted what the tokenizer refuses (%v): %q", err, data)
			}
			if !maps.Equal(fast, slow) {
				t.Fatalf("fast path %q, tokenizer %q", fast, slow)
			}
		}
		// Arbitrary bytes: no panic; anything accepted re-encodes to itself.
		if p, err := ParseXML(data); err == nil {
			q, err := ParseXML(p.EncodeXML())
			if err != nil {
				t.Fatalf("re-encoded document does not parse: %v", err)
			}
			if !maps.Equal(p, q) {
				t.Fatalf("round trip changed the fields: %q -> %q", p, q)
			}
		}
		// Any valid name and value survive EncodeXML → ParseXML exactly.
		if !validName(name) || !ValidValue(value) {
			return
		}
		p := Params{name: value, "return_code": "SUCCESS"}
		q, err := ParseXML(p.EncodeXML())
		if err != nil {
			t.Fatalf("EncodeXML(%q) does not parse: %v", p, err)
		}
		if !maps.Equal(p, q) {
			t.Fatalf("round trip: %q -> %q", p, q)
		}
	})
}

func FuzzParseNotification(f *testing.F) {
	f.Add(signedNotification(SignMD5, nil), "total_fee", "1", false)
	f.Add(signedNotification(SignHMACSHA256, nil), "sign_type", "MD5", true)
	f.Add([]byte(`<xml><return_code>SUCCESS</return_code></xml>`), "sign", "", false)
	f.Add(signedNotification(SignMD5, nil), "attach", "", true)
	f.Add(signedNotification(SignMD5, nil), "out_trade_no", "K1-20261122-0007", false)
	f.Fuzz(func(t *testing.T, body []byte, field, value string, hmacMode bool) {
		// 1. Arbitrary bodies: no panic, and nothing is accepted unless its
		// signature recomputes with the test key.
		if n, err := ParseNotification(body, testKey); err == nil {
			assertSigned(t, n.Raw)
		}
		// 2. Change one field of a genuinely signed notification, keeping
		// the old signature (unless the field is sign itself): it may only
		// be accepted if the signature still recomputes.
		if !validName(field) || !ValidValue(value) {
			return
		}
		st := SignMD5
		if hmacMode {
			st = SignHMACSHA256
		}
		p, err := ParseXML(signedNotification(st, nil))
		if err != nil {
			t.Fatal(err)
		}
		p[field] = value
		n, err := ParseNotification(p.EncodeXML(), testKey)
		if err != nil {
			return
		}
		assertSigned(t, n.Raw)
		if n.TotalFee <= 0 || n.OutTradeNo == "" || n.AppID == "" {
			t.Fatalf("accepted a notification without required fields: %+v", n)
		}
	})
}

// assertSigned fails unless p's sign equals an independently computed one.
func assertSigned(t *testing.T, p Params) {
	t.Helper()
	st := SignMD5
	if p["sign_type"] == string(SignHMACSHA256) {
		st = SignHMACSHA256
	} else if p["sign_type"] != "" && p["sign_type"] != string(SignMD5) {
		t.Fatalf("accepted unknown sign_type %q", p["sign_type"])
	}
	if want := refSign(p, testKey, st); !strings.EqualFold(p["sign"], want) {
		t.Fatalf("accepted a notification whose signature does not recompute: sign %q, want %q", p["sign"], want)
	}
}

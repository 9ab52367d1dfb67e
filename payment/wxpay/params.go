package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strconv"
	"strings"
)

// Params is one flat WeChat Pay v2 message: element name to text value.
// It is the unit that is signed, encoded as XML and decoded from XML.
type Params map[string]string

// SignType names a signature algorithm of the v2 protocol.
type SignType string

// The signature algorithms WeChat Pay v2 accepts. MD5 is the protocol default
// when a message carries no sign_type.
const (
	SignMD5        SignType = "MD5"
	SignHMACSHA256 SignType = "HMAC-SHA256"
)

// Valid reports whether t is one of the supported algorithms.
func (t SignType) Valid() bool { return t == SignMD5 || t == SignHMACSHA256 }

// Get returns the value of key, or "" when it is absent.
func (p Params) Get(key string) string { return p[key] }

// Set stores value under key and returns p, so calls can be chained.
func (p Params) Set(key, value string) Params {
	p[key] = value
	return p
}

// SetInt stores an integer value under key.
func (p Params) SetInt(key string, v int64) Params {
	p[key] = strconv.FormatInt(v, 10)
	return p
}

// Int parses the value of key as a base-10 integer. A missing key is an error.
func (p Params) Int(key string) (int64, error) {
	s, ok := p[key]
	if !ok || s == "" {
		return 0, fmt.Errorf("wxpay: field %s missing", key)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wxpay: field %s is not an integer", key)
	}
	return v, nil
}

// Clone returns a copy of p.
func (p Params) Clone() Params {
	c := make(Params, len(p))
	for k, v := range p {
		c[k] = v
	}
	return c
}

// SigningString returns "k1=v1&k2=v2…" over every field except sign and
// empty values, with names sorted by byte order: the protocol's stringA.
func (p Params) SigningString() string {
	keys := make([]string, 0, len(p))
	n := 0
	for k, v := range p {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v) + 2
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(n)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(p[k])
	}
	return b.String()
}

// Sign computes the signature of p with the merchant API key: stringA with
// "&key=<key>" appended, hashed with MD5 or HMAC-SHA256 (keyed with the API
// key, over the whole string including the suffix), as upper-case hex.
func (p Params) Sign(key string, t SignType) string {
	var h hash.Hash
	switch t {
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(key))
	default:
		h = md5.New()
	}
	h.Write([]byte(p.SigningString()))
	h.Write([]byte("&key="))
	h.Write([]byte(key))
	sum := h.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return strings.ToUpper(string(out))
}

// SignType returns the algorithm named by the message's sign_type field, MD5
// when it is absent, or an error for an unknown name.
func (p Params) SignType() (SignType, error) {
	switch t := SignType(p["sign_type"]); t {
	case "":
		return SignMD5, nil
	case SignMD5, SignHMACSHA256:
		return t, nil
	default:
		return "", fmt.Errorf("wxpay: unsupported sign_type %q", string(t))
	}
}

// Verify checks p's sign field against a signature computed over every
// received field (known or not) with the algorithm t. The comparison runs in
// constant time. It returns ErrSignature on any mismatch.
func (p Params) Verify(key string, t SignType) error {
	got := p["sign"]
	if got == "" {
		return fmt.Errorf("%w: sign missing", ErrSignature)
	}
	want := p.Sign(key, t)
	if subtle.ConstantTimeCompare([]byte(strings.ToUpper(got)), []byte(want)) != 1 {
		return ErrSignature
	}
	return nil
}

// VerifySelf verifies p with the algorithm p itself names in sign_type (MD5
// when absent): the rule for notifications and callbacks from WeChat.
func (p Params) VerifySelf(key string) error {
	t, err := p.SignType()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return p.Verify(key, t)
}

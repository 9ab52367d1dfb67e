package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"strconv"
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
	return string(p.appendSigning(nil))
}

// appendSigning appends stringA to dst.
func (p Params) appendSigning(dst []byte) []byte {
	var arr [40]string // room for a typical message without allocating
	keys := arr[:0]
	n := 0
	for k, v := range p {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v) + 2
	}
	slices.Sort(keys)
	dst = slices.Grow(dst, n)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = append(dst, p[k]...)
	}
	return dst
}

// Sign computes the signature of p with the merchant API key: stringA with
// "&key=<key>" appended, hashed with MD5 or HMAC-SHA256 (keyed with the API
// key, over the whole string including the suffix), as upper-case hex.
func (p Params) Sign(key string, t SignType) string {
	var buf [1024]byte
	var sum [sha256.Size]byte
	return string(p.appendSign(buf[:0], sum[:0], key, t))
}

// appendSign computes the signature into sum's storage and returns it as
// upper-case hex appended to nothing; msg is scratch space for stringA.
func (p Params) appendSign(msg, sum []byte, key string, t SignType) []byte {
	msg = p.appendSigning(msg)
	msg = append(msg, "&key="...)
	msg = append(msg, key...)
	switch t {
	case SignHMACSHA256:
		h := hmac.New(sha256.New, []byte(key))
		h.Write(msg)
		sum = h.Sum(sum)
	default:
		s := md5.Sum(msg)
		sum = append(sum, s[:]...)
	}
	const hexUpper = "0123456789ABCDEF"
	out := make([]byte, 2*len(sum))
	for i, b := range sum {
		out[2*i] = hexUpper[b>>4]
		out[2*i+1] = hexUpper[b&0x0f]
	}
	return out
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
	var buf [1024]byte
	var sum [sha256.Size]byte
	want := p.appendSign(buf[:0], sum[:0], key, t)
	if !equalHexFold(got, want) {
		return ErrSignature
	}
	return nil
}

// equalHexFold compares a received signature with an upper-case one,
// ignoring the letter case of got, in time independent of the contents.
func equalHexFold(got string, want []byte) bool {
	if len(got) != len(want) {
		return false
	}
	var diff byte
	for i := 0; i < len(want); i++ {
		c := got[i]
		// Fold a-z to A-Z without branching on secret-dependent data.
		lower := subtle.ConstantTimeByteEq(c&^0x1f, 0x60) & subtle.ConstantTimeLessOrEq(1, int(c&0x1f)) & subtle.ConstantTimeLessOrEq(int(c&0x1f), 26)
		c -= byte(lower) << 5
		diff |= c ^ want[i]
	}
	return diff == 0
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

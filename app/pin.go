package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrBadPIN is returned by HashPIN for a PIN that is not 4 to 8 digits.
var ErrBadPIN = errors.New("a PIN is 4 to 8 digits")

// pinRounds slows guessing a stolen config file's PIN hashes.
const pinRounds = 20000

// HashPIN returns a salted, iterated hash of pin for the config file, in the
// form "v1$<salt hex>$<hash hex>".
func HashPIN(pin string) (string, error) {
	if len(pin) < 4 || len(pin) > 8 || strings.Trim(pin, "0123456789") != "" {
		return "", ErrBadPIN
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	return "v1$" + hex.EncodeToString(salt) + "$" + hex.EncodeToString(pinDigest(salt, pin)), nil
}

// CheckPIN reports whether pin matches hash (made by HashPIN), in constant
// time. An empty or malformed hash matches nothing.
func CheckPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	salt, err1 := hex.DecodeString(parts[1])
	want, err2 := hex.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(pinDigest(salt, pin), want) == 1
}

func pinDigest(salt []byte, pin string) []byte {
	sum := []byte(pin)
	for i := 0; i < pinRounds; i++ {
		m := hmac.New(sha256.New, salt)
		m.Write(sum)
		sum = m.Sum(nil)
	}
	return sum
}

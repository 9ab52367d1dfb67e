package wxpayv3

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
)

// ParsePrivateKey decodes the merchant API private key
// (apiclient_key.pem): a PEM "PRIVATE KEY" block in PKCS#8 holding an RSA
// key. A PKCS#1 "RSA PRIVATE KEY" block is accepted too.
func ParsePrivateKey(pemData []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(pemData)
	if b == nil {
		return nil, fmt.Errorf("wxpayv3: private key: %w: no PEM block", ErrInvalidInput)
	}
	switch b.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("wxpayv3: private key: %w: PKCS#8: %v", ErrInvalidInput, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("wxpayv3: private key: %w: %T is not RSA", ErrInvalidInput, k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("wxpayv3: private key: %w: PKCS#1: %v", ErrInvalidInput, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("wxpayv3: private key: %w: PEM type %q", ErrInvalidInput, b.Type)
}

// ParsePublicKey decodes the WeChat Pay public key (pub_key.pem): a PEM
// "PUBLIC KEY" block in PKIX form holding an RSA key.
func ParsePublicKey(pemData []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(pemData)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("wxpayv3: public key: %w: no PEM PUBLIC KEY block", ErrInvalidInput)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: public key: %w: PKIX: %v", ErrInvalidInput, err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("wxpayv3: public key: %w: %T is not RSA", ErrInvalidInput, k)
	}
	return rk, nil
}

// ParseCertificate decodes an X.509 certificate in a PEM "CERTIFICATE"
// block: a WeChat Pay platform certificate, or the merchant's own
// (apiclient_cert.pem, whose CertificateSerial is Config.MchSerial).
func ParseCertificate(pemData []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(pemData)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("wxpayv3: certificate: %w: no PEM CERTIFICATE block", ErrInvalidInput)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: certificate: %w: %v", ErrInvalidInput, err)
	}
	if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("wxpayv3: certificate: %w: key %T is not RSA", ErrInvalidInput, c.PublicKey)
	}
	return c, nil
}

// LoadPrivateKey reads and decodes a private key file; see ParsePrivateKey.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: private key: %w", err)
	}
	return ParsePrivateKey(data)
}

// LoadPublicKey reads and decodes a public key file; see ParsePublicKey.
func LoadPublicKey(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: public key: %w", err)
	}
	return ParsePublicKey(data)
}

// LoadCertificate reads and decodes a certificate file; see
// ParseCertificate.
func LoadCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: certificate: %w", err)
	}
	return ParseCertificate(data)
}

// CertificateSerial returns the serial WeChat uses for c: the uppercase
// hex of the serial number's bytes, e.g. "5157F09EFDC096DE15EBE81A47057A72".
func CertificateSerial(c *x509.Certificate) string {
	return fmt.Sprintf("%X", c.SerialNumber.Bytes())
}

// Verifier checks WeChat's signatures on replies and notifications. It is
// safe for concurrent use.
type Verifier interface {
	// Serial is the key id or certificate serial we ask WeChat to sign
	// with: the Wechatpay-Serial header of our requests.
	Serial() string
	// Verify checks signature (base64 RSA-SHA256, PKCS#1 v1.5) over
	// message with the key named by serial. It returns an error wrapping
	// ErrSignature (and ErrUnknownSerial for a serial it does not hold).
	Verify(serial, message, signature string) error
}

// keyVerifier verifies with one RSA public key per serial.
type keyVerifier struct {
	preferred string
	keys      map[string]*rsa.PublicKey
}

// NewPublicKeyVerifier verifies with the WeChat Pay public key (公钥模式,
// the only mode for merchants onboarded since 2024). keyID is its id,
// "PUB_KEY_ID_…"; a message naming any other serial is refused.
func NewPublicKeyVerifier(keyID string, key *rsa.PublicKey) Verifier {
	return &keyVerifier{preferred: keyID, keys: map[string]*rsa.PublicKey{keyID: key}}
}

// NewCertificateVerifier verifies with WeChat Pay platform certificates,
// each named by CertificateSerial. Serial() is the one expiring last.
// Certificate validity periods are not checked: pass current certificates.
func NewCertificateVerifier(certs ...*x509.Certificate) Verifier {
	v := &keyVerifier{keys: make(map[string]*rsa.PublicKey, len(certs))}
	var newest *x509.Certificate
	for _, c := range certs {
		pk, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			continue
		}
		v.keys[CertificateSerial(c)] = pk
		if newest == nil || c.NotAfter.After(newest.NotAfter) {
			newest = c
		}
	}
	if newest != nil {
		v.preferred = CertificateSerial(newest)
	}
	return v
}

// NewCombinedVerifier verifies with the public key when a message names
// keyID and with the platform certificates otherwise, for the migration
// from certificates to the public key. Serial() is keyID.
func NewCombinedVerifier(keyID string, key *rsa.PublicKey, certs ...*x509.Certificate) Verifier {
	v := NewCertificateVerifier(certs...).(*keyVerifier)
	v.keys[keyID] = key
	v.preferred = keyID
	return v
}

// Serial implements Verifier.
func (v *keyVerifier) Serial() string { return v.preferred }

// Verify implements Verifier.
func (v *keyVerifier) Verify(serial, message, signature string) error {
	k, ok := v.keys[serial]
	if !ok || k == nil {
		return fmt.Errorf("%w: %w", ErrSignature, ErrUnknownSerial)
	}
	return verifyRSA(k, message, signature)
}

// verifyRSA checks a base64 SHA256-RSA PKCS#1 v1.5 signature.
func verifyRSA(k *rsa.PublicKey, message, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrSignature)
	}
	h := sha256.Sum256([]byte(message))
	if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig); err != nil {
		return ErrSignature
	}
	return nil
}

// signRSA returns base64(RSA-PKCS1v15(SHA256(message))).
func signRSA(k *rsa.PrivateKey, message string) (string, error) {
	h := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("wxpayv3: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

package wxsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"saoma/payment/wxpayv3"
)

// v3pki holds the RSA material of API v3: the merchant API key and its
// certificate (serial = Config.MerchantSerial), and the WeChat Pay key that
// signs replies and notifications, known to merchants by its public key id.
type v3pki struct {
	mchKey  *rsa.PrivateKey
	mchCert *x509.Certificate
	serial  string // wxpayv3.CertificateSerial(mchCert)
	wxKey   *rsa.PrivateKey
}

const v3MetaKey = "pki-v3"

// parseMerchantSerial checks a merchant certificate serial: hex digits that
// survive the round trip through an X.509 serial number and
// wxpayv3.CertificateSerial (even length, no leading zero byte, at most 20
// octets, positive).
func parseMerchantSerial(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() <= 0 || n.BitLen() > 159 || fmt.Sprintf("%X", n.Bytes()) != strings.ToUpper(s) {
		return nil, fmt.Errorf("wxsim: merchant serial %q must be an even number (2-40) of hex digits, not starting with 00, first digit 0-7 when 40 long", s)
	}
	return n, nil
}

// randomMerchantSerial returns 40 uppercase hex digits, like WeChat's
// merchant certificate serials, that fit an X.509 serial number.
func randomMerchantSerial() string {
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
		if err != nil {
			panic("wxsim: crypto/rand failed: " + err.Error())
		}
		if n.BitLen() > 156 { // 40 digits, first one 1-7
			return fmt.Sprintf("%X", n.Bytes())
		}
	}
}

// loadV3PKI parses a bundle written by encode; ok is false when data is
// empty or unusable, or the merchant serial is not want (when want != "").
func loadV3PKI(data []byte, want string, now time.Time) (*v3pki, bool) {
	var blocks []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) != 3 {
		return nil, false
	}
	mk, err1 := x509.ParsePKCS8PrivateKey(blocks[0].Bytes)
	cert, err2 := x509.ParseCertificate(blocks[1].Bytes)
	wk, err3 := x509.ParsePKCS8PrivateKey(blocks[2].Bytes)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, false
	}
	mrsa, ok1 := mk.(*rsa.PrivateKey)
	wrsa, ok2 := wk.(*rsa.PrivateKey)
	p := &v3pki{mchKey: mrsa, mchCert: cert, wxKey: wrsa, serial: wxpayv3.CertificateSerial(cert)}
	if !ok1 || !ok2 || (want != "" && p.serial != strings.ToUpper(want)) || !now.Before(cert.NotAfter) {
		return nil, false
	}
	return p, true
}

// generateV3PKI makes a merchant RSA key with a self-signed certificate
// for mchID under serial (random when empty), and a WeChat Pay RSA key.
func generateV3PKI(mchID, serial string, now time.Time) (*v3pki, error) {
	if serial == "" {
		serial = randomMerchantSerial()
	}
	sn, err := parseMerchantSerial(serial)
	if err != nil {
		return nil, err
	}
	mk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("wxsim: merchant RSA key: %w", err)
	}
	wk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("wxsim: WeChat Pay RSA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: mchID, Organization: []string{"微信商户系统 (simulated)"}, OrganizationalUnit: []string{mchID}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	// Self-signed: a v3 merchant certificate is only ever identified by its
	// serial; nothing checks its chain.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &mk.PublicKey, mk)
	if err != nil {
		return nil, fmt.Errorf("wxsim: merchant v3 certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("wxsim: merchant v3 certificate: %w", err)
	}
	return &v3pki{mchKey: mk, mchCert: cert, wxKey: wk, serial: wxpayv3.CertificateSerial(cert)}, nil
}

func (p *v3pki) encode() []byte {
	mk, _ := x509.MarshalPKCS8PrivateKey(p.mchKey)
	wk, _ := x509.MarshalPKCS8PrivateKey(p.wxKey)
	out := pemBlock("PRIVATE KEY", mk)
	out = append(out, pemBlock("CERTIFICATE", p.mchCert.Raw)...)
	return append(out, pemBlock("PRIVATE KEY", wk)...)
}

// v3 returns the API v3 keys, generating them on first use (RSA key
// generation is slow, and most v2-only simulators never need them) and
// persisting them with DataDir.
func (s *Sim) v3() *v3pki {
	s.v3mu.Lock()
	defer s.v3mu.Unlock()
	if s.v3keys != nil {
		return s.v3keys
	}
	now := s.clock.Now()
	if p, ok := loadV3PKI(s.st.getMeta(v3MetaKey), s.cfg.MerchantSerial, now); ok {
		s.v3keys = p
		return p
	}
	p, err := generateV3PKI(s.cfg.MchID, s.cfg.MerchantSerial, now)
	if err != nil {
		// The serial was validated by New; only crypto/rand can fail here.
		panic(err.Error())
	}
	if err := s.st.putMeta(v3MetaKey, p.encode()); err != nil {
		s.log.Error("wxsim: persist v3 keys", "err", err)
	}
	s.v3keys = p
	return p
}

// platform is the simulated WeChat Pay signer (public-key mode).
func (s *Sim) platform() wxpayv3.Platform {
	return wxpayv3.Platform{Serial: s.cfg.WechatPayPublicKeyID, Key: s.v3().wxKey}
}

// MerchantSerial returns the serial of the merchant API v3 certificate
// (serial_no in Authorization).
func (s *Sim) MerchantSerial() string { return s.v3().serial }

// MerchantPrivateKey returns the merchant API v3 RSA private key.
func (s *Sim) MerchantPrivateKey() *rsa.PrivateKey { return s.v3().mchKey }

// MerchantPrivateKeyPEM returns the merchant API v3 private key as PKCS#8
// PEM (apiclient_key.pem).
func (s *Sim) MerchantPrivateKeyPEM() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(s.v3().mchKey)
	return pemBlock("PRIVATE KEY", der)
}

// MerchantV3CertificatePEM returns the merchant API v3 certificate (RSA,
// serial MerchantSerial) as PEM.
func (s *Sim) MerchantV3CertificatePEM() []byte { return pemBlock("CERTIFICATE", s.v3().mchCert.Raw) }

// APIv3Key returns the 32-byte APIv3 key that encrypts notifications.
func (s *Sim) APIv3Key() string { return s.cfg.APIv3Key }

// WechatPayPublicKeyID returns the id of the WeChat Pay public key
// (Wechatpay-Serial of every signed reply and notification).
func (s *Sim) WechatPayPublicKeyID() string { return s.cfg.WechatPayPublicKeyID }

// WechatPayPublicKey returns the WeChat Pay public key that verifies the
// simulator's v3 replies and notifications.
func (s *Sim) WechatPayPublicKey() *rsa.PublicKey { return &s.v3().wxKey.PublicKey }

// WechatPayPublicKeyPEM returns the WeChat Pay public key as PKIX PEM
// (wechatpay_public_key.pem, "PUBLIC KEY").
func (s *Sim) WechatPayPublicKeyPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&s.v3().wxKey.PublicKey)
	return pemBlock("PUBLIC KEY", der)
}

// V3Verifier returns a wxpayv3.Verifier for the simulator's signatures
// (public-key mode).
func (s *Sim) V3Verifier() wxpayv3.Verifier {
	return wxpayv3.NewPublicKeyVerifier(s.cfg.WechatPayPublicKeyID, s.WechatPayPublicKey())
}

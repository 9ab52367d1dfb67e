package wxpayv3

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVerifyRequest: the simulator-side check of a merchant's
// Authorization header refuses what WeChat refuses.
func TestVerifyRequest(t *testing.T) {
	k := loadKeys(t)
	m := Merchant{MchID: testMchID, Serial: testMchSerial, PublicKey: &k.merchant.PublicKey}
	const uri = "/v3/pay/transactions/out-trade-no/K1-20261202-0007/close"
	body := []byte(`{"mchid":"1900000109"}`)
	sign := func(mchID, serial string, at time.Time, method, u string, b []byte) string {
		a, err := SignRequest(mchID, serial, k.merchant, method, u, b, at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name string
		auth string
		body []byte
		want error // nil: accepted
	}{
		{"a request signed now is accepted", sign(testMchID, testMchSerial, fixedNow, "POST", uri, body), body, nil},
		{"a request with another body is ErrSignature", sign(testMchID, testMchSerial, fixedNow, "POST", uri, body), []byte(`{"mchid":"1"}`), ErrSignature},
		{"a request signed for another URI is ErrSignature", sign(testMchID, testMchSerial, fixedNow, "POST", uri+"?x=1", body), body, ErrSignature},
		{"a request signed as GET is ErrSignature", sign(testMchID, testMchSerial, fixedNow, "GET", uri, body), body, ErrSignature},
		{"a request for another merchant is ErrSignature", sign("1900000999", testMchSerial, fixedNow, "POST", uri, body), body, ErrSignature},
		{"a request naming another certificate is ErrUnknownSerial", sign(testMchID, "ABCDEF", fixedNow, "POST", uri, body), body, ErrUnknownSerial},
		{"a request signed 5 minutes ago is ErrStale", sign(testMchID, testMchSerial, fixedNow.Add(-5*time.Minute), "POST", uri, body), body, ErrStale},
		{"a request without Authorization is ErrSignature", "", body, ErrSignature},
		{"another scheme is ErrSignature", strings.Replace(sign(testMchID, testMchSerial, fixedNow, "POST", uri, body), SignatureType, "WECHATPAY2-SM2-WITH-SM3", 1), body, ErrSignature},
		{"a repeated field is ErrSignature", sign(testMchID, testMchSerial, fixedNow, "POST", uri, body) + `,mchid="1900000109"`, body, ErrSignature},
		{"an unquoted field is ErrSignature", strings.Replace(sign(testMchID, testMchSerial, fixedNow, "POST", uri, body), `mchid="1900000109"`, `mchid=1900000109`, 1), body, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", uri, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			_, err := VerifyRequest(r, tt.body, m, fixedNow)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("fields are read by name in any order", func(t *testing.T) {
		a, err := ParseAuthorization(sign(testMchID, testMchSerial, fixedNow, "POST", uri, body))
		if err != nil {
			t.Fatal(err)
		}
		v := SignatureType + ` signature="` + a.Signature + `",serial_no="` + a.Serial + `",timestamp="` +
			strconv.FormatInt(a.Timestamp, 10) + `",nonce_str="` + a.Nonce + `",mchid="` + a.MchID + `"`
		r := httptest.NewRequest("POST", uri, nil)
		r.Header.Set("Authorization", v)
		if _, err := VerifyRequest(r, body, m, fixedNow); err != nil {
			t.Error(err)
		}
	})
}

func TestKeyLoaders(t *testing.T) {
	k := loadKeys(t)
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("a PKCS#1 private key is accepted too", func(t *testing.T) {
		got, err := LoadPrivateKey(write("pkcs1.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.merchant)))
		if err != nil || !got.Equal(k.merchant) {
			t.Errorf("LoadPrivateKey = %v", err)
		}
	})
	t.Run("the public key matches the certificate's", func(t *testing.T) {
		if !k.wechatPub.Equal(k.platformCert.PublicKey) {
			t.Error("testdata keys disagree")
		}
	})
	tests := []struct {
		name string
		load func() error
	}{
		{"a public key is not a private key", func() error {
			_, err := LoadPrivateKey(filepath.Join("testdata", "wechat_pub.pem"))
			return err
		}},
		{"a private key is not a public key", func() error {
			_, err := LoadPublicKey(filepath.Join("testdata", "wechat_key.pem"))
			return err
		}},
		{"a key is not a certificate", func() error {
			_, err := LoadCertificate(filepath.Join("testdata", "wechat_pub.pem"))
			return err
		}},
		{"a corrupt PKCS#8 block is refused", func() error {
			_, err := LoadPrivateKey(write("bad.pem", "PRIVATE KEY", []byte("junk")))
			return err
		}},
		{"text without PEM is refused", func() error {
			_, err := ParsePrivateKey([]byte("not pem"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.load(); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error = %v, want ErrInvalidInput", err)
			}
		})
	}
	t.Run("a missing file is fs.ErrNotExist", func(t *testing.T) {
		if _, err := LoadPrivateKey(filepath.Join(dir, "none.pem")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v", err)
		}
	})
}

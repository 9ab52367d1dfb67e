package wxpayv3

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Test identities. The keys in testdata/ were made with openssl for these
// tests only (genpkey RSA 2048; the certificates are self-signed).
const (
	testMchID     = "1900000109"
	testAppID     = "wxd678efh567hg6787"
	testMchSerial = "3775B6A45ACD588826D15E583A95F5DD"
	testPubKeyID  = "PUB_KEY_ID_0119000001092026120200000001"
	testCertSN    = "5157F09EFDC096DE15EBE81A47057A72"
	testAPIv3Key  = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
	testNotifyURL = "https://kiosk.example.com/wxpay/v3/notify"
)

// fixedNow is the manual clock's start: 2026-12-02 13:00:00 +08:00.
var fixedNow = time.Date(2026, 12, 2, 13, 0, 0, 0, beijing)

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *manualClock { return &manualClock{t: fixedNow} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keys holds the test key material, loaded from testdata.
type keys struct {
	merchant     *rsa.PrivateKey
	wechat       *rsa.PrivateKey
	wechatPub    *rsa.PublicKey
	other        *rsa.PrivateKey
	platformCert *x509.Certificate
	merchantCert *x509.Certificate
}

func loadKeys(t testing.TB) keys {
	t.Helper()
	var k keys
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	k.merchant, err = LoadPrivateKey(filepath.Join("testdata", "merchant_key.pem"))
	must(err)
	k.wechat, err = LoadPrivateKey(filepath.Join("testdata", "wechat_key.pem"))
	must(err)
	k.other, err = LoadPrivateKey(filepath.Join("testdata", "other_key.pem"))
	must(err)
	k.wechatPub, err = LoadPublicKey(filepath.Join("testdata", "wechat_pub.pem"))
	must(err)
	k.platformCert, err = LoadCertificate(filepath.Join("testdata", "platform_cert.pem"))
	must(err)
	k.merchantCert, err = LoadCertificate(filepath.Join("testdata", "merchant_cert.pem"))
	must(err)
	return k
}

// rig is a client talking to a loopback fake WeChat built from the
// package's own server-side helpers, all on one manual clock.
type rig struct {
	t        *testing.T
	keys     keys
	clock    *manualClock
	platform Platform
	srv      *httptest.Server
	client   *Client
	// handle answers each request that passed VerifyRequest.
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
	// requests counts every request that reached the server.
	mu       sync.Mutex
	requests int
}

// newRig starts the fake WeChat on port 0 and a client in public-key mode.
func newRig(t *testing.T) *rig {
	t.Helper()
	rg := &rig{t: t, keys: loadKeys(t), clock: newClock()}
	rg.platform = Platform{Serial: testPubKeyID, Key: rg.keys.wechat}
	rg.srv = httptest.NewServer(http.HandlerFunc(rg.serve))
	t.Cleanup(rg.srv.Close)
	rg.client = rg.newClient(NewPublicKeyVerifier(testPubKeyID, rg.keys.wechatPub))
	return rg
}

func (rg *rig) newClient(v Verifier) *Client {
	rg.t.Helper()
	c, err := NewClient(Config{
		MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial,
		PrivateKey: rg.keys.merchant, APIv3Key: testAPIv3Key, Verifier: v,
		BaseURL: rg.srv.URL, HTTPClient: rg.srv.Client(), Now: rg.clock.Now,
	})
	if err != nil {
		rg.t.Fatal(err)
	}
	return c
}

func (rg *rig) count() int {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return rg.requests
}

// serve is the fake WeChat: it checks the merchant's signature as WeChat
// does (401 SIGN_ERROR otherwise) and hands the request to rg.handle.
func (rg *rig) serve(w http.ResponseWriter, r *http.Request) {
	rg.mu.Lock()
	rg.requests++
	h := rg.handle
	rg.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	m := Merchant{MchID: testMchID, Serial: testMchSerial, PublicKey: &rg.keys.merchant.PublicKey}
	if _, err := VerifyRequest(r, body, m, rg.clock.Now()); err != nil {
		rg.fail(w, http.StatusUnauthorized, "SIGN_ERROR", "签名错误")
		return
	}
	if h == nil {
		rg.fail(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "no handler")
		return
	}
	h(w, r, body)
}

// reply writes a signed 2xx answer; v nil means 204 No Content.
func (rg *rig) reply(w http.ResponseWriter, v any) {
	rg.t.Helper()
	w.Header().Set(HeaderRequestID, "08F1A2B3C4D5E6F7")
	if err := rg.platform.WriteReply(w, 0, v, rg.clock.Now()); err != nil {
		rg.t.Error(err)
	}
}

// fail writes an unsigned error answer as WeChat does.
func (rg *rig) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set(HeaderRequestID, "08F1A2B3C4D5E6F7")
	WriteError(w, status, code, msg)
}

func (rg *rig) setHandler(h func(w http.ResponseWriter, r *http.Request, body []byte)) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	rg.handle = h
}

// paidTx is a paid Native transaction for our merchant.
func paidTx() Transaction {
	return Transaction{
		AppID: testAppID, MchID: testMchID, OutTradeNo: "K1-20261202-0007", TransactionID: "4200001234202612021234567890",
		TradeType: "NATIVE", TradeState: TradeSuccess, TradeStateDesc: "支付成功", BankType: "OTHERS",
		Attach: "kiosk-1", SuccessTime: fixedNow.Add(-time.Minute), Total: 1250, PayerTotal: 1200,
		Currency: "CNY", PayerCurrency: "CNY", PayerOpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}

// ctx is a test context.
func ctx(t *testing.T) context.Context { return t.Context() }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}

func errCanceled() error { return context.Canceled }

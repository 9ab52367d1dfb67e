package wxpayv3

// Cross-checks against the official SDK, github.com/wechatpay-apiv3/
// wechatpay-go v0.2.21, a test-only dependency. The SDK reads time.Now
// itself, so these tests run our side on time.Now too (nothing waits).

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/credentials"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// rewrite sends every request to u: the SDK's host is a constant.
type rewrite struct{ u *url.URL }

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.u.Scheme, t.u.Host, t.u.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// sdkWeChat is a fake WeChat made only of our server-side helpers.
func sdkWeChat(t *testing.T, k keys, served *atomic.Int32) *httptest.Server {
	p := Platform{Serial: testPubKeyID, Key: k.wechat}
	m := Merchant{MchID: testMchID, Serial: testMchSerial, PublicKey: &k.merchant.PublicKey}
	reply := func(w http.ResponseWriter, status int, v any) {
		if err := p.WriteReply(w, status, v, time.Now()); err != nil {
			t.Error(err)
		}
	}
	fail := func(w http.ResponseWriter, status int, code string) { WriteError(w, status, code, "test") }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := VerifyRequest(r, body, m, time.Now()); err != nil {
			t.Errorf("the SDK's request was refused: %v", err)
			fail(w, http.StatusUnauthorized, "SIGN_ERROR")
			return
		}
		if got := r.Header.Get(HeaderSerial); got != testPubKeyID {
			t.Errorf("SDK sent Wechatpay-Serial %q", got)
		}
		served.Add(1)
		switch {
		case r.Method == "POST" && r.URL.Path == pathNative:
			var req map[string]any
			if err := json.Unmarshal(body, &req); err != nil || req["mchid"] != testMchID || req["out_trade_no"] != "K1-20261202-0007" {
				t.Errorf("prepay body %s", body)
			}
			reply(w, 200, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=sdk"})
		case r.Method == "GET" && r.URL.Path == pathByOutTrade+"K1-NOTEXIST":
			fail(w, 404, "ORDER_NOT_EXIST")
		case r.Method == "GET" && (r.URL.Path == pathByOutTrade+"K1-20261202-0007" || r.URL.Path == pathByID+paidTx().TransactionID):
			if r.URL.Query().Get("mchid") != testMchID {
				t.Errorf("query without mchid: %s", r.RequestURI)
			}
			tx := paidTx()
			tx.SuccessTime = time.Now().Truncate(time.Second)
			reply(w, 200, tx)
		case r.Method == "POST" && r.URL.Path == pathByOutTrade+"K1-20261202-0007/close":
			reply(w, 204, nil)
		default:
			fail(w, 404, "RESOURCE_NOT_EXISTS")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSDKClientAgainstOurServerHelpers: the official client, in public-key
// mode, completes Native, both queries and close against a WeChat built
// from VerifyRequest and Platform.SignHeaders.
func TestSDKClientAgainstOurServerHelpers(t *testing.T) {
	k := loadKeys(t)
	var served atomic.Int32
	srv := sdkWeChat(t, k, &served)
	u, _ := url.Parse(srv.URL)
	client, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(testMchID, testMchSerial, k.merchant, testPubKeyID, k.wechatPub),
		option.WithHTTPClient(&http.Client{Transport: rewrite{u}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	svc := native.NativeApiService{Client: client}
	ctx := t.Context()

	t.Run("Prepay returns the code_url", func(t *testing.T) {
		resp, _, err := svc.Prepay(ctx, native.PrepayRequest{
			Appid: core.String(testAppID), Mchid: core.String(testMchID), Description: core.String("咖啡"),
			OutTradeNo: core.String("K1-20261202-0007"), NotifyUrl: core.String(testNotifyURL),
			TimeExpire: core.Time(time.Now().Add(5 * time.Minute)),
			Amount:     &native.Amount{Total: core.Int64(1250), Currency: core.String("CNY")},
		})
		if err != nil || resp.CodeUrl == nil || *resp.CodeUrl != "weixin://wxpay/bizpayurl?pr=sdk" {
			t.Fatalf("Prepay = %v, %v", resp, err)
		}
	})
	t.Run("QueryOrderByOutTradeNo parses our Transaction JSON", func(t *testing.T) {
		tx, _, err := svc.QueryOrderByOutTradeNo(ctx, native.QueryOrderByOutTradeNoRequest{
			OutTradeNo: core.String("K1-20261202-0007"), Mchid: core.String(testMchID)})
		if err != nil {
			t.Fatal(err)
		}
		if *tx.TradeState != "SUCCESS" || *tx.Amount.Total != 1250 || *tx.Amount.PayerTotal != 1200 ||
			*tx.Payer.Openid != paidTx().PayerOpenID || *tx.TransactionId != paidTx().TransactionID {
			t.Errorf("transaction = %v", tx)
		}
		if _, err := time.Parse(time.RFC3339, *tx.SuccessTime); err != nil {
			t.Errorf("success_time %q: %v", *tx.SuccessTime, err)
		}
	})
	t.Run("QueryOrderById succeeds", func(t *testing.T) {
		tx, _, err := svc.QueryOrderById(ctx, native.QueryOrderByIdRequest{
			TransactionId: core.String(paidTx().TransactionID), Mchid: core.String(testMchID)})
		if err != nil || *tx.OutTradeNo != "K1-20261202-0007" {
			t.Errorf("QueryOrderById = %v, %v", tx, err)
		}
	})
	t.Run("CloseOrder accepts our signed 204", func(t *testing.T) {
		res, err := svc.CloseOrder(ctx, native.CloseOrderRequest{OutTradeNo: core.String("K1-20261202-0007"), Mchid: core.String(testMchID)})
		if err != nil || res.Response.StatusCode != 204 {
			t.Errorf("CloseOrder = %v", err)
		}
	})
	t.Run("an unknown order is the SDK's APIError with our code", func(t *testing.T) {
		_, _, err := svc.QueryOrderByOutTradeNo(ctx, native.QueryOrderByOutTradeNoRequest{
			OutTradeNo: core.String("K1-NOTEXIST"), Mchid: core.String(testMchID)})
		var ae *core.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != "ORDER_NOT_EXIST" {
			t.Errorf("error = %v", err)
		}
	})
	if served.Load() != 5 {
		t.Errorf("served %d requests, want 5", served.Load())
	}
}

// authRE is the SDK's Authorization format, fields in its order.
var authRE = regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="([0-9A-Za-z]{32})",timestamp="(\d+)",serial_no="([0-9A-F]+)",signature="([A-Za-z0-9+/=]+)"$`)

// TestOurSigningAgainstTheSDK: the SDK's verifier accepts our request
// signatures and our reply signing; our verifier accepts the SDK's.
func TestOurSigningAgainstTheSDK(t *testing.T) {
	k := loadKeys(t)
	ctx := t.Context()
	t.Run("the SDK's verifier accepts our Authorization header", func(t *testing.T) {
		type seen struct {
			auth, method, uri string
			body              []byte
		}
		got := make(chan seen, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- seen{r.Header.Get("Authorization"), r.Method, r.RequestURI, body}
			w.WriteHeader(500)
		}))
		defer srv.Close()
		c, err := NewClient(Config{MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial, PrivateKey: k.merchant,
			APIv3Key: testAPIv3Key, Verifier: NewPublicKeyVerifier(testPubKeyID, k.wechatPub), BaseURL: srv.URL, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.NativePrepay(ctx, NativeOrder{OutTradeNo: "K1-20261202-0007", Description: "咖啡 <x> & y", Total: 1, NotifyURL: testNotifyURL})
		r := <-got
		auth, method, uri, body := r.auth, r.method, r.uri, r.body
		m := authRE.FindStringSubmatch(auth)
		if m == nil {
			t.Fatalf("Authorization %q is not in the SDK's format", auth)
		}
		msg := fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n", method, uri, m[3], m[2], body)
		v := verifiers.NewSHA256WithRSAPubkeyVerifier(testMchSerial, k.merchant.PublicKey)
		if err := v.Verify(ctx, m[4], msg, m[5]); err != nil || m[1] != testMchID {
			t.Errorf("SDK verify: %v", err)
		}
	})
	t.Run("VerifyRequest accepts the SDK's Authorization header", func(t *testing.T) {
		cred := credentials.WechatPayCredentials{Signer: &signers.SHA256WithRSASigner{
			MchID: testMchID, CertificateSerialNo: testMchSerial, PrivateKey: k.merchant}}
		body := `{"mchid":"1900000109"}`
		uri := "/v3/pay/transactions/out-trade-no/K1-20261202-0007/close"
		auth, err := cred.GenerateAuthorizationHeader(ctx, "POST", uri, body)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", uri, strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		if _, err := VerifyRequest(r, []byte(body), Merchant{MchID: testMchID, Serial: testMchSerial, PublicKey: &k.merchant.PublicKey}, time.Now()); err != nil {
			t.Error(err)
		}
	})
	t.Run("the SDK's response validator accepts our reply signing", func(t *testing.T) {
		for _, body := range []string{`{"code_url":"weixin://wxpay/bizpayurl?pr=1"}`, ""} {
			resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
			if err := (Platform{Serial: testPubKeyID, Key: k.wechat}).SignHeaders(resp.Header, []byte(body), time.Now()); err != nil {
				t.Fatal(err)
			}
			val := validators.NewWechatPayResponseValidator(verifiers.NewSHA256WithRSAPubkeyVerifier(testPubKeyID, *k.wechatPub))
			if err := val.Validate(ctx, resp); err != nil {
				t.Errorf("body %q: %v", body, err)
			}
		}
	})
	t.Run("our verifier accepts a reply signed with the SDK's signer", func(t *testing.T) {
		body := []byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=1"}`)
		ts, nonce := time.Now().Unix(), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
		sig, err := utils.SignSHA256WithRSA(fmt.Sprintf("%d\n%s\n%s\n", ts, nonce, body), k.wechat)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(HeaderSerial, testPubKeyID)
		h.Set(HeaderSignature, sig)
		h.Set(HeaderTimestamp, fmt.Sprint(ts))
		h.Set(HeaderNonce, nonce)
		if err := verifySigned(NewPublicKeyVerifier(testPubKeyID, k.wechatPub), h, body, time.Now()); err != nil {
			t.Error(err)
		}
	})
}

// TestNotificationsAgainstTheSDK: the SDK's notify handler parses our
// notifications, and ours parses one signed and sealed the SDK's way.
func TestNotificationsAgainstTheSDK(t *testing.T) {
	k := loadKeys(t)
	ctx := t.Context()
	p := Platform{Serial: testPubKeyID, Key: k.wechat}
	handler, err := notify.NewRSANotifyHandler(testAPIv3Key, verifiers.NewSHA256WithRSAPubkeyVerifier(testPubKeyID, *k.wechatPub))
	if err != nil {
		t.Fatal(err)
	}
	request := func(h http.Header, body []byte) *http.Request {
		r := httptest.NewRequest("POST", "/wxpay/v3/notify", bytes.NewReader(body))
		r.Header = h
		return r
	}
	t.Run("the SDK parses our payment notification", func(t *testing.T) {
		h, body, err := p.TransactionNotification(testAPIv3Key, "EV-SDK-1", paidTx(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tx := new(payments.Transaction)
		n, err := handler.ParseNotifyRequest(ctx, request(h, body), tx)
		if err != nil {
			t.Fatal(err)
		}
		if n.ID != "EV-SDK-1" || n.EventType != EventTransactionSuccess || n.Resource.OriginalType != "transaction" ||
			*tx.OutTradeNo != paidTx().OutTradeNo || *tx.Amount.Total != 1250 || *tx.TradeState != "SUCCESS" {
			t.Errorf("notification %+v, transaction %v", n, tx)
		}
	})
	t.Run("the SDK parses our refund notification", func(t *testing.T) {
		h, body, err := p.RefundNotification(testAPIv3Key, "EV-SDK-2", testRefund(RefundSuccess), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		content := map[string]any{}
		n, err := handler.ParseNotifyRequest(ctx, request(h, body), &content)
		if err != nil {
			t.Fatal(err)
		}
		if n.EventType != EventRefundSuccess || content["refund_status"] != "SUCCESS" || content["out_refund_no"] != "R1-20261202-0001" {
			t.Errorf("notification %+v, content %v", n, content)
		}
	})
	t.Run("the SDK refuses our notification signed by another key", func(t *testing.T) {
		h, body, _ := Platform{Serial: testPubKeyID, Key: k.other}.TransactionNotification(testAPIv3Key, "EV-SDK-3", paidTx(), time.Now())
		if _, err := handler.ParseNotifyRequest(ctx, request(h, body), new(payments.Transaction)); err == nil {
			t.Error("the SDK accepted a forgery")
		}
	})
	t.Run("the SDK's AES helper decrypts our resource", func(t *testing.T) {
		_, body, _ := p.TransactionNotification(testAPIv3Key, "EV-SDK-4", paidTx(), time.Now())
		var e envelope
		_ = json.Unmarshal(body, &e)
		plain, err := utils.DecryptAES256GCM(testAPIv3Key, e.Resource.AssociatedData, e.Resource.Nonce, e.Resource.Ciphertext)
		if err != nil || !strings.Contains(plain, `"out_trade_no":"K1-20261202-0007"`) {
			t.Errorf("DecryptAES256GCM = %q, %v", plain, err)
		}
	})
	t.Run("we parse a notification signed with the SDK's signer", func(t *testing.T) {
		block, _ := aes.NewCipher([]byte(testAPIv3Key))
		g, _ := cipher.NewGCM(block)
		plain, _ := json.Marshal(paidTx())
		nonce := "fdasflkja484"
		body := []byte(`{"id":"EV-SDK-5","create_time":"2026-12-02T13:00:00+08:00","resource_type":"encrypt-resource",` +
			`"event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction",` +
			`"algorithm":"AEAD_AES_256_GCM","ciphertext":"` + base64.StdEncoding.EncodeToString(g.Seal(nil, []byte(nonce), plain, []byte("transaction"))) +
			`","associated_data":"transaction","nonce":"` + nonce + `"}}`)
		ts := time.Now().Unix()
		sig, err := utils.SignSHA256WithRSA(fmt.Sprintf("%d\n%s\n%s\n", ts, "NONCE-SDK-5", body), k.wechat)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(HeaderSerial, testPubKeyID)
		h.Set(HeaderSignature, sig)
		h.Set(HeaderTimestamp, fmt.Sprint(ts))
		h.Set(HeaderNonce, "NONCE-SDK-5")
		n, err := NewNotifier(NewPublicKeyVerifier(testPubKeyID, k.wechatPub), testAPIv3Key, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.Parse(h, body)
		if err != nil || got.Transaction == nil || got.Transaction.Total != 1250 {
			t.Errorf("Parse = %+v, %v", got, err)
		}
	})
}

package wxsim

// Cross-checks of the simulator's API v3 against WeChat's own client,
// github.com/wechatpay-apiv3/wechatpay-go v0.2.21 (a test-only
// dependency), in public-key mode so it downloads no certificates. The SDK
// compares reply and notification timestamps with the real time.Now, so
// every simulator here runs on its default real clock; the 5-minute close
// rule is shortened with TimeScale instead of a manual clock. Nothing
// waits on wall-clock time: notifications arrive on channels.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// sdkRewrite sends every SDK request to the simulator's HTTPS listener:
// the SDK's host is a constant, and its signature covers only the path and
// query, so rewriting scheme and host keeps the request valid.
type sdkRewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t sdkRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.base.Scheme, t.base.Host, t.base.Host
	return t.next.RoundTrip(r2)
}

// sdkClient returns the official client for srv signing with mchKey (the
// simulator's merchant key unless a test wants another), verifying replies
// with the simulated WeChat Pay public key, over TLS trusting only the
// simulator's CA.
func sdkClient(t *testing.T, srv *Server, mchKey *rsa.PrivateKey) *core.Client {
	t.Helper()
	base, err := url.Parse(srv.TLSURL())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.RootCAs(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(srv.MchID(), srv.MerchantSerial(), mchKey,
			srv.WechatPayPublicKeyID(), srv.WechatPayPublicKey()),
		option.WithHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: sdkRewrite{base: base, next: tr}}),
	)
	if err != nil {
		t.Fatalf("core.NewClient: %v", err)
	}
	return c
}

// sdkNote is one notification as the SDK's notify.Handler saw it.
type sdkNote struct {
	path string
	req  *notify.Request
	tx   payments.Transaction // filled for /pay
	rf   map[string]any       // filled for /refund (the SDK has no refund-notice model)
	err  error
}

// sdkMerchant is a merchant notify endpoint that parses and verifies every
// notification with the SDK's RSA notify handler and answers 204 when it
// verifies, 400 otherwise (so a bad notification would be retried).
func sdkMerchant(t *testing.T, srv *Server) (*httptest.Server, <-chan sdkNote) {
	t.Helper()
	h, err := notify.NewRSANotifyHandler(srv.APIv3Key(),
		verifiers.NewSHA256WithRSAPubkeyVerifier(srv.WechatPayPublicKeyID(), *srv.WechatPayPublicKey()))
	if err != nil {
		t.Fatalf("NewRSANotifyHandler: %v", err)
	}
	got := make(chan sdkNote, 16)
	m := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := sdkNote{path: r.URL.Path}
		if r.URL.Path == "/refund" {
			n.req, n.err = h.ParseNotifyRequest(r.Context(), r, &n.rf)
		} else {
			n.req, n.err = h.ParseNotifyRequest(r.Context(), r, &n.tx)
		}
		if n.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"FAIL","message":"verify failed"}`))
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		got <- n
	}))
	t.Cleanup(m.Close)
	return m, got
}

func sdkPrepay(no string, total int64, notifyURL string, srv *Server) native.PrepayRequest {
	return native.PrepayRequest{
		Appid:       core.String(srv.AppID()),
		Mchid:       core.String(srv.MchID()),
		Description: core.String("Saoma测试店-拿铁"),
		OutTradeNo:  core.String(no),
		Attach:      core.String("kiosk-1"),
		NotifyUrl:   core.String(notifyURL),
		TimeExpire:  core.Time(time.Now().Add(30 * time.Minute)),
		Amount:      &native.Amount{Total: core.Int64(total), Currency: core.String("CNY")},
	}
}

// deref reads an SDK optional field, "" / 0 when absent.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// TestSDKNativePayQueryRefundAndNotifications: the official client places
// a Native order, the customer pays it by scanning the code_url, the SDK's
// notify handler verifies and decrypts the payment notification, both
// queries read SUCCESS, and a refund is created and queried through
// refunddomestic with its notification verified the same way.
func TestSDKNativePayQueryRefundAndNotifications(t *testing.T) {
	srv := startSim(t, Config{})
	merchant, notes := sdkMerchant(t, srv)
	client := sdkClient(t, srv, srv.MerchantPrivateKey())
	svc := native.NativeApiService{Client: client}
	const no = "SDK-PAY-0001"

	resp, res, err := svc.Prepay(ctx(), sdkPrepay(no, 1800, merchant.URL+"/pay", srv))
	if err != nil {
		t.Fatalf("Prepay: %v", err)
	}
	if res.Response.StatusCode != http.StatusOK || !strings.HasPrefix(deref(resp.CodeUrl), codeURLPrefix) {
		t.Fatalf("Prepay = HTTP %d, code_url %q", res.Response.StatusCode, deref(resp.CodeUrl))
	}

	tx, _, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
	if err != nil || deref(tx.TradeState) != "NOTPAY" {
		t.Fatalf("query before the scan: %+v, %v", tx, err)
	}

	paid, err := srv.Scan(ctx(), ScanRequest{URL: deref(resp.CodeUrl)})
	if err != nil || paid.TradeState != StateSuccess {
		t.Fatalf("Scan: %+v, %v", paid, err)
	}

	t.Run("the payment notification verifies and decrypts with the SDK's handler", func(t *testing.T) {
		n := recv(t, notes)
		if n.err != nil {
			t.Fatalf("ParseNotifyRequest: %v", n.err)
		}
		if n.path != "/pay" || n.req.EventType != "TRANSACTION.SUCCESS" || n.req.ResourceType != "encrypt-resource" ||
			n.req.Resource.OriginalType != "transaction" || n.req.Resource.AssociatedData != "transaction" || n.req.CreateTime == nil {
			t.Errorf("envelope = %s %+v %+v", n.path, n.req, n.req.Resource)
		}
		got := n.tx
		if deref(got.OutTradeNo) != no || deref(got.TradeState) != "SUCCESS" || got.Amount == nil ||
			deref(got.Amount.Total) != 1800 || deref(got.Amount.PayerTotal) != 1800 || deref(got.Amount.Currency) != "CNY" ||
			deref(got.TransactionId) != paid.TransactionID || deref(got.Mchid) != srv.MchID() || deref(got.Appid) != srv.AppID() ||
			deref(got.TradeType) != "NATIVE" || deref(got.Attach) != "kiosk-1" || got.Payer == nil || deref(got.Payer.Openid) == "" {
			t.Errorf("notified transaction = %s", got)
		}
		if _, err := time.Parse(time.RFC3339, deref(got.SuccessTime)); err != nil {
			t.Errorf("success_time %q: %v", deref(got.SuccessTime), err)
		}
	})

	t.Run("QueryOrderByOutTradeNo reads SUCCESS with the amount and transaction id", func(t *testing.T) {
		tx, res, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
		if err != nil {
			t.Fatalf("QueryOrderByOutTradeNo: %v", err)
		}
		if res.Response.StatusCode != http.StatusOK || deref(tx.TradeState) != "SUCCESS" || tx.Amount == nil ||
			deref(tx.Amount.Total) != 1800 || deref(tx.Amount.PayerTotal) != 1800 || deref(tx.TransactionId) != paid.TransactionID ||
			deref(tx.OutTradeNo) != no || tx.Payer == nil || deref(tx.Payer.Openid) == "" {
			t.Errorf("transaction = %s", tx)
		}
		if _, err := time.Parse(time.RFC3339, deref(tx.SuccessTime)); err != nil {
			t.Errorf("success_time %q: %v", deref(tx.SuccessTime), err)
		}
	})

	t.Run("QueryOrderById finds the same order", func(t *testing.T) {
		tx, _, err := svc.QueryOrderById(ctx(), native.QueryOrderByIdRequest{TransactionId: core.String(paid.TransactionID), Mchid: core.String(srv.MchID())})
		if err != nil || deref(tx.OutTradeNo) != no || deref(tx.TradeState) != "SUCCESS" || deref(tx.Amount.Total) != 1800 {
			t.Errorf("QueryOrderById = %s, %v", tx, err)
		}
	})

	t.Run("an unknown order is an APIError 404 ORDER_NOT_EXIST", func(t *testing.T) {
		_, _, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String("SDK-NOT-EXIST"), Mchid: core.String(srv.MchID())})
		var apiErr *core.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "ORDER_NOT_EXIST" {
			t.Errorf("err = %v", err)
		}
		_, _, err = svc.QueryOrderById(ctx(), native.QueryOrderByIdRequest{TransactionId: core.String("4200000000000000000000000000"), Mchid: core.String(srv.MchID())})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "ORDER_NOT_EXIST" {
			t.Errorf("by id: err = %v", err)
		}
	})

	t.Run("refunddomestic Create and QueryByOutRefundNo, then the refund notification", func(t *testing.T) {
		rs := refunddomestic.RefundsApiService{Client: client}
		rf, res, err := rs.Create(ctx(), refunddomestic.CreateRequest{
			OutTradeNo:  core.String(no),
			OutRefundNo: core.String(no + "-R1"),
			Reason:      core.String("顾客退单"),
			NotifyUrl:   core.String(merchant.URL + "/refund"),
			Amount:      &refunddomestic.AmountReq{Refund: core.Int64(800), Total: core.Int64(1800), Currency: core.String("CNY")},
		})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if res.Response.StatusCode != http.StatusOK || deref(rf.OutRefundNo) != no+"-R1" || deref(rf.RefundId) == "" ||
			deref(rf.OutTradeNo) != no || deref(rf.TransactionId) != paid.TransactionID ||
			deref(rf.Status) != refunddomestic.STATUS_PROCESSING || rf.Amount == nil ||
			deref(rf.Amount.Refund) != 800 || deref(rf.Amount.Total) != 1800 || deref(rf.Amount.Currency) != "CNY" || rf.CreateTime == nil {
			t.Fatalf("Create = %s", rf)
		}

		if n := srv.SettleRefunds(); n != 1 {
			t.Fatalf("SettleRefunds = %d, want 1", n)
		}
		q, _, err := rs.QueryByOutRefundNo(ctx(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(no + "-R1")})
		if err != nil {
			t.Fatalf("QueryByOutRefundNo: %v", err)
		}
		if deref(q.Status) != refunddomestic.STATUS_SUCCESS || deref(q.RefundId) != deref(rf.RefundId) ||
			q.SuccessTime == nil || deref(q.Amount.Refund) != 800 {
			t.Errorf("QueryByOutRefundNo = %s", q)
		}

		n := recv(t, notes)
		if n.err != nil {
			t.Fatalf("refund notification: %v", n.err)
		}
		if n.path != "/refund" || n.req.EventType != "REFUND.SUCCESS" || n.req.Resource.OriginalType != "refund" ||
			n.rf["out_refund_no"] != no+"-R1" || n.rf["refund_status"] != "SUCCESS" || n.rf["refund_id"] != deref(rf.RefundId) {
			t.Errorf("refund notification %s %+v: %v", n.path, n.req, n.rf)
		}

		_, _, err = rs.QueryByOutRefundNo(ctx(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("SDK-NO-SUCH-REFUND")})
		var apiErr *core.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "RESOURCE_NOT_EXISTS" {
			t.Errorf("unknown refund: err = %v", err)
		}
	})

	t.Run("the order reads REFUND after the refund", func(t *testing.T) {
		tx, _, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
		if err != nil || deref(tx.TradeState) != "REFUND" {
			t.Errorf("query = %s, %v", tx, err)
		}
	})
}

// TestSDKCloseOrderAnswers204AndQueryReadsClosed: with TimeScale so large
// that the 5-minute close rule is a few hundred nanoseconds (less than one
// RSA signature takes), the SDK's CloseOrder gets a signed 204 it accepts,
// closing again is still 204, and the order reads CLOSED.
func TestSDKCloseOrderAnswers204AndQueryReadsClosed(t *testing.T) {
	srv := startSim(t, Config{TimeScale: 1e9})
	svc := native.NativeApiService{Client: sdkClient(t, srv, srv.MerchantPrivateKey())}
	const no = "SDK-CLOSE-0001"
	if _, _, err := svc.Prepay(ctx(), sdkPrepay(no, 500, "https://merchant.example/notify", srv)); err != nil {
		t.Fatalf("Prepay: %v", err)
	}
	for i := range 2 {
		res, err := svc.CloseOrder(ctx(), native.CloseOrderRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
		if err != nil || res.Response.StatusCode != http.StatusNoContent {
			t.Fatalf("CloseOrder #%d = %v, %v", i+1, res, err)
		}
	}
	tx, _, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
	if err != nil || deref(tx.TradeState) != "CLOSED" || deref(tx.TransactionId) != "" {
		t.Fatalf("query after close = %s, %v", tx, err)
	}
	_, err = svc.CloseOrder(ctx(), native.CloseOrderRequest{OutTradeNo: core.String("SDK-NOT-EXIST"), Mchid: core.String(srv.MchID())})
	var apiErr *core.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "ORDER_NOT_EXIST" {
		t.Errorf("closing an unknown order: err = %v", err)
	}
}

// TestSDKCloseOrderTooEarlyIsAPIError: at the real time scale a fresh order
// cannot be closed, and the SDK sees the refusal as an APIError.
func TestSDKCloseOrderTooEarlyIsAPIError(t *testing.T) {
	srv := startSim(t, Config{})
	svc := native.NativeApiService{Client: sdkClient(t, srv, srv.MerchantPrivateKey())}
	const no = "SDK-CLOSE-0002"
	if _, _, err := svc.Prepay(ctx(), sdkPrepay(no, 500, "https://merchant.example/notify", srv)); err != nil {
		t.Fatalf("Prepay: %v", err)
	}
	_, err := svc.CloseOrder(ctx(), native.CloseOrderRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
	var apiErr *core.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != ErrCodeCloseTooEarly {
		t.Fatalf("CloseOrder at once: err = %v", err)
	}
	tx, _, err := svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
	if err != nil || deref(tx.TradeState) != "NOTPAY" {
		t.Fatalf("query after the refused close = %s, %v", tx, err)
	}
}

// TestSDKWrongMerchantKeyIsSignError: an SDK signing with an RSA key the
// simulator does not know is answered 401 SIGN_ERROR, which the SDK
// reports as an APIError; nothing is created.
func TestSDKWrongMerchantKeyIsSignError(t *testing.T) {
	srv := startSim(t, Config{})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	svc := native.NativeApiService{Client: sdkClient(t, srv, other)}
	const no = "SDK-BADSIG-0001"
	_, _, err = svc.Prepay(ctx(), sdkPrepay(no, 500, "https://merchant.example/notify", srv))
	var apiErr *core.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "SIGN_ERROR" {
		t.Fatalf("Prepay with another key: err = %v", err)
	}
	_, _, err = svc.QueryOrderByOutTradeNo(ctx(), native.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(srv.MchID())})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "SIGN_ERROR" {
		t.Fatalf("query with another key: err = %v", err)
	}
	if _, ok := srv.Order(no); ok {
		t.Error("a request with a bad signature created an order")
	}
}

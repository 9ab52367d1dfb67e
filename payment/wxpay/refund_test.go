package wxpay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// merchantCert makes a self-signed client certificate for mch_id, like
// WeChat's apiclient_cert, and its PKCS#12 encoding.
func merchantCert(t *testing.T, enc *pkcs12.Encoder, password string) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: testMchID, Organization: []string{"Saoma test merchant"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := enc.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return cert, p12
}

// refundServer is a TLS fake WeChat that requires a client certificate
// issued as trusted.
func refundServer(t *testing.T, trusted *x509.Certificate, answer func(string, Params) Params) (*httptest.Server, *fakeWX) {
	t.Helper()
	f := &fakeWX{t: t, signType: SignMD5, answer: answer}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != testMchID {
			t.Errorf("refund arrived without the merchant certificate")
		}
		f.ServeHTTP(w, r)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(trusted)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected in one test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, f
}

func serverRoots(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

func goodRefund() *RefundRequest {
	return &RefundRequest{OutTradeNo: "K1-0007", OutRefundNo: "K1-0007-R1", TotalFee: 1250, RefundFee: 500, RefundDesc: "退一杯"}
}

func refundOK(path string, req Params) Params {
	if path != "/secapi/pay/refund" {
		return Params{"return_code": "FAIL", "return_msg": "wrong path"}
	}
	return Params{
		"transaction_id": "4200001234202611221234567890", "out_trade_no": req["out_trade_no"],
		"out_refund_no": req["out_refund_no"], "refund_id": "50000408942018111907145868882",
		"refund_fee": req["refund_fee"], "total_fee": req["total_fee"], "cash_fee": req["total_fee"],
	}
}

func TestRefundUsesTheMerchantCertificate(t *testing.T) {
	encoders := []struct {
		name string
		enc  *pkcs12.Encoder
	}{{"Modern", pkcs12.Modern}, {"Legacy", pkcs12.Legacy}}
	for _, e := range encoders {
		t.Run("a "+e.name+" PKCS#12 with the default password (mch_id) is presented over mutual TLS", func(t *testing.T) {
			cert, p12 := merchantCert(t, e.enc, testMchID)
			srv, f := refundServer(t, cert, refundOK)
			c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL,
				CertP12: p12, RootCAs: serverRoots(srv)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Refund(context.Background(), goodRefund())
			if err != nil {
				t.Fatal(err)
			}
			if got.RefundID != "50000408942018111907145868882" || got.RefundFee != 500 || got.TotalFee != 1250 ||
				got.CashFee != 1250 || got.OutRefundNo != "K1-0007-R1" || got.OutTradeNo != "K1-0007" {
				t.Errorf("response = %+v", got)
			}
			req := f.last().p
			if req["out_refund_no"] != "K1-0007-R1" || req["refund_fee"] != "500" || req["total_fee"] != "1250" || req["refund_desc"] != "退一杯" {
				t.Errorf("request = %v", req)
			}
		})
	}
	t.Run("an explicit certificate password is used", func(t *testing.T) {
		cert, p12 := merchantCert(t, pkcs12.Modern, "s3cret")
		srv, _ := refundServer(t, cert, refundOK)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL,
			CertP12: p12, CertPassword: "s3cret", RootCAs: serverRoots(srv)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refund(context.Background(), goodRefund()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a wrong certificate password fails at NewClient", func(t *testing.T) {
		_, p12 := merchantCert(t, pkcs12.Modern, "s3cret")
		_, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, CertP12: p12})
		if !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a refund without a configured certificate fails clearly and sends nothing", func(t *testing.T) {
		cert, _ := merchantCert(t, pkcs12.Modern, testMchID)
		srv, f := refundServer(t, cert, refundOK)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL, RootCAs: serverRoots(srv)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refund(context.Background(), goodRefund()); !errors.Is(err, ErrNoCertificate) {
			t.Fatalf("error = %v, want ErrNoCertificate", err)
		}
		if f.count() != 0 {
			t.Error("a request was sent")
		}
	})
	t.Run("a certificate the server does not trust fails the TLS handshake", func(t *testing.T) {
		trusted, _ := merchantCert(t, pkcs12.Modern, testMchID)
		_, other := merchantCert(t, pkcs12.Modern, testMchID)
		srv, _ := refundServer(t, trusted, refundOK)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL,
			CertP12: other, RootCAs: serverRoots(srv)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refund(context.Background(), goodRefund()); !errors.Is(err, ErrTransport) {
			t.Fatalf("error = %v, want ErrTransport", err)
		}
	})
}

func TestRefundErrCodes(t *testing.T) {
	tests := []struct {
		errCode   string
		sentinel  error
		retryable bool
	}{
		{"SYSTEMERROR", ErrSystem, true},
		{"BIZERR_NEED_RETRY", ErrBizNeedRetry, true},
		{"TRADE_OVERDUE", nil, false},
		{"ERROR", nil, false},
		{"USER_ACCOUNT_ABNORMAL", nil, false},
		{"INVALID_REQ_TOO_MUCH", nil, true},
		{"NOTENOUGH", ErrNotEnough, false},
		{"INVALID_TRANSACTIONID", nil, false},
		{"PARAM_ERROR", nil, false},
		{"APPID_NOT_EXIST", nil, false},
		{"MCHID_NOT_EXIST", nil, false},
		{"ORDERNOTEXIST", ErrOrderNotExist, false},
		{"REQUIRE_POST_METHOD", nil, false},
		{"SIGNERROR", ErrSignError, false},
		{"XML_FORMAT_ERROR", nil, false},
		{"FREQUENCY_LIMITED", nil, true},
	}
	cert, p12 := merchantCert(t, pkcs12.Modern, testMchID)
	for _, tt := range tests {
		name := tt.errCode + " is not retryable"
		if tt.retryable {
			name = tt.errCode + " is retryable"
		}
		t.Run(name, func(t *testing.T) {
			srv, _ := refundServer(t, cert, func(string, Params) Params {
				return Params{"result_code": "FAIL", "err_code": tt.errCode, "err_code_des": "x"}
			})
			c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL, CertP12: p12, RootCAs: serverRoots(srv)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Refund(context.Background(), goodRefund())
			var we *Error
			if !errors.As(err, &we) || we.ErrCode != tt.errCode || we.API != "/secapi/pay/refund" {
				t.Fatalf("error = %v", err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("not %v", tt.sentinel)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v", !tt.retryable)
			}
		})
	}
}

func TestRefundRejectsBadInputBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *RefundRequest)
	}{
		{"a refund without an order reference is refused", func(r *RefundRequest) { r.OutTradeNo = "" }},
		{"a missing out_refund_no is refused", func(r *RefundRequest) { r.OutRefundNo = "" }},
		{"an out_refund_no with a space is refused", func(r *RefundRequest) { r.OutRefundNo = "R 1" }},
		{"a zero refund_fee is refused", func(r *RefundRequest) { r.RefundFee = 0 }},
		{"a refund_fee above total_fee is refused", func(r *RefundRequest) { r.RefundFee = 1251 }},
		{"a zero total_fee is refused", func(r *RefundRequest) { r.TotalFee = 0 }},
		{"a refund_desc of 81 bytes is refused", func(r *RefundRequest) { r.RefundDesc = string(make([]byte, 81)) }},
		{"a refund notify_url with a query is refused", func(r *RefundRequest) { r.NotifyURL = "https://relay.example.com/r?k=1" }},
	}
	cert, p12 := merchantCert(t, pkcs12.Modern, testMchID)
	srv, f := refundServer(t, cert, refundOK)
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL, CertP12: p12, RootCAs: serverRoots(srv)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRefund()
			tt.edit(r)
			if _, err := c.Refund(context.Background(), r); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
		})
	}
	if f.count() != 0 {
		t.Errorf("%d requests were sent", f.count())
	}
}

func TestRefundQuery(t *testing.T) {
	answer := func(path string, req Params) Params {
		if path != "/pay/refundquery" {
			t.Errorf("path %s", path)
		}
		return Params{
			"transaction_id": "4200001234202611221234567890", "out_trade_no": "K1-0007",
			"total_fee": "1250", "cash_fee": "1250", "refund_count": "2", "total_refund_count": "12",
			"out_refund_no_0": "K1-0007-R1", "refund_id_0": "5001", "refund_channel_0": "ORIGINAL",
			"refund_fee_0": "500", "refund_status_0": "SUCCESS", "refund_recv_accout_0": "支付用户的零钱",
			"refund_success_time_0": "2026-11-22 18:20:05",
			"out_refund_no_1":       "K1-0007-R2", "refund_id_1": "5002", "refund_fee_1": "100",
			"refund_status_1": "PROCESSING",
		}
	}
	t.Run("refunds are listed with amounts and times", func(t *testing.T) {
		c, f := newFake(t, SignMD5, answer)
		got, err := c.RefundQuery(context.Background(), RefundQueryRequest{OutTradeNo: "K1-0007", Offset: 10})
		if err != nil {
			t.Fatal(err)
		}
		if req := f.last().p; req["out_trade_no"] != "K1-0007" || req["offset"] != "10" {
			t.Errorf("request = %v", req)
		}
		if got.TotalRefundCount != 12 || got.TotalFee != 1250 || got.CashFee != 1250 || len(got.Refunds) != 2 {
			t.Fatalf("response = %+v", got)
		}
		r0, r1 := got.Refunds[0], got.Refunds[1]
		wantTime := time.Date(2026, 11, 22, 18, 20, 5, 0, Shanghai())
		if r0.OutRefundNo != "K1-0007-R1" || r0.RefundFee != 500 || r0.RefundStatus != "SUCCESS" ||
			r0.RefundRecvAccount != "支付用户的零钱" || r0.RefundChannel != "ORIGINAL" || !r0.SuccessTime.Equal(wantTime) {
			t.Errorf("refund 0 = %+v", r0)
		}
		if r1.RefundID != "5002" || r1.RefundFee != 100 || r1.RefundStatus != "PROCESSING" || !r1.SuccessTime.IsZero() {
			t.Errorf("refund 1 = %+v", r1)
		}
	})
	t.Run("the lookup priority is refund_id first", func(t *testing.T) {
		c, f := newFake(t, SignMD5, answer)
		if _, err := c.RefundQuery(context.Background(), RefundQueryRequest{RefundID: "5001", OutRefundNo: "K1-0007-R1", OutTradeNo: "K1-0007"}); err != nil {
			t.Fatal(err)
		}
		if req := f.last().p; req["refund_id"] != "5001" || req["out_refund_no"] != "" || req["out_trade_no"] != "" {
			t.Errorf("request = %v", req)
		}
	})
	tests := []struct {
		name   string
		answer Params
		want   error
	}{
		{"REFUNDNOTEXIST is ErrRefundNotExist", Params{"result_code": "FAIL", "err_code": "REFUNDNOTEXIST"}, ErrRefundNotExist},
		{"SYSTEMERROR is ErrSystem", Params{"result_code": "FAIL", "err_code": "SYSTEMERROR"}, ErrSystem},
		{"a refund_count larger than the listed refunds is refused", Params{"refund_count": "1"}, ErrBadMessage},
		{"a missing refund_count is refused", Params{"total_fee": "1"}, ErrBadMessage},
		{"an absurd refund_count is refused", Params{"refund_count": "100000000"}, ErrBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params { return tt.answer })
			if _, err := c.RefundQuery(context.Background(), RefundQueryRequest{OutRefundNo: "K1-0007-R1"}); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("an empty query or negative offset is refused before sending", func(t *testing.T) {
		c, f := newFake(t, SignMD5, answer)
		for _, r := range []RefundQueryRequest{{}, {OutTradeNo: "K1-0007", Offset: -1}} {
			if _, err := c.RefundQuery(context.Background(), r); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%+v: error = %v", r, err)
			}
		}
		if f.count() != 0 {
			t.Error("a request was sent")
		}
	})
}

func TestRefundReplyChecks(t *testing.T) {
	cert, p12 := merchantCert(t, pkcs12.Modern, testMchID)
	tests := []struct {
		name   string
		answer func(string, Params) Params
		want   error
	}{
		{"a refund reply signed with another key is ErrSignature", func(p string, r Params) Params {
			a := refundOK(p, r)
			a["sign"] = signWrongK
			return a
		}, ErrSignature},
		{"a refund reply without sign is ErrSignature", func(p string, r Params) Params {
			a := refundOK(p, r)
			a["sign"] = signOmit
			return a
		}, ErrSignature},
		{"a refund protocol FAIL is ErrProtocol", func(string, Params) Params {
			return Params{"return_code": "FAIL", "return_msg": "证书错误"}
		}, ErrProtocol},
		{"a refund reply for another out_refund_no is ErrBadMessage", func(p string, r Params) Params {
			a := refundOK(p, r)
			a["out_refund_no"] = "OTHER"
			return a
		}, ErrBadMessage},
		{"a refund reply without refund_id is ErrBadMessage", func(p string, r Params) Params {
			a := refundOK(p, r)
			delete(a, "refund_id")
			return a
		}, ErrBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := refundServer(t, cert, tt.answer)
			c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL, CertP12: p12, RootCAs: serverRoots(srv)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Refund(context.Background(), goodRefund()); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

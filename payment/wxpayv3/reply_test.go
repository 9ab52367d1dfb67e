package wxpayv3

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRepliesAreVerified: a 2xx reply is only believed with a valid, fresh
// WeChat signature from a key the verifier holds.
func TestRepliesAreVerified(t *testing.T) {
	rg := newRig(t)
	tx := paidTx()
	txBody, _ := json.Marshal(tx)
	signed := func(p Platform, body []byte, at time.Time) http.Header {
		h := http.Header{}
		if err := p.SignHeaders(h, body, at); err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name   string
		header func() http.Header // nil: no Wechatpay-* headers
		body   []byte
		want   []error // nil: success
	}{
		{"a reply signed now is accepted", func() http.Header { return signed(rg.platform, txBody, fixedNow) }, txBody, nil},
		{"a reply signed 4m59s ago is accepted", func() http.Header { return signed(rg.platform, txBody, fixedNow.Add(-299*time.Second)) }, txBody, nil},
		{"a reply signed 4m59s ahead is accepted", func() http.Header { return signed(rg.platform, txBody, fixedNow.Add(299*time.Second)) }, txBody, nil},
		{"a reply signed 5 minutes ago is stale", func() http.Header { return signed(rg.platform, txBody, fixedNow.Add(-5*time.Minute)) }, txBody, []error{ErrStale}},
		{"a reply signed 5 minutes ahead is stale", func() http.Header { return signed(rg.platform, txBody, fixedNow.Add(5*time.Minute)) }, txBody, []error{ErrStale}},
		{"a reply without signature headers is refused", func() http.Header { return http.Header{} }, txBody, []error{ErrSignature}},
		{"a reply signed by another key is forged", func() http.Header {
			return signed(Platform{Serial: testPubKeyID, Key: rg.keys.other}, txBody, fixedNow)
		}, txBody, []error{ErrSignature}},
		{"a reply naming another serial is refused as unknown", func() http.Header {
			return signed(Platform{Serial: "PUB_KEY_ID_OTHER", Key: rg.keys.wechat}, txBody, fixedNow)
		}, txBody, []error{ErrSignature, ErrUnknownSerial}},
		{"a reply whose body was altered after signing is refused", func() http.Header { return signed(rg.platform, txBody, fixedNow) },
			[]byte(strings.Replace(string(txBody), `"total":1250`, `"total":1`, 1)), []error{ErrSignature}},
		{"a reply with a non-numeric timestamp is refused", func() http.Header {
			h := signed(rg.platform, txBody, fixedNow)
			h.Set(HeaderTimestamp, "soon")
			return h
		}, txBody, []error{ErrSignature}},
		{"a reply with a signature that is not base64 is refused", func() http.Header {
			h := signed(rg.platform, txBody, fixedNow)
			h.Set(HeaderSignature, "!!!")
			return h
		}, txBody, []error{ErrSignature}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header()
			rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
				for k, v := range h {
					w.Header()[k] = v
				}
				_, _ = w.Write(tt.body)
			})
			got, err := rg.client.QueryByOutTradeNo(ctx(t), tx.OutTradeNo)
			if tt.want == nil {
				if err != nil || got.Total != 1250 {
					t.Errorf("got %+v, %v", got, err)
				}
				return
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error = %v, want %v", err, w)
				}
			}
			if got != nil {
				t.Error("a refused reply returned a transaction")
			}
		})
	}
	t.Run("an unsigned 204 is refused", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
		if err := rg.client.CloseOrder(ctx(t), tx.OutTradeNo); !errors.Is(err, ErrSignature) {
			t.Errorf("error = %v, want ErrSignature", err)
		}
	})
	t.Run("a 204 signed over a non-empty body is refused", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			_ = rg.platform.SignHeaders(w.Header(), []byte("{}"), rg.clock.Now())
			w.WriteHeader(http.StatusNoContent)
		})
		if err := rg.client.CloseOrder(ctx(t), tx.OutTradeNo); !errors.Is(err, ErrSignature) {
			t.Errorf("error = %v, want ErrSignature", err)
		}
	})
	t.Run("a moved client clock makes a fresh reply stale", func(t *testing.T) {
		// The server signs at the clock's time; the client judges it
		// against its own clock, 10 minutes ahead.
		ahead := newClock()
		ahead.Advance(10 * time.Minute)
		c, err := NewClient(Config{MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial, PrivateKey: rg.keys.merchant,
			APIv3Key: testAPIv3Key, Verifier: NewPublicKeyVerifier(testPubKeyID, rg.keys.wechatPub), BaseURL: rg.srv.URL, Now: ahead.Now})
		if err != nil {
			t.Fatal(err)
		}
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) { rg.reply(w, paidTx()) })
		// The server refuses our request as stale first (401 SIGN_ERROR):
		// WeChat checks our timestamp too.
		if _, err := c.QueryByOutTradeNo(ctx(t), tx.OutTradeNo); !errors.Is(err, ErrSignError) {
			t.Errorf("error = %v, want ErrSignError", err)
		}
	})
	t.Run("the reply's mchid must be ours", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			other := paidTx()
			other.MchID = "1900000999"
			rg.reply(w, other)
		})
		if _, err := rg.client.QueryByOutTradeNo(ctx(t), tx.OutTradeNo); !errors.Is(err, ErrBadMessage) {
			t.Errorf("error = %v, want ErrBadMessage", err)
		}
	})
	t.Run("a signed reply with an unknown trade_state is ErrBadMessage", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			rg.reply(w, map[string]any{"mchid": testMchID, "appid": testAppID, "out_trade_no": tx.OutTradeNo, "trade_state": "MAYBE"})
		})
		if _, err := rg.client.QueryByOutTradeNo(ctx(t), tx.OutTradeNo); !errors.Is(err, ErrBadMessage) {
			t.Errorf("error = %v, want ErrBadMessage", err)
		}
	})
	t.Run("a signed reply that is not JSON is ErrBadMessage", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			body := []byte("<xml>SECRET-BODY</xml>")
			_ = rg.platform.SignHeaders(w.Header(), body, rg.clock.Now())
			_, _ = w.Write(body)
		})
		_, err := rg.client.QueryByOutTradeNo(ctx(t), tx.OutTradeNo)
		if !errors.Is(err, ErrBadMessage) || strings.Contains(err.Error(), "SECRET-BODY") {
			t.Errorf("error = %v, want ErrBadMessage without the body", err)
		}
	})
}

// TestVerifiersModes: the same reply signing works with platform
// certificates (by serial) and with the combined verifier in both modes.
func TestVerifierModes(t *testing.T) {
	rg := newRig(t)
	certPlatform := Platform{Serial: testCertSN, Key: rg.keys.wechat}
	tests := []struct {
		name     string
		verifier Verifier
		signer   Platform
		wantErr  error
	}{
		{"a certificate verifier accepts the certificate's serial", NewCertificateVerifier(rg.keys.platformCert), certPlatform, nil},
		{"a certificate verifier refuses the public key id", NewCertificateVerifier(rg.keys.platformCert), rg.platform, ErrUnknownSerial},
		{"a public key verifier refuses a certificate serial", NewPublicKeyVerifier(testPubKeyID, rg.keys.wechatPub), certPlatform, ErrUnknownSerial},
		{"a combined verifier accepts the public key id", NewCombinedVerifier(testPubKeyID, rg.keys.wechatPub, rg.keys.platformCert), rg.platform, nil},
		{"a combined verifier accepts a certificate serial", NewCombinedVerifier(testPubKeyID, rg.keys.wechatPub, rg.keys.platformCert), certPlatform, nil},
		{"a combined verifier refuses another key under a known serial", NewCombinedVerifier(testPubKeyID, rg.keys.wechatPub, rg.keys.platformCert),
			Platform{Serial: testCertSN, Key: rg.keys.other}, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rg.newClient(tt.verifier)
			rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if got := r.Header.Get(HeaderSerial); got != tt.verifier.Serial() {
					t.Errorf("Wechatpay-Serial = %q, want %q", got, tt.verifier.Serial())
				}
				body, _ := json.Marshal(paidTx())
				_ = tt.signer.SignHeaders(w.Header(), body, rg.clock.Now())
				_, _ = w.Write(body)
			})
			_, err := c.QueryByOutTradeNo(ctx(t), paidTx().OutTradeNo)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("serials are the uppercase hex of the certificate serial", func(t *testing.T) {
		if got := CertificateSerial(rg.keys.platformCert); got != testCertSN {
			t.Errorf("CertificateSerial = %s", got)
		}
		if got := CertificateSerial(rg.keys.merchantCert); got != testMchSerial {
			t.Errorf("merchant serial = %s", got)
		}
		if got := NewCombinedVerifier(testPubKeyID, rg.keys.wechatPub, rg.keys.platformCert).Serial(); got != testPubKeyID {
			t.Errorf("combined Serial = %s, want the public key id", got)
		}
	})
}

// TestErrorRepliesAreTyped: a non-2xx reply is an *Error, matched by code.
func TestErrorRepliesAreTyped(t *testing.T) {
	rg := newRig(t)
	tests := []struct {
		name      string
		status    int
		body      string
		sentinel  error
		code      string
		retryable bool
	}{
		{"404 ORDER_NOT_EXIST is ErrOrderNotExist", 404, `{"code":"ORDER_NOT_EXIST","message":"订单不存在"}`, ErrOrderNotExist, "ORDER_NOT_EXIST", false},
		{"400 ORDER_CLOSED is ErrOrderClosed", 400, `{"code":"ORDER_CLOSED","message":"订单已关闭"}`, ErrOrderClosed, "ORDER_CLOSED", false},
		{"400 PARAM_ERROR is ErrParam", 400, `{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"/amount/total"}}`, ErrParam, "PARAM_ERROR", false},
		{"400 INVALID_REQUEST is ErrInvalidRequest", 400, `{"code":"INVALID_REQUEST","message":"201 商户订单号重复"}`, ErrInvalidRequest, "INVALID_REQUEST", false},
		{"401 SIGN_ERROR is ErrSignError", 401, `{"code":"SIGN_ERROR","message":"签名错误"}`, ErrSignError, "SIGN_ERROR", false},
		{"403 NOT_ENOUGH is ErrNotEnough", 403, `{"code":"NOT_ENOUGH","message":"基本账户余额不足"}`, ErrNotEnough, "NOT_ENOUGH", false},
		{"404 RESOURCE_NOT_EXISTS is ErrResourceNotExists", 404, `{"code":"RESOURCE_NOT_EXISTS","message":"退款单不存在"}`, ErrResourceNotExists, "RESOURCE_NOT_EXISTS", false},
		{"429 FREQUENCY_LIMITED is retryable", 429, `{"code":"FREQUENCY_LIMITED","message":"频率超限"}`, ErrFrequencyLimited, "FREQUENCY_LIMITED", true},
		{"500 SYSTEM_ERROR is retryable", 500, `{"code":"SYSTEM_ERROR","message":"系统错误"}`, ErrSystem, "SYSTEM_ERROR", true},
		{"502 from a proxy without JSON is a retryable *Error", 502, `<html>Bad Gateway SECRET-BODY</html>`, &Error{StatusCode: 502}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.Header().Set(HeaderRequestID, "REQ-1")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := rg.client.QueryByOutTradeNo(ctx(t), "K1-20261202-0007")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if e.StatusCode != tt.status || e.Code != tt.code || e.RequestID != "REQ-1" || e.API == "" {
				t.Errorf("*Error = %+v", e)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if errors.Is(err, ErrOrderPaid) && tt.code != "ORDERPAID" {
				t.Error("matches an unrelated sentinel")
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", IsRetryable(err), tt.retryable)
			}
			if strings.Contains(err.Error(), "SECRET-BODY") || strings.Contains(err.Error(), `"detail"`) {
				t.Errorf("error text carries the body: %v", err)
			}
		})
	}
	t.Run("TradeBill of a day without transactions is ErrNoStatement", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			rg.fail(w, 400, "NO_STATEMENT_EXIST", "要查询的对账单不存在")
		})
		if _, err := rg.client.FetchTradeBill(ctx(t), "2026-12-01"); !errors.Is(err, ErrNoStatement) || IsRetryable(err) {
			t.Errorf("error = %v, want ErrNoStatement, not retryable", err)
		}
	})
	t.Run("WeChat's message is clipped", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			rg.fail(w, 400, "PARAM_ERROR", strings.Repeat("长", 1000))
		})
		_, err := rg.client.QueryByOutTradeNo(ctx(t), "K1-20261202-0007")
		if len([]rune(err.Error())) > 300 {
			t.Errorf("error text is %d runes", len([]rune(err.Error())))
		}
	})
}

func TestBillDownloadChecks(t *testing.T) {
	rg := newRig(t)
	rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if strings.HasPrefix(r.URL.Path, "/v3/bill/tradebill") {
			rg.reply(w, map[string]string{"hash_type": "SHA1", "hash_value": "0000000000000000000000000000000000000000",
				"download_url": rg.srv.URL + "/v3/billdownload/file?token=t"})
			return
		}
		_, _ = w.Write([]byte("a tampered bill"))
	})
	if _, err := rg.client.FetchTradeBill(ctx(t), "2026-12-01"); !errors.Is(err, ErrBillHash) {
		t.Errorf("a bill not matching its hash: error = %v, want ErrBillHash", err)
	}
	_, err := rg.client.DownloadBill(ctx(t), &BillInfo{HashType: "MD5", HashValue: "00", DownloadURL: rg.srv.URL + "/v3/billdownload/file?token=t"})
	if !errors.Is(err, ErrBadMessage) {
		t.Errorf("an MD5 hash type: error = %v, want ErrBadMessage", err)
	}
}

// TestTransportErrorsCarryNoBody: when the exchange breaks, the error is
// ErrTransport (or ErrTooLarge) and never quotes what arrived.
func TestTransportErrorsCarryNoBody(t *testing.T) {
	const secret = "SECRET-BODY-4200001234"
	tests := []struct {
		name  string
		serve func(conn net.Conn)
		want  error
	}{
		{"a connection closed mid-body is ErrTransport", func(conn net.Conn) {
			_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"out_trade_no\":\"" + secret))
		}, ErrTransport},
		{"a connection closed before any reply is ErrTransport", func(conn net.Conn) {}, ErrTransport},
		{"a garbage status line is ErrTransport", func(conn net.Conn) {
			_, _ = conn.Write([]byte(secret + "\r\n\r\n"))
		}, ErrTransport},
		{"a reply over MaxReplySize is ErrTooLarge", func(conn net.Conn) {
			n := MaxReplySize + 10
			_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n" + secret + strings.Repeat("x", n-len(secret))))
		}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				// Read the request head before answering.
				br := bufio.NewReader(conn)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				tt.serve(conn)
			}()
			k := loadKeys(t)
			c, err := NewClient(Config{MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial, PrivateKey: k.merchant,
				APIv3Key: testAPIv3Key, Verifier: NewPublicKeyVerifier(testPubKeyID, k.wechatPub),
				BaseURL: "http://" + ln.Addr().String(), Now: newClock().Now})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.QueryByOutTradeNo(ctx(t), "K1-20261202-0007")
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), testAPIv3Key)) {
				t.Errorf("error text carries the body or a key: %v", err)
			}
		})
	}
	t.Run("a cancelled context is ErrTransport and context.Canceled", func(t *testing.T) {
		rg := newRig(t)
		cctx, cancel := contextWithCancel(t)
		cancel()
		_, err := rg.client.QueryByOutTradeNo(cctx, "K1-20261202-0007")
		if !errors.Is(err, ErrTransport) || !errors.Is(err, errCanceled()) {
			t.Errorf("error = %v", err)
		}
	})
}

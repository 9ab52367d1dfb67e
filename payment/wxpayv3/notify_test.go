package wxpayv3

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestNotifier returns a Notifier in public-key mode on clock.
func newTestNotifier(t testing.TB, k keys, clock *manualClock) *Notifier {
	t.Helper()
	n, err := NewNotifier(NewPublicKeyVerifier(testPubKeyID, k.wechatPub), testAPIv3Key, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testRefund(status RefundStatus) Refund {
	r := Refund{
		MchID: testMchID, RefundID: "50000000382019052709732678859", OutRefundNo: "R1-20261202-0001",
		TransactionID: "4200001234202612021234567890", OutTradeNo: "K1-20261202-0007", Channel: "ORIGINAL",
		UserReceivedAccount: "支付用户零钱", Status: status, CreateTime: fixedNow.Add(-time.Minute),
		Refund: 500, Total: 1250, PayerRefund: 500, PayerTotal: 1200,
	}
	if status == RefundSuccess {
		r.SuccessTime = fixedNow
	}
	return r
}

func TestNotificationsAreVerifiedAndDecrypted(t *testing.T) {
	k := loadKeys(t)
	clock := newClock()
	n := newTestNotifier(t, k, clock)
	p := Platform{Serial: testPubKeyID, Key: k.wechat}

	t.Run("a payment notification yields the paid transaction", func(t *testing.T) {
		h, body, err := p.TransactionNotification(testAPIv3Key, "EV-2018-0001", paidTx(), fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.Parse(h, body)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "EV-2018-0001" || got.EventType != EventTransactionSuccess || got.Summary != "支付成功" ||
			!got.CreateTime.Equal(fixedNow) || got.Refund != nil || got.Transaction == nil {
			t.Fatalf("notification = %+v", got)
		}
		if tx := *got.Transaction; tx.OutTradeNo != "K1-20261202-0007" || tx.Total != 1250 || tx.PayerTotal != 1200 ||
			tx.PayerOpenID == "" || !tx.SuccessTime.Equal(paidTx().SuccessTime) || tx.Attach != "kiosk-1" {
			t.Errorf("transaction = %+v", tx)
		}
	})
	for _, st := range []RefundStatus{RefundSuccess, RefundAbnormal, RefundClosed} {
		t.Run("a refund notification "+string(st)+" yields the refund", func(t *testing.T) {
			h, body, err := p.RefundNotification(testAPIv3Key, "EV-R-"+string(st), testRefund(st), fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			got, err := n.Parse(h, body)
			if err != nil {
				t.Fatal(err)
			}
			if got.EventType != "REFUND."+string(st) || got.Refund == nil || got.Transaction != nil {
				t.Fatalf("notification = %+v", got)
			}
			if r := got.Refund; r.Status != st || r.OutRefundNo != "R1-20261202-0001" || r.Refund != 500 || r.MchID != testMchID ||
				r.SuccessTime.IsZero() != (st != RefundSuccess) {
				t.Errorf("refund = %+v", r)
			}
		})
	}
	t.Run("a PROCESSING refund cannot be notified", func(t *testing.T) {
		if _, _, err := p.RefundNotification(testAPIv3Key, "x", testRefund(RefundProcessing), fixedNow); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("error = %v", err)
		}
	})

	h0, body0, err := p.TransactionNotification(testAPIv3Key, "EV-1", paidTx(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	// resign re-signs a modified body with WeChat's real key, so that
	// only the layer under test can catch the fault.
	resign := func(body []byte) (http.Header, []byte) {
		h := http.Header{}
		if err := p.SignHeaders(h, body, fixedNow); err != nil {
			t.Fatal(err)
		}
		return h, body
	}
	// envelopeWith returns body0's envelope changed by edit, re-signed.
	envelopeWith := func(edit func(e *envelope)) (http.Header, []byte) {
		var e envelope
		if err := json.Unmarshal(body0, &e); err != nil {
			t.Fatal(err)
		}
		edit(&e)
		b, _ := json.Marshal(e)
		return resign(b)
	}
	// sealed encrypts plain as a transaction resource, re-signed.
	sealed := func(event string, plain []byte) (http.Header, []byte) {
		return envelopeWith(func(e *envelope) {
			block, _ := aes.NewCipher([]byte(testAPIv3Key))
			g, _ := cipher.NewGCM(block)
			e.EventType = event
			e.Resource.Ciphertext = base64.StdEncoding.EncodeToString(g.Seal(nil, []byte(e.Resource.Nonce), plain, []byte(e.Resource.AssociatedData)))
		})
	}
	wrongKey, err := NewNotifier(NewPublicKeyVerifier(testPubKeyID, k.wechatPub), strings.Repeat("k", 32), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input func() (http.Header, []byte)
		n     *Notifier
		want  []error
	}{
		{"a body altered after signing is ErrSignature", func() (http.Header, []byte) {
			return h0, []byte(strings.Replace(string(body0), "EV-1", "EV-2", 1))
		}, n, []error{ErrSignature}},
		{"headers without a signature are ErrSignature", func() (http.Header, []byte) {
			h := h0.Clone()
			h.Del(HeaderSignature)
			return h, body0
		}, n, []error{ErrSignature}},
		{"another signature type is refused", func() (http.Header, []byte) {
			h := h0.Clone()
			h.Set(HeaderSignatureType, "WECHATPAY2-SM2-WITH-SM3")
			return h, body0
		}, n, []error{ErrSignature}},
		{"an absent signature type means RSA", func() (http.Header, []byte) {
			h := h0.Clone()
			h.Del(HeaderSignatureType)
			return h, body0
		}, n, nil},
		{"a notification signed by another key is ErrSignature", func() (http.Header, []byte) {
			h := http.Header{}
			_ = Platform{Serial: testPubKeyID, Key: k.other}.SignHeaders(h, body0, fixedNow)
			return h, body0
		}, n, []error{ErrSignature}},
		{"a notification naming another serial is ErrUnknownSerial", func() (http.Header, []byte) {
			h := http.Header{}
			_ = Platform{Serial: "PUB_KEY_ID_X", Key: k.wechat}.SignHeaders(h, body0, fixedNow)
			return h, body0
		}, n, []error{ErrSignature, ErrUnknownSerial}},
		{"a notification signed 5 minutes ago is ErrStale", func() (http.Header, []byte) {
			h := http.Header{}
			_ = p.SignHeaders(h, body0, fixedNow.Add(-5*time.Minute))
			return h, body0
		}, n, []error{ErrStale}},
		{"a body over MaxNotificationSize is ErrTooLarge", func() (http.Header, []byte) {
			return resign([]byte(`{"id":"` + strings.Repeat("x", MaxNotificationSize) + `"}`))
		}, n, []error{ErrTooLarge}},
		{"a wrong APIv3 key is ErrDecrypt", func() (http.Header, []byte) { return h0, body0 },
			wrongKey,
			[]error{ErrDecrypt}},
		{"a tampered ciphertext is ErrDecrypt", func() (http.Header, []byte) {
			return envelopeWith(func(e *envelope) {
				c, _ := base64.StdEncoding.DecodeString(e.Resource.Ciphertext)
				c[3] ^= 1
				e.Resource.Ciphertext = base64.StdEncoding.EncodeToString(c)
			})
		}, n, []error{ErrDecrypt}},
		{"changed associated data is ErrDecrypt", func() (http.Header, []byte) {
			return envelopeWith(func(e *envelope) { e.Resource.AssociatedData = "refund" })
		}, n, []error{ErrDecrypt}},
		{"another algorithm is ErrBadMessage", func() (http.Header, []byte) {
			return envelopeWith(func(e *envelope) { e.Resource.Algorithm = "AEAD_SM4_GCM" })
		}, n, []error{ErrBadMessage}},
		{"a nonce of 16 bytes is ErrBadMessage", func() (http.Header, []byte) {
			return envelopeWith(func(e *envelope) { e.Resource.Nonce = "0123456789abcdef" })
		}, n, []error{ErrBadMessage}},
		{"an unknown event type is ErrBadMessage", func() (http.Header, []byte) {
			return envelopeWith(func(e *envelope) { e.EventType = "TRANSACTION.MAYBE" })
		}, n, []error{ErrBadMessage}},
		{"a signed body that is not JSON is ErrBadMessage", func() (http.Header, []byte) {
			return resign([]byte("<xml/>"))
		}, n, []error{ErrBadMessage}},
		{"a TRANSACTION.SUCCESS carrying an unpaid order is ErrBadMessage", func() (http.Header, []byte) {
			return sealed(EventTransactionSuccess, []byte(`{"mchid":"1900000109","out_trade_no":"K1-20261202-0007","trade_state":"NOTPAY"}`))
		}, n, []error{ErrBadMessage}},
		{"a REFUND.SUCCESS carrying an ABNORMAL refund is ErrBadMessage", func() (http.Header, []byte) {
			b, _ := json.Marshal(testRefund(RefundAbnormal).wire(true))
			return sealed(EventRefundSuccess, b)
		}, n, []error{ErrBadMessage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := tt.input()
			got, err := tt.n.Parse(h, body)
			if tt.want == nil {
				if err != nil || got.Transaction == nil {
					t.Errorf("Parse = %+v, %v", got, err)
				}
				return
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error = %v, want %v", err, w)
				}
			}
			if got != nil {
				t.Error("a refused notification was returned")
			}
			if err != nil && strings.Contains(err.Error(), testAPIv3Key) {
				t.Error("error text carries the APIv3 key")
			}
		})
	}
}

func TestClientParseNotificationChecksTheAddressee(t *testing.T) {
	rg := newRig(t)
	tests := []struct {
		name string
		edit func(tx *Transaction)
		ok   bool
	}{
		{"our payment is accepted", func(tx *Transaction) {}, true},
		{"another merchant's payment is ErrBadMessage", func(tx *Transaction) { tx.MchID = "1900000999" }, false},
		{"another appid's payment is ErrBadMessage", func(tx *Transaction) { tx.AppID = "wx0000000000000000" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := paidTx()
			tt.edit(&tx)
			h, body, err := rg.platform.TransactionNotification(testAPIv3Key, "EV-9", tx, rg.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, err = rg.client.ParseNotification(h, body)
			if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, ErrBadMessage) {
				t.Errorf("error = %v", err)
			}
		})
	}
	t.Run("another merchant's refund is ErrBadMessage", func(t *testing.T) {
		r := testRefund(RefundSuccess)
		r.MchID = "1900000999"
		h, body, _ := rg.platform.RefundNotification(testAPIv3Key, "EV-10", r, rg.clock.Now())
		if _, err := rg.client.ParseNotification(h, body); !errors.Is(err, ErrBadMessage) {
			t.Errorf("error = %v", err)
		}
	})
}

// TestVerifyNotificationNeedsNoSecret: a relay holding only WeChat's
// public key tells real notifications from forgeries.
func TestVerifyNotificationNeedsNoSecret(t *testing.T) {
	k := loadKeys(t)
	v := NewPublicKeyVerifier(testPubKeyID, k.wechatPub)
	h, body, err := Platform{Serial: testPubKeyID, Key: k.wechat}.TransactionNotification(testAPIv3Key, "EV-1", paidTx(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyNotification(v, h, body, fixedNow.Add(time.Minute)); err != nil {
		t.Errorf("a real notification: %v", err)
	}
	forged := http.Header{}
	_ = Platform{Serial: testPubKeyID, Key: k.other}.SignHeaders(forged, body, fixedNow)
	if err := VerifyNotification(v, forged, body, fixedNow); !errors.Is(err, ErrSignature) {
		t.Errorf("a forgery: error = %v, want ErrSignature", err)
	}
	if err := VerifyNotification(v, h, body, fixedNow.Add(6*time.Minute)); !errors.Is(err, ErrStale) {
		t.Errorf("a replay 6 minutes later: error = %v, want ErrStale", err)
	}
}

func TestNotifyReplies(t *testing.T) {
	t.Run("success is 204 with no body", func(t *testing.T) {
		w := httptest.NewRecorder()
		WriteNotifyOK(w)
		if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
			t.Errorf("reply %d %q", w.Code, w.Body)
		}
	})
	tests := []struct {
		name   string
		status int
		want   int
	}{
		{"a 500 failure keeps its status", 500, 500},
		{"a 400 failure keeps its status", 400, 400},
		{"a 200 'failure' becomes 500 so that WeChat retries", 200, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteNotifyFail(w, tt.status, "订单不存在")
			var got map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != tt.want ||
				got["code"] != "FAIL" || got["message"] != "订单不存在" || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("reply %d %q (%v)", w.Code, w.Body, err)
			}
		})
	}
}

func TestNewNotifierValidates(t *testing.T) {
	k := loadKeys(t)
	if _, err := NewNotifier(nil, testAPIv3Key, nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("no verifier: %v", err)
	}
	if _, err := NewNotifier(NewPublicKeyVerifier(testPubKeyID, k.wechatPub), "short", nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short key: %v", err)
	}
}

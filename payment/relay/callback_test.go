package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// callbackBody is a mode-1 callback as WeChat sends it, signed with key.
func callbackBody(key, productID string) []byte {
	p := wxpay.Params{
		"appid":        wxsim.DemoAppID,
		"mch_id":       wxsim.DemoMchID,
		"openid":       "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"is_subscribe": "N",
		"nonce_str":    "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"product_id":   productID,
	}
	p["sign"] = p.Sign(key, wxpay.SignMD5)
	return p.EncodeXML()
}

// TestMode1AndPaymentEndToEnd runs the whole WeChat ↔ relay ↔ kiosk path
// against the simulator: a customer scans a static product QR, WeChat calls
// the relay's callback URL, the kiosk places a unified order and answers
// through the relay, the customer pays, and the payment notification comes
// back to the kiosk through the relay.
func TestMode1AndPaymentEndToEnd(t *testing.T) {
	tr := startRelay(t, nil)
	sim, err := wxsim.Start(wxsim.Config{CallbackURL: tr.URL + "/wxpay/native-callback/k1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	pay, err := wxpay.NewClient(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	kc := startClient(t, tr.URL, tokenK1, func(c *ClientConfig) {
		c.OnNativeCallback = func(ctx context.Context, body []byte) []byte {
			cb, err := wxpay.ParseNativeCallback(body, sim.Key()) // the kiosk verifies itself
			if err != nil {
				t.Errorf("kiosk: callback: %v", err)
				return nil
			}
			uo, err := pay.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "扫码 kiosk test", OutTradeNo: "M1-0001", TotalFee: 1500, SpbillCreateIP: "127.0.0.1",
				NotifyURL: tr.URL + "/wxpay/notify/k1", ProductID: cb.ProductID, OpenID: cb.OpenID,
			})
			if err != nil {
				t.Errorf("kiosk: unified order: %v", err)
				return wxpay.NativeCallbackFail(pay.AppID(), pay.MchID(), sim.Key(), "下单失败")
			}
			return wxpay.NativeCallbackReply(pay.AppID(), pay.MchID(), sim.Key(), uo.PrepayID)
		}
	})
	kc.waitLink(t, true)
	res, err := sim.Scan(context.Background(), wxsim.ScanRequest{URL: wxpay.BizPayURL(sim.AppID(), sim.MchID(), sim.Key(), "P1003", time.Now())})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if res.TradeState != wxsim.StateSuccess {
		t.Fatalf("trade state %s", res.TradeState)
	}
	n, err := wxpay.ParseNotification([]byte(kc.next(t)), sim.Key())
	if err != nil {
		t.Fatalf("the kiosk cannot verify what the relay delivered: %v", err)
	}
	if n.OutTradeNo != "M1-0001" || n.TransactionID != res.TransactionID || n.TotalFee != 1500 {
		t.Errorf("notification = %+v", n)
	}
	if got := metricValue(t, tr.URL, `saoma_relay_callbacks_total{result="ok"}`); got != "1" {
		t.Errorf("callbacks ok = %s", got)
	}
}

func TestMode1Failures(t *testing.T) {
	tests := []struct {
		name       string
		kiosk      string
		body       []byte
		answer     func(ctx context.Context, body []byte) []byte // nil: kiosk offline
		wantStatus int
		signed     bool   // the FAIL is signed by the relay (it holds the key)
		result     string // callbacks_total label, or "" for a refused request
		reason     string // rejected_total label for refused requests
	}{
		{
			name: "kiosk offline: a signed FAIL for the customer", kiosk: "k1",
			body: callbackBody(wxsim.DemoKey, "P1"), wantStatus: http.StatusOK, signed: true, result: callbackOffline,
		},
		{
			name: "kiosk late: a signed FAIL after the deadline", kiosk: "k1",
			body:   callbackBody(wxsim.DemoKey, "P1"),
			answer: func(ctx context.Context, _ []byte) []byte { <-ctx.Done(); return nil },
			signed: true, wantStatus: http.StatusOK, result: callbackTimeout,
		},
		{
			name: "kiosk answers garbage: a signed FAIL", kiosk: "k1",
			body:   callbackBody(wxsim.DemoKey, "P1"),
			answer: func(context.Context, []byte) []byte { return []byte("not xml") },
			signed: true, wantStatus: http.StatusOK, result: callbackBadReply,
		},
		{
			name: "kiosk answers with the wrong key: a signed FAIL", kiosk: "k1",
			body: callbackBody(wxsim.DemoKey, "P1"),
			answer: func(context.Context, []byte) []byte {
				return wxpay.NativeCallbackReply(wxsim.DemoAppID, wxsim.DemoMchID, "wrongKey0123456789abcdefABCDEFGH", "wx201410272009395522657a690389285100")
			},
			signed: true, wantStatus: http.StatusOK, result: callbackBadReply,
		},
		{
			name: "keyless kiosk offline: an unsigned FAIL", kiosk: "k2",
			body: callbackBody("someMerchantKey0123456789abcdefA", "P1"), wantStatus: http.StatusOK, result: callbackOffline,
		},
		{
			name: "forged callback is refused", kiosk: "k1",
			body: callbackBody("forgedKey0123456789abcdefABCDEFG", "P1"), wantStatus: http.StatusForbidden, reason: reasonSignature,
		},
		{
			name: "DOCTYPE callback is refused", kiosk: "k2",
			body: []byte(`<!DOCTYPE x [<!ENTITY e "x">]><xml><appid>&e;</appid></xml>`), wantStatus: http.StatusBadRequest, reason: reasonDoctype,
		},
		{
			name: "callback for an unknown kiosk is refused", kiosk: "k9",
			body: callbackBody(wxsim.DemoKey, "P1"), wantStatus: http.StatusNotFound, reason: reasonUnknownKiosk,
		},
	}
	const cbTimeout = 4 * time.Second // on the fake clock
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := startRelay(t, func(c *ServerConfig) { c.CallbackTimeout, c.clock = cbTimeout, clock })
			if tc.answer != nil {
				token := tokenK1
				if tc.kiosk == "k2" {
					token = tokenK2
				}
				kc := startClient(t, tr.URL, token, func(c *ClientConfig) { c.OnNativeCallback = tc.answer })
				kc.waitLink(t, true)
			}
			type answer struct {
				status int
				reply  string
				err    error
			}
			answered := make(chan answer, 1)
			go func() {
				resp, err := http.Post(tr.URL+"/wxpay/native-callback/"+tc.kiosk, "text/xml", bytes.NewReader(tc.body))
				if err != nil {
					answered <- answer{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				answered <- answer{resp.StatusCode, string(b), err}
			}()
			if tc.result == callbackTimeout {
				clock.waitTimer(t, cbTimeout) // the relay waits for the kiosk
				clock.advance(cbTimeout)
			}
			a := <-answered
			if a.err != nil {
				t.Fatal(a.err)
			}
			status, reply := a.status, a.reply
			if status != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", status, tc.wantStatus, reply)
			}
			key := wxsim.DemoKey
			if !tc.signed {
				key = "keyTheRelayDoesNotHave0123456789"
			}
			_, err := wxpay.ParseNativeCallbackReply([]byte(reply), key)
			var we *wxpay.Error
			if !errors.As(err, &we) {
				t.Fatalf("reply %s: %v, want a FAIL WeChat understands", reply, err)
			}
			if tc.signed && we.ErrCodeDes != customerRetryMsg {
				t.Errorf("customer sees %q, want %q", we.ErrCodeDes, customerRetryMsg)
			}
			if !tc.signed && we.ReturnCode != "FAIL" {
				t.Errorf("unsigned reply should be return_code FAIL: %+v", we)
			}
			if tc.result != "" {
				if got := metricValue(t, tr.URL, `saoma_relay_callbacks_total{result="`+tc.result+`"}`); got != "1" {
					t.Errorf("callbacks{%s} = %s, want 1", tc.result, got)
				}
			}
			if tc.reason != "" {
				if got := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="`+tc.reason+`"}`); got != "1" {
					t.Errorf("rejected{%s} = %s, want 1", tc.reason, got)
				}
			}
		})
	}
}

package wxsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"saoma/payment/wxpay"
)

// mode1Merchant is a merchant's 支付回调URL: it verifies WeChat's callback,
// places a unified order for the scanned product and answers with its
// prepay_id. productFor may substitute another product (a misbehaving
// merchant).
func mode1Merchant(t *testing.T, key string, c **wxpay.Client, notifyURL string, productFor func(string) string, callbacks chan<- *wxpay.NativeCallback) *httptest.Server {
	t.Helper()
	var seq atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := wxpay.ParseNativeCallback(body, key)
		if err != nil {
			t.Errorf("callback: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		callbacks <- cb
		req := order("M1-"+string(rune('0'+seq.Add(1))), 1500, notifyURL)
		req.ProductID = productFor(cb.ProductID)
		req.OpenID = cb.OpenID
		uo, err := (*c).UnifiedOrder(r.Context(), req)
		if err != nil {
			t.Errorf("unified order in callback: %v", err)
			return
		}
		_, _ = w.Write(wxpay.NativeCallbackReply((*c).AppID(), (*c).MchID(), key, uo.PrepayID))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMode1EndToEnd(t *testing.T) {
	m := newMerchant(t, ackAll)
	callbacks := make(chan *wxpay.NativeCallback, 4)
	var c *wxpay.Client
	same := func(p string) string { return p }
	cbSrv := mode1Merchant(t, DemoKey, &c, m.URL, same, callbacks)
	srv := startSim(t, Config{CallbackURL: cbSrv.URL})
	c = newClient(t, srv, wxpay.SignMD5, nil)

	long := wxpay.BizPayURL(srv.AppID(), srv.MchID(), srv.Key(), "P1003", t0)
	short, err := c.ShortURL(ctx(), long)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url string }{
		{"scanning the signed bizpayurl pays through the merchant callback", long},
		{"scanning its short link does the same", short},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := srv.Scan(ctx(), ScanRequest{URL: tc.url, OpenID: "oTestCustomer0000000000000001"})
			if err != nil {
				t.Fatal(err)
			}
			cb := recv(t, callbacks)
			if cb.ProductID != "P1003" || cb.OpenID != "oTestCustomer0000000000000001" {
				t.Errorf("callback = %+v", cb)
			}
			if res.TradeState != StateSuccess {
				t.Errorf("result = %+v", res)
			}
			n, err := wxpay.ParseNotification(recv(t, m.got), srv.Key())
			if err != nil || n.OutTradeNo != res.OutTradeNo || n.OpenID != "oTestCustomer0000000000000001" {
				t.Fatalf("notification %+v, %v", n, err)
			}
		})
	}
	t.Run("a bizpayurl with a bad signature is refused before any callback", func(t *testing.T) {
		bad := wxpay.BizPayURL(srv.AppID(), srv.MchID(), "0123456789abcdef0123456789abcdef", "P1003", t0)
		if _, err := srv.Scan(ctx(), ScanRequest{URL: bad}); !isScanStatus(err, 400) {
			t.Fatalf("error = %v, want 400", err)
		}
		select {
		case cb := <-callbacks:
			t.Fatalf("callback made for a forged QR: %+v", cb)
		default:
		}
	})
}

func TestMode1RefusesAPrepayForAnotherProduct(t *testing.T) {
	callbacks := make(chan *wxpay.NativeCallback, 4)
	var c *wxpay.Client
	other := func(string) string { return "P9999" }
	cbSrv := mode1Merchant(t, DemoKey, &c, "http://127.0.0.1:1/n", other, callbacks)
	srv := startSim(t, Config{CallbackURL: cbSrv.URL})
	c = newClient(t, srv, wxpay.SignMD5, nil)
	_, err := srv.Scan(ctx(), ScanRequest{URL: wxpay.BizPayURL(srv.AppID(), srv.MchID(), srv.Key(), "P1003", t0)})
	if !isScanStatus(err, http.StatusBadGateway) {
		t.Fatalf("error = %v, want 502", err)
	}
	recv(t, callbacks)
}

func TestMode1RefusesAnUnsignedReply(t *testing.T) {
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(wxpay.Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": DemoAppID, "mch_id": DemoMchID, "prepay_id": "wx1", "nonce_str": "x"}.EncodeXML())
	}))
	t.Cleanup(cbSrv.Close)
	srv := startSim(t, Config{CallbackURL: cbSrv.URL})
	_, err := srv.Scan(ctx(), ScanRequest{URL: wxpay.BizPayURL(srv.AppID(), srv.MchID(), srv.Key(), "P1", t0)})
	if !isScanStatus(err, http.StatusBadGateway) {
		t.Fatalf("error = %v, want 502", err)
	}
}

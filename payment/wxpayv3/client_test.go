package wxpayv3

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewClientValidatesConfig(t *testing.T) {
	k := loadKeys(t)
	base := Config{
		MchID: testMchID, AppID: testAppID, MchSerial: testMchSerial, PrivateKey: k.merchant,
		APIv3Key: testAPIv3Key, Verifier: NewPublicKeyVerifier(testPubKeyID, k.wechatPub),
	}
	tests := []struct {
		name string
		edit func(c *Config)
	}{
		{"a missing MchID is refused", func(c *Config) { c.MchID = "" }},
		{"a missing AppID is refused", func(c *Config) { c.AppID = "" }},
		{"a missing MchSerial is refused", func(c *Config) { c.MchSerial = "" }},
		{"a missing private key is refused", func(c *Config) { c.PrivateKey = nil }},
		{"a missing verifier is refused", func(c *Config) { c.Verifier = nil }},
		{"an APIv3 key of 31 bytes is refused", func(c *Config) { c.APIv3Key = testAPIv3Key[1:] }},
		{"a relative BaseURL is refused", func(c *Config) { c.BaseURL = "api.mch.weixin.qq.com" }},
		{"an ftp BaseURL is refused", func(c *Config) { c.BaseURL = "ftp://api.mch.weixin.qq.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			_, err := NewClient(cfg)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
			if err != nil && strings.Contains(err.Error(), testAPIv3Key[1:]) {
				t.Error("error text carries the APIv3 key")
			}
		})
	}
	t.Run("defaults are the production host, a timeout and our user agent", func(t *testing.T) {
		c, err := NewClient(base)
		if err != nil {
			t.Fatal(err)
		}
		if c.baseURL != DefaultBaseURL || c.hc.Timeout != DefaultTimeout || c.ua != DefaultUserAgent {
			t.Errorf("defaults: base %s, timeout %v, ua %s", c.baseURL, c.hc.Timeout, c.ua)
		}
		if c.MchID() != testMchID || c.AppID() != testAppID {
			t.Errorf("MchID/AppID = %s/%s", c.MchID(), c.AppID())
		}
	})
}

// TestCallsRoundTrip drives every call against the fake WeChat, which
// checks our signature with VerifyRequest and the exact wire request.
func TestCallsRoundTrip(t *testing.T) {
	rg := newRig(t)
	tx := paidTx()
	refund := Refund{
		RefundID: "50000000382019052709732678859", OutRefundNo: "R1-20261202-0001", TransactionID: tx.TransactionID,
		OutTradeNo: tx.OutTradeNo, Channel: "ORIGINAL", UserReceivedAccount: "招商银行信用卡0403",
		Status: RefundProcessing, CreateTime: fixedNow, Refund: 500, Total: 1250, PayerRefund: 500, PayerTotal: 1200, Currency: "CNY",
	}
	bill := []byte("交易时间,公众账号ID,商户号\n`2026-12-01 10:00:00,`wxd678efh567hg6787,`1900000109\n")
	billSum := sha1.Sum(bill)

	type want struct {
		method, uri string
		body        map[string]any // nil: no body
	}
	tests := []struct {
		name   string
		want   want
		answer func(rg *rig, w http.ResponseWriter)
		call   func(t *testing.T, c *Client)
	}{
		{"NativePrepay posts the order and returns code_url",
			want{"POST", "/v3/pay/transactions/native", map[string]any{
				"appid": testAppID, "mchid": testMchID, "description": "Saoma 咖啡 x2", "out_trade_no": "K1-20261202-0007",
				"time_expire": "2026-12-02T13:05:00+08:00", "attach": "kiosk-1", "notify_url": testNotifyURL,
				"amount": map[string]any{"total": float64(1250), "currency": "CNY"}}},
			func(rg *rig, w http.ResponseWriter) {
				rg.reply(w, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
			},
			func(t *testing.T, c *Client) {
				got, err := c.NativePrepay(ctx(t), NativeOrder{
					OutTradeNo: "K1-20261202-0007", Description: "Saoma 咖啡 x2", Total: 1250,
					TimeExpire: fixedNow.Add(5 * time.Minute).UTC(), Attach: "kiosk-1", NotifyURL: testNotifyURL,
				})
				if err != nil || got != "weixin://wxpay/bizpayurl?pr=p4lpSuKzz" {
					t.Errorf("NativePrepay = %q, %v", got, err)
				}
			}},
		{"QueryByOutTradeNo gets the order and parses every field",
			want{"GET", "/v3/pay/transactions/out-trade-no/K1-20261202-0007?mchid=1900000109", nil},
			func(rg *rig, w http.ResponseWriter) { rg.reply(w, tx) },
			func(t *testing.T, c *Client) {
				got, err := c.QueryByOutTradeNo(ctx(t), tx.OutTradeNo)
				if err != nil {
					t.Fatal(err)
				}
				if !got.SuccessTime.Equal(tx.SuccessTime) {
					t.Errorf("success_time = %v, want %v", got.SuccessTime, tx.SuccessTime)
				}
				got.SuccessTime = tx.SuccessTime
				if !reflect.DeepEqual(*got, tx) {
					t.Errorf("got %+v\nwant %+v", *got, tx)
				}
			}},
		{"QueryByTransactionID gets the order by WeChat's id",
			want{"GET", "/v3/pay/transactions/id/4200001234202612021234567890?mchid=1900000109", nil},
			func(rg *rig, w http.ResponseWriter) { rg.reply(w, tx) },
			func(t *testing.T, c *Client) {
				got, err := c.QueryByTransactionID(ctx(t), tx.TransactionID)
				if err != nil || got.TradeState != TradeSuccess || got.PayerTotal != 1200 {
					t.Errorf("QueryByTransactionID = %+v, %v", got, err)
				}
			}},
		{"CloseOrder posts mchid and accepts a signed 204",
			want{"POST", "/v3/pay/transactions/out-trade-no/K1-20261202-0007/close", map[string]any{"mchid": testMchID}},
			func(rg *rig, w http.ResponseWriter) { rg.reply(w, nil) },
			func(t *testing.T, c *Client) {
				if err := c.CloseOrder(ctx(t), tx.OutTradeNo); err != nil {
					t.Error(err)
				}
			}},
		{"Refund posts the refund and returns WeChat's record",
			want{"POST", "/v3/refund/domestic/refunds", map[string]any{
				"out_trade_no": tx.OutTradeNo, "out_refund_no": "R1-20261202-0001", "reason": "顾客取消",
				"notify_url": testNotifyURL, "amount": map[string]any{"refund": float64(500), "total": float64(1250), "currency": "CNY"}}},
			func(rg *rig, w http.ResponseWriter) { rg.reply(w, refund) },
			func(t *testing.T, c *Client) {
				got, err := c.Refund(ctx(t), RefundRequest{
					OutTradeNo: tx.OutTradeNo, OutRefundNo: "R1-20261202-0001", Reason: "顾客取消",
					NotifyURL: testNotifyURL, Refund: 500, Total: 1250,
				})
				if err != nil {
					t.Fatal(err)
				}
				got.CreateTime = refund.CreateTime
				if !reflect.DeepEqual(*got, refund) {
					t.Errorf("got %+v\nwant %+v", *got, refund)
				}
			}},
		{"QueryRefund gets the refund by our number",
			want{"GET", "/v3/refund/domestic/refunds/R1-20261202-0001", nil},
			func(rg *rig, w http.ResponseWriter) {
				r := refund
				r.Status, r.SuccessTime = RefundSuccess, fixedNow
				rg.reply(w, r)
			},
			func(t *testing.T, c *Client) {
				got, err := c.QueryRefund(ctx(t), "R1-20261202-0001")
				if err != nil || got.Status != RefundSuccess || !got.SuccessTime.Equal(fixedNow) || got.Refund != 500 {
					t.Errorf("QueryRefund = %+v, %v", got, err)
				}
			}},
		{"TradeBill asks for the day's ALL bill",
			want{"GET", "/v3/bill/tradebill?bill_date=2026-12-01&bill_type=ALL", nil},
			func(rg *rig, w http.ResponseWriter) {
				rg.reply(w, map[string]string{"hash_type": "SHA1", "hash_value": hex.EncodeToString(billSum[:]),
					"download_url": rg.srv.URL + "/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO"})
			},
			func(t *testing.T, c *Client) {
				got, err := c.TradeBill(ctx(t), "2026-12-01")
				if err != nil || got.HashType != "SHA1" || !strings.HasPrefix(got.DownloadURL, "http://127.0.0.1") {
					t.Errorf("TradeBill = %+v, %v", got, err)
				}
			}},
		{"DownloadBill fetches the file with a signed GET and checks its SHA1",
			want{"GET", "/v3/billdownload/file?token=abc", nil},
			func(rg *rig, w http.ResponseWriter) { _, _ = w.Write(bill) }, // not signed, as WeChat
			func(t *testing.T, c *Client) {
				got, err := c.DownloadBill(ctx(t), &BillInfo{HashType: "SHA1", HashValue: strings.ToUpper(hex.EncodeToString(billSum[:])),
					DownloadURL: rg.srv.URL + "/v3/billdownload/file?token=abc"})
				if err != nil || string(got) != string(bill) {
					t.Errorf("DownloadBill = %q, %v", got, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen atomic.Bool
			rg.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
				seen.Store(true)
				if r.Method != tt.want.method || r.RequestURI != tt.want.uri {
					t.Errorf("request %s %s, want %s %s", r.Method, r.RequestURI, tt.want.method, tt.want.uri)
				}
				checkHeaders(t, r)
				if tt.want.body == nil {
					if len(body) != 0 {
						t.Errorf("body = %q, want none", body)
					}
				} else {
					var got map[string]any
					if err := json.Unmarshal(body, &got); err != nil || !reflect.DeepEqual(got, tt.want.body) {
						t.Errorf("body = %s (%v)\nwant %v", body, err, tt.want.body)
					}
				}
				tt.answer(rg, w)
			})
			tt.call(t, rg.client)
			if !seen.Load() {
				t.Error("the request never reached the handler (signature refused?)")
			}
		})
	}
}

// checkHeaders checks the headers every request must carry.
func checkHeaders(t *testing.T, r *http.Request) {
	t.Helper()
	for k, want := range map[string]string{
		HeaderSerial: testPubKeyID, "Accept": "application/json",
		"Content-Type": "application/json", "User-Agent": DefaultUserAgent,
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil || a.MchID != testMchID || a.Serial != testMchSerial || len(a.Nonce) != 32 || a.Timestamp != fixedNow.Unix() {
		t.Errorf("Authorization = %+v, %v", a, err)
	}
}

func TestNativePrepayWithoutTimeExpireOmitsIt(t *testing.T) {
	rg := newRig(t)
	rg.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.Contains(string(body), "time_expire") || strings.Contains(string(body), "attach") {
			t.Errorf("body %s carries an empty optional field", body)
		}
		rg.reply(w, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=x"})
	})
	if _, err := rg.client.NativePrepay(ctx(t), NativeOrder{OutTradeNo: "K1000001", Description: "x", Total: 1, NotifyURL: testNotifyURL}); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidInputIsRefusedBeforeSending(t *testing.T) {
	rg := newRig(t)
	good := NativeOrder{OutTradeNo: "K1-20261202-0007", Description: "咖啡", Total: 100, NotifyURL: testNotifyURL}
	goodRefund := RefundRequest{OutTradeNo: good.OutTradeNo, OutRefundNo: "R1", Refund: 100, Total: 100}
	native := func(edit func(o *NativeOrder)) func(c *Client) error {
		return func(c *Client) error {
			o := good
			edit(&o)
			_, err := c.NativePrepay(ctx(t), o)
			return err
		}
	}
	refund := func(edit func(r *RefundRequest)) func(c *Client) error {
		return func(c *Client) error {
			r := goodRefund
			edit(&r)
			_, err := c.Refund(ctx(t), r)
			return err
		}
	}
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"an out_trade_no of 5 characters", native(func(o *NativeOrder) { o.OutTradeNo = "K1234" })},
		{"an out_trade_no with a slash", native(func(o *NativeOrder) { o.OutTradeNo = "K1/../x0" })},
		{"an out_trade_no of 33 characters", native(func(o *NativeOrder) { o.OutTradeNo = strings.Repeat("K", 33) })},
		{"an empty description", native(func(o *NativeOrder) { o.Description = "" })},
		{"a description of 128 bytes", native(func(o *NativeOrder) { o.Description = strings.Repeat("d", 128) })},
		{"a zero total", native(func(o *NativeOrder) { o.Total = 0 })},
		{"an attach of 129 bytes", native(func(o *NativeOrder) { o.Attach = strings.Repeat("a", 129) })},
		{"a time_expire in the past", native(func(o *NativeOrder) { o.TimeExpire = fixedNow.Add(-time.Second) })},
		{"a relative notify_url", native(func(o *NativeOrder) { o.NotifyURL = "/notify" })},
		{"a notify_url with a query", native(func(o *NativeOrder) { o.NotifyURL = testNotifyURL + "?k=1" })},
		{"a query with an empty out_trade_no", func(c *Client) error { _, err := c.QueryByOutTradeNo(ctx(t), ""); return err }},
		{"a query with a non-numeric-safe transaction id", func(c *Client) error { _, err := c.QueryByTransactionID(ctx(t), "42/00"); return err }},
		{"a close of a bad out_trade_no", func(c *Client) error { return c.CloseOrder(ctx(t), "K1?x=1") }},
		{"a refund naming no order", refund(func(r *RefundRequest) { r.OutTradeNo = "" })},
		{"a refund above the total", refund(func(r *RefundRequest) { r.Refund = 101 })},
		{"a zero refund", refund(func(r *RefundRequest) { r.Refund = 0 })},
		{"a refund without out_refund_no", refund(func(r *RefundRequest) { r.OutRefundNo = "" })},
		{"a refund with a bad notify_url", refund(func(r *RefundRequest) { r.NotifyURL = "ftp://x/y" })},
		{"a refund query with a bad number", func(c *Client) error { _, err := c.QueryRefund(ctx(t), "R 1"); return err }},
		{"a bill date that is not YYYY-MM-DD", func(c *Client) error { _, err := c.TradeBill(ctx(t), "20261201"); return err }},
		{"a bill download from another host", func(c *Client) error {
			_, err := c.DownloadBill(ctx(t), &BillInfo{HashValue: "00", DownloadURL: "https://evil.example.com/v3/billdownload/file?token=x"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is ErrInvalidInput", func(t *testing.T) {
			before := rg.count()
			if err := tt.call(rg.client); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error = %v, want ErrInvalidInput", err)
			}
			if rg.count() != before {
				t.Error("the request was sent")
			}
		})
	}
}

// TestOrderNumbersWithSymbolsAreEscapedAndSigned: '|', '*' and '@' are
// legal in order numbers; they are escaped once, and the signature covers
// the URI as sent.
func TestOrderNumbersWithSymbolsAreEscapedAndSigned(t *testing.T) {
	rg := newRig(t)
	var (
		mu    sync.Mutex
		paths []string
	)
	rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, pathRefunds):
			rf := Refund{OutRefundNo: "R|1*2@3", Status: RefundProcessing}
			rg.reply(w, rf)
		case strings.HasSuffix(r.URL.Path, "/close"):
			rg.reply(w, nil)
		default:
			tx := paidTx()
			tx.OutTradeNo = "K1|a*b-_"
			rg.reply(w, tx)
		}
	})
	if _, err := rg.client.QueryByOutTradeNo(ctx(t), "K1|a*b-_"); err != nil {
		t.Error(err)
	}
	if err := rg.client.CloseOrder(ctx(t), "K1|a*b-_"); err != nil {
		t.Error(err)
	}
	if _, err := rg.client.QueryRefund(ctx(t), "R|1*2@3"); err != nil {
		t.Error(err)
	}
	want := []string{pathByOutTrade + "K1|a*b-_", pathByOutTrade + "K1|a*b-_/close", pathRefunds + "/R|1*2@3"}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("decoded paths %q, want %q", paths, want)
	}
}

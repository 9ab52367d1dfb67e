package wxsim

import (
	"bytes"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

func TestUnifiedOrderThenPayThenQuery(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignMD5, wxpay.SignHMACSHA256} {
		t.Run("signed with "+string(st), func(t *testing.T) {
			srv := startSim(t, Config{})
			m := newMerchant(t, ackAll)
			c := newClient(t, srv, st, nil)
			uo, err := c.UnifiedOrder(ctx(), order("K1-0001", 1250, m.URL+"/notify"))
			if err != nil {
				t.Fatalf("UnifiedOrder: %v", err)
			}
			if !regexp.MustCompile(`^weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{7}$`).MatchString(uo.CodeURL) {
				t.Errorf("code_url = %q", uo.CodeURL)
			}
			if !regexp.MustCompile(`^wx\d{14}[0-9a-f]{22}$`).MatchString(uo.PrepayID) {
				t.Errorf("prepay_id = %q", uo.PrepayID)
			}
			q, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "K1-0001"})
			if err != nil {
				t.Fatalf("OrderQuery: %v", err)
			}
			if q.TradeState != wxpay.TradeNotPay || q.Raw["transaction_id"] != "" || q.Raw["total_fee"] != "" || q.Attach != "kiosk-1" {
				t.Errorf("unpaid query = %+v, want NOTPAY with only out_trade_no/attach/trade_state", q.Raw)
			}
			res, err := srv.Scan(ctx(), ScanRequest{URL: uo.CodeURL})
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			q, err = c.OrderQuery(ctx(), wxpay.OrderQueryRequest{TransactionID: res.TransactionID})
			if err != nil {
				t.Fatalf("OrderQuery by transaction_id: %v", err)
			}
			if q.TradeState != wxpay.TradeSuccess || q.TotalFee != 1250 || q.CashFee != 1250 || q.OutTradeNo != "K1-0001" || q.TradeType != "NATIVE" {
				t.Errorf("paid query = %+v", q)
			}
			if !regexp.MustCompile(`^4200\d{24}$`).MatchString(q.TransactionID) {
				t.Errorf("transaction_id = %q, want 28 digits starting 4200", q.TransactionID)
			}
			if !regexp.MustCompile(`^o[0-9A-Za-z_-]{27}$`).MatchString(q.OpenID) {
				t.Errorf("openid = %q", q.OpenID)
			}
			n, err := wxpay.ParseNotification(recv(t, m.got), srv.Key())
			if err != nil {
				t.Fatalf("notification: %v", err)
			}
			if n.OutTradeNo != "K1-0001" || n.TotalFee != 1250 || n.TransactionID != res.TransactionID || n.Attach != "kiosk-1" {
				t.Errorf("notification = %+v", n)
			}
			if got := n.Raw["sign_type"]; (st == wxpay.SignHMACSHA256) != (got == "HMAC-SHA256") {
				t.Errorf("notification sign_type = %q for an order signed %s", got, st)
			}
		})
	}
}

func TestOrderQueryUnknownOrderIsORDERNOTEXIST(t *testing.T) {
	srv := startSim(t, Config{})
	c := newClient(t, srv, wxpay.SignMD5, nil)
	_, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "nope-123"})
	if !errors.Is(err, wxpay.ErrOrderNotExist) {
		t.Fatalf("error = %v, want ORDERNOTEXIST", err)
	}
}

func TestReentry(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	req := order("K1-0002", 1800, "http://127.0.0.1:1/notify")
	first, err := c.UnifiedOrder(ctx(), req)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("identical parameters return the same live code_url", func(t *testing.T) {
		again, err := c.UnifiedOrder(ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		if again.CodeURL != first.CodeURL || again.PrepayID != first.PrepayID {
			t.Errorf("re-entry = %+v, want %+v", again, first)
		}
	})
	t.Run("different parameters are INVALID_REQUEST 201 商户订单号重复", func(t *testing.T) {
		changed := *req
		changed.TotalFee = 1900
		_, err := c.UnifiedOrder(ctx(), &changed)
		var we *wxpay.Error
		if !errors.As(err, &we) || we.ErrCode != "INVALID_REQUEST" || we.ErrCodeDes != "201 商户订单号重复" {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("after 2 hours a re-entry opens a fresh prepay and the old code cannot be paid", func(t *testing.T) {
		clock.Advance(2*time.Hour + time.Second)
		if _, err := srv.Scan(ctx(), ScanRequest{URL: first.CodeURL}); !isScanStatus(err, 410) {
			t.Fatalf("scan of expired code: %v, want 410", err)
		}
		fresh, err := c.UnifiedOrder(ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.CodeURL == first.CodeURL || fresh.PrepayID == first.PrepayID {
			t.Fatalf("re-entry after 2 h returned the old prepay %+v", fresh)
		}
		if _, err := srv.Scan(ctx(), ScanRequest{URL: first.CodeURL}); !isScanStatus(err, 410) {
			t.Errorf("old code after re-entry: %v, want 410", err)
		}
		if _, err := srv.Scan(ctx(), ScanRequest{URL: fresh.CodeURL}); err != nil {
			t.Errorf("fresh code: %v", err)
		}
	})
	t.Run("a paid order is ORDERPAID", func(t *testing.T) {
		if _, err := c.UnifiedOrder(ctx(), req); !errors.Is(err, wxpay.ErrOrderPaid) {
			t.Fatalf("error = %v, want ORDERPAID", err)
		}
	})
	t.Run("a closed order is ORDERCLOSED", func(t *testing.T) {
		r2 := order("K1-0003", 100, "http://127.0.0.1:1/notify")
		if _, err := c.UnifiedOrder(ctx(), r2); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
		if err := c.CloseOrder(ctx(), "K1-0003"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UnifiedOrder(ctx(), r2); !errors.Is(err, wxpay.ErrOrderClosed) {
			t.Fatalf("error = %v, want ORDERCLOSED", err)
		}
	})
}

func isScanStatus(err error, status int) bool {
	var se *ScanError
	return errors.As(err, &se) && se.Status == status
}

func TestCloseOrder(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newClient(t, srv, wxpay.SignHMACSHA256, clock)
	for _, no := range []string{"C-1", "C-2"} {
		if _, err := c.UnifiedOrder(ctx(), order(no, 500, "http://127.0.0.1:1/n")); err != nil {
			t.Fatal(err)
		}
	}
	errCode := func(err error) string {
		var we *wxpay.Error
		if errors.As(err, &we) {
			return we.ErrCode
		}
		return "no wxpay.Error: " + errString(err)
	}
	t.Run("closing within 5 minutes of creation is refused", func(t *testing.T) {
		clock.Advance(4*time.Minute + 59*time.Second)
		err := c.CloseOrder(ctx(), "C-1")
		if errCode(err) != ErrCodeCloseTooEarly || wxpay.IsRetryable(err) {
			t.Fatalf("error = %v, want non-retryable %s", err, ErrCodeCloseTooEarly)
		}
	})
	t.Run("closing after 5 minutes succeeds and the order reads CLOSED", func(t *testing.T) {
		clock.Advance(time.Second)
		if err := c.CloseOrder(ctx(), "C-1"); err != nil {
			t.Fatal(err)
		}
		q, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "C-1"})
		if err != nil || q.TradeState != wxpay.TradeClosed {
			t.Fatalf("query = %+v, %v", q, err)
		}
	})
	t.Run("closing again is ORDERCLOSED", func(t *testing.T) {
		if err := c.CloseOrder(ctx(), "C-1"); !errors.Is(err, wxpay.ErrOrderClosed) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("closing an unknown order is ORDERNOTEXIST", func(t *testing.T) {
		if err := c.CloseOrder(ctx(), "C-9"); !errors.Is(err, wxpay.ErrOrderNotExist) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("closing a paid order is ORDERPAID", func(t *testing.T) {
		o, _ := srv.Order("C-2")
		if _, err := srv.Scan(ctx(), ScanRequest{URL: o.CodeURL}); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseOrder(ctx(), "C-2"); !errors.Is(err, wxpay.ErrOrderPaid) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a closed order cannot be paid", func(t *testing.T) {
		o, _ := srv.Order("C-1")
		if _, err := srv.Scan(ctx(), ScanRequest{URL: o.CodeURL}); !isScanStatus(err, 410) {
			t.Fatalf("scan of closed order: %v, want 410", err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestRequestsAreCheckedAsWeChatDoes(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	valid := func() wxpay.Params {
		return wxpay.Params{
			"body": "测试", "out_trade_no": "V-1", "total_fee": "100", "spbill_create_ip": "10.0.0.1",
			"notify_url": "https://shop.example/notify", "trade_type": "NATIVE", "product_id": "P1",
		}
	}
	with := func(k, v string) wxpay.Params {
		p := valid()
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	signedBadly := valid()
	signedBadly["appid"], signedBadly["mch_id"], signedBadly["nonce_str"] = srv.AppID(), srv.MchID(), "abc"
	signedBadly["sign"] = signedBadly.Sign("wrong-key-wrong-key-wrong-key-00", wxpay.SignMD5)
	hmacAsMD5 := valid()
	hmacAsMD5["appid"], hmacAsMD5["mch_id"], hmacAsMD5["nonce_str"] = srv.AppID(), srv.MchID(), "abc"
	hmacAsMD5["sign_type"] = "HMAC-SHA256"
	hmacAsMD5["sign"] = hmacAsMD5.Sign(srv.Key(), wxpay.SignMD5)

	cases := []struct {
		name      string
		p         wxpay.Params
		st        wxpay.SignType
		returnMsg string // protocol FAIL expected when set
		errCode   string // business FAIL expected when set
		errDes    string
	}{
		{name: "a valid MD5 request is accepted", p: valid(), st: wxpay.SignMD5},
		{name: "a valid HMAC-SHA256 request is accepted", p: with("out_trade_no", "V-2"), st: wxpay.SignHMACSHA256},
		{name: "a signature made with another key is 签名错误", p: signedBadly, returnMsg: "签名错误"},
		{name: "an MD5 signature under sign_type HMAC-SHA256 is 签名错误", p: hmacAsMD5, returnMsg: "签名错误"},
		{name: "an unknown mch_id is refused at the protocol layer", p: with("mch_id", "1230000109"), returnMsg: "商户号mch_id不存在"},
		{name: "an appid that does not exist is APPID_NOT_EXIST", p: with("appid", "nosuchapp"), errCode: "APPID_NOT_EXIST"},
		{name: "another merchant's appid is APPID_MCHID_NOT_MATCH", p: with("appid", "wxd930ea5d5a258f4f"), errCode: "APPID_MCHID_NOT_MATCH"},
		{name: "a missing body is LACK_PARAMS", p: with("body", ""), errCode: "LACK_PARAMS", errDes: "缺少参数body"},
		{name: "NATIVE without product_id is LACK_PARAMS", p: with("product_id", ""), errCode: "LACK_PARAMS", errDes: "缺少参数product_id"},
		{name: "a body over 128 bytes is refused", p: with("body", strings.Repeat("茶", 43)), returnMsg: "body参数长度有误"},
		{name: "a nonce_str over 32 characters is refused", p: with("nonce_str", strings.Repeat("n", 33)), returnMsg: "nonce_str参数长度有误"},
		{name: "an out_trade_no with a dot is refused", p: with("out_trade_no", "V.1"), returnMsg: "out_trade_no参数格式错误"},
		{name: "a zero total_fee is refused", p: with("total_fee", "0"), returnMsg: "invalid total_fee"},
		{name: "a decimal total_fee is refused", p: with("total_fee", "1.5"), returnMsg: "invalid total_fee"},
		{name: "a bad spbill_create_ip is refused", p: with("spbill_create_ip", "localhost"), returnMsg: "invalid spbill_create_ip"},
		{name: "a notify_url with a query string is refused", p: with("notify_url", "https://shop.example/n?k=1"), returnMsg: "notify_url参数格式错误，不能带参数"},
		{name: "a notify_url over 256 bytes is refused", p: with("notify_url", "https://shop.example/"+strings.Repeat("a", 240)), returnMsg: "notify_url参数长度有误"},
		{name: "JSAPI is NOAUTH for a Native-only merchant", p: with("trade_type", "JSAPI"), errCode: "NOAUTH"},
		{name: "an unknown trade_type is refused", p: with("trade_type", "CASH"), returnMsg: "trade_type参数格式错误"},
		{name: "a malformed time_expire is refused", p: with("time_expire", "2026-11-20"), returnMsg: "time_expire参数格式错误"},
		{name: "a time_expire under 5 minutes away is INVALID_REQUEST", p: with("time_expire", wxpay.FormatTime(t0.Add(4*time.Minute))), errCode: "INVALID_REQUEST", errDes: descTooShort},
		{name: "a time_expire exactly 5 minutes away is accepted", p: with("time_expire", wxpay.FormatTime(t0.Add(5*time.Minute))), st: wxpay.SignMD5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p.Clone()
			if _, ok := p["time_expire"]; ok {
				p["out_trade_no"] = "V-" + p["time_expire"][8:]
			}
			r := rawCall(t, srv, "/pay/unifiedorder", p, tc.st)
			if tc.returnMsg != "" {
				if r["return_code"] != "FAIL" || r["return_msg"] != tc.returnMsg || r["sign"] != "" {
					t.Fatalf("reply = %v, want unsigned protocol FAIL %q", r, tc.returnMsg)
				}
				return
			}
			if r["return_code"] != "SUCCESS" {
				t.Fatalf("reply = %v, want return_code SUCCESS", r)
			}
			if err := r.Verify(srv.Key(), tc.st); err != nil {
				t.Fatalf("reply signature (%s): %v", tc.st, err)
			}
			if tc.errCode == "" {
				if r["result_code"] != "SUCCESS" || r["code_url"] == "" {
					t.Fatalf("reply = %v, want a code_url", r)
				}
				return
			}
			if r["result_code"] != "FAIL" || r["err_code"] != tc.errCode || (tc.errDes != "" && r["err_code_des"] != tc.errDes) {
				t.Fatalf("reply = %v, want %s %s", r, tc.errCode, tc.errDes)
			}
		})
	}
}

func TestTransportLevelRefusals(t *testing.T) {
	srv := startSim(t, Config{})
	good := wxpay.Params{"appid": srv.AppID(), "mch_id": srv.MchID(), "nonce_str": "n1", "out_trade_no": "X-1"}
	good["sign"] = good.Sign(srv.Key(), wxpay.SignMD5)
	cases := []struct {
		name, method string
		body         []byte
		want         string
	}{
		{"GET is REQUIRE_POST_METHOD", "GET", nil, msgPost},
		{"an empty body is POST_DATA_EMPTY", "POST", nil, msgEmpty},
		{"GBK bytes are NOT_UTF8", "POST", []byte("<xml><body>\xb2\xe2\xca\xd4</body></xml>"), msgNotUTF8},
		{"malformed XML is XML_FORMAT_ERROR", "POST", []byte("<xml><a>1</b></xml>"), msgXML},
		{"a DOCTYPE is XML_FORMAT_ERROR", "POST", []byte(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><appid>&x;</appid></xml>`), msgXML},
		{"a body over 64 KiB is XML_FORMAT_ERROR", "POST", append([]byte("<xml><a>"), bytes64k()...), msgXML},
		{"a request without sign is refused", "POST", []byte("<xml><appid>" + srv.AppID() + "</appid><mch_id>" + srv.MchID() + "</mch_id></xml>"), "缺少参数sign"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := postRaw(t, srv.URL()+"/pay/orderquery", tc.method, tc.body)
			if r["return_code"] != "FAIL" || r["return_msg"] != tc.want {
				t.Fatalf("reply = %v, want FAIL %q", r, tc.want)
			}
		})
	}
	t.Run("a correctly signed request passes the same checks", func(t *testing.T) {
		r := postRaw(t, srv.URL()+"/pay/orderquery", "POST", good.EncodeXML())
		if r["return_code"] != "SUCCESS" || r["err_code"] != "ORDERNOTEXIST" {
			t.Fatalf("reply = %v", r)
		}
	})
	t.Run("an unknown path is 404", func(t *testing.T) {
		resp, err := http.Post(srv.URL()+"/pay/profitsharing", "text/xml", bytes.NewReader(good.EncodeXML()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", resp.StatusCode)
		}
	})
}

func bytes64k() []byte { return []byte(strings.Repeat("x", 65<<10)) }

package wxsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

// micropayRig is a simulator on a manual clock and a client with the
// merchant certificate.
type micropayRig struct {
	srv   *Server
	clock *ManualClock
	c     *wxpay.Client
}

func newMicropayRig(t *testing.T, cfg Config) *micropayRig {
	t.Helper()
	clk := NewManualClock(t0)
	cfg.Clock = clk
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	srv := startSim(t, cfg)
	return &micropayRig{srv: srv, clock: clk, c: newClient(t, srv, wxpay.SignMD5, clk)}
}

func (r *micropayRig) mint(t *testing.T, outcome string) string {
	t.Helper()
	pc, err := r.srv.MintPayCode("", outcome)
	if err != nil {
		t.Fatalf("MintPayCode(%s): %v", outcome, err)
	}
	if wxpay.ValidAuthCode(pc.AuthCode) != nil || pc.OpenID == "" || pc.Outcome != outcome {
		t.Fatalf("minted %+v", pc)
	}
	return pc.AuthCode
}

func micropayOrder(no, code string) *wxpay.MicropayRequest {
	return &wxpay.MicropayRequest{Body: "Saoma测试店-拿铁", OutTradeNo: no, TotalFee: 1250,
		SpbillCreateIP: "127.0.0.1", AuthCode: code, Attach: "kiosk-1", DeviceInfo: "K1"}
}

// state queries no and returns its trade_state, or "ORDERNOTEXIST".
func (r *micropayRig) state(t *testing.T, no string) string {
	t.Helper()
	q, err := r.c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: no})
	if errors.Is(err, wxpay.ErrOrderNotExist) {
		return "ORDERNOTEXIST"
	}
	if err != nil {
		t.Fatalf("OrderQuery %s: %v", no, err)
	}
	if q.TradeType != wxpay.TradeTypeMicropay {
		t.Errorf("trade_type = %q", q.TradeType)
	}
	if q.TradeState.Paid() && (q.TransactionID == "" || q.TotalFee != 1250 || q.OpenID == "") {
		t.Errorf("paid query = %+v", q)
	}
	return string(q.TradeState)
}

func TestMicropayOutcomesEndToEnd(t *testing.T) {
	tests := []struct {
		outcome   string
		sentinel  error  // nil: paid at once
		before    string // trade_state right after the call
		after     string // trade_state once the password delay has passed
		unknownOK bool   // MicropayUnknown must be true
	}{
		{OutcomeSuccess, nil, "SUCCESS", "SUCCESS", false},
		{OutcomeUserPaying, wxpay.ErrUserPaying, "USERPAYING", "SUCCESS", true},
		{OutcomePasswordFail, wxpay.ErrUserPaying, "USERPAYING", "PAYERROR", true},
		{OutcomeNotEnough, wxpay.ErrNotEnough, "PAYERROR", "PAYERROR", false},
		{OutcomeAuthCodeInvalid, wxpay.ErrAuthCodeInvalid, "ORDERNOTEXIST", "ORDERNOTEXIST", false},
		{OutcomeSystemErrorPaid, wxpay.ErrSystem, "SUCCESS", "SUCCESS", true},
		{OutcomeSystemErrorNoOrder, wxpay.ErrSystem, "ORDERNOTEXIST", "ORDERNOTEXIST", true},
	}
	for _, tt := range tests {
		t.Run(tt.outcome+" leaves the order "+tt.before+" then "+tt.after, func(t *testing.T) {
			r := newMicropayRig(t, Config{PasswordDelay: 30 * time.Second})
			resp, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, tt.outcome)))
			if tt.sentinel == nil {
				if err != nil {
					t.Fatal(err)
				}
				if resp.TransactionID == "" || resp.TotalFee != 1250 || resp.TradeType != "MICROPAY" ||
					resp.Attach != "kiosk-1" || !resp.TimeEnd.Equal(t0) {
					t.Errorf("response = %+v", resp)
				}
			} else if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if wxpay.MicropayUnknown(err) != tt.unknownOK {
				t.Errorf("MicropayUnknown(%v) = %v", err, !tt.unknownOK)
			}
			if got := r.state(t, "MP-1"); got != tt.before {
				t.Errorf("state right after = %s, want %s", got, tt.before)
			}
			r.clock.Advance(29 * time.Second)
			if got := r.state(t, "MP-1"); got != tt.before {
				t.Errorf("state before the password = %s, want %s", got, tt.before)
			}
			r.clock.Advance(time.Second)
			if got := r.state(t, "MP-1"); got != tt.after {
				t.Errorf("state after the password = %s, want %s", got, tt.after)
			}
			if tt.outcome == OutcomeUserPaying {
				o, _ := r.srv.Order("MP-1")
				if !o.PaidAt.Equal(t0.Add(30 * time.Second)) {
					t.Errorf("paid at %v, want when the password arrived", o.PaidAt)
				}
			}
		})
	}
}

func TestMicropaySystemErrorIsPaidOrNotAtRandom(t *testing.T) {
	r := newMicropayRig(t, Config{Seed: 42})
	seen := map[string]int{}
	for i := range 24 {
		no := "MP-SE-" + string(rune('A'+i))
		_, err := r.c.Micropay(ctx(), micropayOrder(no, r.mint(t, OutcomeSystemError)))
		if !errors.Is(err, wxpay.ErrSystem) || !wxpay.MicropayUnknown(err) {
			t.Fatalf("err = %v", err)
		}
		seen[r.state(t, no)]++
	}
	if seen["SUCCESS"] == 0 || seen["ORDERNOTEXIST"] == 0 || len(seen) != 2 {
		t.Errorf("outcomes = %v, want both SUCCESS and ORDERNOTEXIST", seen)
	}
}

func TestPayCodesAreSingleUseAndExpire(t *testing.T) {
	t.Run("a code charged twice is AUTHCODEEXPIRE the second time", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		code := r.mint(t, OutcomeSuccess)
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", code)); err != nil {
			t.Fatal(err)
		}
		_, err := r.c.Micropay(ctx(), micropayOrder("MP-2", code))
		if !errors.Is(err, wxpay.ErrAuthCodeExpire) {
			t.Fatalf("err = %v", err)
		}
		if got := r.state(t, "MP-2"); got != "ORDERNOTEXIST" {
			t.Errorf("second order = %s", got)
		}
	})
	t.Run("a code is valid for one minute", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		live, dead := r.mint(t, OutcomeSuccess), r.mint(t, OutcomeSuccess)
		r.clock.Advance(59 * time.Second)
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", live)); err != nil {
			t.Fatalf("at 59 s: %v", err)
		}
		r.clock.Advance(time.Second)
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-2", dead)); !errors.Is(err, wxpay.ErrAuthCodeExpire) {
			t.Fatalf("at 60 s: err = %v", err)
		}
	})
	t.Run("the minute is scaled by TimeScale", func(t *testing.T) {
		r := newMicropayRig(t, Config{TimeScale: 60})
		pc, err := r.srv.MintPayCode("oPayer", OutcomeSuccess)
		if err != nil || pc.ValidMS != 1000 || pc.OpenID != "oPayer" {
			t.Fatalf("pc = %+v, %v", pc, err)
		}
		r.clock.Advance(time.Second)
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", pc.AuthCode)); !errors.Is(err, wxpay.ErrAuthCodeExpire) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a well-formed code never minted is AUTH_CODE_INVALID", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", "134567890123456789")); !errors.Is(err, wxpay.ErrAuthCodeInvalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a malformed code sent raw is AUTH_CODE_INVALID", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		rep := rawCall(t, r.srv, "/pay/micropay", wxpay.Params{"body": "x", "out_trade_no": "MP-1", "total_fee": "1",
			"spbill_create_ip": "127.0.0.1", "auth_code": "281234567890123456"}, wxpay.SignMD5)
		if rep["result_code"] != "FAIL" || rep["err_code"] != "AUTH_CODE_INVALID" || rep.Verify(r.srv.Key(), wxpay.SignMD5) != nil {
			t.Errorf("reply = %v", rep)
		}
	})
}

func TestMicropayReentry(t *testing.T) {
	tests := []struct {
		name     string
		first    string
		sentinel error
	}{
		{"a paid order is ORDERPAID", OutcomeSuccess, wxpay.ErrOrderPaid},
		{"an order awaiting the password is USERPAYING", OutcomeUserPaying, wxpay.ErrUserPaying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newMicropayRig(t, Config{})
			_, _ = r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, tt.first)))
			_, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess)))
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
		})
	}
	t.Run("a PAYERROR order can be paid with a new code", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeNotEnough))); !errors.Is(err, wxpay.ErrNotEnough) {
			t.Fatal(err)
		}
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess))); err != nil {
			t.Fatal(err)
		}
		other := micropayOrder("MP-1", r.mint(t, OutcomeSuccess))
		other.TotalFee = 1
		if _, err := r.c.Micropay(ctx(), other); !errors.Is(err, wxpay.ErrOrderPaid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a Native order's number is OUT_TRADE_NO_USED", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		if _, err := r.c.UnifiedOrder(ctx(), order("MP-1", 1250, "https://kiosk.example/notify")); err != nil {
			t.Fatal(err)
		}
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess))); !errors.Is(err, wxpay.ErrOutTradeNoUsed) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestReverse(t *testing.T) {
	t.Run("an order awaiting the password answers recall Y, then N, and stays REVOKED", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeUserPaying))); !errors.Is(err, wxpay.ErrUserPaying) {
			t.Fatal(err)
		}
		recall, err := r.c.Reverse(ctx(), "MP-1")
		if err != nil || !recall {
			t.Fatalf("first reverse: recall=%v err=%v", recall, err)
		}
		recall, err = r.c.Reverse(ctx(), "MP-1")
		if err != nil || recall {
			t.Fatalf("second reverse: recall=%v err=%v", recall, err)
		}
		r.clock.Advance(time.Minute) // the password would have arrived
		if got := r.state(t, "MP-1"); got != "REVOKED" {
			t.Errorf("state = %s", got)
		}
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess))); !errors.Is(err, wxpay.ErrOrderReversed) {
			t.Errorf("micropay after reverse: %v", err)
		}
	})
	t.Run("a paid order is refunded by reverse and the bill shows it", func(t *testing.T) {
		r := newMicropayRig(t, Config{InstantBills: true})
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess))); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Minute)
		recall, err := r.c.Reverse(ctx(), "MP-1")
		if err != nil || recall {
			t.Fatalf("reverse: recall=%v err=%v", recall, err)
		}
		if got := r.state(t, "MP-1"); got != "REVOKED" {
			t.Errorf("state = %s", got)
		}
		bill, err := r.c.DownloadBill(ctx(), wxpay.BillRequest{Date: "20261120"})
		if err != nil {
			t.Fatal(err)
		}
		if len(bill.Rows) != 2 || bill.Rows[0].TradeState != "SUCCESS" || bill.Rows[0].TradeType != "MICROPAY" ||
			bill.Rows[0].TotalFee != 1250 || bill.Rows[1].TradeState != "REVOKED" || bill.Rows[1].RefundFee != 1250 ||
			bill.RefundTotal != 1250 || bill.TotalFee != 1250 {
			t.Errorf("bill = %+v", bill)
		}
	})
	t.Run("a failed payment is reversed at once", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		_, _ = r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeNotEnough)))
		if recall, err := r.c.Reverse(ctx(), "MP-1"); err != nil || recall {
			t.Fatalf("recall=%v err=%v", recall, err)
		}
		if got := r.state(t, "MP-1"); got != "REVOKED" {
			t.Errorf("state = %s", got)
		}
	})
	refusals := []struct {
		name     string
		setup    func(t *testing.T, r *micropayRig)
		sentinel error
	}{
		{"an unknown order is ORDERNOTEXIST", func(*testing.T, *micropayRig) {}, wxpay.ErrOrderNotExist},
		{"an order older than 7 days is REVERSE_EXPIRE", func(t *testing.T, r *micropayRig) {
			_, _ = r.c.Micropay(ctx(), micropayOrder("MP-1", r.mint(t, OutcomeSuccess)))
			r.clock.Advance(7 * 24 * time.Hour)
		}, wxpay.ErrReverseExpire},
		{"a Native order is INVALID_REQUEST", func(t *testing.T, r *micropayRig) {
			if _, err := r.c.UnifiedOrder(ctx(), order("MP-1", 1250, "https://kiosk.example/notify")); err != nil {
				t.Fatal(err)
			}
		}, wxpay.ErrInvalidRequest},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := newMicropayRig(t, Config{})
			tt.setup(t, r)
			if recall, err := r.c.Reverse(ctx(), "MP-1"); !errors.Is(err, tt.sentinel) || recall {
				t.Fatalf("recall=%v err=%v, want %v", recall, err, tt.sentinel)
			}
		})
	}
	t.Run("reverse without the merchant certificate is refused", func(t *testing.T) {
		r := newMicropayRig(t, Config{})
		rep := rawCall(t, r.srv, "/secapi/pay/reverse", wxpay.Params{"out_trade_no": "MP-1"}, wxpay.SignMD5)
		if rep["return_code"] != "FAIL" || rep["return_msg"] != msgCert {
			t.Errorf("reply = %v", rep)
		}
	})
	t.Run("an injected SYSTEMERROR on reverse carries recall Y", func(t *testing.T) {
		r := newMicropayRig(t, Config{SystemErrorRate: 1})
		recall, err := r.c.Reverse(ctx(), "MP-1")
		if !errors.Is(err, wxpay.ErrSystem) || !recall || !wxpay.IsRetryable(err) {
			t.Fatalf("recall=%v err=%v", recall, err)
		}
	})
}

func TestPayCodeEndpointContract(t *testing.T) {
	r := newMicropayRig(t, Config{TimeScale: 10})
	post := func(form url.Values) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.PostForm(r.srv.URL()+"/sim/paycode", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := post(url.Values{"openid": {"oKiosk"}, "outcome": {"USERPAYING"}})
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d %s", resp.StatusCode, body)
	}
	code, _ := got["auth_code"].(string)
	if wxpay.ValidAuthCode(code) != nil || got["openid"] != "oKiosk" || got["outcome"] != "USERPAYING" || got["valid_ms"] != 6000.0 || len(got) != 4 {
		t.Errorf("reply = %v", got)
	}
	if resp, body := post(url.Values{"outcome": {"MAYBE"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown outcome: HTTP %d %s", resp.StatusCode, body)
	}
	if resp, err := http.Get(r.srv.URL() + "/sim/paycode"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	t.Run("the customer page shows the code as barcode, QR and digits", func(t *testing.T) {
		page := getPage(t, r.srv.URL()+"/?paycode="+code)
		for _, want := range []string{"付款码", "<svg", `aria-label="Code 128 ` + code + `"`, "data:image/png;base64,", code[:4] + " " + code[4:8], "USERPAYING"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if _, err := r.c.Micropay(ctx(), micropayOrder("MP-1", code)); !errors.Is(err, wxpay.ErrUserPaying) {
			t.Fatal(err)
		}
		if page := getPage(t, r.srv.URL()+"/?paycode="+code); strings.Contains(page, "<svg") || !strings.Contains(page, "已使用或已过期") {
			t.Error("a used code is still shown")
		}
		if page := getPage(t, r.srv.URL()+"/"); strings.Contains(page, "MP-1 · USERPAYING") {
			t.Error("a 付款码 order is listed as an open QR order")
		}
	})
}

func getPage(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestCode128SetC(t *testing.T) {
	for v, p := range code128Patterns {
		sum := 0
		for _, c := range p {
			sum += int(c - '0')
		}
		if sum != 11 {
			t.Errorf("pattern %d sums to %d modules", v, sum)
		}
	}
	widths, ok := code128C("123456")
	if !ok || len(widths) != 5*6+7 {
		t.Fatalf("widths = %v", widths)
	}
	// start C, 12, 34, 56, check (105+12+2·34+3·56) mod 103 = 44, stop.
	want := code128Patterns[105] + code128Patterns[12] + code128Patterns[34] + code128Patterns[56] + code128Patterns[44] + code128Stop
	var got strings.Builder
	for _, w := range widths {
		got.WriteByte(byte('0' + w))
	}
	if got.String() != want {
		t.Errorf("symbols = %s, want %s", got.String(), want)
	}
	for _, bad := range []string{"", "123", "12a4"} {
		if _, ok := code128C(bad); ok {
			t.Errorf("%q encoded", bad)
		}
	}
}

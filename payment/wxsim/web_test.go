package wxsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"saoma/payment/wxpay"
)

func postScan(t *testing.T, srv *Server, form url.Values) (int, map[string]string) {
	t.Helper()
	resp, err := http.PostForm(srv.URL()+"/sim/scan", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, out
}

func TestCustomerPhone(t *testing.T) {
	srv := startSim(t, Config{})
	c := newClient(t, srv, wxpay.SignMD5, nil)
	uo, err := c.UnifiedOrder(ctx(), order("W-1", 1250, "http://127.0.0.1:1/n"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		form    url.Values
		status  int
		state   string
		errPart string
	}{
		{"an unknown code is 404", url.Values{"url": {"weixin://wxpay/bizpayurl?pr=AAAAAAA"}}, 404, "", "二维码无效"},
		{"a link that is not WeChat Pay's is 400", url.Values{"url": {"https://example.com"}}, 400, "", "not a WeChat Pay QR"},
		{"an unknown outcome is 400", url.Values{"url": {uo.CodeURL}, "outcome": {"MAYBE"}}, 400, "", "unknown outcome"},
		{"NOTENOUGH leaves the order PAYERROR", url.Values{"url": {uo.CodeURL}, "outcome": {"NOTENOUGH"}}, 200, StatePayError, ""},
		{"USERPAYING shows the customer mid-payment", url.Values{"url": {uo.CodeURL}, "outcome": {"USERPAYING"}}, 200, StateUserPaying, ""},
		{"CANCEL backs out to NOTPAY", url.Values{"url": {uo.CodeURL}, "outcome": {"CANCEL"}}, 200, StateNotPay, ""},
		{"SUCCESS pays the order", url.Values{"url": {uo.CodeURL}, "openid": {"oPhone00000000000000000000001"}}, 200, StateSuccess, ""},
		{"a paid order cannot be paid again", url.Values{"url": {uo.CodeURL}}, 409, "", "already paid"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, out := postScan(t, srv, st.form)
			if status != st.status {
				t.Fatalf("status %d (%v), want %d", status, out, st.status)
			}
			if st.errPart != "" && !strings.Contains(out["error"], st.errPart) {
				t.Fatalf("error %q lacks %q", out["error"], st.errPart)
			}
			if st.state != "" {
				if out["trade_state"] != st.state || out["out_trade_no"] != "W-1" {
					t.Fatalf("reply %v", out)
				}
				q, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "W-1"})
				if err != nil || string(q.TradeState) != st.state {
					t.Fatalf("orderquery %+v, %v", q, err)
				}
			}
		})
	}
	t.Run("GET /sim/orders lists the order as JSON", func(t *testing.T) {
		resp, err := http.Get(srv.URL() + "/sim/orders")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var orders []Order
		if err := json.NewDecoder(resp.Body).Decode(&orders); err != nil {
			t.Fatal(err)
		}
		if len(orders) != 1 || orders[0].OutTradeNo != "W-1" || orders[0].State != StateSuccess || orders[0].OpenID != "oPhone00000000000000000000001" {
			t.Fatalf("orders = %+v", orders)
		}
	})
}

func TestCustomerPage(t *testing.T) {
	srv := startSim(t, Config{})
	c := newClient(t, srv, wxpay.SignMD5, nil)
	uo, err := c.UnifiedOrder(ctx(), order("PG-9", 1250, "http://127.0.0.1:1/n"))
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		resp, err := http.Get(srv.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	t.Run("the page lists the open order with its amount and a Pay button", func(t *testing.T) {
		page := get()
		for _, want := range []string{"¥12.50", "PG-9", `value="` + uo.CodeURL + `"`, "支付 Pay", `action="/sim/scan"`} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("the Pay form pays and redirects back to the page", func(t *testing.T) {
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.PostForm(srv.URL()+"/sim/scan", url.Values{"url": {uo.CodeURL}, "outcome": {"SUCCESS"}, "return": {"/"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/?ok=") {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if o, _ := srv.Order("PG-9"); o.State != StateSuccess {
			t.Fatalf("state %s", o.State)
		}
		if strings.Contains(get(), `value="`+uo.CodeURL+`"`) {
			t.Error("the paid order is still offered for payment")
		}
	})
}

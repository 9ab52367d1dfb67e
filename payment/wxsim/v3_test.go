package wxsim

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"saoma/payment/wxpayv3"
)

// newV3Client returns a wxpayv3 client for srv whose clock is clock.
func newV3Client(t *testing.T, srv *Server, clock Clock) *wxpayv3.Client {
	t.Helper()
	cfg := srv.ClientConfigV3()
	cfg.Now = clock.Now
	c, err := wxpayv3.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// v3Merchant is a merchant v3 notify endpoint: it parses every
// notification with a wxpayv3.Notifier and reports it on got (nil when it
// failed to verify); status(n) is its HTTP answer to request n.
type v3Merchant struct {
	*httptest.Server
	got chan *wxpayv3.Notification
}

func newV3Merchant(t *testing.T, srv *Server, clock Clock, status func(n int) int) *v3Merchant {
	t.Helper()
	n, err := wxpayv3.NewNotifier(srv.V3Verifier(), srv.APIv3Key(), clock.Now)
	if err != nil {
		t.Fatalf("NewNotifier: %v", err)
	}
	m := &v3Merchant{got: make(chan *wxpayv3.Notification, 16)}
	var mu sync.Mutex
	count := 0
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		count++
		st := status(count)
		mu.Unlock()
		note, err := n.Parse(r.Header, body)
		if err != nil {
			t.Errorf("notification does not verify: %v", err)
		}
		m.got <- note
		w.WriteHeader(st)
	}))
	t.Cleanup(m.Close)
	return m
}

func nativeOrder(no string, total int64, notifyURL string) wxpayv3.NativeOrder {
	return wxpayv3.NativeOrder{OutTradeNo: no, Description: "Saoma测试店-拿铁", Total: total, Attach: "kiosk-1", NotifyURL: notifyURL}
}

func TestV3NativeScanQueryRefundFlow(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	m := newV3Merchant(t, srv, clock, func(int) int { return http.StatusNoContent })
	c := newV3Client(t, srv, clock)

	code, err := c.NativePrepay(ctx(), nativeOrder("V3-FLOW-1", 1800, m.URL+"/pay"))
	if err != nil {
		t.Fatalf("NativePrepay: %v", err)
	}
	if !strings.HasPrefix(code, codeURLPrefix) {
		t.Fatalf("code_url %q", code)
	}
	tx, err := c.QueryByOutTradeNo(ctx(), "V3-FLOW-1")
	if err != nil || tx.TradeState != wxpayv3.TradeNotPay {
		t.Fatalf("query before scan: %+v, %v", tx, err)
	}
	res, err := srv.Scan(ctx(), ScanRequest{URL: code})
	if err != nil || res.TradeState != StateSuccess {
		t.Fatalf("Scan: %+v, %v", res, err)
	}
	note := recv(t, m.got)
	if note == nil || note.EventType != wxpayv3.EventTransactionSuccess || note.Transaction.OutTradeNo != "V3-FLOW-1" ||
		note.Transaction.Total != 1800 || note.Transaction.TransactionID != res.TransactionID || note.Transaction.MchID != srv.MchID() {
		t.Fatalf("payment notification %+v", note)
	}
	tx, err = c.QueryByOutTradeNo(ctx(), "V3-FLOW-1")
	if err != nil || tx.TradeState != wxpayv3.TradeSuccess || tx.PayerOpenID == "" || tx.Attach != "kiosk-1" {
		t.Fatalf("query after scan: %+v, %v", tx, err)
	}
	if byID, err := c.QueryByTransactionID(ctx(), res.TransactionID); err != nil || byID.OutTradeNo != "V3-FLOW-1" {
		t.Fatalf("query by transaction id: %+v, %v", byID, err)
	}

	req := wxpayv3.RefundRequest{OutTradeNo: "V3-FLOW-1", OutRefundNo: "V3-FLOW-1-R1", Refund: 800, Total: 1800, NotifyURL: m.URL + "/refund"}
	rf, err := c.Refund(ctx(), req)
	if err != nil || rf.Status != wxpayv3.RefundProcessing || rf.Refund != 800 {
		t.Fatalf("Refund: %+v, %v", rf, err)
	}
	again, err := c.Refund(ctx(), req)
	if err != nil || again.RefundID != rf.RefundID {
		t.Fatalf("same out_refund_no again: %+v, %v (first %s)", again, err, rf.RefundID)
	}
	if _, err := c.Refund(ctx(), wxpayv3.RefundRequest{OutTradeNo: "V3-FLOW-1", OutRefundNo: "V3-FLOW-1-R1", Refund: 900, Total: 1800}); !errors.Is(err, wxpayv3.ErrInvalidRequest) {
		t.Fatalf("same out_refund_no, another amount: %v", err)
	}
	if _, err := c.Refund(ctx(), wxpayv3.RefundRequest{OutTradeNo: "V3-FLOW-1", OutRefundNo: "V3-FLOW-1-R2", Refund: 1001, Total: 1800}); !errors.Is(err, wxpayv3.ErrInvalidRequest) {
		t.Fatalf("refund above the refundable amount: %v", err)
	}
	if _, err := c.Refund(ctx(), wxpayv3.RefundRequest{OutTradeNo: "V3-FLOW-1", OutRefundNo: "V3-FLOW-1-R3", Refund: 1, Total: 1700}); !errors.Is(err, wxpayv3.ErrParam) {
		t.Fatalf("total differing from the order's: %v", err)
	}
	if o, _ := srv.Order("V3-FLOW-1"); len(o.Refunds) != 1 {
		t.Fatalf("order has %d refunds, want 1", len(o.Refunds))
	}
	if n := srv.SettleRefunds(); n != 1 {
		t.Fatalf("SettleRefunds = %d", n)
	}
	q, err := c.QueryRefund(ctx(), "V3-FLOW-1-R1")
	if err != nil || q.Status != wxpayv3.RefundSuccess || q.RefundID != rf.RefundID || q.SuccessTime.IsZero() {
		t.Fatalf("QueryRefund: %+v, %v", q, err)
	}
	note = recv(t, m.got)
	if note == nil || note.EventType != wxpayv3.EventRefundSuccess || note.Refund.OutRefundNo != "V3-FLOW-1-R1" || note.Refund.Refund != 800 {
		t.Fatalf("refund notification %+v", note)
	}
	if tx, err = c.QueryByOutTradeNo(ctx(), "V3-FLOW-1"); err != nil || tx.TradeState != wxpayv3.TradeRefund {
		t.Fatalf("query after refund: %+v, %v", tx, err)
	}
}

func TestV3Errors(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newV3Client(t, srv, clock)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := srv.ClientConfigV3()
	forged.Now, forged.PrivateKey = clock.Now, other
	wrongSerial := srv.ClientConfigV3()
	wrongSerial.Now, wrongSerial.MchSerial = clock.Now, "7AB"
	skewed := srv.ClientConfigV3()
	skewed.Now = func() time.Time { return clock.Now().Add(-6 * time.Minute) }

	tests := []struct {
		name string
		cfg  *wxpayv3.Config
		call func(*wxpayv3.Client) error
		want error
	}{
		{"a forged Authorization is 401 SIGN_ERROR", &forged, func(c *wxpayv3.Client) error {
			_, err := c.QueryByOutTradeNo(ctx(), "NOPE-123")
			return err
		}, wxpayv3.ErrSignError},
		{"an unknown serial_no is 401 SIGN_ERROR", &wrongSerial, func(c *wxpayv3.Client) error {
			_, err := c.NativePrepay(ctx(), nativeOrder("V3-ERR-1", 1, "http://127.0.0.1/n"))
			return err
		}, wxpayv3.ErrSignError},
		{"a timestamp 6 minutes off is 401 SIGN_ERROR", &skewed, func(c *wxpayv3.Client) error {
			_, err := c.QueryByOutTradeNo(ctx(), "NOPE-123")
			return err
		}, wxpayv3.ErrSignError},
		{"an unknown order is 404 ORDER_NOT_EXIST", nil, func(c *wxpayv3.Client) error {
			_, err := c.QueryByOutTradeNo(ctx(), "NOPE-123")
			return err
		}, wxpayv3.ErrOrderNotExist},
		{"an unknown refund is 404 RESOURCE_NOT_EXISTS", nil, func(c *wxpayv3.Client) error {
			_, err := c.QueryRefund(ctx(), "NOPE-R")
			return err
		}, wxpayv3.ErrResourceNotExists},
		{"a refund of an unknown order is 404 RESOURCE_NOT_EXISTS", nil, func(c *wxpayv3.Client) error {
			_, err := c.Refund(ctx(), wxpayv3.RefundRequest{OutTradeNo: "NOPE-123", OutRefundNo: "R1", Refund: 1, Total: 1})
			return err
		}, wxpayv3.ErrResourceNotExists},
		{"time_expire under 5 minutes ahead is 400 INVALID_REQUEST", nil, func(c *wxpayv3.Client) error {
			o := nativeOrder("V3-ERR-2", 1, "http://127.0.0.1/n")
			o.TimeExpire = clock.Now().Add(4 * time.Minute)
			_, err := c.NativePrepay(ctx(), o)
			return err
		}, wxpayv3.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := c
			if tt.cfg != nil {
				var err error
				if cl, err = wxpayv3.NewClient(*tt.cfg); err != nil {
					t.Fatal(err)
				}
			}
			err := tt.call(cl)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var we *wxpayv3.Error
			if errors.As(err, &we) && tt.want == wxpayv3.ErrSignError && we.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", we.StatusCode)
			}
		})
	}
}

func TestV3CloseIsRefusedWithinFiveMinutes(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newV3Client(t, srv, clock)
	if _, err := c.NativePrepay(ctx(), nativeOrder("V3-CLOSE-1", 5, "http://127.0.0.1/n")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5*time.Minute - time.Second)
	var we *wxpayv3.Error
	if err := c.CloseOrder(ctx(), "V3-CLOSE-1"); !errors.As(err, &we) || we.Code != ErrCodeCloseTooEarly || we.StatusCode != http.StatusBadRequest {
		t.Fatalf("close at 4m59s: %v", err)
	}
	clock.Advance(time.Second)
	if err := c.CloseOrder(ctx(), "V3-CLOSE-1"); err != nil {
		t.Fatalf("close at 5m: %v", err)
	}
	if err := c.CloseOrder(ctx(), "V3-CLOSE-1"); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	if tx, err := c.QueryByOutTradeNo(ctx(), "V3-CLOSE-1"); err != nil || tx.TradeState != wxpayv3.TradeClosed {
		t.Fatalf("query: %+v, %v", tx, err)
	}
	if _, err := c.NativePrepay(ctx(), nativeOrder("V3-CLOSE-1", 5, "http://127.0.0.1/n")); !errors.Is(err, wxpayv3.ErrOrderClosed) {
		t.Fatalf("re-entry of a closed order: %v", err)
	}
}

func TestV3ReEntry(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newV3Client(t, srv, clock)
	v2 := newClient(t, srv, "", clock)
	first, err := c.NativePrepay(ctx(), nativeOrder("V3-RE-1", 100, "http://127.0.0.1/n"))
	if err != nil {
		t.Fatal(err)
	}
	if same, err := c.NativePrepay(ctx(), nativeOrder("V3-RE-1", 100, "http://127.0.0.1/n")); err != nil || same != first {
		t.Fatalf("identical re-entry: %q, %v (first %q)", same, err, first)
	}
	if _, err := c.NativePrepay(ctx(), nativeOrder("V3-RE-1", 101, "http://127.0.0.1/n")); !errors.Is(err, wxpayv3.ErrOutTradeNoUsed) {
		t.Fatalf("different amount: %v", err)
	}
	if _, err := v2.UnifiedOrder(ctx(), order("V3-RE-1", 100, "http://127.0.0.1/n")); err == nil {
		t.Fatal("a v2 unified order reused the v3 order number")
	}
	uo, err := v2.UnifiedOrder(ctx(), order("V2-RE-1", 100, "http://127.0.0.1/n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.NativePrepay(ctx(), nativeOrder("V2-RE-1", 100, "http://127.0.0.1/n")); !errors.Is(err, wxpayv3.ErrOutTradeNoUsed) {
		t.Fatalf("v3 reusing a v2 order number: %v", err)
	}
	if _, err := srv.Scan(ctx(), ScanRequest{URL: first}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NativePrepay(ctx(), nativeOrder("V3-RE-1", 100, "http://127.0.0.1/n")); !errors.Is(err, wxpayv3.ErrOrderPaid) {
		t.Fatalf("re-entry of a paid order: %v", err)
	}
	// The v2 order is visible to v3 queries: one order book.
	if tx, err := c.QueryByOutTradeNo(ctx(), "V2-RE-1"); err != nil || tx.TradeState != wxpayv3.TradeNotPay || uo.CodeURL == "" {
		t.Fatalf("v3 query of a v2 order: %+v, %v", tx, err)
	}
}

func TestV3NotificationRetriesUntil2xx(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	events := notifyEvents(srv.Sim)
	m := newV3Merchant(t, srv, clock, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	c := newV3Client(t, srv, clock)
	code, err := c.NativePrepay(ctx(), nativeOrder("V3-RETRY-1", 300, m.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Scan(ctx(), ScanRequest{URL: code}); err != nil {
		t.Fatal(err)
	}
	first := recv(t, m.got)
	if ev := recv(t, events); ev.Attempt != 1 || ev.Acked {
		t.Fatalf("first attempt %+v", ev)
	}
	clock.BlockUntil(1, nil)
	clock.Advance(15 * time.Second)
	second := recv(t, m.got)
	if ev := recv(t, events); ev.Attempt != 2 || !ev.Acked || !ev.Final {
		t.Fatalf("second attempt %+v", ev)
	}
	if first == nil || second == nil || first.ID != second.ID {
		t.Fatalf("retry changed the notification id: %+v / %+v", first, second)
	}
	if o, _ := srv.Order("V3-RETRY-1"); !o.Notify.Acked || o.Notify.Pending {
		t.Fatalf("notify state %+v", o.Notify)
	}
}

func TestV3KeysPersistWithDataDir(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	serial, pub := a.MerchantSerial(), string(a.WechatPayPublicKeyPEM())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.MerchantSerial() != serial || string(b.WechatPayPublicKeyPEM()) != pub || len(serial) != 40 {
		t.Fatalf("serial %q → %q; public key kept: %v", serial, b.MerchantSerial(), string(b.WechatPayPublicKeyPEM()) == pub)
	}
	if _, err := wxpayv3.ParsePrivateKey(b.MerchantPrivateKeyPEM()); err != nil {
		t.Fatalf("merchant key PEM: %v", err)
	}
}

func TestV3ConfigIsChecked(t *testing.T) {
	for _, cfg := range []Config{
		{APIv3Key: "short"},
		{MerchantSerial: "00AB"},
		{MerchantSerial: "ABC"},
		{MerchantSerial: "not hex"},
		{MerchantSerial: strings.Repeat("F", 40)},
	} {
		if s, err := New(cfg); err == nil {
			_ = s.Close()
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	s, err := New(Config{MerchantSerial: "5157F09EFDC096DE15EBE81A47057A72"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.MerchantSerial() != "5157F09EFDC096DE15EBE81A47057A72" {
		t.Fatalf("serial %q", s.MerchantSerial())
	}
}

func TestV3FaultsAndPermissions(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		path   string
		status int
		code   string
	}{
		{"JSAPI is 403 NO_AUTH: only Native is enabled", Config{}, "/v3/pay/transactions/jsapi", http.StatusForbidden, "NO_AUTH"},
		{"FrequencyLimitRate 1 is 429 FREQUENCY_LIMITED", Config{FrequencyLimitRate: 1}, "/v3/pay/transactions/native", http.StatusTooManyRequests, "FREQUENCY_LIMITED"},
		{"SystemErrorRate 1 is 500 SYSTEM_ERROR", Config{SystemErrorRate: 1}, "/v3/pay/transactions/native", http.StatusInternalServerError, "SYSTEM_ERROR"},
		{"an unknown v3 path is 404 RESOURCE_NOT_EXISTS", Config{}, "/v3/pay/nothing", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"a body that is not JSON is 400 PARAM_ERROR", Config{}, "/v3/pay/transactions/native", http.StatusBadRequest, "PARAM_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewManualClock(t0)
			tt.cfg.Clock = clock
			srv := startSim(t, tt.cfg)
			body := []byte("{not json")
			auth, err := wxpayv3.SignRequest(srv.MchID(), srv.MerchantSerial(), srv.MerchantPrivateKey(), "POST", tt.path, body, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", srv.URL()+tt.path, strings.NewReader(string(body)))
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(out), `"code":"`+tt.code+`"`) {
				t.Fatalf("HTTP %d %s, want %d %s", resp.StatusCode, out, tt.status, tt.code)
			}
		})
	}
}

func TestV3OrderIsPaidFromTheCustomerPage(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newV3Client(t, srv, clock)
	code, err := c.NativePrepay(ctx(), nativeOrder("V3-PAGE-1", 700, "http://127.0.0.1:9/n"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL()+"/sim/scan", map[string][]string{"url": {code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/sim/scan: HTTP %d", resp.StatusCode)
	}
	if tx, err := c.QueryByOutTradeNo(ctx(), "V3-PAGE-1"); err != nil || tx.TradeState != wxpayv3.TradeSuccess {
		t.Fatalf("query: %+v, %v", tx, err)
	}
}

func TestV3NotificationResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	clock := NewManualClock(t0)
	srv, err := Start(Config{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	events := notifyEvents(srv.Sim)
	m := newV3Merchant(t, srv, clock, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	c := newV3Client(t, srv, clock)
	code, err := c.NativePrepay(ctx(), nativeOrder("V3-RESTART-1", 400, m.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Scan(ctx(), ScanRequest{URL: code}); err != nil {
		t.Fatal(err)
	}
	first := recv(t, m.got)
	if ev := recv(t, events); ev.Acked {
		t.Fatalf("first attempt %+v", ev)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	again := startSim(t, Config{Clock: clock, DataDir: dir})
	events = notifyEvents(again.Sim)
	clock.BlockUntil(1, nil)
	clock.Advance(15 * time.Second)
	second := recv(t, m.got) // verified by a Notifier holding the first run's public key
	if ev := recv(t, events); !ev.Acked || ev.Attempt != 2 {
		t.Fatalf("attempt after restart %+v", ev)
	}
	if first == nil || second == nil || second.ID != first.ID || second.Transaction.OutTradeNo != "V3-RESTART-1" {
		t.Fatalf("notifications %+v / %+v", first, second)
	}
}

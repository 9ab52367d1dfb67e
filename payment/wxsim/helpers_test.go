package wxsim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

// t0 is 2026-11-20 10:00 in Beijing: every manual clock starts here.
var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, wxpay.Shanghai())

// startSim starts a simulator on loopback for the test and closes it at the
// end.
func startSim(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// newClient returns a wxpay client for srv (HTTPS with the merchant
// certificate) whose notion of now follows clock.
func newClient(t *testing.T, srv *Server, st wxpay.SignType, clock Clock) *wxpay.Client {
	t.Helper()
	cfg := srv.ClientConfig()
	cfg.SignType = st
	if clock != nil {
		cfg.Now = clock.Now
	}
	c, err := wxpay.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// rawCall signs p with the simulator's key (adding appid, mch_id and
// nonce_str unless present) and POSTs it to path over plain HTTP, returning
// the decoded reply.
func rawCall(t *testing.T, srv *Server, path string, p wxpay.Params, st wxpay.SignType) wxpay.Params {
	t.Helper()
	p = p.Clone()
	for k, v := range map[string]string{"appid": srv.AppID(), "mch_id": srv.MchID(), "nonce_str": wxpay.NonceStr()} {
		if _, ok := p[k]; !ok {
			p[k] = v
		}
	}
	if st == wxpay.SignHMACSHA256 {
		p["sign_type"] = string(st)
	}
	if _, ok := p["sign"]; !ok {
		p["sign"] = p.Sign(srv.Key(), st)
	}
	return postRaw(t, srv.URL()+path, "POST", p.EncodeXML())
}

func postRaw(t *testing.T, url, method string, body []byte) wxpay.Params {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %s", method, url, resp.StatusCode, data)
	}
	p, err := wxpay.ParseXML(data)
	if err != nil {
		t.Fatalf("reply %q: %v", data, err)
	}
	return p
}

// order is a valid unified order for the tests.
func order(no string, fee int64, notifyURL string) *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{
		Body:           "Saoma测试店-拿铁",
		OutTradeNo:     no,
		TotalFee:       fee,
		SpbillCreateIP: "127.0.0.1",
		NotifyURL:      notifyURL,
		ProductID:      "P1002",
		Attach:         "kiosk-1",
	}
}

// merchant is a merchant notify endpoint: every request body is sent on
// got, and reply decides the answer.
type merchant struct {
	*httptest.Server
	got   chan []byte
	reply func(n int) []byte // n counts requests from 1
}

func newMerchant(t *testing.T, reply func(n int) []byte) *merchant {
	t.Helper()
	m := &merchant{got: make(chan []byte, 64), reply: reply}
	var mu sync.Mutex
	n := 0
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		out := m.reply(n)
		mu.Unlock()
		m.got <- body
		_, _ = w.Write(out)
	}))
	t.Cleanup(m.Close)
	return m
}

func ackAll(int) []byte { return wxpay.NotifyReply(true, "OK") }

func failAll(int) []byte { return wxpay.NotifyReply(false, "处理失败") }

// notifyEvents installs a hook on sim that reports every finished
// notification attempt.
func notifyEvents(s *Sim) <-chan NotifyEvent {
	ch := make(chan NotifyEvent, 64)
	s.mu.Lock()
	s.onNotify = func(e NotifyEvent) { ch <- e }
	s.mu.Unlock()
	return ch
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

func ctx() context.Context { return context.Background() }

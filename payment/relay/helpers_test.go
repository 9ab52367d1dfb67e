package relay

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// Test kiosks: k1 holds the demo merchant key (the relay verifies), k2
// does not (the relay only checks shape).
const (
	tokenK1 = "token-for-kiosk-one"
	tokenK2 = "token-for-kiosk-two"
)

func testKiosks() []Kiosk {
	return []Kiosk{
		{ID: "k1", TokenHash: HashToken(tokenK1), AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, Key: wxsim.DemoKey},
		{ID: "k2", TokenHash: HashToken(tokenK2)},
	}
}

// testRelay is a relay on a loopback listener.
type testRelay struct {
	*Server
	URL string
	hs  *httptest.Server
	dir string
	// acks receives every acknowledgement as "kiosk/seq".
	acks chan string
}

// startRelay runs a relay on a fresh data dir; mutate adjusts its config.
func startRelay(t testing.TB, mutate func(*ServerConfig)) *testRelay {
	t.Helper()
	return startRelayIn(t, t.TempDir(), mutate)
}

// startRelayIn runs a relay on dir; it is shut down at cleanup unless the
// test stops it first with stop.
func startRelayIn(t testing.TB, dir string, mutate func(*ServerConfig)) *testRelay {
	t.Helper()
	cfg := ServerConfig{DataDir: dir, Kiosks: testKiosks(), Logger: testLogger(t)}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	acks := make(chan string, 100000)
	s.ackHook = func(kiosk string, seq uint64) { acks <- fmt.Sprintf("%s/%d", kiosk, seq) }
	hs := httptest.NewServer(s.Handler())
	tr := &testRelay{Server: s, URL: hs.URL, hs: hs, dir: dir, acks: acks}
	t.Cleanup(tr.stop)
	return tr
}

// waitAck waits until the relay has seen kiosk acknowledge seq.
func (tr *testRelay) waitAck(t testing.TB, kiosk string, seq uint64) {
	t.Helper()
	want := fmt.Sprintf("%s/%d", kiosk, seq)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-tr.acks:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("relay never saw ack %s", want)
		}
	}
}

// stop shuts the relay down (idempotent).
func (tr *testRelay) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = tr.Shutdown(ctx)
	tr.hs.Close()
}

// testLogger logs to stderr at debug level under -v, else nowhere. (Not
// t.Log: relay goroutines may log after the test returned.)
func testLogger(testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// notification returns a WeChat payment notification signed with key.
func notification(key, outTradeNo, transactionID string) []byte {
	p := wxpay.Params{
		"return_code":    "SUCCESS",
		"appid":          wxsim.DemoAppID,
		"mch_id":         wxsim.DemoMchID,
		"nonce_str":      "nonce" + transactionID,
		"result_code":    "SUCCESS",
		"out_trade_no":   outTradeNo,
		"transaction_id": transactionID,
		"openid":         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"trade_type":     "NATIVE",
		"bank_type":      "CMC",
		"total_fee":      "1250",
		"cash_fee":       "1250",
		"fee_type":       "CNY",
		"time_end":       "20260101120000",
	}
	p["sign"] = p.Sign(key, wxpay.SignMD5)
	return p.EncodeXML()
}

// post sends body to path and returns the status and reply.
func post(t testing.TB, base, path string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(base+path, "text/xml", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// notify posts a notification for kiosk and fails the test unless the
// relay answered SUCCESS.
func notify(t testing.TB, base, kiosk string, body []byte) {
	t.Helper()
	status, reply := post(t, base, "/wxpay/notify/"+kiosk, body)
	ok, _, err := wxpay.ParseNotifyReply([]byte(reply))
	if status != http.StatusOK || err != nil || !ok {
		t.Fatalf("notify %s: HTTP %d %s (err %v)", kiosk, status, reply, err)
	}
}

// kioskClient is a relay.Client whose notifications land in a channel.
type kioskClient struct {
	*Client
	got chan string
	// notes also receives every notification with its headers (up to its
	// capacity; only tests that read it keep it drained).
	notes  chan Notification
	links  chan bool
	cancel context.CancelFunc
	done   chan struct{}
}

// startClient runs a Client for token against the relay at url.
func startClient(t testing.TB, url, token string, mutate func(*ClientConfig)) *kioskClient {
	t.Helper()
	kc := &kioskClient{got: make(chan string, 100000), notes: make(chan Notification, 64), links: make(chan bool, 100), done: make(chan struct{})}
	cfg := ClientConfig{
		URL:        url,
		Token:      token,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
		Logger:     testLogger(t),
		OnNotification: func(ctx context.Context, n Notification) error {
			kc.got <- string(n.Body)
			select {
			case kc.notes <- n:
			default: // only tests reading notes keep it drained
			}
			return nil
		},
		OnLink: func(up bool) { kc.links <- up },
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kc.Client = c
	ctx, cancel := context.WithCancel(context.Background())
	kc.cancel = cancel
	go func() {
		defer close(kc.done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(kc.stop)
	return kc
}

// stop ends Run and waits for it.
func (kc *kioskClient) stop() {
	kc.cancel()
	<-kc.done
}

// waitLink waits for the link to report up (or down).
func (kc *kioskClient) waitLink(t testing.TB, up bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-kc.links:
			if got == up {
				return
			}
		case <-timeout:
			t.Fatalf("link never became up=%v", up)
		}
	}
}

// next returns the next notification body or fails after a timeout.
func (kc *kioskClient) next(t testing.TB) string {
	t.Helper()
	select {
	case b := <-kc.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s")
		return ""
	}
}

// outTradeNo extracts out_trade_no from a notification body.
func outTradeNo(t testing.TB, body string) string {
	t.Helper()
	p, err := wxpay.ParseXML([]byte(body))
	if err != nil {
		t.Fatalf("delivered body does not parse: %v", err)
	}
	return p.Get("out_trade_no")
}

// dialRaw opens a websocket with a raw gorilla dialer (no relay.Client),
// for protocol-level tests. It returns the response status on failure.
func dialRaw(t testing.TB, base, token, query string) (*websocket.Conn, int) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		if resp != nil {
			return nil, resp.StatusCode
		}
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, http.StatusSwitchingProtocols
}

// readFrame reads one frame from a raw connection.
func readFrame(t testing.TB, conn *websocket.Conn) *frame {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	f, err := decodeFrame(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// metricValue returns one sample of /metrics, e.g.
// `saoma_relay_rejected_total{reason="doctype"}`.
func metricValue(t testing.TB, base, series string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	t.Fatalf("metric %s not found in:\n%s", series, b)
	return ""
}

// ids returns n distinct order numbers with a prefix.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

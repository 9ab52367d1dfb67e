package relay

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
)

// tokenK3 is the token of k3, the API v3 kiosk of these tests: the relay
// holds WeChat Pay's public key for it and no merchant secret.
const tokenK3 = "token-for-kiosk-three"

// v3PublicKeyID names the test WeChat Pay public key.
const v3PublicKeyID = "PUB_KEY_ID_0112345678902026010100000000000001"

// v3Clock is the relay's injected wall clock in these tests.
type v3Clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *v3Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// v3Rig is a relay serving k1, k2 and the v3 kiosk k3, with WeChat's
// signing key and the kiosk's own Notifier.
type v3Rig struct {
	*testRelay
	clock    *v3Clock
	platform wxpayv3.Platform
	notifier *wxpayv3.Notifier // the kiosk's: public key + APIv3 key
}

// newRSAKey returns a fresh RSA key.
func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// startV3Relay starts a relay with k3; mutate adjusts the config further.
func startV3Relay(t testing.TB, mutate func(*ServerConfig)) *v3Rig {
	t.Helper()
	key := newRSAKey(t)
	clock := &v3Clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	tr := startRelay(t, func(c *ServerConfig) {
		c.Now = clock.Now
		c.Kiosks = append(c.Kiosks, Kiosk{
			ID: "k3", TokenHash: HashToken(tokenK3),
			WechatPayPublicKey: &key.PublicKey, WechatPayPublicKeyID: v3PublicKeyID,
		})
		if mutate != nil {
			mutate(c)
		}
	})
	n, err := wxpayv3.NewNotifier(wxpayv3.NewPublicKeyVerifier(v3PublicKeyID, &key.PublicKey), wxsim.DemoAPIv3Key, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &v3Rig{testRelay: tr, clock: clock, platform: wxpayv3.Platform{Serial: v3PublicKeyID, Key: key}, notifier: n}
}

// paid builds, as WeChat would, the TRANSACTION.SUCCESS notification id
// for order no, signed by p at time at.
func paid(t testing.TB, p wxpayv3.Platform, id, no string, at time.Time) (http.Header, []byte) {
	t.Helper()
	tx := wxpayv3.Transaction{
		AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, OutTradeNo: no, TransactionID: "42000000012026010100" + no[len(no)-4:],
		TradeType: "NATIVE", TradeState: wxpayv3.TradeSuccess, TradeStateDesc: "支付成功", BankType: "OTHERS",
		SuccessTime: at, Total: 1250, PayerTotal: 1250, Currency: "CNY", PayerCurrency: "CNY", PayerOpenID: "o1",
	}
	h, body, err := p.TransactionNotification(wxsim.DemoAPIv3Key, id, tx, at)
	if err != nil {
		t.Fatal(err)
	}
	return h, body
}

// postV3 posts a v3 notification to kiosk and returns the status and the
// decoded FAIL answer (zero on success).
func postV3(t testing.TB, base, kiosk string, h http.Header, body []byte) (int, v3Answer) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/wxpay/notify/"+kiosk, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, vs := range h {
		req.Header[name] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a v3Answer
	if resp.StatusCode != http.StatusNoContent {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("FAIL answer has Content-Type %q, want application/json", ct)
		}
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("answer %q is not JSON: %v", b, err)
		}
	} else if len(b) != 0 {
		t.Errorf("204 answer has a body %q", b)
	}
	return resp.StatusCode, a
}

// v3Answer is WeChat Pay v3's error answer.
type v3Answer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// nextNote returns the next notification with its headers.
func (kc *kioskClient) nextNote(t testing.TB) Notification {
	t.Helper()
	select {
	case n := <-kc.notes:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s")
		return Notification{}
	}
}

func TestV3NotificationReachesTheKioskVerifiable(t *testing.T) {
	rig := startV3Relay(t, nil)
	h, body := paid(t, rig.platform, "EV-0001", "K3-0001", rig.clock.Now())
	if status, a := postV3(t, rig.URL, "k3", h, body); status != http.StatusNoContent {
		t.Fatalf("relay answered %d %+v, want 204", status, a)
	}
	kc := startClient(t, rig.URL, tokenK3, nil)
	n := kc.nextNote(t)
	if !bytes.Equal(n.Body, body) {
		t.Errorf("body changed in transit:\n got %s\nwant %s", n.Body, body)
	}
	for _, name := range v3Headers {
		if got, want := n.Header.Get(name), h.Get(name); got != want || want == "" {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if len(n.Header) != len(v3Headers) {
		t.Errorf("headers %v, want exactly the %d signature headers", n.Header, len(v3Headers))
	}
	if !n.V3() {
		t.Error("V3() = false for an API v3 notification")
	}
	got, err := rig.notifier.Parse(n.Header, n.Body)
	if err != nil {
		t.Fatalf("kiosk cannot verify the delivered notification: %v", err)
	}
	if got.Transaction == nil || got.Transaction.OutTradeNo != "K3-0001" || got.ID != "EV-0001" {
		t.Errorf("kiosk parsed %+v", got)
	}
	rig.waitAck(t, "k3", 1)
}

func TestV3NotificationsThatAreNotWeChatsAreRefused(t *testing.T) {
	forger := wxpayv3.Platform{Serial: v3PublicKeyID, Key: newRSAKey(t)}
	rig := startV3Relay(t, nil)
	now := rig.clock.Now()
	tests := []struct {
		name   string
		kiosk  string
		req    func() (http.Header, []byte)
		status int
		reason string
	}{
		{"signed with another key", "k3", func() (http.Header, []byte) {
			return paid(t, forger, "EV-F1", "K3-F001", now)
		}, http.StatusUnauthorized, reasonSignature},
		{"body changed after signing", "k3", func() (http.Header, []byte) {
			h, body := paid(t, rig.platform, "EV-F2", "K3-F002", now)
			return h, bytes.Replace(body, []byte("EV-F2"), []byte("EV-F9"), 1)
		}, http.StatusUnauthorized, reasonSignature},
		{"unknown serial", "k3", func() (http.Header, []byte) {
			other := rig.platform
			other.Serial = "PUB_KEY_ID_OTHER"
			return paid(t, other, "EV-F3", "K3-F003", now)
		}, http.StatusUnauthorized, reasonSignature},
		{"signature header only", "k3", func() (http.Header, []byte) {
			h, body := paid(t, rig.platform, "EV-F4", "K3-F004", now)
			h.Del(wxpayv3.HeaderNonce)
			return h, body
		}, http.StatusUnauthorized, reasonSignature},
		{"older than 5 minutes", "k3", func() (http.Header, []byte) {
			return paid(t, rig.platform, "EV-F5", "K3-F005", now.Add(-wxpayv3.MaxClockSkew-time.Second))
		}, http.StatusBadRequest, reasonStale},
		{"5 minutes in the future", "k3", func() (http.Header, []byte) {
			return paid(t, rig.platform, "EV-F6", "K3-F006", now.Add(wxpayv3.MaxClockSkew))
		}, http.StatusBadRequest, reasonStale},
		{"kiosk without WeChat Pay's public key", "k2", func() (http.Header, []byte) {
			return paid(t, rig.platform, "EV-F7", "K3-F007", now)
		}, http.StatusBadRequest, reasonV3Unconfigured},
		{"unknown kiosk", "k9", func() (http.Header, []byte) {
			return paid(t, rig.platform, "EV-F8", "K3-F008", now)
		}, http.StatusNotFound, reasonUnknownKiosk},
		{"signed body that is not a notification", "k3", func() (http.Header, []byte) {
			h := http.Header{}
			body := []byte(`["not","an","object"]`)
			if err := rig.platform.SignHeaders(h, body, now); err != nil {
				t.Fatal(err)
			}
			return h, body
		}, http.StatusBadRequest, reasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, body := tc.req()
			status, a := postV3(t, rig.URL, tc.kiosk, h, body)
			if status != tc.status || a.Code != "FAIL" || a.Message != tc.reason {
				t.Errorf("answered %d %+v, want %d FAIL %q", status, a, tc.status, tc.reason)
			}
		})
	}
	for _, id := range []string{"k2", "k3"} {
		if last := rig.lookup(id).last.Load(); last != 0 {
			t.Errorf("kiosk %s has %d stored messages, want none", id, last)
		}
	}
}

func TestV3ReplaysAreAnsweredSuccessAndStoredOnce(t *testing.T) {
	rig := startV3Relay(t, nil)
	h, body := paid(t, rig.platform, "EV-0001", "K3-0001", rig.clock.Now())
	// WeChat's retry of the same notification: same id, new nonce,
	// timestamp and signature.
	rig.clock.mu.Lock()
	rig.clock.now = rig.clock.now.Add(2 * time.Minute)
	rig.clock.mu.Unlock()
	retryH := http.Header{}
	if err := rig.platform.SignHeaders(retryH, body, rig.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h2, body2 := paid(t, rig.platform, "EV-0002", "K3-0002", rig.clock.Now())
	for i, req := range []struct {
		h    http.Header
		body []byte
	}{{h, body}, {h, body}, {retryH, body}, {h2, body2}, {h, body}} {
		if status, a := postV3(t, rig.URL, "k3", req.h, req.body); status != http.StatusNoContent {
			t.Fatalf("request %d: relay answered %d %+v, want 204", i, status, a)
		}
	}
	if last := rig.lookup("k3").last.Load(); last != 2 {
		t.Fatalf("stored %d messages, want 2", last)
	}
	if got := metricValue(t, rig.URL, "saoma_relay_notifications_duplicate_total"); got != "3" {
		t.Errorf("duplicates = %s, want 3", got)
	}
	kc := startClient(t, rig.URL, tokenK3, nil)
	for _, want := range []string{"EV-0001", "EV-0002"} {
		n := kc.nextNote(t)
		got, err := rig.notifier.Parse(n.Header, n.Body)
		if err != nil || got.ID != want {
			t.Fatalf("delivered %+v (err %v), want %s", got, err, want)
		}
	}
	rig.waitAck(t, "k3", 2)
}

func TestV3AnswersFailJSONWhenItCannotStore(t *testing.T) {
	t.Run("queue full", func(t *testing.T) {
		rig := startV3Relay(t, func(c *ServerConfig) { c.MaxQueue = 1 })
		for i, want := range []int{http.StatusNoContent, http.StatusServiceUnavailable} {
			no := "K3-000" + strconv.Itoa(i)
			h, body := paid(t, rig.platform, "EV-"+no, no, rig.clock.Now())
			status, a := postV3(t, rig.URL, "k3", h, body)
			if status != want || (want != http.StatusNoContent && (a.Code != "FAIL" || a.Message != reasonQueueFull)) {
				t.Errorf("notification %d: answered %d %+v, want %d", i, status, a, want)
			}
		}
	})
	t.Run("storage failure", func(t *testing.T) {
		rig := startV3Relay(t, nil)
		if err := rig.q.close(); err != nil { // the disk is gone
			t.Fatal(err)
		}
		h, body := paid(t, rig.platform, "EV-0001", "K3-0001", rig.clock.Now())
		if status, a := postV3(t, rig.URL, "k3", h, body); status != http.StatusInternalServerError || a.Code != "FAIL" || a.Message != reasonStorage {
			t.Errorf("answered %d %+v, want 500 FAIL storage", status, a)
		}
	})
}

func TestVerifiedV3NotificationsAreNotCappedAsUnverified(t *testing.T) {
	rig := startV3Relay(t, func(c *ServerConfig) { c.MaxUnverified = 1 })
	for i := range 3 {
		no := "K3-000" + strconv.Itoa(i)
		h, body := paid(t, rig.platform, "EV-"+no, no, rig.clock.Now())
		if status, a := postV3(t, rig.URL, "k3", h, body); status != http.StatusNoContent {
			t.Fatalf("notification %d: answered %d %+v, want 204", i, status, a)
		}
	}
	// An unverified (v2, no merchant key) notification for the same kiosk
	// still counts the whole queue against MaxUnverified.
	status, _ := post(t, rig.URL, "/wxpay/notify/k3", notification(wxsim.DemoKey, "K3-V2-1", "4200000001202601010000000099"))
	if status != http.StatusServiceUnavailable {
		t.Errorf("unverified v2 notification answered %d, want 503", status)
	}
	if got := metricValue(t, rig.URL, "saoma_relay_messages_queued_unverified"); got != "0" {
		t.Errorf("unverified gauge = %s, want 0 (every stored message was verified)", got)
	}
}

func TestVersion1KioskGetsV2MessagesAndV3WaitsForAnUpdate(t *testing.T) {
	rig := startV3Relay(t, nil)
	notify(t, rig.URL, "k3", notification(wxsim.DemoKey, "K3-V2-1", "4200000001202601010000000001"))
	h, body := paid(t, rig.platform, "EV-0002", "K3-0002", rig.clock.Now())
	if status, a := postV3(t, rig.URL, "k3", h, body); status != http.StatusNoContent {
		t.Fatalf("relay answered %d %+v, want 204", status, a)
	}
	notify(t, rig.URL, "k3", notification(wxsim.DemoKey, "K3-V2-3", "4200000001202601010000000003"))

	conn, _ := dialRaw(t, rig.URL, tokenK3, "v=1")
	if w := readFrame(t, conn); w.Type != typeWelcome || w.V != 1 {
		t.Fatalf("welcome %+v, want version 1", w)
	}
	f := readFrame(t, conn)
	if f.Type != typeNotify || f.Seq != 1 || f.Headers != nil || outTradeNo(t, f.Body) != "K3-V2-1" {
		t.Fatalf("first frame %+v, want the v2 notification seq 1 without headers", f)
	}
	// The writer handled the whole stored queue before it takes a callback
	// from its queue, so the next frame shows what it held back.
	cb := make(chan int, 1)
	go func() {
		status, _ := post(t, rig.URL, "/wxpay/native-callback/k3", callbackBody(wxsim.DemoKey, "P1"))
		cb <- status
	}()
	if f := readFrame(t, conn); f.Type != typeCallback {
		t.Fatalf("next frame %+v, want the callback: the v3 notification must be held for a version-1 kiosk", f)
	}
	ack := frame{Type: typeAck, Seq: 1, Epoch: rig.Epoch()}
	if err := conn.WriteMessage(websocket.TextMessage, ack.encode()); err != nil {
		t.Fatal(err)
	}
	rig.waitAck(t, "k3", 1)
	conn.Close()
	<-cb

	kc := startClient(t, rig.URL, tokenK3, nil)
	n := kc.nextNote(t)
	if n.Header == nil {
		t.Fatalf("updated kiosk got %s without headers", n.Body)
	}
	if got, err := rig.notifier.Parse(n.Header, n.Body); err != nil || got.ID != "EV-0002" {
		t.Fatalf("updated kiosk got %+v (err %v), want EV-0002", got, err)
	}
	n = kc.nextNote(t)
	if n.Header != nil || outTradeNo(t, string(n.Body)) != "K3-V2-3" {
		t.Errorf("then got %s (headers %v), want the v2 notification K3-V2-3", n.Body, n.Header)
	}
}

func TestV3NotificationSurvivesARestartWithItsHeaders(t *testing.T) {
	rig := startV3Relay(t, nil)
	h, body := paid(t, rig.platform, "EV-0001", "K3-0001", rig.clock.Now())
	if status, a := postV3(t, rig.URL, "k3", h, body); status != http.StatusNoContent {
		t.Fatalf("relay answered %d %+v, want 204", status, a)
	}
	rig.stop()
	kiosks := rig.cfg.Kiosks
	tr := startRelayIn(t, rig.dir, func(c *ServerConfig) { c.Kiosks = kiosks })
	kc := startClient(t, tr.URL, tokenK3, nil)
	n := kc.nextNote(t)
	if _, err := rig.notifier.Parse(n.Header, n.Body); err != nil {
		t.Fatalf("notification stored before the restart does not verify: %v", err)
	}
}

func TestStoredValuesOfBothLayoutsDecode(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	header := map[string]string{wxpayv3.HeaderNonce: "n1", wxpayv3.HeaderSignature: "c2ln"}
	old := append(make([]byte, 8), "<xml>1</xml>"...) // the layout before headers existed
	for i := range 8 {
		old[i] = byte(uint64(at) >> (56 - 8*i))
	}
	v3, err := encodeValue(at, header, []byte(`{"id":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := encodeValue(at, nil, []byte("<xml>1</xml>"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v2, old) {
		t.Errorf("a v2 message is not stored in the original layout: %x, want %x", v2, old)
	}
	tests := []struct {
		name   string
		value  []byte
		header map[string]string
		body   string
	}{
		{"value written before headers", old, nil, "<xml>1</xml>"},
		{"value with headers", v3, header, `{"id":"1"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotAt, gotHeader, gotBody, err := decodeValue(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if gotAt != at || string(gotBody) != tc.body || len(gotHeader) != len(tc.header) {
				t.Fatalf("decoded %d %v %q, want %d %v %q", gotAt, gotHeader, gotBody, at, tc.header, tc.body)
			}
			for k, v := range tc.header {
				if gotHeader[k] != v {
					t.Errorf("header %s = %q, want %q", k, gotHeader[k], v)
				}
			}
		})
	}
	for _, bad := range [][]byte{v3[:5], v3[:9], append(v3[:9:9], 0xff)} {
		if _, _, _, err := decodeValue(bad); err == nil {
			t.Errorf("corrupt value %x decoded", bad)
		}
	}
}

func TestV3PaymentFromTheSimulatorReachesTheKiosk(t *testing.T) {
	sim, err := wxsim.Start(wxsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	tr := startRelay(t, func(c *ServerConfig) {
		c.Kiosks = append(c.Kiosks, Kiosk{
			ID: "k3", TokenHash: HashToken(tokenK3),
			WechatPayPublicKey: sim.WechatPayPublicKey(), WechatPayPublicKeyID: sim.WechatPayPublicKeyID(),
		})
	})
	pay, err := wxpayv3.NewClient(sim.ClientConfigV3())
	if err != nil {
		t.Fatal(err)
	}
	kc := startClient(t, tr.URL, tokenK3, nil)
	code, err := pay.NativePrepay(t.Context(), wxpayv3.NativeOrder{
		OutTradeNo: "K3-SIM-0001", Description: "Saoma测试店-拿铁", Total: 1800, NotifyURL: tr.URL + "/wxpay/notify/k3",
	})
	if err != nil {
		t.Fatalf("NativePrepay: %v", err)
	}
	res, err := sim.Scan(t.Context(), wxsim.ScanRequest{URL: code})
	if err != nil || res.TradeState != wxsim.StateSuccess {
		t.Fatalf("Scan: %+v, %v", res, err)
	}
	n := kc.nextNote(t)
	notifier, err := wxpayv3.NewNotifier(sim.V3Verifier(), sim.APIv3Key(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := notifier.Parse(n.Header, n.Body)
	if err != nil {
		t.Fatalf("the kiosk cannot verify what the relay delivered: %v", err)
	}
	if got.Transaction == nil || got.Transaction.OutTradeNo != "K3-SIM-0001" || got.Transaction.TransactionID != res.TransactionID || got.Transaction.Total != 1800 {
		t.Errorf("notification %+v", got)
	}
	tr.waitAck(t, "k3", 1)
}

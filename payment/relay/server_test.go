package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	bolt "go.etcd.io/bbolt"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

func TestNotifyRefusesBadInput(t *testing.T) {
	tr := startRelay(t, nil)
	good := notification(wxsim.DemoKey, "K1-0001", "4200000001202601010000000001")
	forged := notification("forgedKey0123456789abcdefABCDEFG", "K1-0001", "4200000001202601010000000002")
	tampered := bytes.Replace(good, []byte("1250"), []byte("1"), 1)
	otherMerchant := func() []byte {
		p, _ := wxpay.ParseXML(good)
		p["mch_id"] = "1900000999"
		delete(p, "sign")
		p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
		return p.EncodeXML()
	}()
	huge := append([]byte("<xml><return_code>SUCCESS</return_code><pad>"), bytes.Repeat([]byte("a"), 70<<10)...)
	huge = append(huge, "</pad></xml>"...)
	xxe := []byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>`)
	unsignedShape := []byte(`<xml><return_code>SUCCESS</return_code><appid>wx1</appid></xml>`)

	tests := []struct {
		name, kiosk string
		body        []byte
		chunked     bool
		wantStatus  int
		wantReason  string
	}{
		{"unknown kiosk is refused", "nope", good, false, http.StatusNotFound, reasonUnknownKiosk},
		{"oversized body is refused unread", "k1", huge, false, http.StatusRequestEntityTooLarge, reasonTooLarge},
		{"oversized chunked body is cut off", "k2", huge, true, http.StatusRequestEntityTooLarge, reasonTooLarge},
		{"DOCTYPE is refused with the key", "k1", xxe, false, http.StatusBadRequest, reasonDoctype},
		{"DOCTYPE is refused without the key", "k2", xxe, false, http.StatusBadRequest, reasonDoctype},
		{"malformed XML is refused", "k2", []byte("<xml><a>1</a>"), false, http.StatusBadRequest, reasonMalformed},
		{"not XML at all is refused", "k1", []byte(`{"json":true}`), false, http.StatusBadRequest, reasonMalformed},
		{"forged signature is refused when the relay holds the key", "k1", forged, false, http.StatusForbidden, reasonSignature},
		{"tampered amount breaks the signature", "k1", tampered, false, http.StatusForbidden, reasonSignature},
		{"another merchant's notification is refused", "k1", otherMerchant, false, http.StatusBadRequest, reasonWrongMerchant},
		{"a keyless kiosk still needs the notification's shape", "k2", unsignedShape, false, http.StatusBadRequest, reasonBadMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="`+tc.wantReason+`"}`)
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			resp, err := http.Post(tr.URL+"/wxpay/notify/"+tc.kiosk, "text/xml", body)
			if err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tc.wantStatus, reply)
			}
			if ok, _, err := wxpay.ParseNotifyReply(reply); err != nil || ok {
				t.Errorf("reply = %s, want a FAIL WeChat retries", reply)
			}
			after := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="`+tc.wantReason+`"}`)
			if after == before {
				t.Errorf("rejected{reason=%q} stayed %s", tc.wantReason, after)
			}
		})
	}
	if got := metricValue(t, tr.URL, "saoma_relay_messages_queued"); got != "0" {
		t.Errorf("queued = %s after refused requests, want 0", got)
	}
	resp, err := http.Get(tr.URL + "/wxpay/notify/k1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET notify = %d, want 405", resp.StatusCode)
	}
}

func TestDuplicatesAreStoredOnce(t *testing.T) {
	tr := startRelay(t, nil)
	// k1 verifies: the same transaction_id is one notification, whatever
	// the nonce of the copy.
	first := notification(wxsim.DemoKey, "K1-0001", "4200000001202601010000000001")
	p, _ := wxpay.ParseXML(first)
	p["nonce_str"] = "anotherNonce"
	delete(p, "sign")
	p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
	resent := p.EncodeXML()
	notify(t, tr.URL, "k1", first)
	notify(t, tr.URL, "k1", first)
	notify(t, tr.URL, "k1", resent)
	notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "K1-0002", "4200000001202601010000000002"))
	// k2 cannot verify: identical copies collapse, a body that differs is
	// kept (the kiosk dedupes), so a forger cannot shadow a real payment.
	unverified := notification("anyKeyTheRelayDoesNotKnow0123456", "K2-0001", "4200000001202601010000000003")
	notify(t, tr.URL, "k2", unverified)
	notify(t, tr.URL, "k2", unverified)

	if got := metricValue(t, tr.URL, "saoma_relay_notifications_accepted_total"); got != "3" {
		t.Errorf("accepted = %s, want 3", got)
	}
	if got := metricValue(t, tr.URL, "saoma_relay_notifications_duplicate_total"); got != "3" {
		t.Errorf("duplicates = %s, want 3", got)
	}
	kc := startClient(t, tr.URL, tokenK1, nil)
	if got := outTradeNo(t, kc.next(t)); got != "K1-0001" {
		t.Errorf("first delivery %s, want K1-0001", got)
	}
	if got := outTradeNo(t, kc.next(t)); got != "K1-0002" {
		t.Errorf("second delivery %s, want K1-0002 (the duplicate must not be delivered)", got)
	}
}

func TestStorageFailureAnswersFail(t *testing.T) {
	tr := startRelay(t, nil)
	if err := tr.q.close(); err != nil { // the disk is gone
		t.Fatal(err)
	}
	status, reply := post(t, tr.URL, "/wxpay/notify/k1", notification(wxsim.DemoKey, "K1-0001", "4200000001202601010000000001"))
	if status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", status)
	}
	if ok, _, _ := wxpay.ParseNotifyReply([]byte(reply)); ok {
		t.Errorf("reply %s: a notification that was not stored must be answered FAIL", reply)
	}
	if got := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="storage"}`); got != "1" {
		t.Errorf("rejected{storage} = %s, want 1", got)
	}
	resp, err := http.Get(tr.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz = %d with the store gone, want 503", resp.StatusCode)
	}
}

func TestWebsocketAuthentication(t *testing.T) {
	tr := startRelay(t, nil)
	tests := []struct {
		name, token, query string
		origin             string
		want               int
		reason             string
	}{
		{"missing token", "", "", "", http.StatusUnauthorized, reasonNoToken},
		{"wrong token", "not-a-kiosk-token", "", "", http.StatusUnauthorized, reasonBadToken},
		{"another kiosk's token hash is not a token", strings.TrimPrefix(HashToken(tokenK1), "sha256:"), "", "", http.StatusUnauthorized, reasonBadToken},
		{"asking for another kiosk's messages", tokenK1, "kiosk=k2", "", http.StatusForbidden, reasonWrongKiosk},
		{"unknown protocol version", tokenK1, "v=9", "", http.StatusBadRequest, reasonBadRequest},
		{"malformed last_seq", tokenK1, "last_seq=-1&epoch=x", "", http.StatusBadRequest, reasonBadRequest},
		{"browser origin", tokenK1, "", "https://evil.example", http.StatusForbidden, reasonBadRequest},
		{"own kiosk", tokenK1, "kiosk=k1&v=1", "", http.StatusSwitchingProtocols, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := "ws" + strings.TrimPrefix(tr.URL, "http") + "/ws?" + tc.query
			hdr := http.Header{}
			if tc.token != "" {
				hdr.Set("Authorization", "Bearer "+tc.token)
			}
			if tc.origin != "" {
				hdr.Set("Origin", tc.origin)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(u, hdr)
			if conn != nil {
				defer conn.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.reason != "" {
				if got := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="`+tc.reason+`"}`); got == "0" {
					t.Errorf("rejected{%s} not counted", tc.reason)
				}
				return
			}
			w := readFrame(t, conn)
			if w.Type != typeWelcome || w.Kiosk != "k1" || w.Epoch != tr.Epoch() {
				t.Errorf("welcome = %+v", w)
			}
		})
	}
}

func TestKioskOnlyGetsItsOwnMessages(t *testing.T) {
	tr := startRelay(t, nil)
	c1 := startClient(t, tr.URL, tokenK1, nil)
	c2 := startClient(t, tr.URL, tokenK2, func(c *ClientConfig) { c.KioskID = "k2" })
	c1.waitLink(t, true)
	c2.waitLink(t, true)
	for i, id := range ids("A", 5) {
		notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "K1-"+id, "42000000012026010100000000"+id[3:]))
		notify(t, tr.URL, "k2", notification("keyOfKioskTwoMerchant0123456789a", "K2-"+id, "42000000022026010100000000"+id[3:]))
		_ = i
	}
	notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "K1-END", "4200000001202601019999999999"))
	notify(t, tr.URL, "k2", notification("keyOfKioskTwoMerchant0123456789a", "K2-END", "4200000002202601019999999999"))
	for _, c := range []struct {
		kc     *kioskClient
		prefix string
	}{{c1, "K1-"}, {c2, "K2-"}} {
		var got []string
		for {
			o := outTradeNo(t, c.kc.next(t))
			got = append(got, o)
			if strings.HasSuffix(o, "END") {
				break
			}
		}
		want := []string{c.prefix + "A00000", c.prefix + "A00001", c.prefix + "A00002", c.prefix + "A00003", c.prefix + "A00004", c.prefix + "END"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s kiosk got %v, want %v", c.prefix, got, want)
		}
	}
}

func TestOfflineForHoursThenEverythingInOrder(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := &fakeNow{t: now}
	dir := t.TempDir()
	tr := startRelayIn(t, dir, func(c *ServerConfig) { c.Now = clock.Now })
	const n = 400
	orders := ids("H", n)
	for i, id := range orders {
		notify(t, tr.URL, "k1", notification(wxsim.DemoKey, id, "4200000001202601010000"+id[1:]+"0"))
		if i == n/2 { // the relay restarts during the outage
			tr.stop()
			tr = startRelayIn(t, dir, func(c *ServerConfig) { c.Now = clock.Now })
		}
	}
	clock.add(3 * time.Hour)
	kc := startClient(t, tr.URL, tokenK1, nil)
	for i := range n {
		if got := outTradeNo(t, kc.next(t)); got != orders[i] {
			t.Fatalf("delivery %d = %s, want %s", i, got, orders[i])
		}
	}
	tr.waitAck(t, "k1", n)
	kc.stop()
	tr.stop() // commits the last acknowledgements
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if left := tx.Bucket(bucketQueue).Stats().KeyN; left != 0 {
			t.Errorf("%d acknowledged messages were not pruned", left)
		}
		if got := getSeq(tx.Bucket(bucketAck), []byte("k1")); got != n {
			t.Errorf("ack record = %d, want %d", got, n)
		}
		return nil
	})
}

// fakeNow is an adjustable clock for ServerConfig.Now.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func TestReconnectMidDeliveryLosesNothing(t *testing.T) {
	tr := startRelay(t, func(c *ServerConfig) { c.Window = 16 })
	const n = 300
	orders := ids("R", n)
	for _, id := range orders {
		notify(t, tr.URL, "k1", notification(wxsim.DemoKey, id, "4200000001202601010000"+id[1:]+"0"))
	}
	calls := 0
	failedOnce := false
	kc := startClient(t, tr.URL, tokenK1, func(c *ClientConfig) {
		inner := c.OnNotification
		c.OnNotification = func(ctx context.Context, n Notification) error {
			calls++ // OnNotification is never called concurrently
			switch {
			case calls == 100:
				tr.disconnect("k1") // the link breaks with messages in flight
			case calls == 200 && !failedOnce:
				failedOnce = true
				return errors.New("disk busy") // the kiosk could not commit: offered again
			}
			return inner(ctx, n)
		}
	})
	seen := make(map[string]bool)
	var order []string
	for len(seen) < n {
		o := outTradeNo(t, kc.next(t))
		if !seen[o] {
			seen[o] = true
			order = append(order, o)
		}
	}
	for i := range order {
		if order[i] != orders[i] {
			t.Fatalf("first deliveries out of order at %d: %s, want %s", i, order[i], orders[i])
		}
	}
	if got := metricValue(t, tr.URL, `saoma_relay_disconnects_total{reason="kicked"}`); got != "1" {
		t.Errorf("kicked = %s, want 1", got)
	}
}

func TestResumeAfterKiosksLastAck(t *testing.T) {
	tr := startRelay(t, nil)
	for _, id := range ids("S", 3) {
		notify(t, tr.URL, "k1", notification(wxsim.DemoKey, id, "4200000001202601010000"+id[1:]+"0"))
	}
	// The kiosk committed seq 2 but the relay never heard the ack.
	conn, _ := dialRaw(t, tr.URL, tokenK1, "v=1&epoch="+tr.Epoch()+"&last_seq=2")
	w := readFrame(t, conn)
	if w.ResumeAfter != 2 {
		t.Errorf("resume_after = %d, want 2", w.ResumeAfter)
	}
	f := readFrame(t, conn)
	if f.Type != typeNotify || f.Seq != 3 || f.Epoch != tr.Epoch() {
		t.Fatalf("first frame = %+v, want notify seq 3", f)
	}
	// An unknown epoch (the kiosk knew a previous store) resumes from the
	// relay's own record instead.
	conn.Close()
	conn2, _ := dialRaw(t, tr.URL, tokenK1, "v=1&epoch=0123456789abcdef&last_seq=3")
	if w := readFrame(t, conn2); w.ResumeAfter != 2 {
		t.Errorf("resume_after with a foreign epoch = %d, want the relay's 2", w.ResumeAfter)
	}
	if f := readFrame(t, conn2); f.Seq != 3 {
		t.Errorf("seq = %d, want 3", f.Seq)
	}
	// Acknowledging what was never sent is a protocol violation.
	bad := frame{Type: typeAck, Seq: 99, Epoch: tr.Epoch()}
	if err := conn2.WriteMessage(websocket.TextMessage, bad.encode()); err != nil {
		t.Fatal(err)
	}
	_ = conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := conn2.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseProtocolError) {
		t.Errorf("after a bogus ack: %v, want close 1002", err)
	}
}

func TestEpochChangeResetsTheKiosksPosition(t *testing.T) {
	state := filepath.Join(t.TempDir(), "relay-state.json")
	if err := writeState(state, clientState{Epoch: "feedfacefeedface", LastSeq: 1000}); err != nil {
		t.Fatal(err)
	}
	tr := startRelay(t, nil) // a new store: a new epoch, sequences from 1
	notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "E-1", "4200000001202601010000000001"))
	kc := startClient(t, tr.URL, tokenK1, func(c *ClientConfig) { c.StatePath = state })
	if got := outTradeNo(t, kc.next(t)); got != "E-1" {
		t.Fatalf("got %s", got)
	}
	kc.stop()
	c2, err := NewClient(ClientConfig{URL: tr.URL, Token: tokenK1, StatePath: state, OnNotification: func(context.Context, Notification) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if epoch, seq := c2.state(); epoch != tr.Epoch() || seq != 1 {
		t.Errorf("saved state = %s/%d, want %s/1", epoch, seq, tr.Epoch())
	}
}

func TestStuckKioskIsDisconnected(t *testing.T) {
	const (
		pingInterval = 30 * time.Second
		pongWait     = 2 * time.Minute
		ackTimeout   = time.Minute
		tick         = 15 * time.Second // min(PingInterval, AckTimeout, PongWait-PingInterval)/2
		maxSteps     = 100              // ticks the test lets pass before it gives up
	)
	tests := []struct {
		name string
		cfg  func(*ServerConfig)
		// act runs once the kiosk is connected; if it starts reading conn
		// itself it returns the error that ended the reading, else nil.
		// ticks says whether the fake clock then moves tick by tick until
		// the relay drops the kiosk.
		act    func(t *testing.T, tr *testRelay, conn *websocket.Conn, clock *fakeClock) <-chan error
		ticks  bool
		code   int
		reason string
	}{
		{
			name: "a kiosk that never acknowledges",
			act: func(t *testing.T, tr *testRelay, conn *websocket.Conn, clock *fakeClock) <-chan error {
				// Pongs as a kiosk would, ignoring a write to a socket the
				// relay already closed, so the close frame is what ends it.
				conn.SetPingHandler(func(m string) error {
					_ = conn.WriteControl(websocket.PongMessage, []byte(m), time.Now().Add(time.Second))
					return nil
				})
				notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "X-1", "4200000001202601010000000001"))
				if f := readFrame(t, conn); f.Type != typeNotify {
					t.Fatalf("got %+v, want the notification in flight", f)
				}
				return nil
			},
			ticks: true, code: websocket.CloseTryAgainLater, reason: dropAck,
		},
		{
			name: "a kiosk that stops answering pings",
			act: func(t *testing.T, tr *testRelay, conn *websocket.Conn, clock *fakeClock) <-chan error {
				pinged := make(chan struct{}, 10)
				conn.SetPingHandler(func(string) error { pinged <- struct{}{}; return nil }) // no pong
				ended := make(chan error, 1)
				go func() { // runs the ping handler
					var err error
					for err == nil {
						_, _, err = conn.ReadMessage()
					}
					ended <- err
				}()
				clock.advance(tick)
				clock.advance(tick) // PingInterval has passed: a ping is due
				select {
				case <-pinged:
				case <-time.After(10 * time.Second):
					t.Fatal("the relay never pinged the kiosk")
				}
				return ended
			},
			ticks: true, code: -1, reason: dropSilent,
		},
		{
			name: "a kiosk whose send queue is full",
			cfg:  func(c *ServerConfig) { c.SendQueue = 1 },
			act: func(t *testing.T, tr *testRelay, conn *websocket.Conn, clock *fakeClock) <-chan error {
				// Stand in for a writer stuck on a slow kiosk: a session
				// whose queue is full and never drains.
				real := tr.lookup("k1").session()
				stuck := newSession(tr.Server, real.k, real.conn, real.remote, ProtocolVersion)
				stuck.out <- []byte("{}")
				tr.lookup("k1").attach(stuck)
				real.close(dropReplaced)
				if _, result := stuck.call(context.Background(), []byte("<xml/>"), time.Second); result != callbackSlow {
					t.Errorf("call on a full queue = %s, want %s", result, callbackSlow)
				}
				if tr.lookup("k1").session() != nil {
					t.Error("slow kiosk still attached")
				}
				return nil
			},
			code: -1, reason: dropQueue,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := startRelay(t, func(c *ServerConfig) {
				c.Now, c.clock = clock.Now, clock
				c.PingInterval, c.PongWait, c.AckTimeout = pingInterval, pongWait, ackTimeout
				if tc.cfg != nil {
					tc.cfg(c)
				}
			})
			conn, _ := dialRaw(t, tr.URL, tokenK1, "")
			readFrame(t, conn) // welcome
			ended := tc.act(t, tr, conn, clock)
			if tc.ticks {
				for i := 0; tr.lookup("k1").session() != nil; i++ {
					if i == maxSteps {
						t.Fatalf("the relay did not drop the kiosk within %v", maxSteps*tick)
					}
					clock.advance(tick) // returns once the relay took the tick: its last sweep is done
				}
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var err error
			if ended != nil {
				err = <-ended
			}
			for err == nil {
				_, _, err = conn.ReadMessage()
			}
			if tc.code > 0 && !websocket.IsCloseError(err, tc.code) {
				t.Errorf("connection ended with %v, want close code %d", err, tc.code)
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the relay did not drop the kiosk: %v", err)
			}
			if got := metricValue(t, tr.URL, `saoma_relay_disconnects_total{reason="`+tc.reason+`"}`); got == "0" {
				t.Errorf("disconnects{%s} not counted", tc.reason)
			}
		})
	}
}

func TestShutdownClosesKiosksAndRefusesRequests(t *testing.T) {
	tr := startRelay(t, nil)
	kc := startClient(t, tr.URL, tokenK1, nil)
	kc.waitLink(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	kc.waitLink(t, false)
	status, _ := post(t, tr.URL, "/wxpay/notify/k1", notification(wxsim.DemoKey, "Z-1", "4200000001202601010000000001"))
	if status != http.StatusServiceUnavailable {
		t.Errorf("notify after shutdown = %d, want 503", status)
	}
	if err := tr.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	tr := startRelay(t, nil)
	resp, err := http.Get(tr.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok\n" {
		t.Errorf("healthz = %d %q", resp.StatusCode, b)
	}
	kc := startClient(t, tr.URL, tokenK1, nil)
	kc.waitLink(t, true)
	notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "M-1", "4200000001202601010000000001"))
	kc.next(t)
	for series, want := range map[string]string{
		"saoma_relay_kiosks_configured":            "2",
		"saoma_relay_kiosks_connected":             "1",
		"saoma_relay_notifications_accepted_total": "1",
		"saoma_relay_messages_sent_total":          "1",
	} {
		if got := metricValue(t, tr.URL, series); got != want {
			t.Errorf("%s = %s, want %s", series, got, want)
		}
	}
	metricValue(t, tr.URL, `saoma_relay_delivery_seconds_bucket{le="+Inf"}`)
}

func TestNewServerRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	k := testKiosks()
	tests := []struct {
		name string
		cfg  ServerConfig
	}{
		{"no kiosks", ServerConfig{DataDir: dir}},
		{"no data dir", ServerConfig{Kiosks: k}},
		{"duplicate id", ServerConfig{DataDir: dir, Kiosks: []Kiosk{k[0], {ID: "k1", TokenHash: HashToken("x")}}}},
		{"shared token", ServerConfig{DataDir: dir, Kiosks: []Kiosk{k[0], {ID: "k3", TokenHash: k[0].TokenHash}}}},
		{"bad token hash", ServerConfig{DataDir: dir, Kiosks: []Kiosk{{ID: "k1", TokenHash: "md5:abc"}}}},
		{"bad id", ServerConfig{DataDir: dir, Kiosks: []Kiosk{{ID: "../k1", TokenHash: HashToken("x")}}}},
		{"pong wait below ping interval", ServerConfig{DataDir: dir, Kiosks: k, PingInterval: time.Minute, PongWait: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := NewServer(tc.cfg); err == nil {
				_ = s.Shutdown(context.Background())
				t.Fatal("accepted")
			}
		})
	}
	// A second relay on the same data dir is refused, not blocked.
	tr := startRelay(t, nil)
	if s, err := NewServer(ServerConfig{DataDir: tr.dir, Kiosks: k}); err == nil {
		_ = s.Shutdown(context.Background())
		t.Fatal("two relays opened one store")
	}
}

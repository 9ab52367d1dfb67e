package relay

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxsim"
)

const tokenK9 = "token-for-kiosk-three"

// closedWith reads conn until the relay closes it and returns the close
// error (a read deadline bounds the wait, and its timeout fails the test).
func closedWith(t *testing.T, conn *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended with %v, want a close frame from the relay", err)
		}
		return ce
	}
}

func TestSetKiosksAddsAKioskAndKeepsConnectedOnes(t *testing.T) {
	tr := startRelay(t, nil)
	kc := startClient(t, tr.URL, tokenK1, nil)
	kc.waitLink(t, true)
	before := tr.lookup("k1").session()

	ks := append(testKiosks(), Kiosk{ID: "k9", TokenHash: HashToken(tokenK9)})
	if err := tr.SetKiosks(ks); err != nil {
		t.Fatal(err)
	}
	if got := tr.lookup("k1").session(); got != before || got == nil {
		t.Fatal("k1's session was replaced or dropped by the reload")
	}
	notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "R-1", "4200000001202601010000000001"))
	if got := outTradeNo(t, kc.next(t)); got != "R-1" {
		t.Fatalf("k1 got %s after the reload, want R-1", got)
	}
	select {
	case up := <-kc.links:
		t.Fatalf("k1's link changed (up=%v) during the reload", up)
	default:
	}
	conn, status := dialRaw(t, tr.URL, tokenK9, "")
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("added kiosk k3: HTTP %d, want a websocket", status)
	}
	if w := readFrame(t, conn); w.Type != typeWelcome || w.Kiosk != "k9" {
		t.Fatalf("k3 welcome = %+v", w)
	}
	if got := metricValue(t, tr.URL, "saoma_relay_kiosks_configured"); got != "3" {
		t.Errorf("kiosks_configured = %s, want 3", got)
	}
}

func TestSetKiosksDisconnectsARemovedKioskAndRefusesIt(t *testing.T) {
	tr := startRelay(t, nil)
	conn, _ := dialRaw(t, tr.URL, tokenK2, "")
	readFrame(t, conn) // welcome: attached

	if err := tr.SetKiosks(testKiosks()[:1]); err != nil {
		t.Fatal(err)
	}
	if ce := closedWith(t, conn); ce.Text != dropRemoved {
		t.Errorf("close reason %q, want %q", ce.Text, dropRemoved)
	}
	if got := metricValue(t, tr.URL, `saoma_relay_disconnects_total{reason="removed"}`); got != "1" {
		t.Errorf("disconnects{removed} = %s, want 1", got)
	}
	if status, _ := post(t, tr.URL, "/wxpay/notify/k2", notification("someMerchantKey0123456789abcdefA", "R-2", "4200000001202601010000000002")); status != http.StatusNotFound {
		t.Errorf("notification for the removed kiosk: HTTP %d, want 404", status)
	}
	if _, status := dialRaw(t, tr.URL, tokenK2, ""); status != http.StatusUnauthorized {
		t.Errorf("removed kiosk reconnecting: HTTP %d, want 401", status)
	}
}

func TestSetKiosksDeliversWhatTheStoreKeptForAKioskAddedBack(t *testing.T) {
	tr := startRelay(t, nil)
	notify(t, tr.URL, "k2", notification("someMerchantKey0123456789abcdefA", "B-1", "4200000001202601010000000001"))
	if err := tr.SetKiosks(testKiosks()[:1]); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetKiosks(testKiosks()); err != nil {
		t.Fatal(err)
	}
	kc := startClient(t, tr.URL, tokenK2, nil)
	if got := outTradeNo(t, kc.next(t)); got != "B-1" {
		t.Fatalf("k2 got %s, want B-1 stored before it was removed", got)
	}
}

func TestSetKiosksWithARotatedTokenClosesTheOldSessionAndRefusesTheOldToken(t *testing.T) {
	tr := startRelay(t, nil)
	conn, _ := dialRaw(t, tr.URL, tokenK1, "")
	readFrame(t, conn)

	const newToken = "rotated-token-for-kiosk-one"
	ks := testKiosks()
	ks[0].TokenHash = HashToken(newToken)
	if err := tr.SetKiosks(ks); err != nil {
		t.Fatal(err)
	}
	if ce := closedWith(t, conn); ce.Text != dropRotated {
		t.Errorf("close reason %q, want %q", ce.Text, dropRotated)
	}
	if _, status := dialRaw(t, tr.URL, tokenK1, ""); status != http.StatusUnauthorized {
		t.Errorf("old token: HTTP %d, want 401", status)
	}
	conn2, status := dialRaw(t, tr.URL, newToken, "")
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("new token: HTTP %d, want a websocket", status)
	}
	if w := readFrame(t, conn2); w.Kiosk != "k1" {
		t.Errorf("new token welcomed as %q, want k1", w.Kiosk)
	}
}

func TestSetKiosksRefusesABadListAndKeepsTheOldTable(t *testing.T) {
	dupToken := testKiosks()
	dupToken[1].TokenHash = dupToken[0].TokenHash
	badHash := testKiosks()
	badHash[1].TokenHash = "md5:abc"
	dupID := testKiosks()
	dupID[1].ID = "k1"
	tests := []struct {
		name string
		ks   []Kiosk
	}{
		{"an empty list is refused", nil},
		{"two kiosks sharing a token are refused", dupToken},
		{"a token hash that does not decode is refused", badHash},
		{"an id used twice is refused", dupID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := startRelay(t, nil)
			conn, _ := dialRaw(t, tr.URL, tokenK2, "")
			readFrame(t, conn)
			before := tr.kiosks.Load()
			if err := tr.SetKiosks(tc.ks); err == nil {
				t.Fatal("SetKiosks accepted it")
			}
			if tr.kiosks.Load() != before {
				t.Error("the kiosk table changed")
			}
			if tr.lookup("k2").session() == nil {
				t.Error("k2 was disconnected")
			}
			notify(t, tr.URL, "k2", notification("someMerchantKey0123456789abcdefA", "K-1", "4200000001202601010000000001"))
			if f := readFrame(t, conn); f.Type != typeNotify || outTradeNo(t, f.Body) != "K-1" {
				t.Errorf("k2 got %+v after the refused reload", f)
			}
		})
	}
}

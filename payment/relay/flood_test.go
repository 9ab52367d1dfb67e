package relay

import (
	"fmt"
	"net/http"
	"testing"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// forged returns a notification for kiosk k2's (unknown) merchant signed
// with a key the relay does not hold: k2's relay can only check its shape.
func forged(i int) []byte {
	return notification("forgersKeyNobodyVerifies01234567", fmt.Sprintf("F-%04d", i), fmt.Sprintf("42000000022026010100%08d", i))
}

// postFails posts body and fails the test unless the relay answered a
// WeChat FAIL with status want.
func postFails(t *testing.T, base, kiosk string, body []byte, want int) {
	t.Helper()
	status, reply := post(t, base, "/wxpay/notify/"+kiosk, body)
	if status != want {
		t.Errorf("notify %s: status %d, want %d (%s)", kiosk, status, want, reply)
	}
	if ok, _, err := wxpay.ParseNotifyReply([]byte(reply)); err != nil || ok {
		t.Errorf("notify %s: reply %s, want a FAIL WeChat retries", kiosk, reply)
	}
}

func TestForgedNotificationsCannotFillAnOfflineKiosksQueue(t *testing.T) {
	const capUnverified = 3
	dir := t.TempDir()
	cfg := func(c *ServerConfig) { c.MaxUnverified = capUnverified }
	tr := startRelayIn(t, dir, cfg)

	for i := range capUnverified {
		notify(t, tr.URL, "k2", forged(i))
	}
	postFails(t, tr.URL, "k2", forged(capUnverified), http.StatusServiceUnavailable)
	if got := metricValue(t, tr.URL, `saoma_relay_rejected_total{reason="unverified_full"}`); got != "1" {
		t.Errorf("rejected{unverified_full} = %s, want 1", got)
	}
	if got := metricValue(t, tr.URL, "saoma_relay_messages_queued_unverified"); got != "3" {
		t.Errorf("queued_unverified = %s, want 3", got)
	}
	// A copy of a stored message is still a duplicate, answered SUCCESS.
	notify(t, tr.URL, "k2", forged(0))
	// Notifications the relay verified are not subject to the cap.
	for i := range 2 * capUnverified {
		notify(t, tr.URL, "k1", notification(wxsim.DemoKey, fmt.Sprintf("V-%d", i), fmt.Sprintf("42000000012026010100%08d", i)))
	}

	// The count survives a restart: it is the kiosk's stored queue.
	tr.stop()
	tr = startRelayIn(t, dir, cfg)
	postFails(t, tr.URL, "k2", forged(capUnverified), http.StatusServiceUnavailable)
	if got := metricValue(t, tr.URL, "saoma_relay_messages_queued_unverified"); got != "3" {
		t.Errorf("queued_unverified after a restart = %s, want 3", got)
	}

	// Once the kiosk has taken its messages, WeChat's retry is stored.
	kc := startClient(t, tr.URL, tokenK2, nil)
	for i := range capUnverified {
		if got, want := outTradeNo(t, kc.next(t)), fmt.Sprintf("F-%04d", i); got != want {
			t.Fatalf("delivery %d = %s, want %s", i, got, want)
		}
	}
	tr.waitAck(t, "k2", capUnverified)
	notify(t, tr.URL, "k2", forged(capUnverified))
	if got := outTradeNo(t, kc.next(t)); got != fmt.Sprintf("F-%04d", capUnverified) {
		t.Errorf("retried delivery = %s", got)
	}
}

func TestUnverifiedCapDefaultsFarBelowTheQueue(t *testing.T) {
	tests := []struct {
		name      string
		cfg       ServerConfig
		verified  bool
		wantMax   int64
		wantError error
	}{
		{"unverified messages get the default cap", ServerConfig{}, false, DefaultMaxUnverified, errUnverifiedFull},
		{"verified messages get the whole queue", ServerConfig{}, true, DefaultMaxQueue, errQueueFull},
		{"a cap above the queue leaves the queue's limit", ServerConfig{MaxQueue: 10, MaxUnverified: 50}, false, 10, errQueueFull},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := startRelay(t, func(c *ServerConfig) {
				c.MaxQueue, c.MaxUnverified = tc.cfg.MaxQueue, tc.cfg.MaxUnverified
			})
			got := tr.limit(&ingestOp{verified: tc.verified})
			if got.max != tc.wantMax || got.err != tc.wantError {
				t.Errorf("limit = %d/%v, want %d/%v", got.max, got.err, tc.wantMax, tc.wantError)
			}
		})
	}
	if DefaultMaxUnverified*50 > DefaultMaxQueue {
		t.Errorf("DefaultMaxUnverified %d is not much smaller than DefaultMaxQueue %d", DefaultMaxUnverified, DefaultMaxQueue)
	}
}

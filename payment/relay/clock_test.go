package relay

import (
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxsim"
)

// stepClock is a wall clock and a monotonic clock that move separately, as
// they do when NTP or an operator steps the wall clock.
type stepClock struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *stepClock) monotonic() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// step moves the wall clock by wall and lets mono pass on the monotonic one.
func (c *stepClock) step(wall, mono time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(wall)
	c.mono += mono
}

func TestSilenceIsMeasuredOnTheMonotonicClock(t *testing.T) {
	const (
		pongWait   = 2 * time.Hour
		ackTimeout = time.Hour
	)
	type step struct {
		wall, mono time.Duration
		ack        bool // the kiosk acknowledges what it got before the step
	}
	tests := []struct {
		name     string
		inFlight bool // a notification waits for the kiosk's ack
		steps    []step
		drop     string // "" when the kiosk must stay connected
	}{
		{"the wall clock jumping a day ahead drops no kiosk", false, []step{{wall: 24 * time.Hour, mono: time.Second}}, ""},
		{"the wall clock jumping a day back hides no silent kiosk", false, []step{{wall: -24 * time.Hour, mono: pongWait + time.Second}}, dropSilent},
		{"silence just under PongWait is tolerated", false, []step{{mono: pongWait - time.Second}}, ""},
		{"a frame from the kiosk restarts its silence", false, []step{{mono: pongWait - time.Second}, {mono: 2 * time.Second, ack: true}}, ""},
		{"a wall-clock jump does not make an ack overdue", true, []step{{wall: 24 * time.Hour, mono: time.Second}}, ""},
		{"an ack overdue on the monotonic clock drops the kiosk despite a jump back", true, []step{{wall: -24 * time.Hour, mono: ackTimeout + time.Second}}, dropAck},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &stepClock{wall: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), mono: time.Minute}
			tr := startRelay(t, func(c *ServerConfig) {
				c.Now, c.monotonic = clock.Now, clock.monotonic
				// The relay's own ticker (every 30 min) never fires during
				// the test: the test sweeps at the moments it chooses.
				c.PingInterval, c.PongWait, c.AckTimeout = time.Hour, pongWait, ackTimeout
			})
			conn, _ := dialRaw(t, tr.URL, tokenK1, "")
			readFrame(t, conn) // welcome: the session is attached
			var last uint64
			if tc.inFlight {
				notify(t, tr.URL, "k1", notification(wxsim.DemoKey, "C-1", "4200000001202601010000000001"))
				f := readFrame(t, conn)
				last = f.Seq
			}
			pings := make(chan *session, 10)
			for _, st := range tc.steps {
				if st.ack {
					ack := frame{Type: typeAck, Seq: last, Epoch: tr.Epoch()}
					if err := conn.WriteMessage(websocket.TextMessage, ack.encode()); err != nil {
						t.Fatal(err)
					}
					tr.waitAck(t, "k1", last) // the relay has read the frame
				}
				clock.step(st.wall, st.mono)
				tr.sweep(clock.monotonic(), pings)
			}
			attached := tr.lookup("k1").session() != nil
			if tc.drop == "" {
				if !attached {
					t.Fatal("the kiosk was dropped")
				}
				return
			}
			if attached {
				t.Fatalf("the kiosk is still connected, want dropped (%s)", tc.drop)
			}
			if got := metricValue(t, tr.URL, `saoma_relay_disconnects_total{reason="`+tc.drop+`"}`); got != "1" {
				t.Errorf("disconnects{%s} = %s, want 1", tc.drop, got)
			}
		})
	}
}

package relay

import (
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxsim"
)

// fakeClock is a wall clock and a monotonic clock that move only when the
// test says, separately if it likes (as they do when NTP or an operator
// steps the wall clock), with the relay's tickers and timers on the
// monotonic one.
type fakeClock struct {
	mu      sync.Mutex
	wall    time.Time
	mono    time.Duration
	waiters []*fakeTimer
	// timers receives the duration of every timer created (not tickers),
	// so a test moves time once the relay waits on one.
	timers chan time.Duration
	// hold keeps timers and tickers from firing: a test that calls
	// Server.sweep itself sets it, so the relay's own sweep never runs
	// concurrently with the test's.
	hold bool
}

// fakeTimer is a ticker (period > 0) or a one-shot timer.
type fakeTimer struct {
	at      time.Duration
	period  time.Duration
	c       chan time.Time
	stopped chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{wall: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), mono: time.Minute, timers: make(chan time.Duration, 100)}
}

var _ clock = (*fakeClock)(nil)

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) monotonic() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

func (c *fakeClock) add(d, period time.Duration, buf int) *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.mono + d, period: period, c: make(chan time.Time, buf), stopped: make(chan struct{})}
	c.waiters = append(c.waiters, t)
	return t
}

func (t *fakeTimer) stop() {
	select {
	case <-t.stopped:
	default:
		close(t.stopped)
	}
}

// newTicker's channel is unbuffered: advance hands each tick over and
// returns only once the relay took it, so the relay has finished the
// previous round by then.
func (c *fakeClock) newTicker(d time.Duration) (<-chan time.Time, func()) {
	t := c.add(d, d, 0)
	return t.c, t.stop
}

func (c *fakeClock) newTimer(d time.Duration) (<-chan time.Time, func()) {
	t := c.add(d, 0, 1)
	select {
	case c.timers <- d:
	default: // nobody is watching
	}
	return t.c, t.stop
}

// advance lets d pass on both clocks and fires what fell due (a ticker
// at most once per advance, as a real ticker does for a slow receiver).
func (c *fakeClock) advance(d time.Duration) { c.step(d, d) }

// step moves the wall clock by wall and lets mono pass on the monotonic
// one, firing the timers and tickers that fell due.
func (c *fakeClock) step(wall, mono time.Duration) {
	c.mu.Lock()
	c.wall = c.wall.Add(wall)
	c.mono += mono
	now, at := c.mono, c.wall
	if c.hold {
		c.mu.Unlock()
		return
	}
	var due []*fakeTimer
	keep := c.waiters[:0]
	for _, t := range c.waiters {
		select {
		case <-t.stopped:
			continue
		default:
		}
		if t.at <= now {
			due = append(due, t)
			if t.period == 0 {
				continue
			}
			for t.at <= now {
				t.at += t.period
			}
		}
		keep = append(keep, t)
	}
	c.waiters = keep
	c.mu.Unlock()
	for _, t := range due {
		select {
		case t.c <- at:
		case <-t.stopped:
		}
	}
}

// waitTimer waits until the relay created a timer of duration d.
func (c *fakeClock) waitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-c.timers:
			if got == d {
				return
			}
		case <-timeout:
			t.Fatalf("the relay never started a %v timer", d)
		}
	}
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
			clock := newFakeClock()
			clock.hold = true // the test sweeps at the moments it chooses
			tr := startRelay(t, func(c *ServerConfig) {
				c.Now, c.clock = clock.Now, clock
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

func TestDedupeKeysExpireOnTheInjectedClock(t *testing.T) {
	const ttl = 24 * time.Hour // pruned every hour
	clock := newFakeClock()
	tr := startRelay(t, func(c *ServerConfig) { c.Now, c.clock, c.DedupeTTL = clock.Now, clock, ttl })
	body := notification(wxsim.DemoKey, "D-1", "4200000001202601010000000001")
	notify(t, tr.URL, "k1", body)
	notify(t, tr.URL, "k1", body)
	if got := tr.lookup("k1").last.Load(); got != 1 {
		t.Fatalf("a retry within the TTL was stored: last seq %d, want 1", got)
	}
	clock.advance(ttl + time.Hour) // the prune tick: taken by the commit goroutine
	// The next tick is taken only once that prune is committed (a
	// notification sent sooner could share its transaction, stored
	// before the expiry).
	clock.advance(pruneInterval(ttl))
	notify(t, tr.URL, "k1", body)
	if got := tr.lookup("k1").last.Load(); got != 2 {
		t.Fatalf("a retry after the TTL was not stored again: last seq %d, want 2", got)
	}
}

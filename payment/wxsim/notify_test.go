package wxsim

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

// payOne creates and pays one order whose notification goes to notifyURL.
func payOne(t *testing.T, srv *Server, c *wxpay.Client, no, notifyURL string) *ScanResult {
	t.Helper()
	uo, err := c.UnifiedOrder(ctx(), order(no, 990, notifyURL))
	if err != nil {
		t.Fatalf("UnifiedOrder: %v", err)
	}
	res, err := srv.Scan(ctx(), ScanRequest{URL: uo.CodeURL})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}

func TestNotificationRetries(t *testing.T) {
	t.Run("retries follow 15s/15s/30s on FAIL and stop at the first SUCCESS", func(t *testing.T) {
		clock := NewManualClock(t0)
		srv := startSim(t, Config{Clock: clock})
		events := notifyEvents(srv.Sim)
		m := newMerchant(t, func(n int) []byte {
			if n < 4 {
				return wxpay.NotifyReply(false, "busy")
			}
			return wxpay.NotifyReply(true, "OK")
		})
		c := newClient(t, srv, wxpay.SignMD5, clock)
		payOne(t, srv, c, "N-1", m.URL)
		start := clock.Now()
		for i, wait := range []time.Duration{0, 15 * time.Second, 15 * time.Second, 30 * time.Second} {
			if wait > 0 {
				clock.Advance(wait - time.Nanosecond)
				select {
				case <-m.got:
					t.Fatalf("attempt %d arrived before its time", i+1)
				default:
				}
				clock.Advance(time.Nanosecond)
			}
			recv(t, m.got)
			ev := recv(t, events)
			if ev.Attempt != i+1 || ev.Acked != (i == 3) {
				t.Fatalf("event %+v at attempt %d", ev, i+1)
			}
			if i < 3 {
				// The next timer exists before we move the clock.
				clock.BlockUntil(1, nil)
			}
		}
		if got := clock.Now().Sub(start); got != time.Minute {
			t.Errorf("fourth attempt after %v, want 1m", got)
		}
		o, _ := srv.Order("N-1")
		if o.Notify.Pending || !o.Notify.Acked || o.Notify.Attempts != 4 {
			t.Errorf("notify state = %+v", o.Notify)
		}
	})

	t.Run("a merchant that never answers SUCCESS gets 16 attempts over 24h4m", func(t *testing.T) {
		clock := NewManualClock(t0)
		srv := startSim(t, Config{Clock: clock, TimeScale: 100})
		events := notifyEvents(srv.Sim)
		m := newMerchant(t, failAll)
		c := newClient(t, srv, wxpay.SignMD5, clock)
		payOne(t, srv, c, "N-2", m.URL)
		start := clock.Now()
		var last NotifyEvent
		for i := 0; ; i++ {
			recv(t, m.got)
			last = recv(t, events)
			if last.Final {
				break
			}
			d, _ := retryDelay(i + 1)
			clock.BlockUntil(1, nil)
			clock.Advance(d / 100)
		}
		if last.Attempt != 16 || last.Acked {
			t.Fatalf("last event = %+v, want unacknowledged attempt 16", last)
		}
		if got, want := clock.Now().Sub(start), (24*time.Hour+4*time.Minute)/100; got != want {
			t.Errorf("schedule took %v at TimeScale 100, want %v", got, want)
		}
		o, _ := srv.Order("N-2")
		if !o.Notify.GaveUp || o.Notify.Pending {
			t.Errorf("notify state = %+v", o.Notify)
		}
	})

	t.Run("a connection error and a non-XML reply both count as failures", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String() + "/notify"
		ln.Close()
		clock := NewManualClock(t0)
		srv := startSim(t, Config{Clock: clock})
		events := notifyEvents(srv.Sim)
		c := newClient(t, srv, wxpay.SignMD5, clock)
		payOne(t, srv, c, "N-3", dead)
		if ev := recv(t, events); ev.Acked || ev.Final {
			t.Fatalf("event %+v, want a failed attempt", ev)
		}
		plain := newMerchant(t, func(int) []byte { return []byte("SUCCESS") })
		payOne(t, srv, c, "N-4", plain.URL)
		recv(t, plain.got)
		if ev := recv(t, events); ev.Acked || ev.Final {
			t.Fatalf("event %+v: a plain-text SUCCESS must not count", ev)
		}
		o, _ := srv.Order("N-3")
		if !o.Notify.Pending || !o.Notify.NextAt.Equal(t0.Add(15*time.Second)) {
			t.Errorf("notify state = %+v, want next attempt at +15s", o.Notify)
		}
	})
}

func TestNotificationFaults(t *testing.T) {
	t.Run("duplicate-notify delivers every attempt twice", func(t *testing.T) {
		srv := startSim(t, Config{DuplicateNotifyRate: 1, Seed: 7})
		events := notifyEvents(srv.Sim)
		m := newMerchant(t, ackAll)
		c := newClient(t, srv, wxpay.SignMD5, nil)
		payOne(t, srv, c, "D-1", m.URL)
		a, b := recv(t, m.got), recv(t, m.got)
		if string(a) != string(b) {
			t.Errorf("duplicate differs:\n%s\n%s", a, b)
		}
		if ev := recv(t, events); !ev.Acked || ev.Attempt != 1 {
			t.Errorf("event %+v", ev)
		}
	})
	t.Run("drop-notify loses the attempt and schedules a retry", func(t *testing.T) {
		clock := NewManualClock(t0)
		srv := startSim(t, Config{Clock: clock, DropNotifyRate: 1, Seed: 7})
		events := notifyEvents(srv.Sim)
		m := newMerchant(t, ackAll)
		c := newClient(t, srv, wxpay.SignMD5, clock)
		payOne(t, srv, c, "D-2", m.URL)
		ev := recv(t, events)
		if !ev.Dropped || ev.Acked || ev.Final {
			t.Fatalf("event %+v, want a dropped attempt", ev)
		}
		select {
		case body := <-m.got:
			t.Fatalf("a dropped notification arrived: %s", body)
		default:
		}
	})
	t.Run("notify-before-reply delivers the notification before UnifiedOrder returns", func(t *testing.T) {
		srv := startSim(t, Config{NotifyBeforeReply: true})
		m := newMerchant(t, ackAll)
		c := newClient(t, srv, wxpay.SignHMACSHA256, nil)
		uo, err := c.UnifiedOrder(ctx(), order("B-1", 300, m.URL))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case body := <-m.got:
			n, err := wxpay.ParseNotification(body, srv.Key())
			if err != nil || n.OutTradeNo != "B-1" || n.Raw["sign_type"] != "HMAC-SHA256" {
				t.Fatalf("notification %+v, %v", n, err)
			}
		default:
			t.Fatal("UnifiedOrder returned before the notification was delivered")
		}
		if uo.CodeURL == "" {
			t.Error("no code_url")
		}
		if _, err := srv.Scan(ctx(), ScanRequest{URL: uo.CodeURL}); !isScanStatus(err, 409) {
			t.Errorf("scan of the auto-paid order: %v, want 409", err)
		}
	})
}

func TestSystemErrorInjection(t *testing.T) {
	t.Run("rate 1 answers SYSTEMERROR and processes nothing", func(t *testing.T) {
		srv := startSim(t, Config{SystemErrorRate: 1})
		c := newClient(t, srv, wxpay.SignMD5, nil)
		_, err := c.UnifiedOrder(ctx(), order("S-1", 100, "http://127.0.0.1:1/n"))
		if !errors.Is(err, wxpay.ErrSystem) || !wxpay.IsRetryable(err) {
			t.Fatalf("error = %v, want retryable SYSTEMERROR", err)
		}
		if len(srv.Orders()) != 0 {
			t.Error("an order was created despite SYSTEMERROR")
		}
	})
	t.Run("the same seed gives the same sequence of faults", func(t *testing.T) {
		pattern := func() string {
			srv := startSim(t, Config{SystemErrorRate: 0.5, Seed: 42})
			c := newClient(t, srv, wxpay.SignMD5, nil)
			var out []byte
			for range 24 {
				_, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "S-2"})
				if errors.Is(err, wxpay.ErrSystem) {
					out = append(out, 'S')
				} else {
					out = append(out, '.')
				}
			}
			return string(out)
		}
		a, b := pattern(), pattern()
		if a != b {
			t.Fatalf("seeded patterns differ: %s vs %s", a, b)
		}
		if !containsBoth(a) {
			t.Fatalf("pattern %s should mix faults and successes at rate 0.5", a)
		}
	})
}

func containsBoth(s string) bool {
	var s1, dot bool
	for _, c := range s {
		s1 = s1 || c == 'S'
		dot = dot || c == '.'
	}
	return s1 && dot
}

func TestLatencyIsAddedOnTheSimulatorClock(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, Latency: 3 * time.Second})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	done := make(chan error, 1)
	go func() {
		_, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "L-1"})
		done <- err
	}()
	clock.BlockUntil(1, nil)
	select {
	case err := <-done:
		t.Fatalf("reply arrived before the latency elapsed: %v", err)
	default:
	}
	clock.Advance(3 * time.Second)
	if err := recv(t, done); !errors.Is(err, wxpay.ErrOrderNotExist) {
		t.Fatalf("error = %v", err)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := NewManualClock(t0)
	m := newMerchant(t, func(n int) []byte {
		if n == 1 {
			return wxpay.NotifyReply(false, "down")
		}
		return wxpay.NotifyReply(true, "OK")
	})
	first, err := Start(Config{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	events := notifyEvents(first.Sim)
	c := newClient(t, first, wxpay.SignMD5, clock)
	paid := payOne(t, first, c, "R-1", m.URL)
	if _, err := c.UnifiedOrder(ctx(), order("R-2", 700, m.URL)); err != nil {
		t.Fatal(err)
	}
	recv(t, m.got)
	recv(t, events)
	long := wxpay.BizPayURL(first.AppID(), first.MchID(), first.Key(), "P1", t0)
	short, err := c.ShortURL(ctx(), long)
	if err != nil {
		t.Fatal(err)
	}
	certDER := first.MerchantCertificate().Leaf.Raw
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(15 * time.Second)
	second := startSim(t, Config{Clock: clock, DataDir: dir})
	c2 := newClient(t, second, wxpay.SignMD5, clock)
	n, err := wxpay.ParseNotification(recv(t, m.got), second.Key())
	if err != nil || n.TransactionID != paid.TransactionID {
		t.Fatalf("resumed notification %+v, %v", n, err)
	}
	q, err := c2.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "R-1"})
	if err != nil || q.TradeState != wxpay.TradeSuccess || q.TransactionID != paid.TransactionID {
		t.Fatalf("query after restart = %+v, %v", q, err)
	}
	if _, err := c2.UnifiedOrder(ctx(), order("R-2", 700, m.URL)); err != nil {
		t.Fatalf("re-entry after restart: %v", err)
	}
	again, err := c2.ShortURL(ctx(), long)
	if err != nil || again != short {
		t.Fatalf("short link after restart = %q, %v; want %q", again, err, short)
	}
	if !bytes.Equal(second.MerchantCertificate().Leaf.Raw, certDER) {
		t.Error("the merchant certificate changed across the restart")
	}
}

func TestNotificationTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	slow := newMerchant(t, func(int) []byte {
		<-release
		return wxpay.NotifyReply(true, "OK")
	})
	t.Cleanup(func() { close(release) })
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, NotifyTimeout: 50 * time.Millisecond})
	events := notifyEvents(srv.Sim)
	c := newClient(t, srv, wxpay.SignMD5, clock)
	payOne(t, srv, c, "T-1", slow.URL)
	ev := recv(t, events)
	if ev.Acked || ev.Final || ev.Attempt != 1 {
		t.Fatalf("event %+v, want a failed first attempt", ev)
	}
	o, _ := srv.Order("T-1")
	if !o.Notify.Pending || !o.Notify.NextAt.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("notify state = %+v, want a retry at +15s", o.Notify)
	}
}

package relay

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxsim"
)

// ackFrame acknowledges everything up to seq on a raw connection.
func ackFrame(t *testing.T, conn *websocket.Conn, tr *testRelay, seq uint64) {
	t.Helper()
	ack := frame{Type: typeAck, Seq: seq, Epoch: tr.Epoch()}
	if err := conn.WriteMessage(websocket.TextMessage, ack.encode()); err != nil {
		t.Fatal(err)
	}
}

// A kiosk that stops acknowledging while notifications keep coming makes
// its session drop what the stream feed brought; once it acknowledges
// again, the writer reads the store and every notification arrives once,
// in order.
func TestClusterFeedOverflowFallsBackToTheStore(t *testing.T) {
	const window = 2
	nc := startNATSCluster(t, 1)
	kiosks, tokens := clusterKiosks(1)
	relays := startClusterRelays(t, nc, 2, 1, kiosks, func(c *ServerConfig) { c.Window = window })
	conn, _ := dialRaw(t, relays[0].URL, tokens[0], fmt.Sprintf("v=%d", ProtocolVersion))
	if w := readFrame(t, conn); w.Type != typeWelcome {
		t.Fatalf("first frame %+v", w)
	}
	n := fedCap(window) + 3*window + 1
	for i := range n {
		// Half through the instance holding the kiosk, half through the other.
		notify(t, relays[i%2].URL, "c0", notification(wxsim.DemoKey, fmt.Sprintf("c0-%03d", i), fmt.Sprintf("45%03d", i)))
	}
	var last uint64
	for i := range n {
		f := readFrame(t, conn)
		if f.Type != typeNotify || f.Seq <= last {
			t.Fatalf("delivery %d: %+v after seq %d", i, f, last)
		}
		if got, want := outTradeNo(t, f.Body), fmt.Sprintf("c0-%03d", i); got != want {
			t.Fatalf("delivery %d is %s, want %s", i, got, want)
		}
		last = f.Seq
		if i%window == window-1 {
			ackFrame(t, conn, relays[0], last) // room for the next window
		}
	}
	ackFrame(t, conn, relays[0], last)
	relays[0].waitAck(t, "c0", last)
	notify(t, relays[1].URL, "c0", notification(wxsim.DemoKey, "c0-next", "45999"))
	if f := readFrame(t, conn); f.Type != typeNotify || f.Seq <= last || outTradeNo(t, f.Body) != "c0-next" {
		t.Fatalf("after the backlog: %+v", f)
	}
}

// If the stream feed never brings a notification this instance stored
// itself, two sweeps later the writer reads the store and delivers it.
func TestClusterSweepReadsTheStoreWhenTheFeedFallsSilent(t *testing.T) {
	nc := startNATSCluster(t, 1)
	kiosks, tokens := clusterKiosks(1)
	clock := newFakeClock()
	relays := startClusterRelays(t, nc, 1, 1, kiosks, func(c *ServerConfig) { c.clock = clock })
	tr := relays[0]
	conn, _ := dialRaw(t, tr.URL, tokens[0], fmt.Sprintf("v=%d", ProtocolVersion))
	readFrame(t, conn) // welcome: the session is attached
	// A first notification: the writer reads the store to its end and from
	// then on waits for the feed.
	notify(t, tr.URL, "c0", notification(wxsim.DemoKey, "c0-first", "46001"))
	first := readFrame(t, conn)
	ackFrame(t, conn, tr, first.Seq)
	tr.waitAck(t, "c0", first.Seq)

	jq := tr.q.(*jsQueue)
	jq.mu.Lock()
	feed := jq.feed
	jq.mu.Unlock()
	feed.Stop() // the feed falls silent
	<-feed.Closed()
	notify(t, tr.URL, "c0", notification(wxsim.DemoKey, "c0-silent", "46000"))

	frames := make(chan *frame, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := conn.ReadMessage()
		if err != nil {
			close(frames)
			return
		}
		f, err := decodeFrame(data)
		if err != nil {
			close(frames)
			return
		}
		frames <- f
	}()
	pings := make(chan *session, 10)
	tr.sweep(clock.monotonic(), pings) // behind once: the feed may still be on its way
	select {
	case f := <-frames:
		t.Fatalf("delivered before the store was read: %+v", f)
	default:
	}
	tr.sweep(clock.monotonic(), pings) // behind twice: read the store
	f, ok := <-frames
	if !ok || f.Type != typeNotify || outTradeNo(t, f.Body) != "c0-silent" {
		t.Fatalf("after two sweeps: %+v (ok %v)", f, ok)
	}
}

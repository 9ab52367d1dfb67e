package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// closeGrace bounds the close frame written when the relay drops a kiosk.
const closeGrace = time.Second

// session is one authenticated kiosk websocket. It has exactly two
// goroutines: readLoop (acks, callback replies, pongs) and writeLoop
// (notifications, callbacks). Besides them only control frames are written
// (pings from the server's ping workers, close frames), through
// WriteControl, which gorilla allows concurrently.
type session struct {
	srv    *Server
	k      *kiosk
	conn   *websocket.Conn
	remote string
	// version is the protocol version spoken on this connection (the
	// kiosk's v): below headersVersion, API v3 notifications are held back.
	version int
	held    bool        // writer only: holding an API v3 notification back was logged
	holding atomic.Bool // an API v3 notification is held back (for sweeps)

	out  chan []byte   // encoded frames for the writer (callbacks)
	wake chan struct{} // new messages committed or acks made room
	done chan struct{} // closed by close

	// Times on the monotonic clock (ServerConfig.clock), never the
	// wall clock: silence must survive a wall-clock step.
	lastSeen atomic.Int64  // time.Duration of the last frame or pong from the kiosk
	lastPing time.Duration // Server.tickLoop only

	closeOnce sync.Once

	mu           sync.Mutex
	closed       bool
	calls        map[string]chan []byte // pending callbacks by id
	unroute      func()                 // stops callbacks routed from other instances; nil without
	inflight     []inflightMsg          // sent, not yet acknowledged, in order
	lastSent     uint64                 // highest seq written (or skipped)
	lastProgress time.Duration          // last ack, or first send into an empty window (monotonic)

	sent uint64 // writer's cursor: highest seq handled; writer only after start

	// Shared queue only. The instance's stream feed hands the kiosk's
	// notifications to fed as they are stored; once the writer has read
	// the store to its end (caughtUp), it sends from fed without reading
	// the store. When fed overflows (a slow kiosk) or a sweep finds the
	// writer behind with nothing fed (resync), it reads the store again.
	fmu      sync.Mutex
	fedRecs  []record
	fedLost  bool
	resync   atomic.Bool
	caughtUp bool // writer only
	behind   bool // Server.tickLoop only: behind with nothing in flight at the last sweep
}

// fedCap bounds the notifications a session keeps from the stream feed:
// its window and some (a kiosk that keeps up never holds more); past it
// the writer drops them and reads the store instead, so a kiosk that
// stops acknowledging costs this instance at most this many records.
func fedCap(window int) int { return window + 32 }

// inflightMsg is a notification written to the kiosk and not yet acked.
type inflightMsg struct {
	seq uint64
	at  int64 // when the relay stored it, Unix ns
}

// newSession prepares a session that resumes after the kiosk's acked seq.
func newSession(s *Server, k *kiosk, conn *websocket.Conn, remote string, version int) *session {
	start := k.acked.Load()
	ss := &session{
		srv:      s,
		k:        k,
		conn:     conn,
		remote:   remote,
		version:  version,
		out:      make(chan []byte, s.cfg.SendQueue),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		lastSent: start,
		sent:     start,
		lastPing: s.cfg.clock.monotonic(),
	}
	ss.seen()
	return ss
}

// seen records that the kiosk just sent something (a frame or a pong).
func (ss *session) seen() {
	ss.lastSeen.Store(int64(ss.srv.cfg.clock.monotonic()))
}

// poke wakes the writer without blocking.
func (ss *session) poke() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// feed takes a notification from the stream feed (in stream order) and
// wakes the writer.
func (ss *session) feed(rec record) {
	ss.fmu.Lock()
	if len(ss.fedRecs) < fedCap(ss.srv.cfg.Window) {
		ss.fedRecs = append(ss.fedRecs, rec)
	} else {
		ss.fedLost = true
		ss.fedRecs = nil
	}
	ss.fmu.Unlock()
	ss.poke()
}

// takeFed returns up to max fed notifications after the writer's cursor,
// keeping the rest; ok is false when some were dropped (the store must be
// read).
func (ss *session) takeFed(max int) (recs []record, ok bool) {
	ss.fmu.Lock()
	defer ss.fmu.Unlock()
	if ss.fedLost {
		ss.fedLost = false
		ss.fedRecs = nil
		return nil, false
	}
	i := 0
	for i < len(ss.fedRecs) && ss.fedRecs[i].seq <= ss.sent {
		i++
	}
	rest := ss.fedRecs[i:]
	n := min(max, len(rest))
	recs = append([]record(nil), rest[:n]...)
	ss.fedRecs = append(ss.fedRecs[:0], rest[n:]...)
	return recs, true
}

// enqueue hands a frame to the writer; false when the queue is full (the
// kiosk is slow) or the session is closed.
func (ss *session) enqueue(b []byte) bool {
	select {
	case <-ss.done:
		return false
	default:
	}
	select {
	case ss.out <- b:
		return true
	default:
		return false
	}
}

// close ends the session once: pending callbacks fail, the kiosk forgets
// it, a close frame is attempted and the socket is closed, which stops
// both goroutines.
func (ss *session) close(reason string) {
	ss.closeOnce.Do(func() {
		ss.mu.Lock()
		ss.closed = true
		unroute := ss.unroute
		ss.mu.Unlock()
		if unroute != nil {
			unroute()
		}
		close(ss.done)
		ss.k.detach(ss)
		ss.srv.m.connected.Add(-1)
		ss.srv.m.disconnects.inc(reason)
		code, text := websocket.CloseNormalClosure, reason
		switch reason {
		case dropShutdown:
			code = websocket.CloseGoingAway
		case dropProtocol:
			code = websocket.CloseProtocolError
		case dropQueue, dropAck, dropStorage:
			code = websocket.CloseTryAgainLater
		}
		if reason != dropPeer && reason != dropWrite {
			_ = ss.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(closeGrace))
		}
		_ = ss.conn.Close()
		lvl := ss.srv.log.Info
		if reason == dropQueue || reason == dropAck || reason == dropProtocol || reason == dropStorage || reason == dropWrite {
			lvl = ss.srv.log.Warn
		}
		lvl("kiosk disconnected", "kiosk", ss.k.id, "remote", ss.remote, "reason", reason)
	})
}

// setUnroute records how to stop the callbacks routed to this session
// from other instances; on a session already closed it stops them now.
func (ss *session) setUnroute(stop func()) {
	ss.mu.Lock()
	closed := ss.closed
	if !closed {
		ss.unroute = stop
	}
	ss.mu.Unlock()
	if closed {
		stop()
	}
}

// call forwards a mode-1 callback and waits for the kiosk's reply. It
// returns the reply and callbackOK, or nil and the failure's outcome.
func (ss *session) call(ctx context.Context, body []byte, timeout time.Duration) ([]byte, string) {
	var idb [12]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	ch := make(chan []byte, 1)
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return nil, callbackOffline
	}
	if ss.calls == nil {
		ss.calls = make(map[string]chan []byte) // most kiosks never get one
	}
	ss.calls[id] = ch
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		delete(ss.calls, id)
		ss.mu.Unlock()
	}()
	f := frame{Type: typeCallback, ID: id, DeadlineMS: timeout.Milliseconds(), Body: string(body)}
	if !ss.enqueue(f.encode()) {
		select {
		case <-ss.done:
			return nil, callbackOffline
		default:
		}
		ss.close(dropQueue)
		return nil, callbackSlow
	}
	deadline, stop := ss.srv.cfg.clock.newTimer(timeout)
	defer stop()
	select {
	case reply := <-ch:
		return reply, callbackOK
	case <-deadline:
		return nil, callbackTimeout
	case <-ctx.Done():
		return nil, callbackTimeout
	case <-ss.done:
		return nil, callbackOffline
	}
}

// readLimit bounds one inbound frame: a callback reply is at most MaxBody
// of XML, which JSON escaping can at most double, plus the envelope.
func (ss *session) readLimit() int64 { return 2*ss.srv.cfg.MaxBody + 1024 }

// readLoop reads the kiosk's frames until the connection fails or is
// closed. It parks inside gorilla's read path on every idle connection, so
// it does as little as possible there: no deadline timers (Server.tickLoop
// drops a kiosk silent for PongWait, using lastSeen), and the work per frame
// lives in handle. Its stack then stays at the minimum on idle kiosks.
func (ss *session) readLoop() {
	defer ss.srv.sessions.Done()
	ss.conn.SetReadLimit(ss.readLimit())
	ss.conn.SetPongHandler(func(string) error {
		ss.seen()
		return nil
	})
	for {
		_, r, err := ss.conn.NextReader()
		if err != nil {
			ss.close(dropPeer)
			return
		}
		if !ss.handle(r) {
			return
		}
	}
}

// handle reads and applies one frame; false when the session must end.
//
//go:noinline
func (ss *session) handle(r io.Reader) bool {
	data, err := io.ReadAll(r)
	if err != nil {
		ss.close(dropPeer)
		return false
	}
	ss.seen()
	f, err := decodeFrame(data)
	if err != nil {
		ss.srv.log.Warn("kiosk sent a malformed frame", "kiosk", ss.k.id, "err", err)
		ss.close(dropProtocol)
		return false
	}
	switch f.Type {
	case typeAck:
		if err := ss.onAck(f); err != nil {
			ss.srv.log.Warn("kiosk broke the protocol", "kiosk", ss.k.id, "err", err)
			ss.close(dropProtocol)
			return false
		}
	case typeCallbackReply:
		ss.mu.Lock()
		ch := ss.calls[f.ID]
		ss.mu.Unlock()
		if ch == nil {
			ss.srv.log.Info("late or unknown callback reply dropped", "kiosk", ss.k.id)
			return true
		}
		select {
		case ch <- []byte(f.Body):
		default:
		}
	default:
		ss.srv.log.Debug("unknown frame type ignored", "kiosk", ss.k.id, "type", clip(f.Type))
	}
	return true
}

// onAck applies a cumulative acknowledgement.
func (ss *session) onAck(f *frame) error {
	if f.Epoch != ss.srv.epoch {
		return nil // an ack from another store's numbering means nothing here
	}
	now, mono := ss.srv.cfg.Now(), ss.srv.cfg.clock.monotonic()
	ss.mu.Lock()
	if f.Seq > ss.lastSent {
		last := ss.lastSent
		ss.mu.Unlock()
		return fmt.Errorf("ack of seq %d, only %d sent", f.Seq, last)
	}
	n := 0
	for n < len(ss.inflight) && ss.inflight[n].seq <= f.Seq {
		ss.srv.m.delivery.observe(time.Duration(now.UnixNano() - ss.inflight[n].at))
		n++
	}
	ss.inflight = ss.inflight[n:]
	if n > 0 {
		ss.lastProgress = mono
	}
	ss.mu.Unlock()
	ss.srv.m.delivered.Add(uint64(n))
	if ss.k.ackTo(f.Seq) {
		ss.srv.markAck(ss.k)
	}
	if h := ss.srv.ackHook; h != nil {
		h(ss.k.id, f.Seq)
	}
	if n > 0 {
		ss.poke() // the window has room again
	}
	return nil
}

// writeLoop writes notifications as they are committed and callbacks as
// they come. (The welcome was written before it started; pings and timeouts
// are Server.tickLoop's.) It parks for hours on every idle connection and
// does nothing else there, so its stack stays at the minimum.
func (ss *session) writeLoop() {
	defer ss.srv.sessions.Done()
	if !ss.pump() {
		return
	}
	for {
		ok := true
		select {
		case <-ss.done:
			return
		case b := <-ss.out:
			ok = ss.write(b)
		case <-ss.wake:
			ok = ss.pump()
		}
		if !ok {
			return
		}
	}
}

// ping sends a ping within WriteTimeout. gorilla allows WriteControl
// concurrently with the writer; it serialises the two internally.
func (ss *session) ping() {
	err := ss.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(ss.srv.cfg.WriteTimeout))
	if err != nil {
		ss.close(dropWrite)
	}
}

// welcome is the first frame of the connection. (A function of its own
// keeps writeLoop's frame, parked for hours on every connection, small.)
func (ss *session) welcome() []byte {
	cfg := &ss.srv.cfg
	f := frame{
		Type: typeWelcome, V: ss.version, Kiosk: ss.k.id, Epoch: ss.srv.epoch,
		ResumeAfter: ss.sent, PingMS: cfg.PingInterval.Milliseconds(), Window: cfg.Window,
	}
	return f.encode()
}

// write sends one text frame within WriteTimeout.
//
//go:noinline
func (ss *session) write(b []byte) bool {
	_ = ss.conn.SetWriteDeadline(time.Now().Add(ss.srv.cfg.WriteTimeout))
	if err := ss.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		ss.close(dropWrite)
		return false
	}
	return true
}

// ackOverdue reports whether in-flight messages have waited too long at
// monotonic time now.
func (ss *session) ackOverdue(now time.Duration) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.inflight) > 0 && now-ss.lastProgress > ss.srv.cfg.AckTimeout
}

// pump writes stored notifications after the cursor while the window has
// room. It reads the store, so nothing committed can be missed: a wake-up
// always follows the commit it announces. (On a shared queue it reads the
// store until it has caught up, then takes what the stream feed brings,
// which is everything stored after that read, in order.) On a connection
// older than headersVersion it stops before the first API v3 notification:
// that kiosk could not verify it, and acknowledging past it would lose it,
// so it waits (with everything after it) until the kiosk reconnects with a
// newer version.
func (ss *session) pump() bool {
	cfg := &ss.srv.cfg
	shared := ss.srv.shared != nil
	for {
		ss.mu.Lock()
		room := cfg.Window - len(ss.inflight)
		ss.mu.Unlock()
		if room <= 0 {
			return true
		}
		if ss.resync.Swap(false) {
			ss.caughtUp = false
		}
		if ss.k.last.Load() <= ss.sent {
			return true // nothing newer committed: no need to read the store
		}
		if a := ss.k.acked.Load(); a > ss.sent {
			ss.sent = a // acknowledged meanwhile (e.g. by a previous connection)
			ss.mu.Lock()
			ss.lastSent = max(ss.lastSent, a)
			ss.mu.Unlock()
		}
		var recs []record
		if shared && ss.caughtUp {
			var ok bool
			if recs, ok = ss.takeFed(room); !ok {
				ss.caughtUp = false
			} else if len(recs) == 0 {
				return true // stored, not yet fed: the feed wakes us
			}
		}
		if !shared || !ss.caughtUp {
			var err error
			recs, err = ss.srv.q.readAfter(ss.k.id, ss.sent, room)
			if err != nil {
				ss.srv.log.Error("reading kiosk queue failed", "kiosk", ss.k.id, "err", err)
				ss.close(dropStorage)
				return false
			}
			ss.caughtUp = len(recs) < room // read to the end of the kiosk's queue
			if len(recs) == 0 {
				return true
			}
		}
		for _, rec := range recs {
			if rec.header != nil && ss.version < headersVersion {
				if !ss.held {
					ss.held = true
					ss.srv.log.Warn("kiosk speaks relay protocol version 1 and cannot verify an API v3 notification; holding it (and later ones) until the kiosk is updated",
						"kiosk", ss.k.id, "seq", rec.seq, "version", ss.version)
				}
				ss.holding.Store(true)
				ss.caughtUp = false // what was taken from the feed is read again later
				return true
			}
			ss.mu.Lock()
			if len(ss.inflight) == 0 {
				ss.lastProgress = cfg.clock.monotonic()
			}
			ss.inflight = append(ss.inflight, inflightMsg{seq: rec.seq, at: rec.at})
			ss.lastSent = rec.seq
			ss.mu.Unlock()
			ss.sent = rec.seq
			f := frame{Type: typeNotify, Seq: rec.seq, Epoch: ss.srv.epoch, At: rec.at / int64(time.Millisecond), Body: string(rec.body), Headers: rec.header}
			// Counted before the write: a kiosk may have the frame (and a
			// test may read the metric) before write returns.
			ss.srv.m.sent.Add(1)
			if !ss.write(f.encode()) {
				return false
			}
		}
	}
}

// stalled reports, for Server.tickLoop, whether the kiosk has stored
// notifications newer than anything sent while nothing is in flight, at
// this sweep and the one before: on a shared queue the feed should have
// brought them, so the writer is told to read the store.
func (ss *session) stalled() bool {
	ss.mu.Lock()
	behind := len(ss.inflight) == 0 && ss.k.last.Load() > ss.lastSent && !ss.holding.Load()
	ss.mu.Unlock()
	was := ss.behind
	ss.behind = behind
	return behind && was
}

package printer

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// TCP sends jobs to a network printer's raw port (JetDirect/AppSocket,
// usually 9100), one connection per job.
//
// Bytes taken by the network say nothing about the paper: a whole receipt
// fits in the socket buffers of a printer that is out of paper, open, or
// about to reset the connection. So by default the printer itself confirms
// every job. Before the job Write asks its real-time status (DLE EOT 1, 2
// and 4) and sends nothing to a printer that is out of paper, open or
// offline. After the job it sends GS r 1, which the printer answers only
// once it has processed every byte before it; only that answer makes Write
// return nil. Set NoConfirm for printers that answer no status request.
type TCP struct {
	Address string // host:port
	// Timeout bounds dialling, and the job from its first byte until the
	// printer confirms it; 10 s if 0. It must cover printing the longest
	// paper, since the printer confirms only after processing it.
	Timeout time.Duration
	// StatusTimeout bounds each wait for a real-time status answer, which
	// a working printer sends at once; 3 s if 0.
	StatusTimeout time.Duration
	// NoConfirm turns the status requests off for printers that answer
	// none: Write then returns nil once the bytes are in the network
	// buffers, and Confirms reports false. The zero value confirms.
	NoConfirm bool
	// CheckPaper, with NoConfirm, still asks the real-time status before
	// each job, for printers that answer DLE EOT but not GS r. Without
	// NoConfirm it changes nothing: confirming always asks.
	CheckPaper bool
	// After is the clock behind Timeout and StatusTimeout (dialling uses
	// the system clock); time.After if nil. Tests inject one so waits end
	// when the test says, not after real time.
	After func(time.Duration) <-chan time.Time
}

func (t TCP) timeout() time.Duration {
	if t.Timeout <= 0 {
		return 10 * time.Second
	}
	return t.Timeout
}

func (t TCP) statusTimeout() time.Duration {
	if t.StatusTimeout <= 0 {
		return 3 * time.Second
	}
	return t.StatusTimeout
}

// Confirms reports whether Write waits for the printer's own confirmation
// (true unless NoConfirm).
func (t TCP) Confirms() bool { return !t.NoConfirm }

// Write dials, checks the printer's status, sends the job, waits for the
// printer to confirm it and closes. The Status is the printer's latest
// answer: after the job when it printed, or the one that explains the
// error. Errors are *OutputError with these kinds:
//
//   - ErrPrinterOffline: refused, unreachable, the connection dropped
//     (the printer may have printed part of the job), or the printer says
//     it is offline.
//   - ErrOutOfPaper, ErrCoverOpen: the printer says so.
//   - ErrPrinterStalled: the printer stopped taking data or answering
//     status requests (jammed, hung, or one that never answers: see
//     NoConfirm).
//   - ErrUnconfirmed: the printer answers its status and reports no
//     problem, but did not confirm the job within Timeout.
func (t TCP) Write(ctx context.Context, job []byte) (Status, error) {
	fail := func(st Status, kind, err error) (Status, error) {
		return st, &OutputError{Output: "tcp", Target: t.Address, Kind: kind, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(Status{}, ErrPrinterOffline, err)
	}
	dctx, cancel := context.WithTimeout(ctx, t.timeout())
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", t.Address)
	cancel()
	if err != nil {
		return fail(Status{}, ErrPrinterOffline, err)
	}
	s := t.open(ctx, conn)
	defer s.close()

	// stopped explains a wait that ended without the answers it wanted.
	stopped := func(st Status, end waitEnd, what string) (Status, error) {
		switch {
		case end == endDead:
			return fail(st, ErrPrinterOffline, fmt.Errorf("connection closed by the printer %s: %w", what, s.readErr))
		case ctx.Err() != nil:
			return fail(st, ErrPrinterStalled, ctx.Err())
		}
		return fail(st, ErrPrinterStalled, fmt.Errorf("no answer %s within %s (a printer that never answers status requests needs confirmation turned off)", what, t.statusTimeout()))
	}
	// sendFailed classifies a failed write: the job deadline cut it
	// (stalled), or the printer dropped the connection (offline).
	sendFailed := func(st Status, err error) (Status, error) {
		if s.hasExpired() {
			return fail(st, ErrPrinterStalled, err)
		}
		return fail(st, ErrPrinterOffline, fmt.Errorf("connection lost: %w", err))
	}

	var st Status
	if t.Confirms() || t.CheckPaper {
		if _, err := conn.Write(realTimeQuery); err != nil {
			return sendFailed(st, err)
		}
		r, end := s.collect(3, false, true, s.after(t.statusTimeout()))
		if end != endComplete {
			return stopped(st, end, "to the status request (DLE EOT) before the job")
		}
		st = realTimeStatus(r.realTime[0], r.realTime[1], r.realTime[2])
		if st.blocking() {
			return fail(st, st.Problem(), nil)
		}
	}
	if _, err := conn.Write(job); err != nil {
		return sendFailed(st, err)
	}
	if !t.Confirms() {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		return st, nil
	}
	if _, err := conn.Write(reqProcessed); err != nil {
		return sendFailed(st, err)
	}
	r, end := s.collect(0, true, true, nil)
	switch {
	case end == endComplete:
		return s.statusAfter(t, Status{}.withProcessed(r.processed)), nil
	case end == endDead:
		return fail(st, ErrPrinterOffline, fmt.Errorf("connection closed by the printer before it confirmed the job: %w", s.readErr))
	case ctx.Err() != nil:
		return fail(st, ErrPrinterStalled, ctx.Err())
	}
	return s.diagnose(t, fail)
}

// Probe asks the printer's real-time status (DLE EOT 1, 2, 4) without
// printing, e.g. after the cashier changed the roll. Errors are
// *OutputError: ErrPrinterOffline when unreachable, ErrPrinterStalled
// when it answers nothing within StatusTimeout.
func (t TCP) Probe(ctx context.Context) (Status, error) {
	fail := func(kind, err error) (Status, error) {
		return Status{}, &OutputError{Output: "tcp", Target: t.Address, Kind: kind, Err: err}
	}
	dctx, cancel := context.WithTimeout(ctx, t.timeout())
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", t.Address)
	cancel()
	if err != nil {
		return fail(ErrPrinterOffline, err)
	}
	s := t.open(ctx, conn)
	defer s.close()
	if _, err := conn.Write(realTimeQuery); err != nil {
		return fail(ErrPrinterOffline, fmt.Errorf("connection lost: %w", err))
	}
	r, end := s.collect(3, false, true, s.after(t.statusTimeout()))
	switch {
	case end == endDead:
		return fail(ErrPrinterOffline, fmt.Errorf("connection closed by the printer: %w", s.readErr))
	case end != endComplete && ctx.Err() != nil:
		return fail(ErrPrinterStalled, ctx.Err())
	case end != endComplete:
		return fail(ErrPrinterStalled, fmt.Errorf("no answer to the status request (DLE EOT) within %s", t.statusTimeout()))
	}
	return realTimeStatus(r.realTime[0], r.realTime[1], r.realTime[2]), nil
}

// diagnose runs after the job deadline passed without the printer's
// confirmation: the real-time status says why. A confirmation arriving
// meanwhile still counts.
func (s *tcpSession) diagnose(t TCP, fail func(Status, error, error) (Status, error)) (Status, error) {
	// The job deadline cut the connection's writes; this one gets its
	// own, on the system clock, in case the printer's buffer is full.
	_ = s.conn.SetWriteDeadline(time.Now().Add(t.statusTimeout()))
	if _, err := s.conn.Write(realTimeQuery); err != nil {
		return fail(Status{}, ErrPrinterStalled, fmt.Errorf("job not confirmed within %s and the printer takes no more data: %w", t.timeout(), err))
	}
	r, end := s.collect(3, false, false, s.after(t.statusTimeout()))
	var st Status
	if len(r.realTime) == 3 {
		st = realTimeStatus(r.realTime[0], r.realTime[1], r.realTime[2])
	}
	switch {
	case r.gotProcessed:
		return st.withProcessed(r.processed), nil
	case end == endDead:
		return fail(st, ErrPrinterOffline, fmt.Errorf("connection closed by the printer before it confirmed the job: %w", s.readErr))
	case end != endComplete:
		return fail(st, ErrPrinterStalled, fmt.Errorf("job not confirmed within %s and no answer to the status request within %s", t.timeout(), t.statusTimeout()))
	case st.blocking():
		return fail(st, st.Problem(), fmt.Errorf("job not confirmed within %s", t.timeout()))
	}
	return fail(st, ErrUnconfirmed, fmt.Errorf("no answer to GS r within %s though the printer reports no problem", t.timeout()))
}

// statusAfter asks the real-time status once the job is confirmed, for
// the cashier's warning (paper near end). The job is done whatever
// happens; without an answer the confirmation's own paper bits stand.
func (s *tcpSession) statusAfter(t TCP, fallback Status) Status {
	if _, err := s.conn.Write(realTimeQuery); err != nil {
		return fallback
	}
	r, end := s.collect(3, false, false, s.after(t.statusTimeout()))
	if end != endComplete {
		return fallback
	}
	st := realTimeStatus(r.realTime[0], r.realTime[1], r.realTime[2])
	st.PaperNearEnd = st.PaperNearEnd || fallback.PaperNearEnd
	return st
}

// tcpSession is one job's connection: a reader goroutine hands the
// printer's answers over one by one, and a watcher cuts writes off when
// the job deadline passes or the caller gives up.
type tcpSession struct {
	conn     net.Conn
	after    func(time.Duration) <-chan time.Time
	answers  chan byte     // the printer's bytes, in order, unbuffered
	dead     chan struct{} // closed after the last answer when the read side ends
	readErr  error         // why it ended; read only after dead is closed
	expired  chan struct{} // closed when the job deadline passed or ctx ended
	finished chan struct{} // closed by close
	wg       sync.WaitGroup
}

func (t TCP) open(ctx context.Context, conn net.Conn) *tcpSession {
	after := t.After
	if after == nil {
		after = time.After
	}
	s := &tcpSession{
		conn: conn, after: after, answers: make(chan byte), dead: make(chan struct{}),
		expired: make(chan struct{}), finished: make(chan struct{}),
	}
	deadline := after(t.timeout())
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		select {
		case <-deadline:
		case <-ctx.Done():
		case <-s.finished:
			return
		}
		// Unblocks a write to a printer that stopped reading; set before
		// expired is closed so whoever sees expired can reset it.
		_ = conn.SetWriteDeadline(time.Unix(1, 0))
		close(s.expired)
	}()
	go func() {
		defer s.wg.Done()
		defer close(s.dead)
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			for _, b := range buf[:n] {
				select {
				case s.answers <- b:
				case <-s.finished:
					return
				}
			}
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				s.readErr = err
				return
			}
		}
	}()
	return s
}

// close ends the connection and waits for both goroutines.
func (s *tcpSession) close() {
	close(s.finished)
	s.conn.Close()
	s.wg.Wait()
}

func (s *tcpSession) hasExpired() bool {
	select {
	case <-s.expired:
		return true
	default:
		return false
	}
}

// waitEnd is why collect returned.
type waitEnd int

const (
	endComplete waitEnd = iota // every answer asked for arrived
	endDead                    // the printer closed or reset the connection
	endExpired                 // the job deadline passed or ctx ended
	endTimeout                 // the wait's own timeout fired
)

// replies are the answers collect gathered, told apart by their fixed
// bits.
type replies struct {
	realTime     []byte // DLE EOT answers, in order
	gotProcessed bool   // a GS r 1 answer arrived
	processed    byte   // that answer
}

// collect waits for realTime DLE EOT answers and, if wantProcessed, a GS r
// answer; or until the connection dies, the job deadline passes (when
// watchJob) or timeout fires (when not nil). Bytes of neither shape are
// ignored.
func (s *tcpSession) collect(realTime int, wantProcessed, watchJob bool, timeout <-chan time.Time) (replies, waitEnd) {
	var r replies
	expired := s.expired
	if !watchJob {
		expired = nil
	}
	for len(r.realTime) < realTime || (wantProcessed && !r.gotProcessed) {
		select {
		case b := <-s.answers:
			switch {
			case isRealTimeAnswer(b):
				r.realTime = append(r.realTime, b)
			case isProcessedAnswer(b):
				r.gotProcessed, r.processed = true, b
			}
		case <-s.dead:
			return r, endDead
		case <-expired:
			return r, endExpired
		case <-timeout:
			return r, endTimeout
		}
	}
	return r, endComplete
}

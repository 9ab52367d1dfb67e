package printer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Test durations: distinct so the fake clock knows which wait to end.
const (
	testJobTimeout    = time.Hour
	testStatusTimeout = time.Minute
)

// fakeClock hands out one channel per duration; a wait ends only when the
// test fires its duration.
type fakeClock struct {
	mu     sync.Mutex
	timers map[time.Duration]chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{timers: map[time.Duration]chan time.Time{}} }

func (c *fakeClock) ch(d time.Duration) chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timers[d] == nil {
		c.timers[d] = make(chan time.Time)
	}
	return c.timers[d]
}

// After is the injected clock.
func (c *fakeClock) After(d time.Duration) <-chan time.Time { return c.ch(d) }

// fire ends the wait on d; it blocks until someone is waiting on it.
func (c *fakeClock) fire(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c.ch(d) <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatalf("nobody waited on the %s timer", d)
	}
}

// Real-time status answers of a fake printer: DLE EOT 1, 2, 4.
var (
	statusReady     = [3]byte{0x12, 0x12, 0x12}
	statusPaperEnd  = [3]byte{0x1a, 0x32, 0x72}
	statusNearEnd   = [3]byte{0x12, 0x12, 0x1e}
	statusCoverOpen = [3]byte{0x1a, 0x16, 0x12}
	statusOffline   = [3]byte{0x1a, 0x52, 0x12} // an error occurred (cutter)
)

// escposPrinter is a fake network printer that speaks enough ESC/POS:
// it answers DLE EOT 1, 2, 4 and GS r 1 from its state and keeps the
// other bytes as the job.
type escposPrinter struct {
	status     [3]byte // before any job byte arrived
	during     [3]byte // once job bytes arrived; status if zero
	silent     bool    // answers no status request at all
	noProcess  bool    // answers DLE EOT but never GS r
	muteDuring bool    // answers nothing once job bytes arrived
	dieAfter   int     // resets the connection after this many job bytes; 0 never

	asked chan string // "status" or "processed" as each request arrives; optional
	got   chan []byte // the job bytes when the connection ends
}

func (p *escposPrinter) serve(c net.Conn) {
	var job []byte
	defer func() { p.got <- job }()
	r := bufio.NewReader(c)
	tell := func(what string) {
		if p.asked != nil {
			p.asked <- what
		}
	}
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		switch next, _ := r.Peek(2); {
		case b == 0x10 && len(next) == 2 && next[0] == 0x04:
			_, _ = r.Discard(2)
			st := p.status
			if len(job) > 0 && p.during != ([3]byte{}) {
				st = p.during
			}
			var ans byte
			switch next[1] {
			case 1:
				ans = st[0]
			case 2:
				ans = st[1]
			case 4:
				ans = st[2]
			}
			if !p.silent && !(p.muteDuring && len(job) > 0) {
				_, _ = c.Write([]byte{ans})
			}
			if next[1] == 4 {
				tell("status")
			}
		case b == 0x1d && len(next) == 2 && next[0] == 'r' && next[1] == 1:
			_, _ = r.Discard(2)
			if !p.silent && !p.noProcess && !p.muteDuring {
				_, _ = c.Write([]byte{0x00})
			}
			tell("processed")
		default:
			job = append(job, b)
			if p.dieAfter > 0 && len(job) >= p.dieAfter {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close sends RST, like a printer rebooting
				}
				return
			}
		}
	}
}

// start listens on loopback for p.
func (p *escposPrinter) start(t *testing.T) string {
	t.Helper()
	if p.got == nil {
		p.got = make(chan []byte, 4)
	}
	if p.status == ([3]byte{}) {
		p.status = statusReady
	}
	return listen(t, "127.0.0.1:0", p.serve).addr
}

// waitAsked waits for the fake printer to receive request what.
func waitAsked(t *testing.T, asked <-chan string, what string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case w := <-asked:
			if w == what {
				return
			}
		case <-timeout:
			t.Fatalf("the printer was never asked %q", what)
		}
	}
}

func testJob() []byte {
	job := []byte{esc, '@', 0x1c, 0x26, 0xba, 0xcf, 0x1c, 0x2e, lf}
	for range 40 {
		job = append(job, "Nongfu Spring mineral water 550ml  2.00\n"...)
	}
	return append(job, gs, 'V', 66, 0)
}

func TestTCPConfirmedJobIsDone(t *testing.T) {
	tests := []struct {
		name    string
		printer escposPrinter
		want    Status
	}{
		{"a ready printer confirms and reports its state after the job",
			escposPrinter{}, Status{Known: true}},
		{"paper near end prints and warns",
			escposPrinter{status: statusNearEnd}, Status{Known: true, PaperNearEnd: true}},
		{"paper running low during the job is reported after it",
			escposPrinter{during: statusNearEnd}, Status{Known: true, PaperNearEnd: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.printer
			out := TCP{Address: p.start(t), Timeout: testJobTimeout, StatusTimeout: testStatusTimeout, After: newFakeClock().After}
			if !out.Confirms() {
				t.Fatal("TCP must confirm by default")
			}
			job := testJob()
			st, err := out.Write(context.Background(), job)
			if err != nil {
				t.Fatal(err)
			}
			if st != tt.want {
				t.Errorf("status %+v, want %+v", st, tt.want)
			}
			if b := receive(t, p.got); !bytes.Equal(b, job) {
				t.Errorf("printer got %d bytes, want the %d of the job", len(b), len(job))
			}
		})
	}
}

// Every way a job can go wrong ends in the right error kind, and never in
// nil: only the printer's answer to GS r makes a job done.
func TestTCPJobIsNotDoneUnlessThePrinterConfirms(t *testing.T) {
	tests := []struct {
		name    string
		printer escposPrinter
		// expire ends the waits the printer leaves open, as the deadlines
		// would.
		expire  func(t *testing.T, c *fakeClock, asked <-chan string)
		want    error
		sent    bool // whether the job bytes reach the printer
		timeout bool // whether the error wraps a missed deadline
	}{
		{name: "paper end before the job is out of paper and sends nothing",
			printer: escposPrinter{status: statusPaperEnd}, want: ErrOutOfPaper},
		{name: "cover open before the job sends nothing",
			printer: escposPrinter{status: statusCoverOpen}, want: ErrCoverOpen},
		{name: "a faulted printer is offline and gets nothing",
			printer: escposPrinter{status: statusOffline}, want: ErrPrinterOffline},
		{name: "a printer that resets the connection mid-job is offline",
			printer: escposPrinter{dieAfter: 100}, want: ErrPrinterOffline, sent: true},
		{name: "a printer that answers nothing has stalled and gets nothing",
			printer: escposPrinter{silent: true},
			expire: func(t *testing.T, c *fakeClock, asked <-chan string) {
				waitAsked(t, asked, "status")
				c.fire(t, testStatusTimeout)
			},
			want: ErrPrinterStalled},
		{name: "a printer that never confirms but reports no problem is unconfirmed",
			printer: escposPrinter{noProcess: true},
			expire: func(t *testing.T, c *fakeClock, asked <-chan string) {
				waitAsked(t, asked, "processed")
				c.fire(t, testJobTimeout)
			},
			want: ErrUnconfirmed, sent: true},
		{name: "paper running out during the job is out of paper",
			printer: escposPrinter{noProcess: true, during: statusPaperEnd},
			expire: func(t *testing.T, c *fakeClock, asked <-chan string) {
				waitAsked(t, asked, "processed")
				c.fire(t, testJobTimeout)
			},
			want: ErrOutOfPaper, sent: true},
		{name: "a printer that stops answering during the job has stalled",
			printer: escposPrinter{muteDuring: true},
			expire: func(t *testing.T, c *fakeClock, asked <-chan string) {
				waitAsked(t, asked, "processed")
				c.fire(t, testJobTimeout)
				waitAsked(t, asked, "status") // the printer ignores the diagnosis too
				c.fire(t, testStatusTimeout)
			},
			want: ErrPrinterStalled, sent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.printer
			p.asked = make(chan string, 16)
			clock := newFakeClock()
			out := TCP{Address: p.start(t), Timeout: testJobTimeout, StatusTimeout: testStatusTimeout, After: clock.After}
			type result struct {
				st  Status
				err error
			}
			done := make(chan result, 1)
			go func() {
				st, err := out.Write(context.Background(), testJob())
				done <- result{st, err}
			}()
			if tt.expire != nil {
				tt.expire(t, clock, p.asked)
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Write did not return")
			}
			if !errors.Is(r.err, tt.want) {
				t.Fatalf("got %v, want %v", r.err, tt.want)
			}
			var oe *OutputError
			if !errors.As(r.err, &oe) || oe.Output != "tcp" || oe.Target != out.Address {
				t.Errorf("error %v is not an *OutputError naming the printer", r.err)
			}
			if want := tt.want; want == ErrOutOfPaper || want == ErrCoverOpen {
				if got := r.st.Problem(); got != want {
					t.Errorf("status %+v says %v, want %v", r.st, got, want)
				}
			}
			if b := receive(t, p.got); (len(b) > 0) != tt.sent {
				t.Errorf("printer got %d job bytes, want sent=%v", len(b), tt.sent)
			}
		})
	}
}

// A printer that accepts the connection and never reads fails the job
// after the status deadline, before any of the job is sent.
func TestTCPPrinterThatNeverReadsHasStalled(t *testing.T) {
	stalled := make(chan struct{})
	t.Cleanup(func() { close(stalled) })
	addr := listen(t, "127.0.0.1:0", func(net.Conn) { <-stalled }).addr
	clock := newFakeClock()
	done := make(chan error, 1)
	go func() {
		_, err := TCP{Address: addr, Timeout: testJobTimeout, StatusTimeout: testStatusTimeout, After: clock.After}.Write(context.Background(), testJob())
		done <- err
	}()
	clock.fire(t, testStatusTimeout)
	if err := <-done; !errors.Is(err, ErrPrinterStalled) {
		t.Fatalf("got %v, want ErrPrinterStalled", err)
	}
}

// Without confirmation, a printer that stops reading is caught only by the
// job deadline, once the job no longer fits in the network buffers.
func TestTCPWithoutConfirmationTheDeadlineCatchesAPrinterThatStopsReading(t *testing.T) {
	stalled := make(chan struct{})
	t.Cleanup(func() { close(stalled) })
	addr := listen(t, "127.0.0.1:0", func(net.Conn) { <-stalled }).addr
	clock := newFakeClock()
	out := TCP{Address: addr, Timeout: testJobTimeout, NoConfirm: true, After: clock.After}
	if out.Confirms() {
		t.Fatal("NoConfirm must not claim confirmation")
	}
	done := make(chan error, 1)
	go func() {
		_, err := out.Write(context.Background(), make([]byte, 64<<20)) // larger than loopback buffers
		done <- err
	}()
	clock.fire(t, testJobTimeout)
	err := <-done
	if !errors.Is(err, ErrPrinterStalled) {
		t.Fatalf("got %v, want ErrPrinterStalled", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v does not wrap a timeout", err)
	}
}

func TestTCPWithoutConfirmationSendsExactlyTheJob(t *testing.T) {
	got := make(chan []byte, 1)
	p := listen(t, "127.0.0.1:0", receiving(got))
	job := testJob()
	st, err := TCP{Address: p.addr, NoConfirm: true}.Write(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if st.Known {
		t.Errorf("status %+v without asking", st)
	}
	if b := receive(t, got); !bytes.Equal(b, job) {
		t.Errorf("printer got % X…, want the job", b[:min(8, len(b))])
	}
}

func TestTCPCheckPaperWithoutConfirmationRefusesAnEmptyRoll(t *testing.T) {
	p := escposPrinter{status: statusPaperEnd}
	_, err := TCP{Address: p.start(t), NoConfirm: true, CheckPaper: true, After: newFakeClock().After}.Write(context.Background(), testJob())
	if !errors.Is(err, ErrOutOfPaper) {
		t.Fatalf("got %v, want ErrOutOfPaper", err)
	}
	if b := receive(t, p.got); len(b) != 0 {
		t.Errorf("printer got %d job bytes", len(b))
	}
}

func TestTCPRefusedIsOfflineAndKeepsTheNetError(t *testing.T) {
	_, err := TCP{Address: closedAddr(t), Timeout: time.Second}.Write(context.Background(), []byte("x"))
	if !errors.Is(err, ErrPrinterOffline) {
		t.Fatalf("got %v, want ErrPrinterOffline", err)
	}
	var ne *net.OpError
	if !errors.As(err, &ne) {
		t.Errorf("%v does not wrap a *net.OpError", err)
	}
}

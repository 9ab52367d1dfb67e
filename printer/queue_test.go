package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"saoma/app"
)

// watcher collects a queue's OnChange calls so tests wait on events, not
// on time.
type watcher chan Job

func (w watcher) onChange(j Job) { w <- j }

// until waits for job id to reach state and returns it.
func (w watcher) until(t *testing.T, id string, state JobState) Job {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case j := <-w:
			if j.ID == id && j.State == state {
				return j
			}
		case <-timeout:
			t.Fatalf("job %s never reached %s", id, state)
		}
	}
}

func newQueue(t *testing.T, cfg Config) (*Queue, watcher) {
	t.Helper()
	w := make(watcher, 100)
	cfg.OnChange = w.onChange
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return cst(14, 10) }
	}
	q, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, w
}

func TestQueuePrintsTheEncodedPaperOverTCP(t *testing.T) {
	p := &escposPrinter{}
	q, w := newQueue(t, Config{Kind: "tcp", Address: p.start(t), Paper: 58, After: newFakeClock().After})
	if !q.Confirms() {
		t.Error("a tcp queue must confirm by default")
	}
	paper := testPapers()["receipt"]
	id, err := q.Print(context.Background(), paper)
	if err != nil {
		t.Fatal(err)
	}
	j := w.until(t, id, JobDone)
	if j.Attempts != 1 || j.Err != nil || j.Ref != paper.Order.OutTradeNo || j.Paper != app.PaperReceipt || !j.Printer.Known {
		t.Errorf("done job %+v", j)
	}
	doc, err := Layout(paper, 32)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Encode(doc, q.Profile(), EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := receive(t, p.got); !bytes.Equal(b, want) {
		t.Errorf("printer got %d bytes, want the %d encoded", len(b), len(want))
	}
	if st := q.Status(); st != (app.PrinterStatus{OK: true}) {
		t.Errorf("status %+v", st)
	}
	if j.Preview != "" {
		t.Errorf("a real printer wrote a preview %s without KeepPreviews", j.Preview)
	}
}

// A printer that is off fails the job with ErrPrinterOffline; the sale
// goes on; Retry prints it once the printer is back.
func TestRefusedJobIsRetryable(t *testing.T) {
	addr := closedAddr(t)
	q, w := newQueue(t, Config{Kind: "tcp", Address: addr, Paper: 80, Timeout: time.Second})
	id, err := q.Print(context.Background(), testPapers()["bill"])
	if err != nil {
		t.Fatalf("Print must not fail for a dead printer: %v", err)
	}
	j := w.until(t, id, JobFailed)
	if !errors.Is(j.Err, ErrPrinterOffline) {
		t.Fatalf("job error %v, want ErrPrinterOffline", j.Err)
	}
	p := &escposPrinter{status: statusReady, got: make(chan []byte, 1)}
	listen(t, addr, p.serve) // the printer is switched back on
	if err := q.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	j = w.until(t, id, JobDone)
	if j.Attempts != 2 {
		t.Errorf("attempts %d, want 2", j.Attempts)
	}
	if b := receive(t, p.got); !bytes.HasPrefix(b, []byte{esc, '@'}) {
		t.Errorf("printer got % X…", b[:min(8, len(b))])
	}
	if err := q.Retry(context.Background(), id); !errors.Is(err, ErrNotRetryable) {
		t.Errorf("retrying a done job: %v, want ErrNotRetryable", err)
	}
}

// A printer that accepts the connection but never takes data fails the
// job after the status deadline, and Retry prints it once it answers.
func TestStalledPrinterFailsTheJobAndRetrySucceeds(t *testing.T) {
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	first := make(chan struct{}, 1)
	first <- struct{}{}
	working := &escposPrinter{status: statusReady, got: make(chan []byte, 2)}
	p := listen(t, "127.0.0.1:0", func(c net.Conn) {
		select {
		case <-first: // the first connection stalls: no status answer, no reads
			<-stall
			return
		default:
		}
		working.serve(c)
	})
	clock := newFakeClock()
	q, w := newQueue(t, Config{Kind: "tcp", Address: p.addr, Paper: 58, Timeout: testJobTimeout, StatusTimeout: testStatusTimeout, After: clock.After})
	id, err := q.Print(context.Background(), testPapers()["receipt"])
	if err != nil {
		t.Fatal(err)
	}
	clock.fire(t, testStatusTimeout)
	j := w.until(t, id, JobFailed)
	if !errors.Is(j.Err, ErrPrinterStalled) {
		t.Fatalf("job error %v, want ErrPrinterStalled", j.Err)
	}
	if st := q.Status(); st.OK || st.Detail != "stalled" || st.Failed != 1 {
		t.Errorf("status %+v, want stalled with one failed job", st)
	}
	if err := q.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	w.until(t, id, JobDone)
	if b := receive(t, working.got); len(b) == 0 {
		t.Error("retry printed nothing")
	}
	jobs := q.Jobs()
	if len(jobs) != 1 || jobs[0].ID != id || jobs[0].State != JobDone {
		t.Errorf("Jobs() = %+v", jobs)
	}
}

func TestFullQueueFailsFastAndCloseFailsWaitingJobs(t *testing.T) {
	release := make(chan struct{})
	p := listen(t, "127.0.0.1:0", func(net.Conn) { <-release })
	defer close(release)
	q, w := newQueue(t, Config{Kind: "tcp", Address: p.addr, QueueSize: 1, After: newFakeClock().After})
	paper := testPapers()["receipt"]
	first, err := q.Print(context.Background(), paper)
	if err != nil {
		t.Fatal(err)
	}
	w.until(t, first, JobPrinting) // the worker is stuck on the silent printer
	second, err := q.Print(context.Background(), paper)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Print(context.Background(), paper); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third print: %v, want ErrQueueFull", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first, second} {
		j, err := q.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != JobFailed || !errors.Is(j.Err, ErrClosed) {
			t.Errorf("job %s after Close: %s, %v", id, j.State, j.Err)
		}
	}
	if _, err := q.Print(context.Background(), paper); !errors.Is(err, ErrClosed) {
		t.Errorf("print after Close: %v, want ErrClosed", err)
	}
}

func TestPNGQueueWritesDecodablePreviews(t *testing.T) {
	dir := t.TempDir()
	q, w := newQueue(t, Config{Kind: "png", PreviewDir: dir, Paper: 58})
	for name, paper := range testPapers() {
		id, err := q.Print(context.Background(), paper)
		if err != nil {
			t.Fatal(err)
		}
		j := w.until(t, id, JobDone)
		f, err := os.Open(j.Preview)
		if err != nil {
			t.Fatalf("%s: preview: %v", name, err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := decodeQR(t, img), wantQR(name, paper); got != want {
			t.Errorf("%s: preview QR %q, want %q", name, got, want)
		}
	}
	img, err := q.Preview(testPapers()["label"])
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, img); got != "weixin://wxpay/s/An4baqw" {
		t.Errorf("Preview QR %q", got)
	}
}

func TestPrintRejectsBadPapersAtOnce(t *testing.T) {
	q, _ := newQueue(t, Config{Kind: "none"})
	bad := testPapers()["bill"]
	bad.Order.CodeURL = ""
	if _, err := q.Print(context.Background(), bad); !errors.Is(err, ErrBadPaper) {
		t.Errorf("got %v, want ErrBadPaper", err)
	}
	if len(q.Jobs()) != 0 {
		t.Errorf("a bad paper left a job: %+v", q.Jobs())
	}
	if _, err := q.Job("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Job(nope): %v", err)
	}
	if err := q.Retry(context.Background(), "nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Retry(nope): %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"unknown kind", Config{Kind: "fax"}},
		{"tcp without address", Config{Kind: "tcp"}},
		{"device without path", Config{Kind: "device"}},
		{"cups without queue", Config{Kind: "cups"}},
		{"windows without a printer name", Config{Kind: "windows"}},
		{"png without directory", Config{Kind: "png"}},
		{"odd paper", Config{Kind: "none", Paper: 110}},
		{"negative timeout", Config{Kind: "none", Timeout: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if q, err := New(tt.cfg); !errors.Is(err, ErrBadConfig) {
				if q != nil {
					q.Close()
				}
				t.Errorf("got %v, want ErrBadConfig", err)
			}
		})
	}
}

func TestTCPAddressDefaultsToPort9100(t *testing.T) {
	q, _ := newQueue(t, Config{Kind: "tcp", Address: "192.0.2.7"})
	if a := q.out.(TCP).Address; a != "192.0.2.7:9100" {
		t.Errorf("address %q", a)
	}
}

// The queue's status carries the word the screens translate, and a job is
// done only when the printer confirmed it.
func TestQueueStatusSaysWhatTheCashierMustFix(t *testing.T) {
	tests := []struct {
		name    string
		printer escposPrinter
		expire  bool // the printer never confirms: the job deadline passes
		state   JobState
		want    app.PrinterStatus
	}{
		{"a confirmed job leaves the printer OK", escposPrinter{}, false, JobDone,
			app.PrinterStatus{OK: true}},
		{"paper near end prints with a warning", escposPrinter{status: statusNearEnd}, false, JobDone,
			app.PrinterStatus{OK: true, Detail: "paper_near_end"}},
		{"paper end fails the job", escposPrinter{status: statusPaperEnd}, false, JobFailed,
			app.PrinterStatus{Detail: "paper", Failed: 1}},
		{"cover open fails the job", escposPrinter{status: statusCoverOpen}, false, JobFailed,
			app.PrinterStatus{Detail: "cover", Failed: 1}},
		{"an offline printer fails the job", escposPrinter{status: statusOffline}, false, JobFailed,
			app.PrinterStatus{Detail: "offline", Failed: 1}},
		{"a job the printer never confirms is not done", escposPrinter{noProcess: true}, true, JobFailed,
			app.PrinterStatus{Detail: "unconfirmed", Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.printer
			p.asked = make(chan string, 16)
			clock := newFakeClock()
			q, w := newQueue(t, Config{Kind: "tcp", Address: p.start(t), Timeout: testJobTimeout, StatusTimeout: testStatusTimeout, After: clock.After})
			id, err := q.Print(context.Background(), testPapers()["receipt"])
			if err != nil {
				t.Fatal(err)
			}
			if tt.expire {
				waitAsked(t, p.asked, "processed")
				clock.fire(t, testJobTimeout)
			}
			j := w.until(t, id, tt.state)
			if got := q.Status(); got != tt.want {
				t.Errorf("status %+v, want %+v", got, tt.want)
			}
			if got := Problem(j.Err); tt.state == JobFailed && got != tt.want.Detail {
				t.Errorf("Problem(%v) = %q, want %q", j.Err, got, tt.want.Detail)
			}
		})
	}
}

// A roll that runs out right after a confirmed job leaves the job done but
// the printer not OK, so the cashier changes it before the next sale.
func TestPaperEndAfterTheLastJobShowsBeforeTheNextSale(t *testing.T) {
	p := escposPrinter{during: statusPaperEnd}
	q, w := newQueue(t, Config{Kind: "tcp", Address: p.start(t), After: newFakeClock().After})
	id, err := q.Print(context.Background(), testPapers()["receipt"])
	if err != nil {
		t.Fatal(err)
	}
	w.until(t, id, JobDone)
	if got, want := q.Status(), (app.PrinterStatus{Detail: "paper"}); got != want {
		t.Errorf("status %+v, want %+v", got, want)
	}
	if !q.PrinterState().PaperEnd {
		t.Errorf("printer state %+v", q.PrinterState())
	}
}

func TestProblemWords(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&OutputError{Output: "tcp", Kind: ErrOutOfPaper}, "paper"},
		{ErrPaperNearEnd, "paper_near_end"},
		{fmt.Errorf("print job 1: %w", &OutputError{Output: "tcp", Kind: ErrCoverOpen}), "cover"},
		{ErrPrinterOffline, "offline"},
		{ErrPrinterStalled, "stalled"},
		{ErrUnconfirmed, "unconfirmed"},
		{ErrNoLP, "lp"},
		{errors.New("disk full"), "error"},
	}
	for _, tt := range tests {
		if got := Problem(tt.err); got != tt.want {
			t.Errorf("Problem(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestCheckClearsThePaperWarningOnceTheRollIsChanged(t *testing.T) {
	roll := statusPaperEnd
	var mu sync.Mutex
	p := listen(t, "127.0.0.1:0", func(c net.Conn) {
		mu.Lock()
		fp := escposPrinter{status: roll, got: make(chan []byte, 1)}
		mu.Unlock()
		fp.serve(c)
	})
	q, w := newQueue(t, Config{Kind: "tcp", Address: p.addr, After: newFakeClock().After})
	id, err := q.Print(context.Background(), testPapers()["receipt"])
	if err != nil {
		t.Fatal(err)
	}
	w.until(t, id, JobFailed)
	if st, err := q.Check(context.Background()); err != nil || !st.PaperEnd {
		t.Fatalf("Check with no paper: %+v, %v", st, err)
	}
	mu.Lock()
	roll = statusReady // the cashier puts in a new roll
	mu.Unlock()
	if st, err := q.Check(context.Background()); err != nil || st.Problem() != nil {
		t.Fatalf("Check with paper: %+v, %v", st, err)
	}
	if err := q.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	w.until(t, id, JobDone)
	if got := q.Status(); got != (app.PrinterStatus{OK: true}) {
		t.Errorf("status %+v", got)
	}
	nq, _ := newQueue(t, Config{Kind: "tcp", Address: p.addr, NoConfirm: true})
	if _, err := nq.Check(context.Background()); !errors.Is(err, ErrCannotAsk) {
		t.Errorf("Check without confirmation: %v, want ErrCannotAsk", err)
	}
}

package endsession

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// spy is a Handler that records its calls and returns done.
type spy struct {
	mu      sync.Mutex
	reasons []Reason
	done    chan struct{}
	called  chan Reason // gets each call's reason; buffered
}

func newSpy() *spy {
	return &spy{done: make(chan struct{}), called: make(chan Reason, 8)}
}

// newSpyDone returns a spy whose done channel is already closed.
func newSpyDone() *spy {
	s := newSpy()
	close(s.done)
	return s
}

func (s *spy) handle(r Reason) <-chan struct{} {
	s.mu.Lock()
	s.reasons = append(s.reasons, r)
	s.mu.Unlock()
	s.called <- r
	return s.done
}

func (s *spy) calls() []Reason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reasons)
}

// fakeTimer is an injected time.After: it records the duration asked for
// and fires only when the test says so.
type fakeTimer struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newFakeTimer() *fakeTimer {
	return &fakeTimer{asked: make(chan time.Duration, 8), fire: make(chan time.Time)}
}

func (f *fakeTimer) after(d time.Duration) <-chan time.Time {
	f.asked <- d
	return f.fire
}

// logSink is a slog.Handler that passes each record's message to a channel,
// so a test can wait until something has been handled.
type logSink struct{ msgs chan string }

func newLogSink() *logSink { return &logSink{msgs: make(chan string, 32)} }

func (l *logSink) Enabled(context.Context, slog.Level) bool      { return true }
func (l *logSink) Handle(_ context.Context, r slog.Record) error { l.msgs <- r.Message; return nil }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *logSink) WithGroup(string) slog.Handler                 { return l }

// waitFor reads messages until want arrives.
func (l *logSink) waitFor(t *testing.T, want string) {
	t.Helper()
	for msg := range l.msgs {
		if msg == want {
			return
		}
	}
}

const testWait = 3 * time.Second

func newTestSession(h Handler, timer *fakeTimer) *session {
	return newSession(h, testWait, slog.New(slog.DiscardHandler), timer.after)
}

// event is one request to end, as the signal goroutine or the window
// procedure would make it.
type event func(*session)

func sig(s os.Signal) event { return func(ss *session) { ss.signal(s) } }
func endMsg(ending bool, lParam uintptr) event {
	return func(ss *session) { ss.end(ending, lParam) }
}
func queryMsg(lParam uintptr) event { return func(ss *session) { ss.query(lParam) } }

func TestHandlerIsCalledOnceForTheFirstRequest(t *testing.T) {
	tests := []struct {
		name   string
		events []event
		want   []Reason
	}{
		{"two SIGTERMs call it once", []event{sig(syscall.SIGTERM), sig(syscall.SIGTERM)}, []Reason{ReasonTerminate}},
		{"SIGINT then SIGTERM call it once, for SIGINT", []event{sig(os.Interrupt), sig(syscall.SIGTERM)}, []Reason{ReasonInterrupt}},
		{"a shutdown then a signal call it once, for the shutdown", []event{queryMsg(0), endMsg(true, 0), sig(syscall.SIGTERM)}, []Reason{ReasonShutdown}},
		{"a signal then a logoff call it once, for the signal", []event{sig(syscall.SIGTERM), queryMsg(endSessionLogoff), endMsg(true, endSessionLogoff)}, []Reason{ReasonTerminate}},
		{"repeated WM_ENDSESSION calls it once", []event{endMsg(true, 0), endMsg(true, 0), endMsg(true, endSessionLogoff)}, []Reason{ReasonShutdown}},
		{"WM_QUERYENDSESSION alone does not call it", []event{queryMsg(0), queryMsg(endSessionLogoff)}, nil},
		{"a cancelled shutdown does not call it", []event{queryMsg(0), endMsg(false, 0)}, nil},
		{"a cancelled shutdown then a logoff calls it for the logoff", []event{queryMsg(0), endMsg(false, 0), queryMsg(endSessionLogoff), endMsg(true, endSessionLogoff)}, []Reason{ReasonLogoff}},
		{"nothing after stop calls it", []event{(*session).stop, sig(syscall.SIGTERM), endMsg(true, 0)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSpyDone()
			s := newTestSession(h.handle, newFakeTimer())
			for _, e := range tt.events {
				e(s)
			}
			if got := h.calls(); !slices.Equal(got, tt.want) {
				t.Errorf("handler calls = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEndReasonReadsLParam(t *testing.T) {
	tests := []struct {
		name   string
		lParam uintptr
		want   Reason
	}{
		{"no flags is a shutdown", 0, ReasonShutdown},
		{"ENDSESSION_CRITICAL alone is a shutdown", endSessionCritical, ReasonShutdown},
		{"ENDSESSION_LOGOFF is a logoff", endSessionLogoff, ReasonLogoff},
		{"ENDSESSION_LOGOFF with ENDSESSION_CRITICAL is a logoff", endSessionLogoff | endSessionCritical, ReasonLogoff},
		{"ENDSESSION_CLOSEAPP is the restart manager", endSessionCloseApp, ReasonCloseApp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSpyDone()
			s := newTestSession(h.handle, newFakeTimer())
			s.end(true, tt.lParam)
			if got := h.calls(); !slices.Equal(got, []Reason{tt.want}) {
				t.Errorf("handler calls = %q, want [%q]", got, tt.want)
			}
		})
	}
}

func TestSignalReasonNamesTheSignal(t *testing.T) {
	tests := []struct {
		name string
		sig  os.Signal
		want Reason
	}{
		{"os.Interrupt is SIGINT", os.Interrupt, ReasonInterrupt},
		{"syscall.SIGINT is SIGINT", syscall.SIGINT, ReasonInterrupt},
		{"syscall.SIGTERM is SIGTERM", syscall.SIGTERM, ReasonTerminate},
		{"another signal is named by its text", syscall.SIGHUP, Reason("signal " + syscall.SIGHUP.String())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signalReason(tt.sig); got != tt.want {
				t.Errorf("signalReason(%v) = %q, want %q", tt.sig, got, tt.want)
			}
		})
	}
}

// endResult is what end returned, and whether done was being closed at
// the moment it returned.
type endResult struct {
	completed   bool
	afterClosed bool
}

// endAsync runs s.end on its own goroutine. The result records closing as
// it was when end returned, so an early return shows.
func endAsync(s *session, ending bool, lParam uintptr, closing *atomic.Bool) <-chan endResult {
	res := make(chan endResult, 1)
	go func() {
		completed := s.end(ending, lParam)
		res <- endResult{completed, closing.Load()}
	}()
	return res
}

func TestEndSessionReturnsOnlyAfterDoneIsClosed(t *testing.T) {
	h := newSpy()
	timer := newFakeTimer()
	s := newTestSession(h.handle, timer)
	var closing atomic.Bool

	res := endAsync(s, true, 0, &closing)
	if r := <-h.called; r != ReasonShutdown {
		t.Fatalf("handler called with %q, want %q", r, ReasonShutdown)
	}
	<-s.ending()
	closing.Store(true)
	close(h.done)
	got := <-res
	if !got.completed {
		t.Error("end reported a timeout, want completed")
	}
	if !got.afterClosed {
		t.Error("end returned before done was closed")
	}
}

func TestEndSessionAfterASignalWaitsForTheSameShutdown(t *testing.T) {
	h := newSpy()
	s := newTestSession(h.handle, newFakeTimer())
	var closing atomic.Bool

	s.signal(syscall.SIGTERM)
	<-h.called
	res := endAsync(s, true, endSessionLogoff, &closing)
	<-s.ending()
	closing.Store(true)
	close(h.done)
	got := <-res
	if !got.completed {
		t.Error("end reported a timeout, want completed")
	}
	if !got.afterClosed {
		t.Error("end returned before done was closed")
	}
	if got, want := h.calls(), []Reason{ReasonTerminate}; !slices.Equal(got, want) {
		t.Errorf("handler calls = %q, want %q", got, want)
	}
}

func TestEndSessionGivesUpAfterWait(t *testing.T) {
	h := newSpy() // done is never closed
	timer := newFakeTimer()
	s := newTestSession(h.handle, timer)

	var closing atomic.Bool
	res := endAsync(s, true, 0, &closing)
	if d := <-timer.asked; d != testWait {
		t.Errorf("end waits %v, want %v", d, testWait)
	}
	select {
	case timer.fire <- time.Time{}:
	case got := <-res:
		t.Fatalf("end returned %+v before the wait was over", got)
	}
	if got := <-res; got.completed {
		t.Error("end reported completed, want a timeout")
	}
}

func TestEndSessionCountsWaitFromTheMessage(t *testing.T) {
	// The timer starts before the handler runs: Windows' clock does.
	timer := newFakeTimer()
	var askedBeforeHandler bool
	h := func(Reason) <-chan struct{} {
		select {
		case <-timer.asked:
			askedBeforeHandler = true
		default:
		}
		return nil
	}
	s := newTestSession(h, timer)
	s.end(true, 0)
	if !askedBeforeHandler {
		t.Error("the timer was not started before the handler ran")
	}
}

func TestNilDoneMeansTheShutdownIsComplete(t *testing.T) {
	s := newTestSession(func(Reason) <-chan struct{} { return nil }, newFakeTimer())
	if completed := s.end(true, 0); !completed {
		t.Error("end reported a timeout for a nil done, want completed")
	}
}

func TestRepeatedSignalIsLoggedAndIgnored(t *testing.T) {
	h := newSpyDone()
	logs := newLogSink()
	s := newSession(h.handle, testWait, slog.New(logs), newFakeTimer().after)
	s.signal(syscall.SIGTERM)
	logs.waitFor(t, "shutting down")
	s.signal(os.Interrupt)
	logs.waitFor(t, "shutdown already requested; ignored")
	if got, want := h.calls(), []Reason{ReasonTerminate}; !slices.Equal(got, want) {
		t.Errorf("handler calls = %q, want %q", got, want)
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{"zero options get the defaults", Options{}, Options{Wait: DefaultWait, BlockReason: "Saving data…", Title: "Saoma"}},
		{"a negative wait gets the default", Options{Wait: -time.Second}, Options{Wait: DefaultWait, BlockReason: "Saving data…", Title: "Saoma"}},
		{"set options are kept", Options{Wait: time.Second, BlockReason: "正在保存账本…", Title: "扫码"}, Options{Wait: time.Second, BlockReason: "正在保存账本…", Title: "扫码"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults()
			if got.Logger == nil {
				t.Error("Logger is nil, want a discarding logger")
			}
			got.Logger = nil
			if got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWatchRefusesANilHandler(t *testing.T) {
	stop, err := Watch(nil, Options{})
	if err == nil {
		stop()
		t.Fatal("Watch(nil) succeeded, want an error")
	}
}

package endsession

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Reason says why the session ends; it reads well in a log line.
type Reason string

// The reasons Watch passes to a Handler. A signal other than SIGINT and
// SIGTERM is never watched.
const (
	// ReasonInterrupt is SIGINT: Ctrl-C in a terminal.
	ReasonInterrupt Reason = "signal SIGINT"
	// ReasonTerminate is SIGTERM: systemd stopping the unit, pkill, or on
	// Windows a console close, logoff or shutdown event (consoles only).
	ReasonTerminate Reason = "signal SIGTERM"
	// ReasonLogoff is WM_ENDSESSION with ENDSESSION_LOGOFF: the Windows
	// user is logging off.
	ReasonLogoff Reason = "logoff"
	// ReasonShutdown is WM_ENDSESSION without flags: Windows is shutting
	// down or restarting.
	ReasonShutdown Reason = "shutdown"
	// ReasonCloseApp is WM_ENDSESSION with ENDSESSION_CLOSEAPP: the restart
	// manager (an installer or Windows Update) needs the program closed.
	ReasonCloseApp Reason = "close app"
)

// String returns the reason as text.
func (r Reason) String() string { return string(r) }

// Handler starts a clean shutdown and returns a channel that is closed once
// it is complete (for the kiosk: the ledger is closed). It is called at most
// once, from a goroutine or OS thread of this package, and must return
// promptly: the waiting is done by Watch. A nil channel means the shutdown
// is already complete.
type Handler func(Reason) (done <-chan struct{})

// DefaultWait is the Options.Wait used when it is zero: under the 5 seconds
// Windows gives a window in WM_ENDSESSION.
const DefaultWait = 4 * time.Second

// Options tune Watch. The zero value is ready to use.
type Options struct {
	// Wait is how long WM_ENDSESSION waits for the handler's done channel
	// before letting Windows go on (which may end the process). Zero means
	// DefaultWait. Longer than about 5 s makes Windows show its "this app is
	// preventing shutdown" screen, and a user who presses "Shut down
	// anyway" ends the process regardless. Signals never wait: the caller
	// exits when its shutdown is done.
	Wait time.Duration
	// Logger gets one line per request to end and per ignored repeat.
	// Nil discards.
	Logger *slog.Logger
	// BlockReason is the text Windows shows under the window title while
	// WM_ENDSESSION waits, e.g. "正在保存账本… Saving the ledger…".
	// Empty means "Saving data…".
	BlockReason string
	// Title is the hidden window's title, which Windows shows above
	// BlockReason. Empty means "Saoma".
	Title string
}

func (o Options) withDefaults() Options {
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BlockReason == "" {
		o.BlockReason = "Saving data…"
	}
	if o.Title == "" {
		o.Title = "Saoma"
	}
	return o
}

// Watch calls h once, the first time the process is asked to end: SIGINT
// or SIGTERM on every OS; on Windows also WM_ENDSESSION, received through a
// hidden top-level window. Later requests are logged and ignored, except
// that a WM_ENDSESSION still waits (up to opts.Wait) for the done channel
// of the first call before it returns.
//
// stop releases the signals and the window and ends the window's thread;
// after it returns, h is not called. It does not wait for a WM_ENDSESSION
// that is already waiting for done: that one returns when done is closed or
// opts.Wait has passed, so calling stop before done is closed (from a
// deferred call, say) does not delay the shutdown. stop may be called more
// than once.
//
// Watch fails if h is nil or, on Windows, if the window cannot be created;
// then nothing is left running.
func Watch(h Handler, opts Options) (stop func(), err error) {
	if h == nil {
		return nil, errors.New("endsession: nil handler")
	}
	opts = opts.withDefaults()
	s := newSession(h, opts.Wait, opts.Logger, time.After)
	stopOS, err := startOS(s, opts)
	if err != nil {
		return nil, err
	}
	stopSignals := watchSignals(s)
	var once sync.Once
	return func() {
		once.Do(func() {
			s.stop()
			stopSignals()
			stopOS()
		})
	}, nil
}

// watchSignals calls s.signal for every SIGINT and SIGTERM until the
// returned func is called; that func returns once no more calls can happen.
func watchSignals(s *session) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	quit := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case sig := <-sigs:
				s.signal(sig)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(quit)
		<-exited
	}
}

// signalReason names a watched signal.
func signalReason(sig os.Signal) Reason {
	switch sig {
	case os.Interrupt:
		return ReasonInterrupt
	case syscall.SIGTERM:
		return ReasonTerminate
	}
	return Reason("signal " + sig.String())
}

// Flags in WM_QUERYENDSESSION's and WM_ENDSESSION's lParam.
const (
	endSessionCloseApp = 0x00000001
	endSessionCritical = 0x40000000
	endSessionLogoff   = 0x80000000
)

// endReason reads WM_ENDSESSION's lParam.
func endReason(lParam uintptr) Reason {
	switch {
	case lParam&endSessionCloseApp != 0:
		return ReasonCloseApp
	case lParam&endSessionLogoff != 0:
		return ReasonLogoff
	}
	return ReasonShutdown
}

// session decides what each request to end does. It holds no OS resources,
// so the Windows message handling is tested on every OS: the window
// procedure only translates WM_QUERYENDSESSION into query and
// WM_ENDSESSION into end.
type session struct {
	h     Handler
	wait  time.Duration
	log   *slog.Logger
	after func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	started bool // h has been (or is being) called
	stopped bool // stop was called; h is never called after

	ready   chan struct{} // closed once done is set
	done    <-chan struct{}
	waiting chan struct{} // closed when end first waits for done
	waitOne sync.Once
}

func newSession(h Handler, wait time.Duration, log *slog.Logger, after func(time.Duration) <-chan time.Time) *session {
	return &session{
		h:       h,
		wait:    wait,
		log:     log,
		after:   after,
		ready:   make(chan struct{}),
		waiting: make(chan struct{}),
	}
}

// request calls h with r if nothing has called it yet and stop has not
// been called. It returns the done channel of the one call (nil if stop
// came first) and whether this request made it.
func (s *session) request(r Reason) (done <-chan struct{}, first bool) {
	s.mu.Lock()
	switch {
	case s.started:
		s.mu.Unlock()
		<-s.ready
		return s.done, false
	case s.stopped:
		s.mu.Unlock()
		return nil, false
	}
	s.started = true
	s.mu.Unlock()

	d := s.h(r)
	if d == nil {
		closed := make(chan struct{})
		close(closed)
		d = closed
	}
	s.done = d
	close(s.ready)
	return d, true
}

// stop makes later requests do nothing, unless h was already called.
func (s *session) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// signal handles SIGINT or SIGTERM: it starts the shutdown once and never
// waits for it.
func (s *session) signal(sig os.Signal) {
	r := signalReason(sig)
	if _, first := s.request(r); first {
		s.log.Info("shutting down", "reason", r)
		return
	}
	s.log.Info("shutdown already requested; ignored", "reason", r)
}

// query handles WM_QUERYENDSESSION. The answer is always yes: nothing is
// started yet, because another program may still cancel the shutdown.
func (s *session) query(lParam uintptr) {
	s.log.Info("session may end", "reason", endReason(lParam), "critical", lParam&endSessionCritical != 0)
}

// end handles WM_ENDSESSION. If the session is ending it starts the
// shutdown (once) and waits for it, at most s.wait counted from the call.
// It reports whether the shutdown completed (or was never needed) in time.
func (s *session) end(ending bool, lParam uintptr) (completed bool) {
	if !ending {
		s.log.Info("session end cancelled")
		return true
	}
	timeout := s.after(s.wait)
	r := endReason(lParam)
	done, first := s.request(r)
	switch {
	case done == nil:
		s.log.Info("session ending after stop; nothing to wait for", "reason", r)
		return true
	case first:
		s.log.Info("shutting down", "reason", r)
	default:
		s.log.Info("session ending; waiting for the shutdown already under way", "reason", r)
	}
	s.waitOne.Do(func() { close(s.waiting) })
	select {
	case <-done:
		s.log.Info("shutdown complete; session may end", "reason", r)
		return true
	case <-timeout:
		s.log.Warn("shutdown not complete in time; session ends anyway", "reason", r, "wait", s.wait)
		return false
	}
}

// ending is closed once end waits for a shutdown.
func (s *session) ending() <-chan struct{} { return s.waiting }

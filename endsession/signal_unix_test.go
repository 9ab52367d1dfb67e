//go:build unix

package endsession

import (
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"testing"
)

// kill sends sig to this test process.
func kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatalf("kill %v: %v", sig, err)
	}
}

func TestWatchCallsTheHandlerOnSignals(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
		want Reason
	}{
		{"SIGTERM calls it with ReasonTerminate", syscall.SIGTERM, ReasonTerminate},
		{"SIGINT calls it with ReasonInterrupt", syscall.SIGINT, ReasonInterrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSpyDone()
			stop, err := Watch(h.handle, Options{})
			if err != nil {
				t.Fatalf("Watch: %v", err)
			}
			defer stop()
			kill(t, tt.sig)
			if got := <-h.called; got != tt.want {
				t.Errorf("handler called with %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWatchIgnoresASecondSignal(t *testing.T) {
	h := newSpy() // the shutdown is still under way when the second comes
	logs := newLogSink()
	stop, err := Watch(h.handle, Options{Logger: slog.New(logs)})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	defer stop()

	kill(t, syscall.SIGTERM)
	<-h.called
	kill(t, syscall.SIGINT)
	logs.waitFor(t, "shutdown already requested; ignored")
	close(h.done)
	if got, want := h.calls(), []Reason{ReasonTerminate}; !slices.Equal(got, want) {
		t.Errorf("handler calls = %q, want %q", got, want)
	}
}

func TestWatchAfterStopDoesNotCallTheHandler(t *testing.T) {
	// guard keeps SIGTERM from ending the test binary once Watch has let
	// go of it, and tells the test when the signal has been delivered.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGTERM)
	defer signal.Stop(guard)

	h := newSpyDone()
	stop, err := Watch(h.handle, Options{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	stop()
	stop() // a second stop is harmless

	kill(t, syscall.SIGTERM)
	<-guard
	if got := h.calls(); len(got) != 0 {
		t.Errorf("handler calls after stop = %q, want none", got)
	}
}

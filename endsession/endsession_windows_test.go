//go:build windows

package endsession

import (
	"log/slog"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/windows"
)

// These tests drive the real hidden window with SendMessageW. They are
// built on Linux (GOOS=windows go test -c) and run only on Windows.

func sendMessage(t *testing.T, hwnd, message, wParam, lParam uintptr) uintptr {
	t.Helper()
	r, _, _ := windows.NewLazySystemDLL("user32.dll").NewProc("SendMessageW").Call(hwnd, message, wParam, lParam)
	return r
}

func newTestWindow(t *testing.T, h Handler) *window {
	t.Helper()
	s := newSession(h, DefaultWait, slog.New(slog.DiscardHandler), newFakeTimer().after)
	w, err := newWindow(s, Options{}.withDefaults())
	if err != nil {
		t.Fatalf("newWindow: %v", err)
	}
	return w
}

func TestWindowWaitsInEndSessionForDone(t *testing.T) {
	h := newSpy()
	w := newTestWindow(t, h.handle)
	defer w.stop()

	if r := sendMessage(t, w.hwnd, wmQueryEndSession, 0, endSessionLogoff); r != 1 {
		t.Errorf("WM_QUERYENDSESSION returned %d, want 1 (never veto)", r)
	}
	var closing atomic.Bool
	res := make(chan bool, 1)
	go func() {
		sendMessage(t, w.hwnd, wmEndSession, 1, endSessionLogoff)
		res <- closing.Load()
	}()
	if got := <-h.called; got != ReasonLogoff {
		t.Errorf("handler called with %q, want %q", got, ReasonLogoff)
	}
	<-w.s.ending()
	closing.Store(true)
	close(h.done)
	if afterClosed := <-res; !afterClosed {
		t.Error("WM_ENDSESSION returned before done was closed")
	}
}

func TestWindowCancelledShutdownDoesNotCallTheHandler(t *testing.T) {
	h := newSpyDone()
	w := newTestWindow(t, h.handle)
	sendMessage(t, w.hwnd, wmQueryEndSession, 0, 0)
	sendMessage(t, w.hwnd, wmEndSession, 0, 0)
	w.stop()
	<-w.done
	if got := h.calls(); len(got) != 0 {
		t.Errorf("handler calls = %q, want none", got)
	}
}

func TestWindowStopDoesNotWaitForAnEndSessionInProgress(t *testing.T) {
	h := newSpy()
	w := newTestWindow(t, h.handle)
	ended := make(chan struct{})
	go func() {
		sendMessage(t, w.hwnd, wmEndSession, 1, 0)
		close(ended)
	}()
	<-h.called
	<-w.s.ending()
	w.stop() // returns although WM_ENDSESSION still waits for done
	close(h.done)
	<-ended
	<-w.done
}

func TestWatchOnWindowsStartsAndStops(t *testing.T) {
	stop, err := Watch(newSpyDone().handle, Options{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	stop()
}

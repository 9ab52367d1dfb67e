//go:build windows

package endsession

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Window messages the hidden window handles.
const (
	wmDestroy         = 0x0002
	wmClose           = 0x0010
	wmQueryEndSession = 0x0011
	wmEndSession      = 0x0016
	wmStop            = 0x8000 + 1 // WM_APP+1: stop() asks the window to go
)

// user32 holds the procedures the hidden window needs.
type user32 struct {
	registerClassEx, unregisterClass, createWindowEx, destroyWindow,
	defWindowProc, getMessage, translateMessage, dispatchMessage,
	postMessage, postQuitMessage,
	blockReasonCreate, blockReasonDestroy *windows.LazyProc
}

func loadUser32() (*user32, error) {
	dll := windows.NewLazySystemDLL("user32.dll")
	u := &user32{
		registerClassEx:    dll.NewProc("RegisterClassExW"),
		unregisterClass:    dll.NewProc("UnregisterClassW"),
		createWindowEx:     dll.NewProc("CreateWindowExW"),
		destroyWindow:      dll.NewProc("DestroyWindow"),
		defWindowProc:      dll.NewProc("DefWindowProcW"),
		getMessage:         dll.NewProc("GetMessageW"),
		translateMessage:   dll.NewProc("TranslateMessage"),
		dispatchMessage:    dll.NewProc("DispatchMessageW"),
		postMessage:        dll.NewProc("PostMessageW"),
		postQuitMessage:    dll.NewProc("PostQuitMessage"),
		blockReasonCreate:  dll.NewProc("ShutdownBlockReasonCreate"),
		blockReasonDestroy: dll.NewProc("ShutdownBlockReasonDestroy"),
	}
	// Find each now, so a missing one is an error here and not a panic on
	// the window thread.
	for _, p := range []*windows.LazyProc{
		u.registerClassEx, u.unregisterClass, u.createWindowEx, u.destroyWindow,
		u.defWindowProc, u.getMessage, u.translateMessage, u.dispatchMessage,
		u.postMessage, u.postQuitMessage, u.blockReasonCreate, u.blockReasonDestroy,
	} {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("load user32: %w", err)
		}
	}
	return u, nil
}

// wndClassEx is WNDCLASSEXW.
type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   windows.Handle
	icon       windows.Handle
	cursor     windows.Handle
	background windows.Handle
	menuName   *uint16
	className  *uint16
	iconSm     windows.Handle
}

// msg is MSG.
type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
	private uint32
}

// window is the hidden top-level window. Everything but hwnd (set before
// startOS returns) and done is used only on the window's own OS thread.
type window struct {
	u      *user32
	s      *session
	opts   Options
	hwnd   uintptr
	done   chan struct{} // closed when the window's goroutine ends
	reason *uint16       // BlockReason, kept alive for the window's life
}

// startOS creates the hidden window on its own locked OS thread and returns
// once it exists.
func startOS(s *session, opts Options) (stop func(), err error) {
	w, err := newWindow(s, opts)
	if err != nil {
		return nil, err
	}
	return w.stop, nil
}

// newWindow creates the hidden window on its own locked OS thread and
// returns once it exists.
func newWindow(s *session, opts Options) (*window, error) {
	u, err := loadUser32()
	if err != nil {
		return nil, fmt.Errorf("endsession: %w", err)
	}
	reason, err := windows.UTF16PtrFromString(opts.BlockReason)
	if err != nil {
		return nil, fmt.Errorf("endsession: block reason: %w", err)
	}
	w := &window{u: u, s: s, opts: opts, done: make(chan struct{}), reason: reason}
	ready := make(chan error, 1)
	go w.run(ready)
	if err := <-ready; err != nil {
		<-w.done
		return nil, fmt.Errorf("endsession: hidden window: %w", err)
	}
	return w, nil
}

// run creates the window, reports on ready, and pumps its messages until
// the window is destroyed. The thread stays locked to the end, so Go
// retires it with the goroutine.
func (w *window) run(ready chan<- error) {
	defer close(w.done)
	runtime.LockOSThread()

	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		ready <- fmt.Errorf("GetModuleHandleEx: %w", err)
		return
	}
	// The address of w keeps the class name unique within the process.
	class, err := windows.UTF16PtrFromString(fmt.Sprintf("saoma.endsession.%p", w))
	if err != nil {
		ready <- err
		return
	}
	title, err := windows.UTF16PtrFromString(w.opts.Title)
	if err != nil {
		ready <- fmt.Errorf("title: %w", err)
		return
	}
	wc := wndClassEx{
		wndProc:   windows.NewCallback(w.proc),
		instance:  inst,
		className: class,
	}
	wc.size = uint32(unsafe.Sizeof(wc))
	if atom, _, e := w.u.registerClassEx.Call(uintptr(unsafe.Pointer(&wc))); atom == 0 {
		ready <- fmt.Errorf("RegisterClassExW: %w", e)
		return
	}
	defer func() {
		w.u.unregisterClass.Call(uintptr(unsafe.Pointer(class)), uintptr(inst))
		runtime.KeepAlive(class) // the name must live until here, not just until the defer
	}()

	// An ordinary top-level window (parent 0) that is never shown: a
	// message-only window would miss WM_QUERYENDSESSION.
	hwnd, _, e := w.u.createWindowEx.Call(
		0, uintptr(unsafe.Pointer(class)), uintptr(unsafe.Pointer(title)),
		0, // WS_OVERLAPPED, without WS_VISIBLE
		0, 0, 0, 0,
		0, 0, uintptr(inst), 0)
	if hwnd == 0 {
		ready <- fmt.Errorf("CreateWindowExW: %w", e)
		return
	}
	w.hwnd = hwnd
	ready <- nil

	var m msg
	for {
		r, _, e := w.u.getMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		switch int32(r) {
		case 0: // WM_QUIT, posted on WM_DESTROY
			return
		case -1:
			w.s.log.Error("endsession: GetMessageW failed; no longer watching", "err", e)
			w.u.destroyWindow.Call(hwnd)
			return
		}
		w.u.translateMessage.Call(uintptr(unsafe.Pointer(&m)))
		w.u.dispatchMessage.Call(uintptr(unsafe.Pointer(&m)))
	}
}

// proc is the window procedure; it runs on the window's thread.
func (w *window) proc(hwnd, message, wParam, lParam uintptr) uintptr {
	switch message {
	case wmQueryEndSession:
		w.s.query(lParam)
		if ok, _, e := w.u.blockReasonCreate.Call(hwnd, uintptr(unsafe.Pointer(w.reason))); ok == 0 {
			w.s.log.Warn("endsession: ShutdownBlockReasonCreate failed", "err", e)
		}
		return 1 // never veto the shutdown
	case wmEndSession:
		w.s.end(wParam != 0, lParam)
		w.u.blockReasonDestroy.Call(hwnd)
		return 0
	case wmStop:
		w.u.destroyWindow.Call(hwnd)
		return 0
	case wmClose:
		// taskkill without /F posts WM_CLOSE to every top-level window;
		// that is for the kiosk's own window, not for the watcher.
		return 0
	case wmDestroy:
		w.u.postQuitMessage.Call(0)
		return 0
	}
	r, _, _ := w.u.defWindowProc.Call(hwnd, message, wParam, lParam)
	return r
}

// stop asks the window thread to destroy the window and waits until it has
// ended, unless it is waiting in WM_ENDSESSION: that wait ends by itself.
func (w *window) stop() {
	if ok, _, e := w.u.postMessage.Call(w.hwnd, wmStop, 0, 0); ok == 0 {
		select {
		case <-w.done: // the window was already gone
		default:
			w.s.log.Warn("endsession: PostMessageW failed; window left running", "err", e)
		}
		return
	}
	select {
	case <-w.done:
	case <-w.s.ending():
	}
}

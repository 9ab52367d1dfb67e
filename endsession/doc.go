// Package endsession turns "the process is asked to end" into one call of a
// shutdown handler, and on Windows holds the session open until that
// shutdown has finished.
//
// On every OS, SIGINT (Ctrl-C) and SIGTERM (systemd, pkill) are watched
// with os/signal.
//
// On Windows the kiosk is a GUI binary with no console. A process that has
// loaded user32 or gdi32 gets no CTRL_LOGOFF_EVENT or CTRL_SHUTDOWN_EVENT
// (which Go would report as SIGTERM) when the user logs off or Windows
// shuts down: it only gets the window messages WM_QUERYENDSESSION and
// WM_ENDSESSION, sent to its top-level windows. Fyne (GLFW) ignores them,
// and once every window has returned from WM_ENDSESSION, Windows may end the
// process at any moment, possibly halfway through a ledger write. Watch
// therefore creates a hidden top-level window on its own locked OS thread.
// (A message-only window, parent HWND_MESSAGE, would not get the
// broadcast.) The window answers:
//
//   - WM_QUERYENDSESSION: registers the block reason
//     (ShutdownBlockReasonCreate) and returns TRUE. It never vetoes: a
//     point of sale must not keep the shop's PC from shutting down.
//   - WM_ENDSESSION with wParam TRUE: calls the handler (unless a signal
//     already did), waits until its done channel is closed or Options.Wait
//     has passed, removes the block reason and returns. lParam tells logoff
//     (ENDSESSION_LOGOFF) from shutdown, and ENDSESSION_CLOSEAPP (restart
//     manager, installers) from both.
//   - WM_ENDSESSION with wParam FALSE (another program cancelled the
//     shutdown): removes the block reason; the handler is not called.
//
// Windows gives a window about 5 seconds in WM_ENDSESSION before it shows
// the "this app is preventing shutdown" screen (with the block reason and
// the window title) or ends the process, so the default Wait is 4 seconds.
package endsession

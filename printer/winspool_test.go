package printer

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// fakeSpool is a spooler connection that records what Spooler did.
type fakeSpool struct {
	startErr, endErr, closeErr error
	chunk                      int   // bytes taken per write; all if 0
	writeErr                   error // returned by the first write
	doc                        string
	got                        bytes.Buffer
	calls                      []string
}

var _ spoolConn = (*fakeSpool)(nil)

func (f *fakeSpool) startDoc(name string) error {
	f.calls = append(f.calls, "start")
	f.doc = name
	return f.startErr
}

func (f *fakeSpool) write(p []byte) (int, error) {
	f.calls = append(f.calls, "write")
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	n := len(p)
	if f.chunk > 0 && f.chunk < n {
		n = f.chunk
	}
	f.got.Write(p[:n])
	return n, nil
}

func (f *fakeSpool) endDoc() error { f.calls = append(f.calls, "end"); return f.endErr }
func (f *fakeSpool) abort() error  { f.calls = append(f.calls, "abort"); return nil }
func (f *fakeSpool) close() error  { f.calls = append(f.calls, "close"); return f.closeErr }

func spoolerWith(f *fakeSpool, openErr error) Spooler {
	return Spooler{Printer: "POS-80", open: func(name string) (spoolConn, error) {
		if openErr != nil {
			return nil, openErr
		}
		return f, nil
	}}
}

func TestSpoolerWrite(t *testing.T) {
	job := []byte("\x1b@hello\x1dV\x00")
	boom := errors.New("boom")
	tests := []struct {
		name      string
		fake      fakeSpool
		openErr   error
		wantKind  error // nil: success
		wantCalls string
	}{
		{name: "a job is one RAW document written in full and closed", wantCalls: "start write end close"},
		{name: "a spooler taking a few bytes at a time gets the whole job", fake: fakeSpool{chunk: 4},
			wantCalls: "start write write write end close"},
		{name: "an unknown printer name is offline", openErr: errUnknownPrinter, wantKind: ErrPrinterOffline},
		{name: "a refused document is offline and the handle is closed", fake: fakeSpool{startErr: errNotRaw},
			wantKind: ErrPrinterOffline, wantCalls: "start close"},
		{name: "a failed write aborts the document and is stalled", fake: fakeSpool{writeErr: boom},
			wantKind: ErrPrinterStalled, wantCalls: "start write abort close"},
		{name: "a failed end of document is stalled", fake: fakeSpool{endErr: boom},
			wantKind: ErrPrinterStalled, wantCalls: "start write end close"},
		{name: "a failed close after a good job is stalled", fake: fakeSpool{closeErr: boom},
			wantKind: ErrPrinterStalled, wantCalls: "start write end close"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			st, err := spoolerWith(&f, tt.openErr).Write(context.Background(), job)
			if st != (Status{}) {
				t.Errorf("status = %+v, want the zero Status", st)
			}
			if tt.wantKind == nil {
				if err != nil {
					t.Fatalf("Write: %v", err)
				}
				if !bytes.Equal(f.got.Bytes(), job) {
					t.Errorf("spooled %q, want %q", f.got.Bytes(), job)
				}
				if f.doc != "Saoma" {
					t.Errorf("document name %q, want Saoma", f.doc)
				}
			} else {
				var oe *OutputError
				if !errors.As(err, &oe) || !errors.Is(err, tt.wantKind) {
					t.Fatalf("Write error = %v, want an *OutputError of kind %v", err, tt.wantKind)
				}
				if oe.Output != "windows" || oe.Target != "POS-80" {
					t.Errorf("error names %s %q, want windows \"POS-80\"", oe.Output, oe.Target)
				}
			}
			if got := strings.Join(f.calls, " "); got != tt.wantCalls {
				t.Errorf("calls = %q, want %q", got, tt.wantCalls)
			}
		})
	}
}

func TestSpoolerCancelledContextSendsNothing(t *testing.T) {
	var f fakeSpool
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := spoolerWith(&f, nil).Write(ctx, []byte("x"))
	if !errors.Is(err, ErrPrinterOffline) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Write error = %v, want offline and canceled", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls = %v, want none", f.calls)
	}
}

func TestSpoolerDoesNotConfirm(t *testing.T) {
	if (Spooler{}).Confirms() {
		t.Error("Confirms() = true; the spooler cannot see the paper")
	}
}

func TestWindowsKindNeedsTheSpooler(t *testing.T) {
	q, err := New(Config{Kind: "windows", WindowsPrinter: "POS-80", Paper: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if runtime.GOOS != "windows" {
		if _, err := q.out.Write(context.Background(), []byte("x")); !errors.Is(err, ErrNoSpooler) {
			t.Errorf("printing to the Windows spooler on %s: %v, want ErrNoSpooler", runtime.GOOS, err)
		}
	}
}

package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// fakePrinter is a TCP 9100 printer on loopback. Each accepted connection
// is handed to the behaviour the test chose.
type fakePrinter struct {
	ln   net.Listener
	addr string
}

// listen starts a fake printer; serve runs for each connection in its own
// goroutine and the connection is closed after it returns.
func listen(t *testing.T, addr string, serve func(net.Conn)) *fakePrinter {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return &fakePrinter{ln: ln, addr: ln.Addr().String()}
}

// receiving serves by reading a whole job and sending it on got.
func receiving(got chan<- []byte) func(net.Conn) {
	return func(c net.Conn) {
		b, _ := io.ReadAll(c)
		got <- b
	}
}

// closedAddr returns a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func receive(t *testing.T, got <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-got:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("printer received nothing")
		return nil
	}
}

func TestTCPSendsExactlyTheJob(t *testing.T) {
	got := make(chan []byte, 1)
	p := listen(t, "127.0.0.1:0", receiving(got))
	job := []byte{esc, '@', 0x1c, 0x26, 0xba, 0xcf, 0x1c, 0x2e, lf, gs, 'V', 66, 0}
	if err := (TCP{Address: p.addr, Timeout: 5 * time.Second}).Write(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if b := receive(t, got); !bytes.Equal(b, job) {
		t.Errorf("printer got % X, want % X", b, job)
	}
}

func TestTCPFailures(t *testing.T) {
	// statusPrinter answers the paper query with st, then reads the job.
	statusPrinter := func(st byte, got chan<- []byte) func(net.Conn) {
		return func(c net.Conn) {
			q := make([]byte, 3)
			if _, err := io.ReadFull(c, q); err != nil || !bytes.Equal(q, []byte{0x10, 0x04, 4}) {
				got <- q
				return
			}
			_, _ = c.Write([]byte{st})
			b, _ := io.ReadAll(c)
			got <- b
		}
	}
	stalled := make(chan struct{})
	t.Cleanup(func() { close(stalled) })
	tests := []struct {
		name  string
		addr  func(t *testing.T) string
		check bool
		want  error
	}{
		{"closed port is offline", closedAddr, false, ErrPrinterOffline},
		{"a printer that never answers has stalled", func(t *testing.T) string {
			return listen(t, "127.0.0.1:0", func(net.Conn) { <-stalled }).addr
		}, true, ErrPrinterStalled},
		{"paper end is out of paper", func(t *testing.T) string {
			return listen(t, "127.0.0.1:0", statusPrinter(0x72, make(chan []byte, 1))).addr
		}, true, ErrOutOfPaper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := TCP{Address: tt.addr(t), Timeout: 200 * time.Millisecond, CheckPaper: tt.check}
			err := out.Write(context.Background(), []byte("job"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var oe *OutputError
			if !errors.As(err, &oe) || oe.Output != "tcp" || oe.Target != out.Address {
				t.Errorf("error %v is not an *OutputError naming the printer", err)
			}
		})
	}
	t.Run("refused error keeps the net error", func(t *testing.T) {
		err := TCP{Address: closedAddr(t), Timeout: time.Second}.Write(context.Background(), []byte("x"))
		var ne *net.OpError
		if !errors.As(err, &ne) {
			t.Errorf("%v does not wrap a *net.OpError", err)
		}
	})
	t.Run("paper present prints", func(t *testing.T) {
		got := make(chan []byte, 1)
		p := listen(t, "127.0.0.1:0", statusPrinter(0x12, got))
		if err := (TCP{Address: p.addr, Timeout: 5 * time.Second, CheckPaper: true}).Write(context.Background(), []byte("job")); err != nil {
			t.Fatal(err)
		}
		if b := receive(t, got); string(b) != "job" {
			t.Errorf("printer got %q", b)
		}
	})
}

func TestDevice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lp0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dev := Device{Path: path, Timeout: time.Second}
	for _, job := range [][]byte{[]byte("one\n"), []byte("two\n")} {
		if err := dev.Write(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("device got %q", b)
	}
	err := Device{Path: filepath.Join(dir, "missing")}.Write(context.Background(), []byte("x"))
	if !errors.Is(err, ErrPrinterOffline) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: got %v, want ErrPrinterOffline wrapping ErrNotExist", err)
	}
}

func TestCUPS(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Fatal("sh is needed to fake lp")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	lp := filepath.Join(dir, "lp")
	script := "#!/bin/sh\necho \"$@\" > " + out + ".args\ncat > " + out + "\n[ \"$2\" = offline ] && { echo 'lp: The printer or class does not exist.' >&2; exit 1; }\nexit 0\n"
	if err := os.WriteFile(lp, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	job := []byte{esc, '@', 0xba, 0xcf, 0x00, lf}
	if err := (CUPS{Queue: "pos58", Command: lp}).Write(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, job) {
		t.Errorf("lp got % X, want % X", b, job)
	}
	if b, _ := os.ReadFile(out + ".args"); string(b) != "-d pos58 -o raw\n" {
		t.Errorf("lp args %q", b)
	}
	err := CUPS{Queue: "offline", Command: lp}.Write(context.Background(), job)
	if !errors.Is(err, ErrPrinterOffline) || !bytes.Contains([]byte(err.Error()), []byte("does not exist")) {
		t.Errorf("failing lp: got %v", err)
	}
	err = CUPS{Queue: "pos58", Command: filepath.Join(dir, "no-such-lp")}.Write(context.Background(), job)
	if !errors.Is(err, ErrNoLP) {
		t.Errorf("missing lp: got %v, want ErrNoLP", err)
	}
}

// Without the status query, a printer that stops reading is caught by the
// write deadline once the job no longer fits in the network buffers.
func TestTCPWriteDeadlineCatchesAPrinterThatStopsReading(t *testing.T) {
	stalled := make(chan struct{})
	t.Cleanup(func() { close(stalled) })
	p := listen(t, "127.0.0.1:0", func(net.Conn) { <-stalled })
	job := make([]byte, 64<<20) // larger than loopback socket buffers on both ends
	err := TCP{Address: p.addr, Timeout: 300 * time.Millisecond}.Write(context.Background(), job)
	if !errors.Is(err, ErrPrinterStalled) {
		t.Fatalf("got %v, want ErrPrinterStalled", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v does not wrap a timeout", err)
	}
}

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

func TestDevice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lp0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dev := Device{Path: path, Timeout: time.Second}
	if dev.Confirms() {
		t.Error("a device file cannot confirm a job")
	}
	for _, job := range [][]byte{[]byte("one\n"), []byte("two\n")} {
		if _, err := dev.Write(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("device got %q", b)
	}
	_, err := Device{Path: filepath.Join(dir, "missing")}.Write(context.Background(), []byte("x"))
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
	if (CUPS{}).Confirms() {
		t.Error("CUPS cannot confirm a job")
	}
	if _, err := (CUPS{Queue: "pos58", Command: lp}).Write(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, job) {
		t.Errorf("lp got % X, want % X", b, job)
	}
	if b, _ := os.ReadFile(out + ".args"); string(b) != "-d pos58 -o raw\n" {
		t.Errorf("lp args %q", b)
	}
	_, err := CUPS{Queue: "offline", Command: lp}.Write(context.Background(), job)
	if !errors.Is(err, ErrPrinterOffline) || !bytes.Contains([]byte(err.Error()), []byte("does not exist")) {
		t.Errorf("failing lp: got %v", err)
	}
	_, err = CUPS{Queue: "pos58", Command: filepath.Join(dir, "no-such-lp")}.Write(context.Background(), job)
	if !errors.Is(err, ErrNoLP) {
		t.Errorf("missing lp: got %v, want ErrNoLP", err)
	}
}

package main

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// echoServer answers each line with its name and the line; kill closes
// its listener and every connection, as the kernel does for a killed
// process.
func echoServer(t *testing.T, name string) (addr string, kill func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	kill = func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(kill)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := c.Write([]byte(name + ":" + sc.Text() + "\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), kill
}

// roundTrip sends a line through conn and returns the answer.
func roundTrip(t *testing.T, conn net.Conn, r *bufio.Reader, line string) (string, error) {
	t.Helper()
	if _, err := conn.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	s, err := r.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func TestSpreaderSpreadsConnectionsAndSkipsADeadInstance(t *testing.T) {
	a, _ := echoServer(t, "a")
	b, killB := echoServer(t, "b")
	sp := &spreader{backends: []string{a, b}}
	ctx := context.Background()

	seen := map[string]int{}
	var toB *bufio.Reader
	for range 4 {
		c, err := sp.dial(ctx, "tcp", "relay.example:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		got, err := roundTrip(t, c, r, "hi")
		if err != nil {
			t.Fatal(err)
		}
		seen[got]++
		if got == "b:hi" {
			toB = r
		}
	}
	if seen["a:hi"] != 2 || seen["b:hi"] != 2 {
		t.Fatalf("connections went %v, want 2 to each instance", seen)
	}

	// Instance b dies: its connections end, new ones all go to a.
	killB()
	if _, err := toB.ReadString('\n'); err == nil {
		t.Fatal("the connection to the dead instance stayed open")
	}
	for range 3 {
		c, err := sp.dial(ctx, "tcp", "relay.example:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, err := roundTrip(t, c, bufio.NewReader(c), "again")
		if err != nil || got != "a:again" {
			t.Fatalf("after b died: %q, %v", got, err)
		}
	}

	// With every instance dead, dialing fails.
	sp.backends = []string{b}
	if c, err := sp.dial(ctx, "tcp", "relay.example:80"); err == nil {
		c.Close()
		t.Fatal("dialing a dead instance succeeded")
	}
}

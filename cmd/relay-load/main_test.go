package main

import (
	"testing"
	"time"
)

func TestOnlyLoopbackIsAccepted(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"10.0.0.1", false},
		{"relay.example.com", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := isLoopback(tc.host); got != tc.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var l latencies
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := l.p(tc.q); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := (latencies{}).p(99); got != 0 {
		t.Errorf("empty p99 = %v", got)
	}
}

func TestNotificationsVerify(t *testing.T) {
	body := notification("T", 2, 123456, 7)
	if got := field(body, "out_trade_no"); got != "T7" {
		t.Errorf("out_trade_no = %q", got)
	}
	if got := field(body, "transaction_id"); len(got) != 28 || got != "4202123456000000000000000007" {
		t.Errorf("transaction_id %q, want 28 digits with the phase, the run and the order", got)
	}
}

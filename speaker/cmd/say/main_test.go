package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.50", 1250, true}, {"12.5", 1250, true}, {"12", 1200, true},
		{"0.01", 1, true}, {"-3.05", -305, true}, {"1003.05", 100305, true},
		{"", 0, false}, {"12.", 0, false}, {".5", 0, false}, {"1.234", 0, false},
		{"abc", 0, false}, {"1.-5", 0, false}, {"+1", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseYuan(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseYuan(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestSayWritesTheAnnouncementToAWAVFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.wav")
	var stdout bytes.Buffer
	if err := run([]string{"-amount", "12.50", "-o", out}, &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "十二点五元 (") {
		t.Errorf("printed %q, want the words and the duration", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44+16000*2 || string(b[:4]) != "RIFF" {
		t.Errorf("%s: %d bytes, want a WAV of over a second", out, len(b))
	}
}

package ui

import (
	"testing"
	"time"

	"saoma/app"
)

func TestLinkChipSaysWhenTheRelayCertificateIsRefused(t *testing.T) {
	cases := []struct {
		name        string
		link        app.LinkState
		certInvalid bool
		want        string
	}{
		{"a connected link is push connected", app.LinkConnected, false, "推送已连接"},
		{"a link down is polling only", app.LinkPolling, false, "仅轮询"},
		{"a refused certificate is named, not just polling", app.LinkPolling, true, "推送中继证书无效"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, key := linkChip(c.link, c.certInvalid)
			if got := lang(0).T(key); got != c.want {
				t.Errorf("chip says %q, want %q", got, c.want)
			}
		})
	}
	if _, key := linkChip(app.LinkPolling, true); lang(1).T(key) != "Relay certificate not trusted or expired" {
		t.Errorf("English chip: %q", lang(1).T(key))
	}
}

func TestRelayCertTextFlagsExpiry(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, shanghai)
	cases := []struct {
		name   string
		expiry time.Time
		want   string
	}{
		{"no handshake yet", time.Time{}, "Not connected yet"},
		{"far from expiry shows the date", now.AddDate(0, 6, 0), "2026-09-01"},
		{"within a month is flagged", now.AddDate(0, 0, 10), "2026-03-11 (expires within 30 days)"},
		{"expired is flagged", now.Add(-time.Hour), "2026-03-01 (expired)"},
		{"the date is the kiosk's local date", time.Date(2026, 8, 31, 20, 0, 0, 0, time.UTC), "2026-09-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := relayCertText(lang(1), c.expiry, now); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

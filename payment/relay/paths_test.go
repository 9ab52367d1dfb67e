package relay

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// rawPost sends a POST with the request target written byte for byte (no
// client-side cleaning) and returns the response.
func rawPost(t *testing.T, base, target string, body []byte) (status int, location, reply string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: relay.example.com\r\nContent-Type: text/xml\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", target, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestWeChatIsNeverRedirected(t *testing.T) {
	tr := startRelay(t, nil)
	tests := []struct {
		name, target string
		body         []byte
		wantStatus   int
		wantSuccess  bool
	}{
		{"a notify URL after a relay URL ending in a slash is served", "//wxpay/notify/k1", notification(wxsim.DemoKey, "P-1", "4200000001202601010000000001"), http.StatusOK, true},
		{"a doubled slash inside the path is served", "/wxpay//notify/k1", notification(wxsim.DemoKey, "P-2", "4200000001202601010000000002"), http.StatusOK, true},
		{"a doubled slash before the kiosk id is served", "/wxpay/notify//k1", notification(wxsim.DemoKey, "P-3", "4200000001202601010000000003"), http.StatusOK, true},
		{"dot segments are served", "/wxpay/./notify/../notify/k1", notification(wxsim.DemoKey, "P-4", "4200000001202601010000000004"), http.StatusOK, true},
		{"a mode-1 callback with a doubled slash is answered, not redirected", "//wxpay/native-callback/k2", []byte("<xml></xml>"), http.StatusBadRequest, false},
		{"a trailing slash is a plain 404", "/wxpay/notify/k1/", notification(wxsim.DemoKey, "P-5", "4200000001202601010000000005"), http.StatusNotFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, location, reply := rawPost(t, tr.URL, tc.target, tc.body)
			if status >= 300 && status < 400 || location != "" {
				t.Fatalf("POST %s answered %d Location %q: WeChat does not follow redirects", tc.target, status, location)
			}
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%s)", status, tc.wantStatus, reply)
			}
			if tc.wantSuccess {
				if ok, _, err := wxpay.ParseNotifyReply([]byte(reply)); err != nil || !ok {
					t.Errorf("reply = %s, want SUCCESS", reply)
				}
			}
		})
	}
	if got := metricValue(t, tr.URL, "saoma_relay_notifications_accepted_total"); got != "4" {
		t.Errorf("accepted = %s, want the 4 notifications on unclean paths", got)
	}
}

func TestKioskURLsNeverHaveADoubleSlash(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"notify URL from a bare relay URL", NotifyURL("https://relay.example.com", "k1"), "https://relay.example.com/wxpay/notify/k1"},
		{"notify URL from a relay URL ending in a slash", NotifyURL("https://relay.example.com/", "k1"), "https://relay.example.com/wxpay/notify/k1"},
		{"callback URL from a relay URL ending in a slash", CallbackURL("https://relay.example.com/", "k1"), "https://relay.example.com/wxpay/native-callback/k1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

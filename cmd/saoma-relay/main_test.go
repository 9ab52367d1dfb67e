package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"saoma/payment/relay"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// buildOnce builds the relay binary once per test run, without cgo.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "saoma-relay-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "saoma-relay")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := buildOnce(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// relayProc is the relay running as a separate process.
type relayProc struct {
	cmd    *exec.Cmd
	URL    string
	exited chan error
	lines  chan string
}

// startProc runs the relay binary on 127.0.0.1:0 and waits for its
// "listening on" line.
func startProc(t *testing.T, args ...string) *relayProc {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-listen", "127.0.0.1:0", "-log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &relayProc{cmd: cmd, exited: make(chan error, 1), lines: make(chan string, 16)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	timeout := time.After(30 * time.Second)
	for p.URL == "" {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatal("saoma-relay exited before listening")
			}
			p.URL, _ = strings.CutPrefix(l, "listening on ")
		case <-timeout:
			t.Fatal("no 'listening on' line within 30 s")
		}
	}
	return p
}

// kioskFile writes a kiosks file with k1 holding the demo merchant key.
func kioskFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiosks.toml")
	content := fmt.Sprintf("[[kiosk]]\nid = \"k1\"\ntoken_hash = %q\nappid = %q\nmch_id = %q\nkey = %q\n",
		relay.HashToken("tok-k1"), wxsim.DemoAppID, wxsim.DemoMchID, wxsim.DemoKey)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// notification is a WeChat notification signed with the demo key.
func notification(i int) []byte {
	p := wxpay.Params{
		"return_code": "SUCCESS", "appid": wxsim.DemoAppID, "mch_id": wxsim.DemoMchID,
		"nonce_str": fmt.Sprintf("n%d", i), "result_code": "SUCCESS", "out_trade_no": fmt.Sprintf("K1-%04d", i),
		"transaction_id": fmt.Sprintf("42%026d", i), "openid": "o1", "trade_type": "NATIVE",
		"bank_type": "CMC", "total_fee": "100", "cash_fee": "100", "time_end": "20260101120000",
	}
	p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
	return p.EncodeXML()
}

// postNotify posts notification i and reports whether the relay said SUCCESS.
func postNotify(base string, i int) bool {
	resp, err := http.Post(base+"/wxpay/notify/k1", "text/xml", strings.NewReader(string(notification(i))))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ok, _, err := wxpay.ParseNotifyReply(b)
	return err == nil && ok && resp.StatusCode == http.StatusOK
}

// collect runs a kiosk client and returns a channel of delivered order numbers.
func collect(t *testing.T, base, token string, links chan<- bool) <-chan string {
	t.Helper()
	got := make(chan string, 1000)
	c, err := relay.NewClient(relay.ClientConfig{
		URL: base, Token: token, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnNotification: func(_ context.Context, note relay.Notification) error {
			n, err := wxpay.ParseNotification(note.Body, wxsim.DemoKey)
			if err != nil {
				t.Errorf("delivered notification does not verify: %v", err)
				return nil
			}
			got <- n.OutTradeNo
			return nil
		},
		OnLink: func(up bool) {
			if links != nil {
				links <- up
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return got
}

// TestSIGKILLRightAfterSuccessLosesNothing posts notifications
// concurrently, kills the relay with SIGKILL the moment the first one is
// answered SUCCESS, restarts it on the same data directory and checks that
// every notification answered SUCCESS reaches the kiosk.
func TestSIGKILLRightAfterSuccessLosesNothing(t *testing.T) {
	kiosks := kioskFile(t)
	data := filepath.Join(t.TempDir(), "data")
	for round := range 3 {
		p := startProc(t, "-data", data, "-kiosks", kiosks)
		var (
			mu     sync.Mutex
			acked  []int
			wg     sync.WaitGroup
			killed sync.Once
		)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := round*100 + i
				if postNotify(p.URL, n) {
					mu.Lock()
					acked = append(acked, n)
					mu.Unlock()
					killed.Do(func() { _ = p.cmd.Process.Signal(syscall.SIGKILL) })
				}
			}()
		}
		wg.Wait()
		err := <-p.exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: relay was not killed: %v", round, err)
		}
		p.exited <- err // for the cleanup
		if len(acked) == 0 {
			t.Fatalf("round %d: no notification was answered SUCCESS", round)
		}

		q := startProc(t, "-data", data, "-kiosks", kiosks)
		got := collect(t, q.URL, "tok-k1", nil)
		want := make(map[string]bool)
		for _, n := range acked {
			want[fmt.Sprintf("K1-%04d", n)] = true
		}
		timeout := time.After(20 * time.Second)
		for len(want) > 0 {
			select {
			case o := <-got:
				delete(want, o)
			case <-timeout:
				t.Fatalf("round %d: answered SUCCESS but never delivered after restart: %v", round, want)
			}
		}
		t.Logf("round %d: %d notifications answered SUCCESS before SIGKILL, all delivered after restart", round, len(acked))
		_ = q.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-q.exited; err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		q.exited <- nil
	}
}

// TestRunsWithTheExampleFileAndStopsGracefully starts the relay with the
// shipped kiosks file, connects the demo kiosk with its token, and stops
// the relay with SIGTERM: the kiosk sees the link drop, the process exits 0.
func TestRunsWithTheExampleFileAndStopsGracefully(t *testing.T) {
	p := startProc(t, "-data", filepath.Join(t.TempDir(), "data"), "-kiosks", filepath.Join("..", "..", "docs", "kiosks.example.toml"))
	links := make(chan bool, 4)
	got := collect(t, p.URL, "demo-token-k1", links)
	if up := <-links; !up {
		t.Fatal("link did not come up")
	}
	if !postNotify(p.URL, 1) {
		t.Fatal("notification refused")
	}
	if o := <-got; o != "K1-0001" {
		t.Fatalf("got %s", o)
	}
	resp, err := http.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case up := <-links:
		if up {
			t.Error("link reported up on shutdown")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("kiosk never saw the link drop")
	}
	err = <-p.exited
	p.exited <- err
	if err != nil {
		t.Fatalf("exit: %v", err)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // substring of stdout, or of the error when wantErr
		err   bool
	}{
		{"hash-token prints the kiosks-file value", []string{"-hash-token"}, "demo-token-k1\n", relay.HashToken("demo-token-k1"), false},
		{"hash-token needs a token", []string{"-hash-token"}, "", "no token", true},
		{"data and kiosks are required", []string{"-listen", "127.0.0.1:0"}, "", "required", true},
		{"the unverified cap must be positive", []string{"-data", "x", "-kiosks", "y", "-max-unverified", "0"}, "", "at least 1", true},
		{"TLS needs both files", []string{"-data", "x", "-kiosks", "y", "-tls-cert", "c.pem"}, "", "go together", true},
		{"the queue is bbolt or NATS URLs", []string{"-kiosks", "y", "-queue", "redis://h:6379"}, "", "want bbolt or nats://", true},
		{"NATS credentials need a NATS queue", []string{"-data", "x", "-kiosks", "y", "-nats-creds", "r.creds"}, "", "need -queue nats", true},
		{"NATS client TLS needs both files", []string{"-kiosks", "y", "-queue", "nats://h:4222", "-nats-cert", "c.pem"}, "", "go together", true},
		{"the NATS queue needs no data dir", []string{"-kiosks", filepath.Join(t.TempDir(), "missing.toml"), "-queue", "nats://h:4222"}, "", "kiosks file", true},
		{"a bad kiosks file is reported", []string{"-data", t.TempDir(), "-kiosks", filepath.Join(t.TempDir(), "missing.toml")}, "", "kiosks file", true},
		{"the admin listener must be on loopback", []string{"-data", t.TempDir(), "-kiosks", kioskFile(t), "-admin", "0.0.0.0:0"}, "", "loopback", true},
		{"backup needs an output file", []string{"backup"}, "", "-o FILE is required", true},
		{"backup says when no relay answers", []string{"backup", "-admin", "127.0.0.1:1", "-o", filepath.Join(t.TempDir(), "b.db")}, "", "is the relay running", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := run(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("out %q err %v, want %q", out.String(), err, tc.want)
			}
		})
	}
}

// TestSIGKILLOfOneNATSInstanceLosesNothing runs two relay processes on one
// JetStream server, the kiosk on the second, and kills the first with
// SIGKILL the moment it answers SUCCESS: every notification it answered
// SUCCESS reaches the kiosk through the second.
func TestSIGKILLOfOneNATSInstanceLosesNothing(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	kiosks := kioskFile(t)
	a := startProc(t, "-queue", ns.ClientURL(), "-kiosks", kiosks)
	b := startProc(t, "-queue", ns.ClientURL(), "-kiosks", kiosks)
	links := make(chan bool, 4)
	got := collect(t, b.URL, "tok-k1", links)
	if up := <-links; !up {
		t.Fatal("link did not come up")
	}
	var (
		mu     sync.Mutex
		acked  []int
		wg     sync.WaitGroup
		killed sync.Once
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if postNotify(a.URL, i) {
				mu.Lock()
				acked = append(acked, i)
				mu.Unlock()
				killed.Do(func() { _ = a.cmd.Process.Signal(syscall.SIGKILL) })
			}
		}()
	}
	wg.Wait()
	err = <-a.exited
	a.exited <- err
	if len(acked) == 0 {
		t.Fatal("no notification was answered SUCCESS")
	}
	want := make(map[string]bool)
	for _, n := range acked {
		want[fmt.Sprintf("K1-%04d", n)] = true
	}
	timeout := time.After(20 * time.Second)
	for len(want) > 0 {
		select {
		case o := <-got:
			delete(want, o)
		case <-timeout:
			t.Fatalf("answered SUCCESS by the killed instance but never delivered by the other: %v", want)
		}
	}
	t.Logf("%d notifications answered SUCCESS before SIGKILL, all delivered by the other instance", len(acked))
}

// waitLine waits for a stdout line of p starting with prefix and returns it.
func (p *relayProc) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("saoma-relay exited before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no %q line within 20 s", prefix)
		}
	}
}

func TestSIGHUPReloadsTheKiosksFileWithoutDroppingConnections(t *testing.T) {
	path := kioskFile(t)
	p := startProc(t, "-data", filepath.Join(t.TempDir(), "data"), "-kiosks", path)
	links := make(chan bool, 16)
	got := collect(t, p.URL, "tok-k1", links)
	if up := <-links; !up {
		t.Fatal("k1's link did not come up")
	}

	// Add k2 and reload.
	one, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	two := string(one) + fmt.Sprintf("\n[[kiosk]]\nid = \"k2\"\ntoken_hash = %q\n", relay.HashToken("tok-k2"))
	if err := os.WriteFile(path, []byte(two), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if l := p.waitLine(t, "kiosks "); l != "kiosks reloaded: 2" {
		t.Fatalf("after SIGHUP: %q, want kiosks reloaded: 2", l)
	}
	links2 := make(chan bool, 16)
	collect(t, p.URL, "tok-k2", links2)
	if up := <-links2; !up {
		t.Fatal("added kiosk k2 could not connect")
	}

	// A broken file is refused and changes nothing.
	if err := os.WriteFile(path, []byte(two+"\n[[kiosk]]\nid = \"k1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if l := p.waitLine(t, "kiosks "); !strings.HasPrefix(l, "kiosks reload refused: ") {
		t.Fatalf("after SIGHUP with a broken file: %q, want a refusal", l)
	}
	if !postNotify(p.URL, 1) {
		t.Fatal("notification for k1 refused after the reloads")
	}
	if o := <-got; o != "K1-0001" {
		t.Fatalf("k1 got %s", o)
	}
	select {
	case up := <-links:
		t.Fatalf("k1's link changed (up=%v) during the reloads", up)
	default:
	}
}

func TestBackupOfARunningRelayStartsAnotherRelay(t *testing.T) {
	kiosks := kioskFile(t)
	p := startProc(t, "-data", filepath.Join(t.TempDir(), "data"), "-kiosks", kiosks, "-admin", "127.0.0.1:0")
	admin := strings.TrimPrefix(p.waitLine(t, "admin on "), "admin on ")
	for i := range 5 {
		if !postNotify(p.URL, i) {
			t.Fatalf("notification %d refused", i)
		}
	}
	copyDir := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(copyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(copyDir, relay.DBFile)
	var out, errOut strings.Builder
	if err := run([]string{"backup", "-admin", admin, "-o", file}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "5 notifications stored") {
		t.Errorf("backup printed %q, want 5 notifications stored", out.String())
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(copyDir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	// The original keeps running; a second relay starts on the copy.
	if !postNotify(p.URL, 5) {
		t.Fatal("the relay stopped storing after the backup")
	}
	q := startProc(t, "-data", copyDir, "-kiosks", kiosks)
	got := collect(t, q.URL, "tok-k1", nil)
	for i := range 5 {
		if o := <-got; o != fmt.Sprintf("K1-%04d", i) {
			t.Fatalf("relay on the copy delivered %s, want K1-%04d", o, i)
		}
	}
}

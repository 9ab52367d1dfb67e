package relay

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"saoma/payment/wxsim"
)

func TestOnlineBackupWhileStoringIsAQueueARelayStartsFrom(t *testing.T) {
	tr := startRelay(t, nil)
	admin := httptest.NewServer(tr.AdminHandler())
	t.Cleanup(admin.Close)

	// Writers store notifications for k1 until the backup is done; every
	// one answered SUCCESS before the backup started must be in the copy.
	const writers = 4
	var (
		stop    atomic.Bool
		okMu    sync.Mutex
		ok      = map[string]bool{}
		wg      sync.WaitGroup
		started = make(chan struct{})
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				no := fmt.Sprintf("W%d-%05d", w, i)
				status, _ := post(t, tr.URL, "/wxpay/notify/k1", notification(wxsim.DemoKey, no, fmt.Sprintf("42%d%026d", w, i)))
				if status != http.StatusOK {
					t.Errorf("notification %s: HTTP %d", no, status)
					return
				}
				okMu.Lock()
				ok[no] = true
				n := len(ok)
				okMu.Unlock()
				if n == 50 {
					close(started)
				}
			}
		}()
	}
	<-started
	okMu.Lock()
	before := make([]string, 0, len(ok))
	for no := range ok {
		before = append(before, no)
	}
	okMu.Unlock()
	resp, err := http.Get(admin.URL + BackupPath)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop.Store(true)
	wg.Wait()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /backup: HTTP %d, %v", resp.StatusCode, err)
	}
	if cl, _ := strconv.Atoi(resp.Header.Get("Content-Length")); cl != len(data) {
		t.Fatalf("backup is %d bytes, Content-Length said %d", len(data), cl)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DBFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := CheckBackup(filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Epoch != tr.Epoch() || info.Queued < len(before) {
		t.Fatalf("backup holds %+v, want epoch %s and at least %d messages", info, tr.Epoch(), len(before))
	}

	t.Logf("backup: %d bytes, %+v; %d answered before it", len(data), info, len(before))
	restored := startRelayIn(t, dir, nil)
	if restored.Epoch() != tr.Epoch() {
		t.Errorf("relay on the copy has epoch %s, want the original's %s", restored.Epoch(), tr.Epoch())
	}
	kc := startClient(t, restored.URL, tokenK1, nil)
	got := map[string]bool{}
	for range info.Queued {
		no := outTradeNo(t, kc.next(t))
		if got[no] {
			t.Fatalf("%s delivered twice from the copy", no)
		}
		got[no] = true
	}
	for _, no := range before {
		if !got[no] {
			t.Errorf("%s was answered SUCCESS before the backup and is missing from the copy", no)
		}
	}
}

func TestBackupOfAJetStreamQueueIsRefused(t *testing.T) {
	s := &Server{q: (*jsQueue)(nil)}
	if _, err := s.Backup(io.Discard, nil); !errors.Is(err, ErrBackupUnsupported) {
		t.Errorf("Backup = %v, want ErrBackupUnsupported", err)
	}
}

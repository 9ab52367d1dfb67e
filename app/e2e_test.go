package app_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
	"saoma/store"
)

// simProcess is cmd/wxpay-sim running as its own process.
type simProcess struct {
	cmd *exec.Cmd
	url string
}

func buildSim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wxpay-sim")
	out, err := exec.Command("go", "build", "-o", bin, "saoma/cmd/wxpay-sim").CombinedOutput()
	if err != nil {
		t.Fatalf("build simulator: %v\n%s", err, out)
	}
	return bin
}

func startSim(t *testing.T, bin, addr, dataDir string) *simProcess {
	t.Helper()
	cmd := exec.Command(bin, "-listen", addr, "-tls-listen", "127.0.0.1:0", "-data", dataDir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stdout)
			return &simProcess{cmd: cmd, url: strings.TrimSpace(u)}
		}
	}
	cmd.Wait()
	t.Fatalf("simulator exited without listening: %v %s", sc.Err(), stderr.String())
	return nil
}

// TestEndToEndWithSimulatorProcess sells against the simulator running as
// a separate process, which is SIGKILLed while the customer is still
// looking at the QR and restarted on its data: the customer pays, the
// kiosk's polling settles the order.
func TestEndToEndWithSimulatorProcess(t *testing.T) {
	bin := buildSim(t)
	simData := t.TempDir()
	sim := startSim(t, bin, "127.0.0.1:0", simData)
	addr := strings.TrimPrefix(sim.url, "http://")

	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var eng *app.Engine
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := eng.HandleNotification(r.Context(), r.Header, body); err != nil {
			w.Write(wxpay.NotifyReply(false, "retry"))
			return
		}
		w.Write(wxpay.NotifyReply(true, "OK"))
	}))
	defer notify.Close()
	client, err := wxpay.NewClient(wxpay.Config{AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, APIKey: wxsim.DemoKey, BaseURL: sim.url})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := wechat.NewV2(client, wxsim.DemoKey, "")
	if err != nil {
		t.Fatal(err)
	}
	eng, err = app.NewEngine(app.EngineConfig{KioskID: "k9", Orders: st, Catalog: st, Reports: st, Payments: pay,
		NotifyURL: notify.URL + "/n"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); eng.Wait() }()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	updates, stop := eng.Subscribe()
	defer stop()

	o, err := eng.Charge(ctx, []app.Line{{ProductID: "1", Name: "拿铁", UnitPrice: 2200, Qty: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator dies hard and comes back on the same port and data.
	sim.cmd.Process.Signal(syscall.SIGKILL)
	sim.cmd.Wait()
	sim = startSim(t, bin, addr, simData)

	resp, err := http.PostForm(sim.url+"/sim/scan", url.Values{"url": {o.CodeURL}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scan after simulator restart: %s", resp.Status)
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case u := <-updates:
			if u.Order != nil && u.Order.OutTradeNo == o.OutTradeNo && u.Order.State == app.StatePaid {
				if got, _ := st.Get(o.OutTradeNo); got.TransactionID == "" || paidEvents(got) != 1 {
					t.Errorf("ledger: %+v", got)
				}
				return
			}
		case <-timeout:
			got, _ := st.Get(o.OutTradeNo)
			t.Fatalf("not paid: %s %+v", got.State, got.Events)
		}
	}
}

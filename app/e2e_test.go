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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
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

func startSim(t *testing.T, bin, addr, dataDir string, extra ...string) *simProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-listen", addr, "-tls-listen", "127.0.0.1:0", "-data", dataDir}, extra...)...)
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

// TestEndToEndV3WithSimulatorProcess sells on WeChat Pay API v3 against
// the simulator as a separate process, with the relay down the whole
// time: the kiosk's polling confirms the sale, across a SIGKILL of the
// simulator; then a refund completes, confirmed by its v3 notification.
func TestEndToEndV3WithSimulatorProcess(t *testing.T) {
	bin := buildSim(t)
	simData, certs := t.TempDir(), t.TempDir()
	const apiv3Key, serial, pubID = "0123456789abcdefABCDEF0123456789", "6D3F2C1B0A99887766554433221100FFEEDDCCBB", "PUB_KEY_ID_0119000001092026120200000000"
	flags := []string{"-apiv3-key", apiv3Key, "-merchant-serial", serial, "-wechatpay-pubkey-id", pubID,
		"-cert-dir", certs, "-time-scale", "600"}
	sim := startSim(t, bin, "127.0.0.1:0", simData, flags...)
	addr := strings.TrimPrefix(sim.url, "http://")

	key, err := wxpayv3.LoadPrivateKey(filepath.Join(certs, "apiclient_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := wxpayv3.LoadPublicKey(filepath.Join(certs, "wechatpay_public_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := wxpayv3.NewClient(wxpayv3.Config{MchID: wxsim.DemoMchID, AppID: wxsim.DemoAppID, MchSerial: serial,
		PrivateKey: key, APIv3Key: apiv3Key, Verifier: wxpayv3.NewPublicKeyVerifier(pubID, pub), BaseURL: sim.url})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := wechat.NewV3(client)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var eng *app.Engine
	var relayUp atomic.Bool // the relay: down while the customer pays
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !relayUp.Load() {
			http.Error(w, `{"code":"FAIL","message":"relay down"}`, http.StatusServiceUnavailable)
			return
		}
		if err := eng.HandleNotification(r.Context(), r.Header, body); err != nil {
			http.Error(w, `{"code":"FAIL","message":"retry"}`, http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer notify.Close()
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
	sim.cmd.Process.Signal(syscall.SIGKILL)
	sim.cmd.Wait()
	sim = startSim(t, bin, addr, simData, flags...)
	resp, err := http.PostForm(sim.url+"/sim/scan", url.Values{"url": {o.CodeURL}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scan after simulator restart: %s", resp.Status)
	}
	wait := func(what string, done func(app.Order) bool) app.Order {
		timeout := time.After(30 * time.Second)
		for {
			select {
			case u := <-updates:
				if u.Order != nil && u.Order.OutTradeNo == o.OutTradeNo && done(*u.Order) {
					return *u.Order
				}
			case <-timeout:
				got, _ := st.Get(o.OutTradeNo)
				t.Fatalf("%s: %s %+v", what, got.State, got.Events)
			}
		}
	}
	paid := wait("not paid by polling", func(o app.Order) bool { return o.State == app.StatePaid })
	if last := paid.Events[len(paid.Events)-1]; last.Source != app.SourceQuery {
		t.Errorf("paid by %s with the relay down, want a query", last.Source)
	}
	relayUp.Store(true)
	if _, err := eng.Refund(ctx, o.OutTradeNo, 2200, "v3 退款"); err != nil {
		t.Fatal(err)
	}
	got := wait("refund not completed", func(o app.Order) bool { return o.State == app.StateRefunded })
	if got.Refunded() != 2200 {
		t.Errorf("refunded %s", got.Refunded())
	}
}

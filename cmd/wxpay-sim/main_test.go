package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
)

// TestBinaryServesTheProtocol builds wxpay-sim, runs it as a separate
// process on a port chosen by the system and drives it with the wxpay
// client over loopback: unified order, payment from the customer-phone
// endpoint, order query, and a refund over mutual TLS configured from the
// certificate files the binary wrote.
func TestBinaryServesTheProtocol(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "wxpay-sim")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	const serial, keyID, v3key = "5157F09EFDC096DE15EBE81A47057A72", "PUB_KEY_ID_0119000001092026000000000000", "binTestAPIv3Key0123456789abcdefg"
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-data", data, "-time-scale", "60",
		"-apiv3-key", v3key, "-merchant-serial", serial, "-wechatpay-pubkey-id", keyID)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	lines := make(chan string, 32)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base, tlsBase string
	deadline := time.After(30 * time.Second)
	for base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("wxpay-sim exited before listening")
			}
			if strings.Contains(l, wxsim.DemoKey) || strings.Contains(l, v3key) {
				t.Fatalf("banner prints an API key: %q", l)
			}
			if _, u, found := strings.Cut(l, "API (HTTPS, refunds need the merchant certificate): "); found {
				tlsBase = u
			}
			if u, found := strings.CutPrefix(l, "listening on "); found {
				base = u
			}
		case <-deadline:
			t.Fatal("no 'listening on' line within 30 s")
		}
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()

	ca, err := os.ReadFile(filepath.Join(data, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p12, err := os.ReadFile(filepath.Join(data, "apiclient_cert.p12"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("ca.pem holds no certificate")
	}
	ctx := context.Background()
	c, err := wxpay.NewClient(wxpay.Config{AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, APIKey: wxsim.DemoKey, BaseURL: base, SignType: wxpay.SignHMACSHA256})
	if err != nil {
		t.Fatal(err)
	}
	uo, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "演示-拿铁", OutTradeNo: "BIN-1", TotalFee: 2200, SpbillCreateIP: "127.0.0.1",
		NotifyURL: "http://127.0.0.1:9/notify", ProductID: "P1002", TimeExpire: time.Now().Add(2 * time.Hour),
	})
	if err != nil {
		t.Fatalf("UnifiedOrder: %v", err)
	}
	resp, err := http.PostForm(base+"/sim/scan", url.Values{"url": {uo.CodeURL}})
	if err != nil {
		t.Fatal(err)
	}
	var scan map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&scan)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || scan["trade_state"] != "SUCCESS" {
		t.Fatalf("scan: %d %v", resp.StatusCode, scan)
	}
	q, err := c.OrderQuery(ctx, wxpay.OrderQueryRequest{OutTradeNo: "BIN-1"})
	if err != nil || q.TradeState != wxpay.TradeSuccess || q.TransactionID != scan["transaction_id"] {
		t.Fatalf("OrderQuery: %+v, %v", q, err)
	}

	rc, err := wxpay.NewClient(wxpay.Config{AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, APIKey: wxsim.DemoKey, BaseURL: tlsBase, RootCAs: roots, CertP12: p12})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rc.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "BIN-1", OutRefundNo: "BIN-1-R1", TotalFee: 2200, RefundFee: 200})
	if err != nil || r.RefundFee != 200 {
		t.Fatalf("Refund over mutual TLS: %+v, %v", r, err)
	}

	// API v3 with the key files the binary wrote.
	mchKey, err := wxpayv3.LoadPrivateKey(filepath.Join(data, "apiclient_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	wxKey, err := wxpayv3.LoadPublicKey(filepath.Join(data, "wechatpay_public_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	v3, err := wxpayv3.NewClient(wxpayv3.Config{
		MchID: wxsim.DemoMchID, AppID: wxsim.DemoAppID, MchSerial: serial, PrivateKey: mchKey, APIv3Key: v3key,
		Verifier: wxpayv3.NewPublicKeyVerifier(keyID, wxKey), BaseURL: base,
	})
	if err != nil {
		t.Fatal(err)
	}
	code, err := v3.NativePrepay(ctx, wxpayv3.NativeOrder{OutTradeNo: "BIN-V3-1", Description: "演示-拿铁", Total: 1500, NotifyURL: "http://127.0.0.1:9/notify"})
	if err != nil || !strings.HasPrefix(code, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("v3 NativePrepay: %q, %v", code, err)
	}
	if tx, err := v3.QueryByTransactionID(ctx, scan["transaction_id"]); err != nil || tx.TradeState != wxpayv3.TradeRefund || tx.OutTradeNo != "BIN-1" {
		t.Fatalf("v3 query of the v2 order: %+v, %v", tx, err)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("wxpay-sim did not exit after SIGINT")
	}
}

func TestHelpListsTheV3Flags(t *testing.T) {
	var stdout, stderr strings.Builder
	if err := run([]string{"-h"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	for _, f := range []string{"-apiv3-key", "-merchant-serial", "-wechatpay-pubkey-id", "apiclient_key.pem", "wechatpay_public_key.pem"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("-h does not mention %s", f)
		}
	}
}

func TestHelpListsThePasswordDelayFlag(t *testing.T) {
	var stdout, stderr strings.Builder
	if err := run([]string{"-h"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-password-delay") || !strings.Contains(stderr.String(), "default 10s") {
		t.Errorf("-h does not document -password-delay:\n%s", stderr.String())
	}
}

func TestNotifyCATrustsAPrivateRelay(t *testing.T) {
	relay := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<xml><return_code>SUCCESS</return_code></xml>"))
	}))
	defer relay.Close()
	ca := filepath.Join(t.TempDir(), "relay-ca.pem")
	cert := relay.Certificate()
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	hc, err := trustingClient(ca)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Post(relay.URL+"/wxpay/notify/k1", "text/xml", strings.NewReader("<xml/>"))
	if err != nil {
		t.Fatalf("a relay signed by the -notify-ca bundle was not trusted: %v", err)
	}
	resp.Body.Close()
	if _, err := http.Post(relay.URL, "text/xml", strings.NewReader("<xml/>")); err == nil {
		t.Error("the default client trusted the private relay too; the test proves nothing")
	}
	if _, err := trustingClient(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("a missing bundle was accepted")
	}
}

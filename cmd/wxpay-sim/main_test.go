package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"saoma/payment/wxpay"
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
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-data", data, "-time-scale", "60")
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

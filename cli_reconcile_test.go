package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
	"saoma/store"
)

func TestReconcileCommandRefusesBadInput(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		usage bool
	}{
		{"a malformed date is a usage mistake", []string{"reconcile", "-date", "20261120"}, true},
		{"a stray argument is a usage mistake", []string{"reconcile", "extra"}, true},
		{"a missing config says credentials are needed", []string{"reconcile", "-config", filepath.Join(t.TempDir(), "none.toml"), "-date", "2026-11-20"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(c.args, &out, &errOut)
			if err == nil || errors.Is(err, errUsage) != c.usage {
				t.Fatalf("error = %v", err)
			}
		})
	}
}

func TestReconcileDayPrintsDifferencesAndFails(t *testing.T) {
	paidAt := time.Date(2026, 11, 20, 14, 0, 0, 0, wxpay.Shanghai())
	clock := wxsim.NewManualClock(paidAt)
	sim, err := wxsim.Start(wxsim.Config{Clock: clock, InstantBills: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	client, err := wxpay.NewClient(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	pay, err := wechat.NewV2(client, sim.Key(), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), store.LedgerFile), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()

	var out bytes.Buffer
	if err := reconcileDay(ctx, pay, st, "2026-11-20", &out); err != nil {
		t.Fatalf("a day without trade: %v", err)
	}
	if !strings.Contains(out.String(), "2026-11-20  reconciled") {
		t.Errorf("output:\n%s", out.String())
	}

	// A sale the ledger never heard of.
	qr, err := pay.PlaceQR(ctx, app.QROrder{OutTradeNo: "K1CLI0001", Total: 990, Description: "测试小店-咖啡", ProductID: "1001",
		TimeStart: paidAt, TimeExpire: paidAt.Add(time.Hour), NotifyURL: "http://127.0.0.1:1/n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Scan(ctx, wxsim.ScanRequest{URL: qr.CodeURL}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = reconcileDay(ctx, pay, st, "2026-11-20", &out)
	if !errors.Is(err, errDifferences) || exitCode(err) != 1 {
		t.Fatalf("error = %v, want errDifferences (exit 1)", err)
	}
	for _, want := range []string{"1 differences", "orders 1  gross 9.90  refunds 0.00  fees 0.06  net 9.84", "only_at_wechat", "K1CLI0001", "→ added"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

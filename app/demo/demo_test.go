package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"saoma/app"
	"saoma/app/demo"
	"saoma/payment/relay"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
	"saoma/store"
)

// TestDemoSaleFromChargeToPaid wires the demo world the way the kiosk does
// — simulator and relay in process, the engine on a real ledger, the relay
// client delivering notifications — and completes a sale from Charge to
// paid, with the confirmation arriving over the relay.
func TestDemoSaleFromChargeToPaid(t *testing.T) {
	for _, api := range []string{"v2", "v3"} {
		t.Run(api, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := demo.Start(ctx, dir, demo.Options{SimAddr: "127.0.0.1:0", API: api})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()

			st, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, p := range app.DemoCatalog() {
				st.PutProduct(p)
			}
			client, err := wxpay.NewClient(w.WxPay)
			if err != nil {
				t.Fatal(err)
			}
			shelf, err := wechat.NewV2(client, w.Key, "")
			if err != nil {
				t.Fatal(err)
			}
			var pay app.Payments = shelf
			if api == "v3" {
				c3, err := wxpayv3.NewClient(w.WxPayV3)
				if err != nil {
					t.Fatal(err)
				}
				if pay, err = wechat.NewV3(c3); err != nil {
					t.Fatal(err)
				}
			}
			eng, err := app.NewEngine(app.EngineConfig{
				KioskID: w.KioskID, Shop: "演示", Orders: st, Catalog: st, Reports: st, Payments: pay, ShelfQR: shelf,
				NotifyURL: w.NotifyURL, Demo: true, SimURL: w.SimURL,
			})
			if err != nil {
				t.Fatal(err)
			}
			links := make(chan bool, 8)
			rc, err := relay.NewClient(relay.ClientConfig{
				URL: w.RelayURL, Token: w.RelayToken, KioskID: w.KioskID,
				OnNotification: func(ctx context.Context, n relay.Notification) error {
					return eng.HandleNotification(ctx, n.Header, n.Body)
				}, OnNativeCallback: eng.HandleNativeCallback,
				OnLink:     func(up bool) { eng.SetLink(up); links <- up },
				MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			relayDone := make(chan struct{})
			go func() { defer close(relayDone); rc.Run(ctx) }()
			defer func() { cancel(); <-relayDone; eng.Wait() }()
			if err := eng.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if up := <-links; !up {
				t.Fatal("relay link did not come up")
			}
			updates, stop := eng.Subscribe()
			defer stop()

			o, err := eng.Charge(ctx, []app.Line{{ProductID: "1002", Name: "拿铁", UnitPrice: 2200, Qty: 2}})
			if err != nil {
				t.Fatal(err)
			}
			// The customer's phone: the simulator's /sim/scan, as the demo page does.
			sim := wxsim.ScanRequest{URL: o.CodeURL}
			if _, err := scan(ctx, w.SimURL, sim); err != nil {
				t.Fatal(err)
			}
			timeout := time.After(20 * time.Second)
			for {
				select {
				case u := <-updates:
					if u.Order != nil && u.Order.OutTradeNo == o.OutTradeNo && u.Order.State == app.StatePaid {
						last := u.Order.Events[len(u.Order.Events)-1]
						if last.Source != app.SourceNotification {
							t.Errorf("paid by %s, want the relayed notification", last.Source)
						}
						if !u.Status.Demo || u.Status.Link != app.LinkConnected {
							t.Errorf("status %+v", u.Status)
						}
						return
					}
				case <-timeout:
					got, _ := st.Get(o.OutTradeNo)
					t.Fatalf("not paid: %s %+v", got.State, got.Events)
				}
			}
		})
	}
}

package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
	"saoma/store"
)

// BenchmarkNotificationToUpdate measures what decides how fast the kiosk
// turns to "paid": a relayed notification verified with the merchant key,
// committed to the ledger (fsync) and published to the screens.
func BenchmarkNotificationToUpdate(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "ledger.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	client, _ := wxpay.NewClient(wxpay.Config{AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, APIKey: wxsim.DemoKey})
	pay, err := wechat.NewV2(client, wxsim.DemoKey, "")
	if err != nil {
		b.Fatal(err)
	}
	eng, err := app.NewEngine(app.EngineConfig{KioskID: "k1", Orders: st, Catalog: st, Reports: st, Payments: pay,
		NotifyURL: "http://127.0.0.1/n"})
	if err != nil {
		b.Fatal(err)
	}
	updates, stop := eng.Subscribe()
	defer stop()
	now := time.Now()
	bodies := make([][]byte, b.N)
	nos := make([]string, b.N)
	for i := range b.N {
		no := fmt.Sprintf("k1B%013d", i)
		nos[i] = no
		o := app.Order{OutTradeNo: no, KioskID: "k1", Total: 1800, State: app.StateAwaiting, CreatedAt: now,
			Lines: []app.Line{{ProductID: "1", Name: "咖啡", UnitPrice: 1800, Qty: 1}}, TimeExpire: now.Add(time.Hour),
			CodeURL: "weixin://wxpay/bizpayurl?pr=" + no}
		if err := st.Create(o); err != nil {
			b.Fatal(err)
		}
		p := wxpay.Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": wxsim.DemoAppID, "mch_id": wxsim.DemoMchID,
			"nonce_str": "n" + no, "openid": "o1", "trade_type": "NATIVE", "bank_type": "CMC", "total_fee": "1800",
			"cash_fee": "1800", "fee_type": "CNY", "transaction_id": fmt.Sprintf("42%026d", i), "out_trade_no": no,
			"time_end": now.In(wxpay.Shanghai()).Format(wxpay.TimeLayout)}
		p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
		bodies[i] = p.EncodeXML()
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := eng.HandleNotification(ctx, nil, bodies[i]); err != nil {
			b.Fatal(err)
		}
		for u := range updates {
			if u.Order != nil && u.Order.OutTradeNo == nos[i] && u.Order.State == app.StatePaid {
				break
			}
		}
	}
}

// flaky fails a share of order queries as a transport error would, the
// rest go to the simulator.
type flaky struct {
	app.Payments
	rate float64
	rng  *rand.Rand
	mu   sync.Mutex
}

func (f *flaky) Query(ctx context.Context, no string) (app.Payment, error) {
	f.mu.Lock()
	fail := f.rng.Float64() < f.rate
	f.mu.Unlock()
	if fail {
		return app.Payment{}, errLost
	}
	return f.Payments.Query(ctx, no)
}

// BenchmarkRestartReadyToSell measures a restart with 20 orders left open
// while WeChat fails 20 % of queries: from Start to the engine taking a new
// sale. Settling goes on in the background, each order on its own.
func BenchmarkRestartReadyToSell(b *testing.B) {
	sim, err := wxsim.Start(wxsim.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	pay := &flaky{Payments: v2(b, sim), rate: 0.2, rng: rand.New(rand.NewPCG(1, 2))}
	lines := []app.Line{{ProductID: "1001", Name: "美式咖啡", UnitPrice: 1800, Qty: 1}}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// 20 orders left open by the previous life, none still on screen.
		st, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("ledger%d.db", i)), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cfg := app.EngineConfig{KioskID: "k1", Orders: st, Catalog: st, Reports: st, Payments: pay,
			NotifyURL: "http://127.0.0.1/n"}
		eng, err := app.NewEngine(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if err := eng.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if cur, ok := eng.Current(); ok {
			eng.Done(cur.OutTradeNo)
		}
		for j := 0; j < 20; j++ {
			o, err := eng.Charge(ctx, lines)
			if err != nil {
				b.Fatal(err)
			}
			eng.Done(o.OutTradeNo)
		}
		cancel()
		eng.Wait()
		b.StartTimer()

		eng, err = app.NewEngine(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		if err := eng.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if cur, ok := eng.Current(); ok {
			eng.Done(cur.OutTradeNo) // the cashier leaves the order that came back
		}
		o, err := eng.Charge(ctx, lines) // ready: a new sale gets its QR at once
		b.StopTimer()
		if err != nil || o.CodeURL == "" {
			b.Fatalf("charge after restart: %v", err)
		}
		cancel()
		eng.Wait()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkChargeToQR measures the engine's part of F12 → QR: the order
// stored durably (fsync), the unified order over loopback HTTP to the
// simulator, the QR recorded (fsync) and published.
func BenchmarkChargeToQR(b *testing.B) {
	sim, err := wxsim.Start(wxsim.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	st, err := store.Open(filepath.Join(b.TempDir(), "ledger.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng, err := app.NewEngine(app.EngineConfig{KioskID: "k1", Orders: st, Catalog: st, Reports: st, Payments: v2(b, sim),
		NotifyURL: "http://127.0.0.1/n"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); eng.Wait() }()
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	lines := []app.Line{{ProductID: "1001", Name: "美式咖啡", UnitPrice: 1800, Qty: 2}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		o, err := eng.Charge(ctx, lines)
		if err != nil || o.CodeURL == "" {
			b.Fatalf("charge: %v", err)
		}
		b.StopTimer()
		eng.Done(o.OutTradeNo)
		b.StartTimer()
	}
}

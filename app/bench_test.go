package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"saoma/app"
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
	eng, err := app.NewEngine(app.EngineConfig{KioskID: "k1", Orders: st, Catalog: st, Reports: st, Payments: client,
		AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, APIKey: wxsim.DemoKey, NotifyURL: "http://127.0.0.1/n"})
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
			Lines: []app.Line{{ProductID: "1", Name: "咖啡", UnitPrice: 1800, Qty: 1}}, TimeExpire: now.Add(time.Hour)}
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
		if err := eng.HandleNotification(ctx, bodies[i]); err != nil {
			b.Fatal(err)
		}
		for u := range updates {
			if u.Order != nil && u.Order.OutTradeNo == nos[i] && u.Order.State == app.StatePaid {
				break
			}
		}
	}
}

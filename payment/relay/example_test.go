package relay_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"saoma/payment/relay"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// A relay and a kiosk on loopback, the way demo mode wires them: WeChat's
// notification reaches the kiosk's handler, which verifies it itself.
func Example() {
	dir, _ := os.MkdirTemp("", "relay-example")
	defer os.RemoveAll(dir)
	srv, err := relay.NewServer(relay.ServerConfig{
		DataDir: dir,
		Kiosks:  []relay.Kiosk{{ID: "k1", TokenHash: relay.HashToken("demo-token-k1")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Shutdown(context.Background())

	paid := make(chan string, 1)
	client, err := relay.NewClient(relay.ClientConfig{
		URL:   hs.URL,
		Token: "demo-token-k1",
		OnNotification: func(ctx context.Context, note relay.Notification) error {
			n, err := wxpay.ParseNotification(note.Body, wxsim.DemoKey)
			if err != nil {
				return nil // refused for good: acknowledge and drop
			}
			paid <- n.OutTradeNo // a real kiosk commits the order as PAID here
			return nil
		},
		MinBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go client.Run(ctx)

	// WeChat calls the relay's notify URL.
	p := wxpay.Params{
		"return_code": "SUCCESS", "appid": wxsim.DemoAppID, "mch_id": wxsim.DemoMchID,
		"nonce_str": "n1", "result_code": "SUCCESS", "out_trade_no": "K1-0001",
		"transaction_id": "4200000001202601010000000001", "openid": "o1", "trade_type": "NATIVE",
		"bank_type": "CMC", "total_fee": "1250", "cash_fee": "1250", "time_end": "20260101120000",
	}
	p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
	resp, err := hs.Client().Post(hs.URL+"/wxpay/notify/k1", "text/xml", strings.NewReader(string(p.EncodeXML())))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("relay answered", resp.StatusCode)
	fmt.Println("kiosk paid", <-paid)
	// Output:
	// relay answered 200
	// kiosk paid K1-0001
}

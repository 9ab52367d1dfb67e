package wxsim_test

import (
	"context"
	"fmt"
	"log"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// Start a simulator on loopback, configure a wxpay client for it (HTTPS,
// simulator CA, merchant certificate for refunds), sell, pay from the
// "customer's phone" and refund.
func ExampleStart() {
	srv, err := wxsim.Start(wxsim.Config{}) // demo merchant, in memory
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := wxpay.NewClient(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	uo, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "演示店-拿铁", OutTradeNo: "DEMO-0001", TotalFee: 2200,
		SpbillCreateIP: "127.0.0.1", NotifyURL: "http://127.0.0.1:9/wxpay/notify", ProductID: "P1002",
	})
	if err != nil {
		log.Fatal(err)
	}
	// A person would open srv.URL()+"/" and press Pay; a test scans directly.
	if _, err := srv.Scan(ctx, wxsim.ScanRequest{URL: uo.CodeURL}); err != nil {
		log.Fatal(err)
	}
	q, err := c.OrderQuery(ctx, wxpay.OrderQueryRequest{OutTradeNo: "DEMO-0001"})
	if err != nil {
		log.Fatal(err)
	}
	r, err := c.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "DEMO-0001", OutRefundNo: "DEMO-0001-R1", TotalFee: 2200, RefundFee: 200})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(q.TradeState, q.TotalFee, r.RefundFee)
	// Output: SUCCESS 2200 200
}

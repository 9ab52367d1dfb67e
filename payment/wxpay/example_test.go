package wxpay_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"saoma/payment/wxpay"
)

const (
	exAppID = "wxd930ea5d5a258f4f"
	exMchID = "10000100"
	exKey   = "192006250b4c09247ec02edce69f6a2d"
)

// The official worked example of WeChat's signing page.
func ExampleParams_Sign() {
	p := wxpay.Params{
		"appid":       "wxd930ea5d5a258f4f",
		"mch_id":      "10000100",
		"device_info": "1000",
		"body":        "test",
		"nonce_str":   "ibuaiVcKdpRxkhJA",
	}
	fmt.Println(p.SigningString())
	fmt.Println(p.Sign(exKey, wxpay.SignMD5))
	fmt.Println(p.Sign(exKey, wxpay.SignHMACSHA256))
	// Output:
	// appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA
	// 9A0A8659F005D6984697E2CA0A9CF3B7
	// 6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6
}

// exampleServer stands in for WeChat: it answers every call with a signed
// SUCCESS reply carrying the given fields.
func exampleServer(fields wxpay.Params) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := wxpay.DecodeXML(r.Body, 0)
		if err != nil || req.VerifySelf(exKey) != nil {
			_, _ = w.Write(wxpay.Params{"return_code": "FAIL", "return_msg": "签名错误"}.EncodeXML())
			return
		}
		p := fields.Clone()
		p["return_code"], p["result_code"] = "SUCCESS", "SUCCESS"
		p["appid"], p["mch_id"], p["nonce_str"] = exAppID, exMchID, wxpay.NonceStr()
		p["sign"] = p.Sign(exKey, wxpay.SignMD5)
		_, _ = w.Write(p.EncodeXML())
	}))
}

func ExampleClient_UnifiedOrder() {
	srv := exampleServer(wxpay.Params{"trade_type": "NATIVE", "prepay_id": "wx2026112218000012345", "code_url": "weixin://wxpay/bizpayurl?pr=NwY5Mz9"})
	defer srv.Close()

	c, err := wxpay.NewClient(wxpay.Config{AppID: exAppID, MchID: exMchID, APIKey: exKey, BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 11, 22, 18, 0, 0, 0, wxpay.Shanghai())
	resp, err := c.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body:           "扫码小店-拿铁",
		OutTradeNo:     "K1-20261122-0007",
		TotalFee:       1250, // ¥12.50
		SpbillCreateIP: "192.168.1.20",
		TimeStart:      start,
		TimeExpire:     start.Add(2 * time.Hour),
		NotifyURL:      "https://relay.example.com/wxpay/notify/k1",
		ProductID:      "K1-20261122-0007",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("show as QR:", resp.CodeURL)
	// Output: show as QR: weixin://wxpay/bizpayurl?pr=NwY5Mz9
}

func ExampleClient_CloseOrder() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := wxpay.Params{"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "ORDERPAID", "err_code_des": "订单已支付",
			"appid": exAppID, "mch_id": exMchID, "nonce_str": "n"}
		p["sign"] = p.Sign(exKey, wxpay.SignMD5)
		_, _ = w.Write(p.EncodeXML())
	}))
	defer srv.Close()
	c, _ := wxpay.NewClient(wxpay.Config{AppID: exAppID, MchID: exMchID, APIKey: exKey, BaseURL: srv.URL})

	err := c.CloseOrder(context.Background(), "K1-20261122-0007")
	switch {
	case err == nil, errors.Is(err, wxpay.ErrOrderClosed):
		fmt.Println("closed")
	case errors.Is(err, wxpay.ErrOrderPaid):
		fmt.Println("paid after all: query it and record the sale")
	case wxpay.IsRetryable(err):
		fmt.Println("retry later")
	default:
		fmt.Println("error:", err)
	}
	// Output: paid after all: query it and record the sale
}

func ExampleParseNotification() {
	// What WeChat POSTs to notify_url (signed with the merchant key).
	p := wxpay.Params{
		"return_code": "SUCCESS", "appid": exAppID, "mch_id": exMchID, "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
		"result_code": "SUCCESS", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "trade_type": "NATIVE", "bank_type": "CMC",
		"total_fee": "1250", "cash_fee": "1250", "transaction_id": "4200001234202611221234567890",
		"out_trade_no": "K1-20261122-0007", "time_end": "20261122180512",
	}
	p["sign"] = p.Sign(exKey, wxpay.SignMD5)
	body := p.EncodeXML()

	n, err := wxpay.ParseNotification(body, exKey)
	if err != nil {
		fmt.Printf("%s\n", wxpay.NotifyReply(false, "签名失败"))
		return
	}
	// Check appid, mch_id and the amount against our own order, record
	// the payment durably, then acknowledge.
	fmt.Println(n.OutTradeNo, n.TotalFee, n.TimeEnd.Format(time.DateTime))
	fmt.Printf("%s\n", wxpay.NotifyReply(true, ""))
	// Output:
	// K1-20261122-0007 1250 2026-11-22 18:05:12
	// <xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>
}

func ExampleBizPayURL() {
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, wxpay.Shanghai())
	link := wxpay.BizPayURL(exAppID, exMchID, exKey, "88888", now)

	// The link carries a fresh nonce, so print what ParseBizPayURL checks.
	p, err := wxpay.ParseBizPayURL(link, exKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p["product_id"], p["time_stamp"])
	// Output: 88888 1795341600
}

func ExampleParseNativeCallback() {
	cb := wxpay.Params{"appid": exAppID, "mch_id": exMchID, "openid": "o8GeHuLAsgefS_80exEr1cTqekUs",
		"is_subscribe": "N", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "product_id": "88888"}
	cb["sign"] = cb.Sign(exKey, wxpay.SignMD5)

	got, err := wxpay.ParseNativeCallback(cb.EncodeXML(), exKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Place a unified order for got.ProductID, then answer with its prepay_id.
	reply := wxpay.NativeCallbackReply(exAppID, exMchID, exKey, "wx2026112218000012345")
	prepay, err := wxpay.ParseNativeCallbackReply(reply, exKey)
	fmt.Println(got.ProductID, prepay, err)
	// Output: 88888 wx2026112218000012345 <nil>
}

func ExampleParseBill() {
	bill := "交易时间,商户订单号,交易状态,应结订单金额,手续费\n" +
		"`2026-11-21 08:35:41,`K1-0001,`SUCCESS,`6.00,`0.04000\n" +
		"总交易单数,应结订单总金额,退款总金额\n" +
		"`1,`6.00,`0.00\n"
	b, err := wxpay.ParseBill([]byte(bill))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := b.Rows[0]
	fmt.Println(r.OutTradeNo, r.SettlementFee, r.Fields["手续费"], b.TotalCount, b.TotalFee)
	// Output: K1-0001 600 0.04000 1 600
}

func ExampleYuanToFen() {
	for _, s := range []string{"6.00", "12.5", "0.04000", "0.045"} {
		fen, err := wxpay.YuanToFen(s)
		fmt.Println(s, fen, err != nil)
	}
	// Output:
	// 6.00 600 false
	// 12.5 1250 false
	// 0.04000 4 false
	// 0.045 0 true
}

package wxsim

import (
	"errors"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

func TestBillMatchesTheSimulatorsRecords(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	a := payOne(t, srv, c, "BL-1", "http://127.0.0.1:1/n") // 990
	clock.Advance(time.Hour)
	b := payOne(t, srv, c, "BL-2", "http://127.0.0.1:1/n") // 990
	if _, err := c.UnifiedOrder(ctx(), order("BL-3", 5000, "http://127.0.0.1:1/n")); err != nil {
		t.Fatal(err) // never paid: must not appear
	}
	clock.Advance(time.Hour)
	rf, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "BL-2", OutRefundNo: "BL-R1", TotalFee: 990, RefundFee: 250})
	if err != nil {
		t.Fatal(err)
	}
	srv.SettleRefunds()

	t.Run("before 10:00 the next day the bill is still being created", func(t *testing.T) {
		clock.Set(time.Date(2026, 11, 21, 9, 59, 0, 0, wxpay.Shanghai()))
		_, err := c.DownloadBill(ctx(), wxpay.BillRequest{Date: "20261120"})
		if !errors.Is(err, wxpay.ErrBillCreating) || !wxpay.IsRetryable(err) {
			t.Fatalf("error = %v, want retryable Bill Creating", err)
		}
	})
	clock.Set(time.Date(2026, 11, 21, 10, 0, 0, 0, wxpay.Shanghai()))
	cases := []struct {
		name         string
		req          wxpay.BillRequest
		rows         int
		total, refnd int64
	}{
		{"the ALL bill lists both payments and the refund", wxpay.BillRequest{Date: "20261120"}, 3, 1980, 250},
		{"the gzip ALL bill is the same bill", wxpay.BillRequest{Date: "20261120", GZIP: true}, 3, 1980, 250},
		{"the SUCCESS bill lists only payments", wxpay.BillRequest{Date: "20261120", Type: wxpay.BillSuccess}, 2, 1980, 0},
		{"the REFUND bill lists only the refund", wxpay.BillRequest{Date: "20261120", Type: wxpay.BillRefund}, 1, 0, 250},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bill, err := c.DownloadBill(ctx(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(bill.Rows) != tc.rows || bill.TotalCount != tc.rows || bill.TotalFee != tc.total || bill.RefundTotal != tc.refnd {
				t.Fatalf("bill: %d rows, count %d, total %d, refunds %d", len(bill.Rows), bill.TotalCount, bill.TotalFee, bill.RefundTotal)
			}
			for _, r := range bill.Rows {
				if r.Fields["商户号"] != srv.MchID() || r.Fields["公众账号ID"] != srv.AppID() || r.TradeType != "NATIVE" {
					t.Errorf("row %+v", r.Fields)
				}
				switch r.TradeState {
				case "SUCCESS":
					if (r.TransactionID != a.TransactionID && r.TransactionID != b.TransactionID) || r.TotalFee != 990 || r.SettlementFee != 990 || r.Fields["手续费"] != "0.06000" {
						t.Errorf("payment row %+v", r.Fields)
					}
				case "REFUND":
					if r.OutTradeNo != "BL-2" || r.RefundID != rf.RefundID || r.RefundFee != 250 || r.RefundStatus != "SUCCESS" {
						t.Errorf("refund row %+v", r.Fields)
					}
				default:
					t.Errorf("unexpected state %q", r.TradeState)
				}
			}
		})
	}
	t.Run("a day without transactions is No Bill Exist", func(t *testing.T) {
		_, err := c.DownloadBill(ctx(), wxpay.BillRequest{Date: "20261119"})
		if !errors.Is(err, wxpay.ErrBillNotExist) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a malformed date is data format error", func(t *testing.T) {
		r := rawCall(t, srv, "/pay/downloadbill", wxpay.Params{"bill_date": "2026-1120"}, wxpay.SignMD5)
		if r["return_code"] != "FAIL" || r["return_msg"] != "data format error" {
			t.Fatalf("reply = %v", r)
		}
	})
}

func TestBillTextFormat(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, InstantBills: true})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	payOne(t, srv, c, "TF-1", "http://127.0.0.1:1/n")
	s := srv.Sim
	s.mu.Lock()
	rows := s.billRowsLocked(t0.Add(-10*time.Hour), t0.Add(14*time.Hour), "SUCCESS")
	s.mu.Unlock()
	o, _ := srv.Order("TF-1")
	got := string(renderBill(rows, "SUCCESS"))
	want := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\r\n" +
		"`2026-11-20 10:00:00,`wx0000000000demo,`1900000109,`0,`,`" + o.TransID + ",`TF-1,`" + o.OpenID +
		",`NATIVE,`SUCCESS,`OTHERS,`CNY,`9.90,`0.00,`Saoma测试店-拿铁,`kiosk-1,`0.06000,`0.60%,`9.90,`\r\n" +
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" +
		"`1,`9.90,`0.00,`0.00,`0.06000,`9.90,`0.00\r\n"
	if got != want {
		t.Fatalf("bill text:\n%s\nwant:\n%s", got, want)
	}
	if _, err := wxpay.ParseBill([]byte(got)); err != nil {
		t.Fatalf("ParseBill: %v", err)
	}
}

package wechat

import (
	"context"
	"errors"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
)

// billDay is the day the bill tests trade on; its bill is published at
// 10:00 the next day.
var billDay = time.Date(2026, 11, 20, 14, 0, 0, 0, wxpay.Shanghai())

type billAdapter interface {
	app.Payments
	app.Bills
}

// adapters returns the v2 and v3 adapters on one simulator.
func adapters(t *testing.T, sim *wxsim.Server, clock *wxsim.ManualClock) map[string]billAdapter {
	t.Helper()
	c2, err := wxpay.NewClient(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	v2, err := NewV2(c2, sim.Key(), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.ClientConfigV3()
	cfg.Now = clock.Now
	c3, err := wxpayv3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v3, err := NewV3(c3)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]billAdapter{"v2": v2, "v3": v3}
}

// sell places an order of total fen and has a customer pay it.
func sell(t *testing.T, sim *wxsim.Server, p app.Payments, no string, total app.Fen, now time.Time) *wxsim.ScanResult {
	t.Helper()
	qr, err := p.PlaceQR(context.Background(), app.QROrder{OutTradeNo: no, Total: total, Description: "测试店-咖啡", ProductID: "1001",
		TimeStart: now, TimeExpire: now.Add(time.Hour), NotifyURL: "http://127.0.0.1:1/notify"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Scan(context.Background(), wxsim.ScanRequest{URL: qr.CodeURL})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBillRowsCarryPaymentsRefundsAndFees(t *testing.T) {
	clock := wxsim.NewManualClock(billDay)
	sim, err := wxsim.Start(wxsim.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	ads := adapters(t, sim, clock)
	ctx := context.Background()
	a := sell(t, sim, ads["v2"], "BILL-A1", 3800, clock.Now())
	sell(t, sim, ads["v3"], "BILL-B1", 84, clock.Now())
	if _, err := ads["v2"].Refund(ctx, app.RefundRequest{OutTradeNo: "BILL-A1", OutRefundNo: "BILL-A1-R1", Total: 3800, Amount: 1000}); err != nil {
		t.Fatal(err)
	}
	sim.SettleRefunds()

	for name, ad := range ads {
		t.Run(name+": before 10:00 the next day the bill is not ready", func(t *testing.T) {
			clock.Set(time.Date(2026, 11, 21, 9, 59, 0, 0, wxpay.Shanghai()))
			if _, err := ad.Bill(ctx, "2026-11-20"); !errors.Is(err, app.ErrBillNotReady) {
				t.Fatalf("error = %v, want ErrBillNotReady", err)
			}
		})
	}
	clock.Set(time.Date(2026, 11, 21, 10, 0, 0, 0, wxpay.Shanghai()))
	for name, ad := range ads {
		t.Run(name+": the bill lists both payments and the refund with WeChat's fees", func(t *testing.T) {
			rows, err := ad.Bill(ctx, "2026-11-20")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]app.BillRow{}
			for _, r := range rows {
				got[r.OutTradeNo+"/"+string(r.State)] = r
			}
			pa, pb, rf := got["BILL-A1/paid"], got["BILL-B1/paid"], got["BILL-A1/refund"]
			if len(rows) != 3 || pa.Amount != 3800 || pa.Fee != 23 || pa.TransactionID != a.TransactionID || pa.FeeRate != "0.60%" ||
				!pa.TradeTime.Equal(billDay) {
				t.Errorf("payment row %+v (of %d rows)", pa, len(rows))
			}
			if pb.Amount != 84 || pb.Fee != 1 {
				t.Errorf("¥0.84 pays 1 fen: %+v", pb)
			}
			if rf.OutRefundNo != "BILL-A1-R1" || rf.RefundAmount != 1000 || rf.RefundState != app.RefundSucceeded || rf.Fee != -6 || rf.RefundID == "" {
				t.Errorf("refund row %+v", rf)
			}
		})
		t.Run(name+": a day without trade has no bill", func(t *testing.T) {
			if _, err := ad.Bill(ctx, "2026-11-19"); !errors.Is(err, app.ErrNoBill) {
				t.Fatalf("error = %v, want ErrNoBill", err)
			}
		})
		t.Run(name+": a malformed day is refused before asking", func(t *testing.T) {
			if _, err := ad.Bill(ctx, "20261120"); err == nil || errors.Is(err, app.ErrNoBill) {
				t.Fatalf("error = %v", err)
			}
		})
	}
}

func TestBillErrorsMapOntoTheReconcilersDecisions(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"v2 No Bill Exist is no bill", &wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "No Bill Exist"}, app.ErrNoBill},
		{"v2 Bill Creating is not ready", &wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "Bill Creating"}, app.ErrBillNotReady},
		{"v2 transport failure is unknown", wxpay.ErrTransport, app.ErrPayUnknown},
		{"v3 NO_STATEMENT_EXIST is no bill", &wxpayv3.Error{StatusCode: 400, Code: "NO_STATEMENT_EXIST"}, app.ErrNoBill},
		{"v3 STATEMENT_CREATING is not ready", &wxpayv3.Error{StatusCode: 400, Code: "STATEMENT_CREATING"}, app.ErrBillNotReady},
		{"v3 SYSTEM_ERROR is unknown", &wxpayv3.Error{StatusCode: 500, Code: "SYSTEM_ERROR"}, app.ErrPayUnknown},
	}
	for _, c := range cases {
		if got := billErr("2026-11-20", c.err); !errors.Is(got, c.want) {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

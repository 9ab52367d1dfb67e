package wxsim

import (
	"testing"
	"time"

	"saoma/payment/wxpay"
)

func TestFeesRoundToTheFenHalfUp(t *testing.T) {
	cases := []struct {
		name        string
		amount, ppm int64
		want        int64
	}{
		{"¥0.83 at 0.6 % pays no fee (0.498 fen)", 83, 6000, 0},
		{"¥0.84 at 0.6 % pays 1 fen (0.504 fen)", 84, 6000, 1},
		{"exactly half a fen rounds up", 25, 20000, 1},
		{"¥9.90 at 0.6 % pays 6 fen (5.94)", 990, 6000, 6},
		{"¥100 at 0.38 % pays 38 fen", 10000, 3800, 38},
		{"a refund's fee is returned with the same rounding", -84, 6000, -1},
	}
	for _, c := range cases {
		if got := fee(c.amount, c.ppm); got != c.want {
			t.Errorf("%s: fee = %d, want %d", c.name, got, c.want)
		}
	}
	if got := feeRateText(ratePPM(0)); got != "0.60%" {
		t.Errorf("default rate prints %q, want 0.60%%", got)
	}
	if got := feeRateText(ratePPM(0.0038)); got != "0.38%" {
		t.Errorf("0.38 %% prints %q", got)
	}
}

func TestBillChargesTheConfiguredFeeRate(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, InstantBills: true, FeeRate: 0.01})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	payOne(t, srv, c, "FR-1", "http://127.0.0.1:1/n") // 990 → 9.9 fen → 10
	clock.Advance(time.Minute)
	if _, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "FR-1", OutRefundNo: "FR-R1", TotalFee: 990, RefundFee: 450}); err != nil {
		t.Fatal(err)
	}
	srv.SettleRefunds()
	bill, err := c.DownloadBill(ctx(), wxpay.BillRequest{Date: "20261120"})
	if err != nil {
		t.Fatal(err)
	}
	fees := map[string]string{}
	for _, r := range bill.Rows {
		fees[r.TradeState] = r.Fields["手续费"]
		if r.Fields["费率"] != "1.00%" {
			t.Errorf("费率 %q, want 1.00%%", r.Fields["费率"])
		}
	}
	if fees["SUCCESS"] != "0.10000" || fees["REFUND"] != "-0.05000" {
		t.Errorf("fees %v, want 0.10000 on the payment and -0.05000 (4.5 fen half up) on the refund", fees)
	}
	if bill.Summary["手续费总金额"] != "0.05000" {
		t.Errorf("手续费总金额 %q, want 0.05000", bill.Summary["手续费总金额"])
	}
}

package wxsim

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"saoma/payment/wxpay"
)

func TestRefunds(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, RefundDelay: time.Minute})
	c := newClient(t, srv, wxpay.SignMD5, clock)
	paid := payOne(t, srv, c, "F-1", "http://127.0.0.1:1/n") // 990 fen
	refund := func(no string, fee int64) (*wxpay.RefundResponse, error) {
		return c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "F-1", OutRefundNo: no, TotalFee: 990, RefundFee: fee})
	}
	errCode := func(err error) string {
		var we *wxpay.Error
		if errors.As(err, &we) {
			return we.ErrCode
		}
		return errString(err)
	}

	t.Run("a refund over plain HTTP without the certificate is refused", func(t *testing.T) {
		cfg := srv.ClientConfig()
		cfg.BaseURL = srv.URL()
		plain, err := wxpay.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = plain.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "F-1", OutRefundNo: "RF-0", TotalFee: 990, RefundFee: 1})
		var we *wxpay.Error
		if !errors.As(err, &we) || we.ReturnCode != "FAIL" || we.ReturnMsg != msgCert {
			t.Fatalf("error = %v, want protocol FAIL %q", err, msgCert)
		}
	})
	t.Run("a refund over HTTPS without a client certificate is refused", func(t *testing.T) {
		cfg := srv.ClientConfig()
		cfg.CertP12 = nil
		noCert, err := wxpay.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := wxpay.Params{"out_trade_no": "F-1", "out_refund_no": "RF-0", "total_fee": "990", "refund_fee": "1"}
		_, err = noCert.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: r["out_trade_no"], OutRefundNo: "RF-0", TotalFee: 990, RefundFee: 1})
		if err == nil {
			t.Fatal("refund without certificate succeeded")
		}
		got := rawCall(t, srv, "/secapi/pay/refund", r, wxpay.SignMD5)
		if got["return_code"] != "FAIL" || got["return_msg"] != msgCert {
			t.Fatalf("raw reply = %v", got)
		}
	})
	t.Run("a partial refund is accepted and PROCESSING", func(t *testing.T) {
		r, err := refund("RF-1", 300)
		if err != nil {
			t.Fatal(err)
		}
		if r.RefundFee != 300 || r.TotalFee != 990 || r.TransactionID != paid.TransactionID || r.RefundID == "" {
			t.Fatalf("refund = %+v", r)
		}
		q, err := c.RefundQuery(ctx(), wxpay.RefundQueryRequest{OutRefundNo: "RF-1"})
		if err != nil || len(q.Refunds) != 1 || q.Refunds[0].RefundStatus != RefundProcessing {
			t.Fatalf("query = %+v, %v", q, err)
		}
	})
	t.Run("the same out_refund_no refunds only once", func(t *testing.T) {
		a, err := refund("RF-1", 300)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := srv.Order("F-1")
		if len(o.Refunds) != 1 || a.RefundID != o.Refunds[0].RefundID {
			t.Fatalf("refunds = %+v", o.Refunds)
		}
	})
	t.Run("the same out_refund_no with another amount is refused", func(t *testing.T) {
		if _, err := refund("RF-1", 301); errCode(err) != "ERROR" {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("refunds beyond the paid amount are refused", func(t *testing.T) {
		if _, err := refund("RF-2", 691); errCode(err) != "ERROR" {
			t.Fatalf("error = %v", err)
		}
		if _, err := refund("RF-2", 690); err != nil {
			t.Fatalf("refunding the rest: %v", err)
		}
	})
	t.Run("the order reads REFUND afterwards", func(t *testing.T) {
		q, err := c.OrderQuery(ctx(), wxpay.OrderQueryRequest{OutTradeNo: "F-1"})
		if err != nil || q.TradeState != wxpay.TradeRefund {
			t.Fatalf("query = %+v, %v", q, err)
		}
	})
	t.Run("refunds turn SUCCESS after the refund delay", func(t *testing.T) {
		clock.Advance(time.Minute)
		q, err := c.RefundQuery(ctx(), wxpay.RefundQueryRequest{OutTradeNo: "F-1"})
		if err != nil || q.TotalRefundCount != 2 {
			t.Fatalf("query = %+v, %v", q, err)
		}
		for _, r := range q.Refunds {
			if r.RefundStatus != RefundSuccess || r.SuccessTime.IsZero() {
				t.Errorf("refund %+v not SUCCESS", r)
			}
		}
	})
	t.Run("an unpaid order cannot be refunded", func(t *testing.T) {
		if _, err := c.UnifiedOrder(ctx(), order("F-2", 500, "http://127.0.0.1:1/n")); err != nil {
			t.Fatal(err)
		}
		_, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "F-2", OutRefundNo: "RF-3", TotalFee: 500, RefundFee: 1})
		if !errors.Is(err, wxpay.ErrOrderNotExist) {
			t.Fatalf("error = %v, want ORDERNOTEXIST", err)
		}
	})
	t.Run("a total_fee that is not the order's is PARAM_ERROR", func(t *testing.T) {
		_, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "F-1", OutRefundNo: "RF-4", TotalFee: 991, RefundFee: 1})
		if errCode(err) != "PARAM_ERROR" {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an unknown refund is REFUNDNOTEXIST", func(t *testing.T) {
		_, err := c.RefundQuery(ctx(), wxpay.RefundQueryRequest{OutRefundNo: "RF-404"})
		if !errors.Is(err, wxpay.ErrRefundNotExist) {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestRefundQueryPagesByTen(t *testing.T) {
	srv := startSim(t, Config{})
	c := newClient(t, srv, wxpay.SignHMACSHA256, nil)
	payOne(t, srv, c, "PG-1", "http://127.0.0.1:1/n")
	for i := range 12 {
		if _, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "PG-1", OutRefundNo: fmt.Sprintf("PG-R%02d", i), TotalFee: 990, RefundFee: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.SettleRefunds(); n != 12 {
		t.Errorf("SettleRefunds = %d, want 12", n)
	}
	cases := []struct {
		name        string
		offset      int
		first       string
		count       int
		wantErrCode string
	}{
		{"the first page holds refunds 0-9", 0, "PG-R00", 10, ""},
		{"offset 10 holds the last two", 10, "PG-R10", 2, ""},
		{"an offset past the last refund is PARAM_ERROR", 12, "", 0, "PARAM_ERROR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := c.RefundQuery(ctx(), wxpay.RefundQueryRequest{OutTradeNo: "PG-1", Offset: tc.offset})
			if tc.wantErrCode != "" {
				var we *wxpay.Error
				if !errors.As(err, &we) || we.ErrCode != tc.wantErrCode {
					t.Fatalf("error = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.TotalRefundCount != 12 || len(q.Refunds) != tc.count || q.Refunds[0].OutRefundNo != tc.first {
				t.Fatalf("page = %+v", q)
			}
			for _, r := range q.Refunds {
				if r.RefundStatus != RefundSuccess || r.RefundFee != 10 {
					t.Errorf("refund %+v", r)
				}
			}
		})
	}
}

func TestRefundResultNotification(t *testing.T) {
	clock := NewManualClock(t0)
	srv := startSim(t, Config{Clock: clock, RefundDelay: 10 * time.Minute})
	events := notifyEvents(srv.Sim)
	m := newMerchant(t, ackAll)
	c := newClient(t, srv, wxpay.SignMD5, clock)
	paid := payOne(t, srv, c, "RN-1", m.URL)
	recv(t, m.got) // the payment notification
	recv(t, events)
	refund := func(no string) *wxpay.RefundResponse {
		r, err := c.Refund(ctx(), &wxpay.RefundRequest{OutTradeNo: "RN-1", OutRefundNo: no, TotalFee: 990, RefundFee: 100, NotifyURL: m.URL + "/refund"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("the result is notified, encrypted, once the refund delay has passed", func(t *testing.T) {
		r := refund("RN-R1")
		clock.BlockUntil(1, nil)
		clock.Advance(10 * time.Minute)
		n, err := wxpay.DecryptRefundNotification(recv(t, m.got), srv.Key())
		if err != nil {
			t.Fatal(err)
		}
		if n.RefundID != r.RefundID || n.TransactionID != paid.TransactionID || n.RefundStatus != "SUCCESS" || n.RefundFee != 100 || n.TotalFee != 990 {
			t.Fatalf("refund notification %+v", n)
		}
		if ev := recv(t, events); ev.OutRefundNo != "RN-R1" || !ev.Acked {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("SettleRefunds sends it at once", func(t *testing.T) {
		refund("RN-R2")
		srv.SettleRefunds()
		n, err := wxpay.DecryptRefundNotification(recv(t, m.got), srv.Key())
		if err != nil || n.OutRefundNo != "RN-R2" {
			t.Fatalf("refund notification %+v, %v", n, err)
		}
	})
	t.Run("another key cannot read it", func(t *testing.T) {
		refund("RN-R3")
		srv.SettleRefunds()
		_, err := wxpay.DecryptRefundNotification(recv(t, m.got), "0123456789abcdef0123456789abcdef")
		if !errors.Is(err, wxpay.ErrSignature) {
			t.Fatalf("error = %v, want ErrSignature", err)
		}
	})
}

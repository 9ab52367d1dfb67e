package wxpayv3

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

func TestWireJSONIsChecked(t *testing.T) {
	tests := []struct {
		name string
		into any
		json string
	}{
		{"a transaction without out_trade_no", new(Transaction), `{"trade_state":"NOTPAY"}`},
		{"a paid transaction without transaction_id", new(Transaction), `{"out_trade_no":"K1000001","trade_state":"SUCCESS"}`},
		{"a transaction with a negative total", new(Transaction), `{"out_trade_no":"K1000001","trade_state":"NOTPAY","amount":{"total":-1}}`},
		{"a transaction with a malformed success_time", new(Transaction), `{"out_trade_no":"K1000001","trade_state":"NOTPAY","success_time":"2026-12-02 13:00:00"}`},
		{"a transaction with a string amount", new(Transaction), `{"out_trade_no":"K1000001","trade_state":"NOTPAY","amount":{"total":"1"}}`},
		{"a refund without out_refund_no", new(Refund), `{"status":"SUCCESS"}`},
		{"a refund with an unknown status", new(Refund), `{"out_refund_no":"R1","status":"DONE"}`},
		{"a refund with a negative refund", new(Refund), `{"out_refund_no":"R1","status":"SUCCESS","amount":{"refund":-5}}`},
		{"a refund with a malformed create_time", new(Refund), `{"out_refund_no":"R1","status":"SUCCESS","create_time":"yesterday"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is ErrBadMessage", func(t *testing.T) {
			if err := json.Unmarshal([]byte(tt.json), tt.into); !errors.Is(err, ErrBadMessage) {
				t.Errorf("error = %v, want ErrBadMessage", err)
			}
		})
	}
	t.Run("every documented trade state parses", func(t *testing.T) {
		for _, s := range []TradeState{TradeRefund, TradeNotPay, TradeClosed, TradeRevoked, TradeUserPaying, TradePayError} {
			var tx Transaction
			if err := json.Unmarshal([]byte(`{"out_trade_no":"K1000001","trade_state":"`+string(s)+`"}`), &tx); err != nil || tx.TradeState != s {
				t.Errorf("%s: %v", s, err)
			}
		}
	})
	t.Run("an unpaid transaction marshals without success_time or payer", func(t *testing.T) {
		b, _ := json.Marshal(Transaction{MchID: testMchID, OutTradeNo: "K1000001", TradeState: TradeNotPay, Total: 5})
		if got, want := string(b), `{"mchid":"1900000109","out_trade_no":"K1000001","trade_state":"NOTPAY","amount":{"total":5,"payer_total":0}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("times are written in +08:00", func(t *testing.T) {
		if got := FormatTime(fixedNow.UTC()); got != "2026-12-02T13:00:00+08:00" {
			t.Errorf("FormatTime = %s", got)
		}
	})
}

func TestRefundByTransactionID(t *testing.T) {
	rg := newRig(t)
	rg.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		var got map[string]any
		_ = json.Unmarshal(body, &got)
		if got["transaction_id"] != paidTx().TransactionID || got["out_trade_no"] != nil || got["notify_url"] != nil {
			t.Errorf("body %s", body)
		}
		rg.reply(w, Refund{OutRefundNo: "R1", Status: RefundProcessing, Refund: 1, Total: 1250})
	})
	got, err := rg.client.Refund(ctx(t), RefundRequest{TransactionID: paidTx().TransactionID, OutTradeNo: "ignored-when-id-given", OutRefundNo: "R1", Refund: 1, Total: 1250})
	if err != nil || got.Status != RefundProcessing {
		t.Errorf("Refund = %+v, %v", got, err)
	}
	t.Run("a reply for another refund number is ErrBadMessage", func(t *testing.T) {
		rg.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			rg.reply(w, Refund{OutRefundNo: "R2", Status: RefundProcessing})
		})
		if _, err := rg.client.QueryRefund(ctx(t), "R1"); !errors.Is(err, ErrBadMessage) {
			t.Errorf("error = %v", err)
		}
	})
}

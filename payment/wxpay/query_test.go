package wxpay

import (
	"context"
	"errors"
	"testing"
	"time"
)

func paidQueryAnswer(otn string) Params {
	return Params{
		"trade_state": "SUCCESS", "trade_state_desc": "支付成功", "out_trade_no": otn,
		"transaction_id": "4200001234202611221234567890", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"trade_type": "NATIVE", "bank_type": "CMC", "total_fee": "1250", "cash_fee": "1250",
		"fee_type": "CNY", "attach": "k1", "time_end": "20261122180512", "is_subscribe": "N",
		"coupon_count": "0",
	}
}

func TestOrderQueryReportsAPaidOrder(t *testing.T) {
	for _, st := range []SignType{SignMD5, SignHMACSHA256} {
		t.Run(string(st)+" paid order is decoded in full", func(t *testing.T) {
			c, f := newFake(t, st, func(path string, req Params) Params {
				if path != "/pay/orderquery" {
					t.Errorf("path %s", path)
				}
				return paidQueryAnswer(req["out_trade_no"])
			})
			got, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0007"})
			if err != nil {
				t.Fatal(err)
			}
			if f.last().p["out_trade_no"] != "K1-0007" {
				t.Errorf("request = %v", f.last().p)
			}
			want := time.Date(2026, 11, 22, 18, 5, 12, 0, Shanghai())
			if got.TradeState != TradeSuccess || !got.TradeState.Paid() || got.TotalFee != 1250 || got.CashFee != 1250 ||
				got.TransactionID != "4200001234202611221234567890" || !got.TimeEnd.Equal(want) || got.Attach != "k1" ||
				got.OpenID == "" || got.BankType != "CMC" || got.Raw["coupon_count"] != "0" {
				t.Errorf("response = %+v", got)
			}
		})
	}
}

func TestOrderQueryTradeStates(t *testing.T) {
	for _, ts := range []TradeState{TradeNotPay, TradeClosed, TradeRevoked, TradeUserPaying, TradePayError, TradeAccept} {
		t.Run(string(ts)+" with only out_trade_no is accepted and not paid", func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"trade_state": string(ts), "out_trade_no": "K1-0007", "trade_state_desc": "x"}
			})
			got, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0007"})
			if err != nil {
				t.Fatal(err)
			}
			if got.TradeState != ts || got.TradeState.Paid() {
				t.Errorf("state = %s", got.TradeState)
			}
		})
	}
}

func TestOrderQueryRefusesBadReplies(t *testing.T) {
	tests := []struct {
		name string
		edit func(p Params)
	}{
		{"an unknown trade_state is refused", func(p Params) { p["trade_state"] = "PAID" }},
		{"a missing trade_state is refused", func(p Params) { delete(p, "trade_state") }},
		{"a reply for another out_trade_no is refused", func(p Params) { p["out_trade_no"] = "K1-9999" }},
		{"a paid reply without transaction_id is refused", func(p Params) { delete(p, "transaction_id") }},
		{"a paid reply without total_fee is refused", func(p Params) { delete(p, "total_fee") }},
		{"a decimal total_fee is refused", func(p Params) { p["total_fee"] = "12.50" }},
		{"a negative cash_fee is refused", func(p Params) { p["cash_fee"] = "-1" }},
		{"a malformed time_end is refused", func(p Params) { p["time_end"] = "2026-11-22" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params {
				p := paidQueryAnswer("K1-0007")
				tt.edit(p)
				return p
			})
			if _, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0007"}); !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error = %v, want ErrBadMessage", err)
			}
		})
	}
}

func TestOrderQueryErrCodes(t *testing.T) {
	tests := []struct {
		errCode   string
		sentinel  error
		retryable bool
	}{
		{"ORDERNOTEXIST", ErrOrderNotExist, false},
		{"SYSTEMERROR", ErrSystem, true},
		{"SIGNERROR", ErrSignError, false},
		{"APPID_NOT_EXIST", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.errCode+" comes back as *Error", func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"result_code": "FAIL", "err_code": tt.errCode, "err_code_des": "x"}
			})
			_, err := c.OrderQuery(context.Background(), OrderQueryRequest{TransactionID: "4200001234202611221234567890"})
			var we *Error
			if !errors.As(err, &we) || we.ErrCode != tt.errCode {
				t.Fatalf("error = %v", err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("not %v", tt.sentinel)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v", !tt.retryable)
			}
		})
	}
}

func TestOrderQueryInput(t *testing.T) {
	t.Run("transaction_id takes precedence over out_trade_no", func(t *testing.T) {
		c, f := newFake(t, SignMD5, func(_ string, req Params) Params {
			p := paidQueryAnswer("K1-0007")
			p["transaction_id"] = req["transaction_id"]
			return p
		})
		if _, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0007", TransactionID: "42000"}); err != nil {
			t.Fatal(err)
		}
		req := f.last().p
		if req["transaction_id"] != "42000" || req["out_trade_no"] != "" {
			t.Errorf("request = %v", req)
		}
	})
	tests := []struct {
		name string
		r    OrderQueryRequest
	}{
		{"an empty query is refused", OrderQueryRequest{}},
		{"a malformed out_trade_no is refused", OrderQueryRequest{OutTradeNo: "K1 0007"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(t, SignMD5, nil)
			if _, err := c.OrderQuery(context.Background(), tt.r); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v", err)
			}
			if f.count() != 0 {
				t.Error("a request was sent")
			}
		})
	}
}

func TestCloseOrderErrCodes(t *testing.T) {
	tests := []struct {
		name      string
		errCode   string
		sentinel  error
		retryable bool
	}{
		{"ORDERCLOSED means the order is already closed", "ORDERCLOSED", ErrOrderClosed, false},
		{"ORDERPAID means the order was paid after all", "ORDERPAID", ErrOrderPaid, false},
		{"SYSTEMERROR may be retried", "SYSTEMERROR", ErrSystem, true},
		{"ORDERNOTEXIST means nothing to close", "ORDERNOTEXIST", ErrOrderNotExist, false},
		{"SIGNERROR is our signature refused", "SIGNERROR", ErrSignError, false},
		{"REQUIRE_POST_METHOD is not retryable", "REQUIRE_POST_METHOD", nil, false},
		{"XML_FORMAT_ERROR is not retryable", "XML_FORMAT_ERROR", nil, false},
		{"TRADE_STATE_ERROR is not retryable", "TRADE_STATE_ERROR", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"result_code": "FAIL", "err_code": tt.errCode, "err_code_des": "x"}
			})
			err := c.CloseOrder(context.Background(), "K1-0007")
			var we *Error
			if !errors.As(err, &we) || we.ErrCode != tt.errCode || we.API != "/pay/closeorder" {
				t.Fatalf("error = %v", err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("not %v", tt.sentinel)
			}
			if IsRetryable(err) != tt.retryable {
				t.Errorf("IsRetryable = %v", !tt.retryable)
			}
			if got := f.last(); got.path != "/pay/closeorder" || got.p["out_trade_no"] != "K1-0007" {
				t.Errorf("request = %+v", got)
			}
		})
	}
	t.Run("a malformed out_trade_no is refused before sending", func(t *testing.T) {
		c, f := newFake(t, SignMD5, nil)
		if err := c.CloseOrder(context.Background(), ""); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("error = %v", err)
		}
		if f.count() != 0 {
			t.Error("a request was sent")
		}
	})
}

func TestShortURL(t *testing.T) {
	long := BizPayURL(testAppID, testMchID, testKey, "88888", fixedNow)
	t.Run("the long URL is signed and sent raw", func(t *testing.T) {
		c, f := newFake(t, SignHMACSHA256, func(path string, req Params) Params {
			if path != "/tools/shorturl" {
				t.Errorf("path %s", path)
			}
			return Params{"short_url": "weixin://wxpay/s/An4baqw"}
		})
		got, err := c.ShortURL(context.Background(), long)
		if err != nil {
			t.Fatal(err)
		}
		if got != "weixin://wxpay/s/An4baqw" {
			t.Errorf("short = %s", got)
		}
		if sent := f.last().p["long_url"]; sent != long {
			t.Errorf("long_url sent as %q, want the raw %q", sent, long)
		}
	})
	tests := []struct {
		name   string
		answer Params
		want   error
	}{
		{"SYSTEMERROR is retryable", Params{"result_code": "FAIL", "err_code": "SYSTEMERROR"}, ErrSystem},
		{"a reply without short_url is refused", Params{}, ErrBadMessage},
		{"a forged reply is refused", Params{"short_url": "weixin://wxpay/s/evil", "sign": signWrongK}, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params { return tt.answer })
			if _, err := c.ShortURL(context.Background(), long); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("an http URL is refused before sending", func(t *testing.T) {
		c, f := newFake(t, SignMD5, nil)
		if _, err := c.ShortURL(context.Background(), "https://example.com/x"); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("error = %v", err)
		}
		if f.count() != 0 {
			t.Error("a request was sent")
		}
	})
}

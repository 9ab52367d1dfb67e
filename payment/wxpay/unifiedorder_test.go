package wxpay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fixedNow is the fake clock of these tests: 2026-11-22 18:00:00 Beijing.
var fixedNow = time.Date(2026, 11, 22, 18, 0, 0, 0, Shanghai())

func goodOrder() *UnifiedOrderRequest {
	return &UnifiedOrderRequest{
		Body:           "扫码小店-静安店-拿铁",
		OutTradeNo:     "K1-20261122-0007",
		TotalFee:       1250,
		SpbillCreateIP: "192.168.1.20",
		TimeStart:      fixedNow,
		TimeExpire:     fixedNow.Add(2 * time.Hour),
		NotifyURL:      "https://relay.example.com/wxpay/notify/k1",
		ProductID:      "K1-20261122-0007",
		Attach:         "k1",
	}
}

func unifiedOK(path string, req Params) Params {
	if path != "/pay/unifiedorder" {
		return Params{"return_code": "FAIL", "return_msg": "wrong path " + path}
	}
	return Params{"trade_type": "NATIVE", "prepay_id": "wx201410272009395522657a690389285100", "code_url": "weixin://wxpay/bizpayurl?pr=NwY5Mz9"}
}

func TestUnifiedOrderSendsASignedNativeOrder(t *testing.T) {
	for _, st := range []SignType{SignMD5, SignHMACSHA256} {
		t.Run(string(st)+" request and reply verify end to end", func(t *testing.T) {
			c, f := newFake(t, st, unifiedOK)
			got, err := c.UnifiedOrder(context.Background(), goodOrder())
			if err != nil {
				t.Fatal(err)
			}
			if got.CodeURL != "weixin://wxpay/bizpayurl?pr=NwY5Mz9" || got.PrepayID != "wx201410272009395522657a690389285100" || got.TradeType != "NATIVE" {
				t.Errorf("response = %+v", got)
			}
			req := f.last().p
			want := map[string]string{
				"body": "扫码小店-静安店-拿铁", "out_trade_no": "K1-20261122-0007", "total_fee": "1250",
				"spbill_create_ip": "192.168.1.20", "time_start": "20261122180000", "time_expire": "20261122200000",
				"notify_url": "https://relay.example.com/wxpay/notify/k1", "trade_type": "NATIVE",
				"product_id": "K1-20261122-0007", "attach": "k1",
			}
			for k, v := range want {
				if req[k] != v {
					t.Errorf("request %s = %q, want %q", k, req[k], v)
				}
			}
			if _, sent := req["openid"]; sent {
				t.Error("an empty openid must not be sent")
			}
		})
	}
}

func TestUnifiedOrderErrCodes(t *testing.T) {
	tests := []struct {
		errCode   string
		sentinel  error
		retryable bool
	}{
		{"INVALID_REQUEST", ErrInvalidRequest, false},
		{"NOAUTH", nil, false},
		{"NOTENOUGH", ErrNotEnough, false},
		{"ORDERPAID", ErrOrderPaid, false},
		{"ORDERCLOSED", ErrOrderClosed, false},
		{"SYSTEMERROR", ErrSystem, true},
		{"APPID_NOT_EXIST", nil, false},
		{"MCHID_NOT_EXIST", nil, false},
		{"APPID_MCHID_NOT_MATCH", nil, false},
		{"LACK_PARAMS", nil, false},
		{"OUT_TRADE_NO_USED", ErrOutTradeNoUsed, false},
		{"SIGNERROR", ErrSignError, false},
		{"XML_FORMAT_ERROR", nil, false},
		{"REQUIRE_POST_METHOD", nil, false},
		{"POST_DATA_EMPTY", nil, false},
		{"NOT_UTF8", nil, false},
	}
	for _, tt := range tests {
		name := tt.errCode + " is a non-retryable *Error"
		if tt.retryable {
			name = tt.errCode + " is a retryable *Error"
		}
		t.Run(name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"result_code": "FAIL", "err_code": tt.errCode, "err_code_des": "描述 " + tt.errCode}
			})
			_, err := c.UnifiedOrder(context.Background(), goodOrder())
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if we.ErrCode != tt.errCode || we.API != "/pay/unifiedorder" || we.ErrCodeDes != "描述 "+tt.errCode {
				t.Errorf("error = %+v", we)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if errors.Is(err, ErrProtocol) {
				t.Error("a business error must not match ErrProtocol")
			}
			if got := IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
		})
	}
}

func TestUnifiedOrderRejectsBadInputBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *UnifiedOrderRequest)
	}{
		{"an empty out_trade_no is refused", func(r *UnifiedOrderRequest) { r.OutTradeNo = "" }},
		{"an out_trade_no longer than 32 is refused", func(r *UnifiedOrderRequest) { r.OutTradeNo = strings.Repeat("1", 33) }},
		{"an out_trade_no with a dot is refused", func(r *UnifiedOrderRequest) { r.OutTradeNo = "K1.0007" }},
		{"a zero total_fee is refused", func(r *UnifiedOrderRequest) { r.TotalFee = 0 }},
		{"a negative total_fee is refused", func(r *UnifiedOrderRequest) { r.TotalFee = -1 }},
		{"a total_fee beyond int32 is refused", func(r *UnifiedOrderRequest) { r.TotalFee = 1 << 31 }},
		{"an empty body is refused", func(r *UnifiedOrderRequest) { r.Body = "" }},
		{"a body of 129 bytes is refused", func(r *UnifiedOrderRequest) { r.Body = strings.Repeat("a", 129) }},
		{"a body of 43 Chinese characters (129 bytes) is refused", func(r *UnifiedOrderRequest) { r.Body = strings.Repeat("茶", 43) }},
		{"a notify_url with a query string is refused", func(r *UnifiedOrderRequest) { r.NotifyURL += "?kiosk=1" }},
		{"a notify_url with an empty query is refused", func(r *UnifiedOrderRequest) { r.NotifyURL += "?" }},
		{"a relative notify_url is refused", func(r *UnifiedOrderRequest) { r.NotifyURL = "/wxpay/notify" }},
		{"an empty notify_url is refused", func(r *UnifiedOrderRequest) { r.NotifyURL = "" }},
		{"a missing product_id is refused for NATIVE", func(r *UnifiedOrderRequest) { r.ProductID = "" }},
		{"a product_id longer than 32 is refused", func(r *UnifiedOrderRequest) { r.ProductID = strings.Repeat("p", 33) }},
		{"time_expire 4m59s after time_start is refused", func(r *UnifiedOrderRequest) { r.TimeExpire = r.TimeStart.Add(5*time.Minute - time.Second) }},
		{"time_expire before time_start is refused", func(r *UnifiedOrderRequest) { r.TimeExpire = r.TimeStart.Add(-time.Hour) }},
		{"time_expire within 5 minutes of now is refused when time_start is unset", func(r *UnifiedOrderRequest) {
			r.TimeStart = time.Time{}
			r.TimeExpire = fixedNow.Add(4 * time.Minute)
		}},
		{"a missing spbill_create_ip is refused", func(r *UnifiedOrderRequest) { r.SpbillCreateIP = "" }},
		{"a host name as spbill_create_ip is refused", func(r *UnifiedOrderRequest) { r.SpbillCreateIP = "kiosk.local" }},
		{"an attach of 128 bytes is refused", func(r *UnifiedOrderRequest) { r.Attach = strings.Repeat("a", 128) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(t, SignMD5, unifiedOK)
			c.now = func() time.Time { return fixedNow }
			r := goodOrder()
			tt.edit(r)
			_, err := c.UnifiedOrder(context.Background(), r)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
			if n := f.count(); n != 0 {
				t.Errorf("%d requests were sent", n)
			}
		})
	}
	t.Run("a nil request is refused", func(t *testing.T) {
		c, _ := newFake(t, SignMD5, unifiedOK)
		if _, err := c.UnifiedOrder(context.Background(), nil); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("error = %v, want ErrInvalidInput", err)
		}
	})
}

func TestUnifiedOrderBoundariesAreAccepted(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *UnifiedOrderRequest)
	}{
		{"a body of exactly 128 bytes is accepted", func(r *UnifiedOrderRequest) { r.Body = strings.Repeat("a", 128) }},
		{"time_expire exactly 5 minutes after time_start is accepted", func(r *UnifiedOrderRequest) { r.TimeExpire = r.TimeStart.Add(5 * time.Minute) }},
		{"no time_expire at all is accepted", func(r *UnifiedOrderRequest) { r.TimeExpire = time.Time{} }},
		{"an IPv6 spbill_create_ip is accepted", func(r *UnifiedOrderRequest) { r.SpbillCreateIP = "2001:db8::1" }},
		{"a 32-character out_trade_no using | and * is accepted", func(r *UnifiedOrderRequest) { r.OutTradeNo = "A|B*C_D-" + strings.Repeat("9", 24) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, unifiedOK)
			r := goodOrder()
			tt.edit(r)
			if _, err := c.UnifiedOrder(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUnifiedOrderReplyWithoutCodeURLIsRefused(t *testing.T) {
	c, _ := newFake(t, SignMD5, func(string, Params) Params {
		return Params{"trade_type": "NATIVE", "prepay_id": "wx1"}
	})
	if _, err := c.UnifiedOrder(context.Background(), goodOrder()); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("error = %v, want ErrBadMessage", err)
	}
}

package wechat

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"saoma/app"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

func TestErrorsMapOntoTheEnginesDecisions(t *testing.T) {
	cases := []struct {
		name string
		got  error
		want error
	}{
		{"v2 transport failure: answer unknown", v2Err(fmt.Errorf("post: %w", wxpay.ErrTransport)), app.ErrPayUnknown},
		{"v2 SYSTEMERROR: answer unknown", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "SYSTEMERROR"}), app.ErrPayUnknown},
		{"v2 ORDERNOTEXIST", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "ORDERNOTEXIST"}), app.ErrPayNotFound},
		{"v2 REFUNDNOTEXIST", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "REFUNDNOTEXIST"}), app.ErrPayRefundNotFound},
		{"v2 ORDERPAID", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "ORDERPAID"}), app.ErrPayAlreadyPaid},
		{"v2 ORDERCLOSED", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "ORDERCLOSED"}), app.ErrPayClosed},
		{"v2 OUT_TRADE_NO_USED", v2Err(&wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "OUT_TRADE_NO_USED"}), app.ErrPayNumberUsed},
		{"v3 transport failure", v3Err(fmt.Errorf("do: %w", wxpayv3.ErrTransport), false), app.ErrPayUnknown},
		{"v3 SYSTEM_ERROR", v3Err(&wxpayv3.Error{StatusCode: 500, Code: "SYSTEM_ERROR"}, false), app.ErrPayUnknown},
		{"v3 ORDER_NOT_EXIST", v3Err(&wxpayv3.Error{StatusCode: 404, Code: "ORDER_NOT_EXIST"}, false), app.ErrPayNotFound},
		{"v3 refund RESOURCE_NOT_EXISTS", v3Err(&wxpayv3.Error{StatusCode: 404, Code: "RESOURCE_NOT_EXISTS"}, true), app.ErrPayRefundNotFound},
		{"v3 ORDERPAID", v3Err(&wxpayv3.Error{StatusCode: 400, Code: "ORDERPAID"}, false), app.ErrPayAlreadyPaid},
		{"v3 OUT_TRADE_NO_USED", v3Err(&wxpayv3.Error{StatusCode: 400, Code: "OUT_TRADE_NO_USED"}, false), app.ErrPayNumberUsed},
	}
	for _, c := range cases {
		if !errors.Is(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	refused := &wxpay.Error{ReturnCode: "SUCCESS", ErrCode: "NOTENOUGH"}
	if err := v2Err(refused); errors.Is(err, app.ErrPayUnknown) || !errors.Is(err, wxpay.ErrNotEnough) {
		t.Errorf("a definite refusal: %v", err)
	}
	if v2Err(nil) != nil || v3Err(nil, false) != nil {
		t.Error("nil mapped to an error")
	}
}

func TestNewAdaptersRefuseMissingPieces(t *testing.T) {
	if _, err := NewV2(nil, "saomaDemoKey0123456789abcdefABCD", ""); err == nil {
		t.Error("V2 without a client")
	}
	if _, err := NewV3(nil); err == nil {
		t.Error("V3 without a client")
	}
	var v3 V3
	if _, err := v3.Refunds(context.Background(), "K1"); !errors.Is(err, app.ErrPayUnsupported) {
		t.Errorf("v3 refunds by order: %v", err)
	}
}

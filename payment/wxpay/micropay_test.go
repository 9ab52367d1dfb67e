package wxpay

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

const testAuthCode = "134567890123456789"

func goodMicropay() *MicropayRequest {
	return &MicropayRequest{
		Body: "Saoma-拿铁", OutTradeNo: "K1-0100", TotalFee: 1250, SpbillCreateIP: "192.168.1.20",
		AuthCode: testAuthCode, Attach: "k1", DeviceInfo: "KIOSK-1",
	}
}

func micropayPaid(req Params) Params {
	return Params{
		"transaction_id": "4200001234202611221234567890", "out_trade_no": req["out_trade_no"],
		"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "is_subscribe": "N", "trade_type": "MICROPAY",
		"bank_type": "CMC", "fee_type": "CNY", "total_fee": req["total_fee"], "cash_fee": req["total_fee"],
		"attach": req["attach"], "device_info": req["device_info"], "time_end": "20261122180512",
	}
}

func TestMicropayPaysAndDecodesTheReply(t *testing.T) {
	for _, st := range []SignType{SignMD5, SignHMACSHA256} {
		t.Run(string(st)+" paid micropay is decoded in full", func(t *testing.T) {
			c, f := newFake(t, st, func(path string, req Params) Params {
				if path != "/pay/micropay" {
					t.Errorf("path %s", path)
				}
				return micropayPaid(req)
			})
			got, err := c.Micropay(context.Background(), goodMicropay())
			if err != nil {
				t.Fatal(err)
			}
			req := f.last().p
			if req["auth_code"] != testAuthCode || req["total_fee"] != "1250" || req["body"] != "Saoma-拿铁" ||
				req["spbill_create_ip"] != "192.168.1.20" || req["out_trade_no"] != "K1-0100" || req["trade_type"] != "" ||
				req["notify_url"] != "" || req["device_info"] != "KIOSK-1" {
				t.Errorf("request = %v", req)
			}
			want := time.Date(2026, 11, 22, 18, 5, 12, 0, Shanghai())
			if got.TransactionID != "4200001234202611221234567890" || got.TotalFee != 1250 || got.CashFee != 1250 ||
				!got.TimeEnd.Equal(want) || got.OpenID == "" || got.BankType != "CMC" || got.TradeType != TradeTypeMicropay ||
				got.Attach != "k1" || got.OutTradeNo != "K1-0100" || got.Raw["is_subscribe"] != "N" {
				t.Errorf("response = %+v", got)
			}
		})
	}
}

func TestMicropayRefusesBadInputBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *MicropayRequest)
	}{
		{"a 17-digit auth_code is refused", func(r *MicropayRequest) { r.AuthCode = testAuthCode[:17] }},
		{"an auth_code starting 16 is refused", func(r *MicropayRequest) { r.AuthCode = "16" + testAuthCode[2:] }},
		{"an auth_code starting 09 is refused", func(r *MicropayRequest) { r.AuthCode = "09" + testAuthCode[2:] }},
		{"an Alipay code (28...) is refused", func(r *MicropayRequest) { r.AuthCode = "281234567890123456" }},
		{"an auth_code with a letter is refused", func(r *MicropayRequest) { r.AuthCode = "13456789012345678x" }},
		{"an empty auth_code is refused", func(r *MicropayRequest) { r.AuthCode = "" }},
		{"an empty body is refused", func(r *MicropayRequest) { r.Body = "" }},
		{"a zero total_fee is refused", func(r *MicropayRequest) { r.TotalFee = 0 }},
		{"a bad IP is refused", func(r *MicropayRequest) { r.SpbillCreateIP = "kiosk" }},
		{"a bad out_trade_no is refused", func(r *MicropayRequest) { r.OutTradeNo = "K1 0100" }},
		{"an attach over 127 bytes is refused", func(r *MicropayRequest) { r.Attach = strings.Repeat("a", 128) }},
		{"time_expire under a minute is refused", func(r *MicropayRequest) {
			r.TimeStart = time.Date(2026, 11, 22, 18, 0, 0, 0, Shanghai())
			r.TimeExpire = r.TimeStart.Add(59 * time.Second)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(t, SignMD5, func(_ string, req Params) Params { return micropayPaid(req) })
			r := goodMicropay()
			tt.edit(r)
			_, err := c.Micropay(context.Background(), r)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if MicropayUnknown(err) {
				t.Error("an unsent request is reported as unknown")
			}
			if f.count() != 0 {
				t.Error("a request was sent")
			}
		})
	}
	t.Run("a nil request is refused", func(t *testing.T) {
		c, _ := newFake(t, SignMD5, nil)
		if _, err := c.Micropay(context.Background(), nil); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("time_expire of exactly one minute is sent", func(t *testing.T) {
		c, f := newFake(t, SignMD5, func(_ string, req Params) Params { return micropayPaid(req) })
		r := goodMicropay()
		r.TimeStart = time.Date(2026, 11, 22, 18, 0, 0, 0, Shanghai())
		r.TimeExpire = r.TimeStart.Add(time.Minute)
		if _, err := c.Micropay(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if p := f.last().p; p["time_start"] != "20261122180000" || p["time_expire"] != "20261122180100" {
			t.Errorf("request = %v", p)
		}
	})
}

func TestMicropayErrorCodes(t *testing.T) {
	tests := []struct {
		code     string
		sentinel error
		unknown  bool
	}{
		{"USERPAYING", ErrUserPaying, true},
		{"SYSTEMERROR", ErrSystem, true},
		{"BANKERROR", ErrBankError, true},
		{"AUTH_CODE_INVALID", ErrAuthCodeInvalid, false},
		{"AUTHCODEEXPIRE", ErrAuthCodeExpire, false},
		{"AUTH_CODE_ERROR", ErrAuthCodeError, false},
		{"NOTENOUGH", ErrNotEnough, false},
		{"NOTSUPORTCARD", ErrNotSupportCard, false},
		{"ORDERPAID", ErrOrderPaid, false},
		{"ORDERCLOSED", ErrOrderClosed, false},
		{"ORDERREVERSED", ErrOrderReversed, false},
		{"PARAM_ERROR", ErrParamError, false},
		{"BUYER_MISMATCH", ErrBuyerMismatch, false},
		{"TRADE_ERROR", ErrTradeError, false},
		{"OUT_TRADE_NO_USED", ErrOutTradeNoUsed, false},
	}
	for _, tt := range tests {
		name := tt.code + " is a final refusal"
		if tt.unknown {
			name = tt.code + " leaves the outcome unknown and is not resent"
		}
		t.Run(name, func(t *testing.T) {
			c, f := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"result_code": "FAIL", "err_code": tt.code, "err_code_des": "x"}
			})
			_, err := c.Micropay(context.Background(), goodMicropay())
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.sentinel) || e.API != "/pay/micropay" {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if MicropayUnknown(err) != tt.unknown {
				t.Errorf("MicropayUnknown = %v", !tt.unknown)
			}
			if IsRetryable(err) {
				t.Error("a micropay failure must never be resent blindly")
			}
			if f.count() != 1 {
				t.Errorf("%d requests", f.count())
			}
		})
	}
}

func TestMicropayUnknownOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		answer   func(req Params) Params
		h        http.HandlerFunc
		sentinel error
	}{
		{name: "an HTTP 502 is a transport failure", h: func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			w.WriteHeader(http.StatusBadGateway)
		}, sentinel: ErrTransport},
		{name: "a reply with a wrong signature is not trusted", answer: func(req Params) Params {
			p := micropayPaid(req)
			p["sign"] = signWrongK
			return p
		}, sentinel: ErrSignature},
		{name: "a paid reply without transaction_id is not trusted", answer: func(req Params) Params {
			p := micropayPaid(req)
			delete(p, "transaction_id")
			return p
		}, sentinel: ErrBadMessage},
		{name: "a paid reply for another amount is not trusted", answer: func(req Params) Params {
			p := micropayPaid(req)
			p["total_fee"] = "1"
			return p
		}, sentinel: ErrBadMessage},
		{name: "a paid reply for another order is not trusted", answer: func(req Params) Params {
			p := micropayPaid(req)
			p["out_trade_no"] = "K1-9999"
			return p
		}, sentinel: ErrBadMessage},
		{name: "a protocol SYSTEMERROR is unknown", answer: func(Params) Params {
			return Params{"return_code": "FAIL", "return_msg": "SYSTEMERROR"}
		}, sentinel: ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Client
			if tt.h != nil {
				c = newRawServer(t, tt.h)
			} else {
				c, _ = newFake(t, SignMD5, func(_ string, req Params) Params { return tt.answer(req) })
			}
			_, err := c.Micropay(context.Background(), goodMicropay())
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if !MicropayUnknown(err) {
				t.Error("MicropayUnknown = false")
			}
		})
	}
	t.Run("a protocol FAIL other than SYSTEMERROR is final", func(t *testing.T) {
		c, _ := newFake(t, SignMD5, func(string, Params) Params {
			return Params{"return_code": "FAIL", "return_msg": "签名错误"}
		})
		_, err := c.Micropay(context.Background(), goodMicropay())
		if !errors.Is(err, ErrProtocol) || MicropayUnknown(err) {
			t.Fatalf("err = %v, unknown = %v", err, MicropayUnknown(err))
		}
	})
}

func TestMicropayOrderQueryReportsMicropayStates(t *testing.T) {
	c, _ := newFake(t, SignMD5, func(_ string, req Params) Params {
		p := paidQueryAnswer(req["out_trade_no"])
		p["trade_type"] = TradeTypeMicropay
		return p
	})
	got, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0100"})
	if err != nil {
		t.Fatal(err)
	}
	if got.TradeType != TradeTypeMicropay || !got.TradeState.Paid() {
		t.Errorf("response = %+v", got)
	}
	for _, ts := range []TradeState{TradeUserPaying, TradePayError, TradeRevoked} {
		t.Run("a micropay order in "+string(ts)+" with trade_type is decoded", func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"trade_state": string(ts), "out_trade_no": "K1-0100", "trade_type": "MICROPAY", "trade_state_desc": "x"}
			})
			got, err := c.OrderQuery(context.Background(), OrderQueryRequest{OutTradeNo: "K1-0100"})
			if err != nil {
				t.Fatal(err)
			}
			if got.TradeState != ts || got.TradeType != TradeTypeMicropay || got.TradeState.Paid() {
				t.Errorf("response = %+v", got)
			}
		})
	}
}

func reverseClient(t *testing.T, answer func(string, Params) Params) (*Client, *fakeWX) {
	t.Helper()
	cert, p12 := merchantCert(t, pkcs12.Modern, testMchID)
	srv, f := refundServer(t, cert, answer)
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL,
		CertP12: p12, RootCAs: serverRoots(srv)})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func TestReverseReturnsTheRecallFlag(t *testing.T) {
	tests := []struct {
		name       string
		answer     Params
		wantRecall bool
		sentinel   error
	}{
		{"recall Y asks to call again", Params{"recall": "Y"}, true, nil},
		{"recall N means reversed", Params{"recall": "N"}, false, nil},
		{"a missing recall is refused", Params{}, false, ErrBadMessage},
		{"a recall other than Y/N is refused", Params{"recall": "yes"}, false, ErrBadMessage},
		{"SYSTEMERROR keeps WeChat's recall Y and is retryable", Params{"result_code": "FAIL", "err_code": "SYSTEMERROR", "err_code_des": "x", "recall": "Y"}, true, ErrSystem},
		{"REVERSE_EXPIRE is final", Params{"result_code": "FAIL", "err_code": "REVERSE_EXPIRE", "err_code_des": "x", "recall": "N"}, false, ErrReverseExpire},
		{"USERPAYING is reported", Params{"result_code": "FAIL", "err_code": "USERPAYING", "err_code_des": "x", "recall": "Y"}, true, ErrUserPaying},
		{"ORDERNOTEXIST is reported", Params{"result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "x"}, false, ErrOrderNotExist},
		{"a protocol FAIL has no recall", Params{"return_code": "FAIL", "return_msg": "证书验证失败", "recall": "Y"}, false, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := reverseClient(t, func(path string, req Params) Params {
				if path != "/secapi/pay/reverse" {
					t.Errorf("path %s", path)
				}
				return tt.answer
			})
			recall, err := c.Reverse(context.Background(), "K1-0100")
			if tt.sentinel == nil && err != nil {
				t.Fatal(err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if recall != tt.wantRecall {
				t.Errorf("recall = %v", recall)
			}
			if p := f.last().p; p["out_trade_no"] != "K1-0100" {
				t.Errorf("request = %v", p)
			}
		})
	}
	t.Run("SYSTEMERROR on reverse is retryable", func(t *testing.T) {
		c, _ := reverseClient(t, func(string, Params) Params {
			return Params{"result_code": "FAIL", "err_code": "SYSTEMERROR", "err_code_des": "x", "recall": "Y"}
		})
		_, err := c.Reverse(context.Background(), "K1-0100")
		if !IsRetryable(err) {
			t.Errorf("err = %v is not retryable", err)
		}
	})
}

func TestReverseNeedsTheCertificateAndAValidOrderNumber(t *testing.T) {
	c, f := newFake(t, SignMD5, nil)
	if _, err := c.Reverse(context.Background(), "K1-0100"); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("without a certificate: err = %v", err)
	}
	if _, err := c.Reverse(context.Background(), "K1 0100"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad out_trade_no: err = %v", err)
	}
	if f.count() != 0 {
		t.Error("a request was sent")
	}
}

func TestValidAuthCodeAcceptsEveryWeChatPrefix(t *testing.T) {
	for _, p := range []string{"10", "11", "12", "13", "14", "15"} {
		if err := ValidAuthCode(p + "1234567890123456"); err != nil {
			t.Errorf("prefix %s: %v", p, err)
		}
	}
}

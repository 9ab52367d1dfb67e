package wxpay

import (
	"context"
	"errors"
	"testing"
	"time"
)

// apiCall is one client method invoked with a valid request.
type apiCall struct {
	name string
	path string
	call func(ctx context.Context, c *Client) error
	// codes are the err_codes WeChat documents for the API (WXPAY_V2.md §4).
	codes []string
}

func allAPIs() []apiCall {
	return []apiCall{
		{"UnifiedOrder", "/pay/unifiedorder", func(ctx context.Context, c *Client) error {
			_, err := c.UnifiedOrder(ctx, goodOrder())
			return err
		}, nil}, // table in TestUnifiedOrderErrCodes
		{"OrderQuery", "/pay/orderquery", func(ctx context.Context, c *Client) error {
			_, err := c.OrderQuery(ctx, OrderQueryRequest{OutTradeNo: "K1-0007"})
			return err
		}, []string{"ORDERNOTEXIST", "SYSTEMERROR"}},
		{"CloseOrder", "/pay/closeorder", func(ctx context.Context, c *Client) error {
			return c.CloseOrder(ctx, "K1-0007")
		}, nil}, // table in TestCloseOrderErrCodes
		{"ShortURL", "/tools/shorturl", func(ctx context.Context, c *Client) error {
			_, err := c.ShortURL(ctx, "weixin://wxpay/bizpayurl?sign=X&appid=A&mch_id=M&product_id=1&time_stamp=1&nonce_str=N")
			return err
		}, []string{"SYSTEMERROR", "SIGNERROR", "XML_FORMAT_ERROR", "REQUIRE_POST_METHOD", "APPID_NOT_EXIST", "MCHID_NOT_EXIST"}},
		{"RefundQuery", "/pay/refundquery", func(ctx context.Context, c *Client) error {
			_, err := c.RefundQuery(ctx, RefundQueryRequest{OutRefundNo: "K1-0007-R1"})
			return err
		}, []string{"SYSTEMERROR", "REFUNDNOTEXIST", "INVALID_TRANSACTIONID", "PARAM_ERROR", "APPID_NOT_EXIST",
			"MCHID_NOT_EXIST", "REQUIRE_POST_METHOD", "SIGNERROR", "XML_FORMAT_ERROR"}},
	}
}

func TestEveryAPIChecksItsReply(t *testing.T) {
	for _, api := range allAPIs() {
		t.Run(api.name+": a protocol FAIL is ErrProtocol", func(t *testing.T) {
			c, f := newFake(t, SignMD5, func(string, Params) Params {
				return Params{"return_code": "FAIL", "return_msg": "参数格式校验错误"}
			})
			err := api.call(context.Background(), c)
			var we *Error
			if !errors.As(err, &we) || !errors.Is(err, ErrProtocol) || we.API != api.path || we.ReturnMsg != "参数格式校验错误" {
				t.Fatalf("error = %v", err)
			}
			if got := f.last().path; got != api.path {
				t.Errorf("path = %s, want %s", got, api.path)
			}
		})
		t.Run(api.name+": a reply signed with another key is ErrSignature", func(t *testing.T) {
			c, _ := newFake(t, SignHMACSHA256, func(string, Params) Params { return Params{"sign": signWrongK} })
			if err := api.call(context.Background(), c); !errors.Is(err, ErrSignature) {
				t.Fatalf("error = %v", err)
			}
		})
		t.Run(api.name+": a reply without sign is ErrSignature", func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params { return Params{"sign": signOmit} })
			if err := api.call(context.Background(), c); !errors.Is(err, ErrSignature) {
				t.Fatalf("error = %v", err)
			}
		})
		t.Run(api.name+": a blocked server ends at the context deadline", func(t *testing.T) {
			url, _ := blockingServer(t)
			c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := api.call(ctx, c); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTransport) {
				t.Fatalf("error = %v", err)
			}
		})
		for _, code := range api.codes {
			t.Run(api.name+": "+code+" is an *Error with that code", func(t *testing.T) {
				c, _ := newFake(t, SignMD5, func(string, Params) Params {
					return Params{"result_code": "FAIL", "err_code": code, "err_code_des": "x"}
				})
				err := api.call(context.Background(), c)
				var we *Error
				if !errors.As(err, &we) || we.ErrCode != code || we.API != api.path {
					t.Fatalf("error = %v", err)
				}
				if want := code == "SYSTEMERROR"; IsRetryable(err) != want {
					t.Errorf("IsRetryable = %v, want %v", !want, want)
				}
			})
		}
	}
}

func TestDownloadBillTimesOut(t *testing.T) {
	url, _ := blockingServer(t)
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.DownloadBill(ctx, BillRequest{Date: "20261121"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v", err)
	}
}

package wxpay

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const billAll = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n" +
	"`2026-11-21 08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`K1,`4200001234202611211111111111,`K1-0001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`PSBC_DEBIT,`CNY,`6.00,`0.00,`0,`0,`0.00,`0.00,`,`,`拿铁,`k1,`0.04000,`0.60%,`6.00,`0.00,`\r\n" +
	"`2026-11-21 09:10:02,`wx2421b1c4370ec43b,`10000100,`0,`K1,`4200001234202611212222222222,`K1-0002,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`CMC,`CNY,`0.00,`0.00,`50000408942018111907145868882,`K1-0002-R1,`12.50,`0.00,`ORIGINAL,`SUCCESS,`美式, 大杯,`k1,`-0.08000,`0.60%,`0.00,`12.50,`\r\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" +
	"`2,`6.00,`12.50,`0.00,`-0.04000,`6.00,`12.50\r\n"

const billSuccess = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\n" +
	"`2026-11-21 08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`K1,`4200001234202611211111111111,`K1-0001,`oUp,`NATIVE,`SUCCESS,`PSBC_DEBIT,`CNY,`6.00,`1.00,`拿铁,`,`0.04000,`0.60%,`7.00,`\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n" +
	"`1,`6.00,`0.00,`0.00,`0.04000,`7.00,`0.00\n"

const billRefund = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n" +
	"`2026-11-21 09:10:02,`wx2421b1c4370ec43b,`10000100,`0,`K1,`4200001234202611212222222222,`K1-0002,`oUp,`NATIVE,`REFUND,`CMC,`CNY,`0.00,`0.00,`2026-11-21 10:00:00,`2026-11-21 10:00:09,`5000,`K1-0002-R1,`12.50,`0.00,`ORIGINAL,`SUCCESS,`美式,`k1,`-0.08000,`0.60%,`0.00,`12.50,`\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n" +
	"`1,`0.00,`12.50,`0.00,`-0.08000,`0.00,`12.50\n"

// Old-format merchants (before the 免充值券 switch-over).
const billOld = "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率\n" +
	"`2016-05-21 08:35:41,`wx2421b1c4370ec43b,`10000100,`0,`WEB,`4000000000000000,`OLD-1,`oUp,`NATIVE,`SUCCESS,`CFT,`CNY,`100.01,`0.01,`0,`0,`0,`0,`,`,`旧商品,`,`0.60000,`0.60%\n" +
	"总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n" +
	"`1,`100.01,`0.00,`0.00,`0.60000\n"

func TestParseBill(t *testing.T) {
	t.Run("an ALL bill is parsed by column name", func(t *testing.T) {
		b, err := ParseBill([]byte(billAll))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Header) != 27 || len(b.Rows) != 2 || len(b.SummaryHeader) != 7 {
			t.Fatalf("shape: %d columns, %d rows, %d summary columns", len(b.Header), len(b.Rows), len(b.SummaryHeader))
		}
		r0, r1 := b.Rows[0], b.Rows[1]
		if !r0.TradeTime.Equal(time.Date(2026, 11, 21, 8, 35, 41, 0, Shanghai())) {
			t.Errorf("trade time = %v", r0.TradeTime)
		}
		if r0.SettlementFee != 600 || r0.TotalFee != 600 || r0.CouponFee != 0 || r0.OutTradeNo != "K1-0001" ||
			r0.TransactionID != "4200001234202611211111111111" || r0.TradeState != "SUCCESS" || r0.Body != "拿铁" ||
			r0.Attach != "k1" || r0.TradeType != "NATIVE" || r0.OpenID == "" {
			t.Errorf("row 0 = %+v", r0)
		}
		if r0.Fields["手续费"] != "0.04000" || r0.Fields["费率"] != "0.60%" || r0.Fields["费率备注"] != "" {
			t.Errorf("fee fields lost precision: %q %q", r0.Fields["手续费"], r0.Fields["费率"])
		}
		if r1.RefundFee != 1250 || r1.RefundStatus != "SUCCESS" || r1.OutRefundNo != "K1-0002-R1" ||
			r1.RefundID != "50000408942018111907145868882" || r1.Body != "美式, 大杯" {
			t.Errorf("row 1 = %+v", r1)
		}
		if b.TotalCount != 2 || b.TotalFee != 600 || b.RefundTotal != 1250 || b.Summary["手续费总金额"] != "-0.04000" {
			t.Errorf("summary = %d %d %d %v", b.TotalCount, b.TotalFee, b.RefundTotal, b.Summary)
		}
	})
	t.Run("a SUCCESS bill has no refund columns", func(t *testing.T) {
		b, err := ParseBill([]byte(billSuccess))
		if err != nil {
			t.Fatal(err)
		}
		r := b.Rows[0]
		if r.TotalFee != 700 || r.SettlementFee != 600 || r.CouponFee != 100 || r.RefundFee != 0 || r.OutRefundNo != "" {
			t.Errorf("row = %+v", r)
		}
		if _, ok := r.Fields["退款金额"]; ok {
			t.Error("a SUCCESS bill has no 退款金额 column")
		}
	})
	t.Run("a REFUND bill keeps the refund times in Fields", func(t *testing.T) {
		b, err := ParseBill([]byte(billRefund))
		if err != nil {
			t.Fatal(err)
		}
		r := b.Rows[0]
		if r.RefundFee != 1250 || r.Fields["退款成功时间"] != "2026-11-21 10:00:09" || b.RefundTotal != 1250 {
			t.Errorf("row = %+v", r)
		}
	})
	t.Run("an old-format bill maps 总金额 and 总交易额", func(t *testing.T) {
		b, err := ParseBill([]byte(billOld))
		if err != nil {
			t.Fatal(err)
		}
		r := b.Rows[0]
		if r.TotalFee != 10001 || r.CouponFee != 1 || r.SettlementFee != 0 || b.TotalFee != 10001 || b.TotalCount != 1 {
			t.Errorf("row = %+v, summary total %d", r, b.TotalFee)
		}
	})
	t.Run("a day with only headers and a zero summary has no rows", func(t *testing.T) {
		b, err := ParseBill([]byte("交易时间,商户订单号\n总交易单数,应结订单总金额\n`0,`0.00\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 0 || b.TotalCount != 0 {
			t.Errorf("bill = %+v", b)
		}
	})
	bad := []struct {
		name string
		body string
	}{
		{"an empty body is refused", ""},
		{"a header alone is refused", "交易时间,商户订单号\n"},
		{"a row with too few fields is refused", "a,b,c\n`1,`2\n总交易单数\n`1\n"},
		{"a row without backticks is refused", "a,b\n1,2\n总交易单数\n`1\n"},
		{"a summary amount with a fraction of a fen is refused", "a\n`x\n总交易单数,应结订单总金额\n`1,`1.005\n"},
		{"a non-numeric amount is refused", "应结订单金额\n`abc\n总交易单数\n`1\n"},
		{"a bad trade time is refused", "交易时间\n`yesterday\n总交易单数\n`1\n"},
		{"a negative count is refused", "a\n`x\n总交易单数\n`-1\n"},
		{"invalid UTF-8 is refused", "a\n`\xff\n总交易单数\n`1\n"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseBill([]byte(tt.body)); !errors.Is(err, ErrBadBill) {
				t.Fatalf("error = %v, want ErrBadBill", err)
			}
		})
	}
}

func TestYuanToFen(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"6.00", 600, true},
		{"0.04000", 4, true},
		{"12.5", 1250, true},
		{"12", 1200, true},
		{"12.", 1200, true},
		{"-0.08000", -8, true},
		{"+1.01", 101, true},
		{"", 0, true},
		{"92233720368547758.07", 9223372036854775807, true},
		{"92233720368547758.08", 0, false},
		{"0.045", 0, false},
		{"1e3", 0, false},
		{".5", 0, false},
		{"-", 0, false},
		{"1.2.3", 0, false},
		{"１.00", 0, false},
	}
	for _, tt := range tests {
		name := tt.in + " is refused"
		if tt.ok {
			name = tt.in + " converts exactly"
		}
		t.Run(name, func(t *testing.T) {
			got, err := YuanToFen(tt.in)
			if tt.ok && (err != nil || got != tt.want) {
				t.Errorf("YuanToFen(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			if !tt.ok && !errors.Is(err, ErrBadAmount) {
				t.Errorf("YuanToFen(%q) = %d, %v; want ErrBadAmount", tt.in, got, err)
			}
		})
	}
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// billServer answers downloadbill with body after checking the request.
func billServer(t *testing.T, st SignType, body []byte, check func(Params)) *Client {
	t.Helper()
	c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		p, err := DecodeXML(r.Body, MaxBodySize)
		if err != nil || r.URL.Path != "/pay/downloadbill" {
			t.Errorf("request %s: %v", r.URL.Path, err)
		} else if err := p.VerifySelf(testKey); err != nil {
			t.Errorf("request signature: %v", err)
		} else if check != nil {
			check(p)
		}
		_, _ = w.Write(body)
	})
	c.signType = st
	return c
}

func TestDownloadBill(t *testing.T) {
	t.Run("a plain-text ALL bill is downloaded and parsed", func(t *testing.T) {
		c := billServer(t, SignMD5, []byte(billAll), func(p Params) {
			if p["bill_date"] != "20261121" || p["bill_type"] != "ALL" || p["tar_type"] != "" {
				t.Errorf("request = %v", p)
			}
		})
		b, err := c.DownloadBill(context.Background(), BillRequest{Date: "20261121"})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 2 || b.TotalFee != 600 {
			t.Errorf("bill = %+v", b)
		}
	})
	t.Run("a gzip REFUND bill is decompressed (HMAC-signed request)", func(t *testing.T) {
		c := billServer(t, SignHMACSHA256, gz(t, billRefund), func(p Params) {
			if p["tar_type"] != "GZIP" || p["bill_type"] != "REFUND" || p["sign_type"] != "HMAC-SHA256" {
				t.Errorf("request = %v", p)
			}
		})
		b, err := c.DownloadBill(context.Background(), BillRequest{Date: "20261121", Type: BillRefund, GZIP: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 1 || b.RefundTotal != 1250 {
			t.Errorf("bill = %+v", b)
		}
	})
	fails := []struct {
		name      string
		msg       string
		sentinel  error
		retryable bool
	}{
		{"No Bill Exist is ErrBillNotExist and final", "No Bill Exist", ErrBillNotExist, false},
		{"NO Bill Exist in the doc's spelling is ErrBillNotExist too", "NO Bill Exist", ErrBillNotExist, false},
		{"Bill Creating is ErrBillCreating and retryable", "Bill Creating", ErrBillCreating, true},
		{"SYSTEMERROR is retryable", "SYSTEMERROR", nil, true},
		{"CompressGZip Error is retryable", "CompressGZip Error", nil, true},
		{"invalid bill_type is final", "invalid bill_type", nil, false},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			body := Params{"return_code": "FAIL", "return_msg": tt.msg, "error_code": "20002"}.EncodeXML()
			c := billServer(t, SignMD5, body, nil)
			_, err := c.DownloadBill(context.Background(), BillRequest{Date: "20261121", GZIP: true})
			var we *Error
			if !errors.As(err, &we) || we.ReturnMsg != tt.msg || we.API != "/pay/downloadbill" {
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
	t.Run("a corrupt gzip body is ErrBadBill", func(t *testing.T) {
		c := billServer(t, SignMD5, []byte{0x1f, 0x8b, 0, 1, 2, 3}, nil)
		if _, err := c.DownloadBill(context.Background(), BillRequest{Date: "20261121", GZIP: true}); !errors.Is(err, ErrBadBill) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an XML reply claiming SUCCESS is refused", func(t *testing.T) {
		c := billServer(t, SignMD5, []byte("<xml><return_code>SUCCESS</return_code></xml>"), nil)
		if _, err := c.DownloadBill(context.Background(), BillRequest{Date: "20261121"}); !errors.Is(err, ErrBadMessage) {
			t.Fatalf("error = %v", err)
		}
	})
	for _, r := range []BillRequest{{Date: "2026-11-21"}, {Date: "20261340"}, {Date: "20261121", Type: "REVOKED"}} {
		t.Run("request "+r.Date+" "+string(r.Type)+" is refused before sending", func(t *testing.T) {
			c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
			if _, err := c.DownloadBill(context.Background(), r); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v", err)
			}
		})
	}
}

func TestParseBillKeepsCommasInsideFields(t *testing.T) {
	b, err := ParseBill([]byte(strings.Replace(billSuccess, "`拿铁", "`拿铁,热,大杯", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Rows[0].Body != "拿铁,热,大杯" {
		t.Errorf("body = %q", b.Rows[0].Body)
	}
}

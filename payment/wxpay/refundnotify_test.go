package wxpay

import (
	"bytes"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

// encryptReqInfo is WeChat's side of req_info, written independently of
// the package: AES-256-ECB, key = lower-case hex MD5 of the API key, PKCS#7.
func encryptReqInfo(t *testing.T, plain []byte, apiKey string) string {
	t.Helper()
	sum := md5.Sum([]byte(apiKey))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	plain = append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	ct := make([]byte, len(plain))
	for i := 0; i < len(plain); i += aes.BlockSize {
		block.Encrypt(ct[i:i+aes.BlockSize], plain[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(ct)
}

const refundReqInfo = `<root>
<out_refund_no><![CDATA[K1-0007-R1]]></out_refund_no>
<out_trade_no><![CDATA[K1-0007]]></out_trade_no>
<refund_account><![CDATA[REFUND_SOURCE_UNSETTLED_FUNDS]]></refund_account>
<refund_fee><![CDATA[500]]></refund_fee>
<refund_id><![CDATA[50000408942018111907145868882]]></refund_id>
<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>
<refund_request_source><![CDATA[API]]></refund_request_source>
<refund_status><![CDATA[SUCCESS]]></refund_status>
<settlement_refund_fee><![CDATA[500]]></settlement_refund_fee>
<settlement_total_fee><![CDATA[1250]]></settlement_total_fee>
<success_time><![CDATA[2026-11-22 18:20:05]]></success_time>
<total_fee><![CDATA[1250]]></total_fee>
<transaction_id><![CDATA[4200001234202611221234567890]]></transaction_id>
</root>`

func refundNotifyBody(reqInfo string) []byte {
	return Params{"return_code": "SUCCESS", "appid": testAppID, "mch_id": testMchID, "nonce_str": "n", "req_info": reqInfo}.EncodeXML()
}

func TestDecryptRefundNotification(t *testing.T) {
	t.Run("a genuine req_info decrypts to the refund result", func(t *testing.T) {
		n, err := DecryptRefundNotification(refundNotifyBody(encryptReqInfo(t, []byte(refundReqInfo), testKey)), testKey)
		if err != nil {
			t.Fatal(err)
		}
		if n.OutRefundNo != "K1-0007-R1" || n.RefundFee != 500 || n.TotalFee != 1250 || n.RefundStatus != "SUCCESS" ||
			n.RefundRecvAccount != "支付用户零钱" || n.SettlementRefundFee != 500 || n.AppID != testAppID ||
			!n.SuccessTime.Equal(time.Date(2026, 11, 22, 18, 20, 5, 0, Shanghai())) || n.RefundID == "" || n.TransactionID == "" {
			t.Errorf("notification = %+v", n)
		}
	})
	tests := []struct {
		name string
		body func(t *testing.T) []byte
		want error
	}{
		{"a req_info encrypted with another key is not authentic", func(t *testing.T) []byte {
			return refundNotifyBody(encryptReqInfo(t, []byte(refundReqInfo), "00000000000000000000000000000000"))
		}, ErrSignature},
		{"a req_info that is not Base64 is not authentic", func(t *testing.T) []byte { return refundNotifyBody("!!!") }, ErrSignature},
		{"a truncated req_info is not authentic", func(t *testing.T) []byte {
			return refundNotifyBody(encryptReqInfo(t, []byte(refundReqInfo), testKey)[:20])
		}, ErrSignature},
		{"an encrypted DOCTYPE is refused", func(t *testing.T) []byte {
			return refundNotifyBody(encryptReqInfo(t, []byte(`<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><root><a>&e;</a></root>`), testKey))
		}, ErrSignature},
		{"a refund above the order total is refused", func(t *testing.T) []byte {
			p := bytes.Replace([]byte(refundReqInfo), []byte("[500]"), []byte("[5000]"), 1)
			return refundNotifyBody(encryptReqInfo(t, p, testKey))
		}, ErrBadMessage},
		{"a missing req_info is refused", func(t *testing.T) []byte { return refundNotifyBody("") }, ErrBadMessage},
		{"return_code FAIL is a protocol error", func(t *testing.T) []byte {
			return Params{"return_code": "FAIL", "return_msg": "x"}.EncodeXML()
		}, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := DecryptRefundNotification(tt.body(t), testKey)
			if !errors.Is(err, tt.want) || n != nil {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

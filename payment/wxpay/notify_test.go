package wxpay

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// notificationFields is a realistic paid notification before signing.
func notificationFields() Params {
	return Params{
		"return_code": "SUCCESS", "return_msg": "OK",
		"appid": testAppID, "mch_id": testMchID, "device_info": "K1",
		"nonce_str": "5d2b6c2a8db53831f7eda20af46e531c", "result_code": "SUCCESS",
		"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "is_subscribe": "N", "trade_type": "NATIVE",
		"bank_type": "CMC", "total_fee": "1250", "fee_type": "CNY", "cash_fee": "1250",
		"transaction_id": "4200001234202611221234567890", "out_trade_no": "K1-20261122-0007",
		"attach": "k1", "time_end": "20261122180512",
	}
}

// signedNotification signs fields (after edit) with st and encodes them.
func signedNotification(st SignType, edit func(p Params)) []byte {
	p := notificationFields()
	if st == SignHMACSHA256 {
		p["sign_type"] = string(st)
	}
	if edit != nil {
		edit(p)
	}
	p["sign"] = p.Sign(testKey, st)
	return p.EncodeXML()
}

func TestParseNotificationAcceptsValidSignatures(t *testing.T) {
	for _, st := range []SignType{SignMD5, SignHMACSHA256} {
		t.Run("a "+string(st)+" signed notification is accepted", func(t *testing.T) {
			n, err := ParseNotification(signedNotification(st, nil), testKey)
			if err != nil {
				t.Fatal(err)
			}
			if n.OutTradeNo != "K1-20261122-0007" || n.TotalFee != 1250 || n.CashFee != 1250 || n.ResultCode != "SUCCESS" ||
				n.TransactionID != "4200001234202611221234567890" || n.AppID != testAppID || n.MchID != testMchID ||
				n.OpenID == "" || n.TradeType != "NATIVE" || n.BankType != "CMC" || n.FeeType != "CNY" || n.Attach != "k1" ||
				!n.TimeEnd.Equal(time.Date(2026, 11, 22, 18, 5, 12, 0, Shanghai())) || n.Raw["device_info"] != "K1" {
				t.Errorf("notification = %+v", n)
			}
		})
	}
	t.Run("a signed result_code FAIL is returned for the caller to see", func(t *testing.T) {
		body := signedNotification(SignMD5, func(p Params) {
			p["result_code"] = "FAIL"
			p["err_code"] = "PAYERROR"
			p["err_code_des"] = "银行拒绝"
			delete(p, "transaction_id")
			delete(p, "time_end")
		})
		n, err := ParseNotification(body, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if n.ResultCode != "FAIL" || n.ErrCode != "PAYERROR" {
			t.Errorf("notification = %+v", n)
		}
	})
	t.Run("unknown fields are covered by the signature and kept", func(t *testing.T) {
		n, err := ParseNotification(signedNotification(SignMD5, func(p Params) { p["new_field_2027"] = "x" }), testKey)
		if err != nil {
			t.Fatal(err)
		}
		if n.Raw["new_field_2027"] != "x" {
			t.Error("unknown field dropped")
		}
	})
}

func TestParseNotificationRefusals(t *testing.T) {
	tampered := func(field, value string) []byte {
		p, err := ParseXML(signedNotification(SignMD5, nil))
		if err != nil {
			panic(err)
		}
		p[field] = value
		return p.EncodeXML()
	}
	tests := []struct {
		name string
		body []byte
		key  string
		want error
	}{
		{"a raised total_fee breaks the signature", tampered("total_fee", "1"), testKey, ErrSignature},
		{"a forged sign is refused", tampered("sign", "9A0A8659F005D6984697E2CA0A9CF3B7"), testKey, ErrSignature},
		{"a missing sign is refused", tampered("sign", ""), testKey, ErrSignature},
		{"an added field breaks the signature", tampered("coupon_fee", "100"), testKey, ErrSignature},
		{"a notification signed with another key is refused", signedNotification(SignMD5, nil), "00000000000000000000000000000000", ErrSignature},
		{"an MD5 sign relabelled HMAC-SHA256 is refused", tampered("sign_type", "HMAC-SHA256"), testKey, ErrSignature},
		{"an unknown sign_type is refused", signedNotification(SignMD5, func(p Params) { p["sign_type"] = "SHA1" }), testKey, ErrSignature},
		{"return_code FAIL is a protocol error", Params{"return_code": "FAIL", "return_msg": "x"}.EncodeXML(), testKey, ErrProtocol},
		{"a missing return_code is refused", signedNotification(SignMD5, func(p Params) { delete(p, "return_code") }), testKey, ErrBadMessage},
		{"a lower-case return_code is refused", signedNotification(SignMD5, func(p Params) { p["return_code"] = "success" }), testKey, ErrBadMessage},
		{"a signed notification without out_trade_no is refused", signedNotification(SignMD5, func(p Params) { delete(p, "out_trade_no") }), testKey, ErrBadMessage},
		{"a signed notification without transaction_id is refused", signedNotification(SignMD5, func(p Params) { delete(p, "transaction_id") }), testKey, ErrBadMessage},
		{"a signed notification without total_fee is refused", signedNotification(SignMD5, func(p Params) { delete(p, "total_fee") }), testKey, ErrBadMessage},
		{"a signed notification without appid is refused", signedNotification(SignMD5, func(p Params) { delete(p, "appid") }), testKey, ErrBadMessage},
		{"a decimal total_fee is refused", signedNotification(SignMD5, func(p Params) { p["total_fee"] = "12.50" }), testKey, ErrBadMessage},
		{"a zero total_fee is refused", signedNotification(SignMD5, func(p Params) { p["total_fee"] = "0" }), testKey, ErrBadMessage},
		{"cash_fee above total_fee is refused", signedNotification(SignMD5, func(p Params) { p["cash_fee"] = "99999" }), testKey, ErrBadMessage},
		{"a malformed time_end is refused", signedNotification(SignMD5, func(p Params) { p["time_end"] = "2026-11-22 18:05" }), testKey, ErrBadMessage},
		{"a malformed out_trade_no is refused", signedNotification(SignMD5, func(p Params) { p["out_trade_no"] = "<script>" }), testKey, ErrBadMessage},
		{"an unknown result_code is refused", signedNotification(SignMD5, func(p Params) { p["result_code"] = "PAID" }), testKey, ErrBadMessage},
		{"a DOCTYPE/XXE payload is refused", []byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>`), testKey, ErrDoctype},
		{"a lower-case doctype is refused", []byte(`<!doctype xml><xml><return_code>SUCCESS</return_code></xml>`), testKey, ErrDoctype},
		{"an oversized body is refused", append(signedNotification(SignMD5, nil), bytes.Repeat([]byte(" "), MaxBodySize)...), testKey, ErrTooLarge},
		{"a nested element is refused", []byte(`<xml><return_code><a>SUCCESS</a></return_code></xml>`), testKey, ErrMalformed},
		{"a duplicated field is refused", []byte(`<xml><total_fee>1</total_fee><total_fee>2</total_fee></xml>`), testKey, ErrMalformed},
		{"JSON is refused", []byte(`{"return_code":"SUCCESS"}`), testKey, ErrMalformed},
		{"an empty key is refused", signedNotification(SignMD5, nil), "", ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNotification(tt.body, tt.key)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if n != nil {
				t.Error("a refused notification was returned")
			}
		})
	}
}

func TestClientParseNotificationChecksTheMerchant(t *testing.T) {
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ParseNotification(signedNotification(SignMD5, nil)); err != nil {
		t.Fatalf("own notification: %v", err)
	}
	other := signedNotification(SignMD5, func(p Params) { p["mch_id"] = "1900000109" })
	if _, err := c.ParseNotification(other); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("another merchant's notification: %v", err)
	}
}

func TestNotifyReplyRoundTrips(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		msg     string
		wantMsg string
	}{
		{"success defaults its message to OK", true, "", "OK"},
		{"failure carries its reason", false, "签名失败", "签名失败"},
		{"a message with markup survives", false, "a]]><b>", "a]]><b>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := NotifyReply(tt.ok, tt.msg)
			if bytes.Contains(body, []byte("<sign>")) {
				t.Error("the notify reply must be unsigned")
			}
			ok, msg, err := ParseNotifyReply(body)
			if err != nil || ok != tt.ok || msg != tt.wantMsg {
				t.Errorf("ParseNotifyReply = %v %q %v", ok, msg, err)
			}
		})
	}
	t.Run("the success reply is WeChat's documented body", func(t *testing.T) {
		want := "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
		if got := string(NotifyReply(true, "")); got != want {
			t.Errorf("got %s", got)
		}
	})
	for _, body := range []string{"", "OK", "<xml><return_code>MAYBE</return_code></xml>", "<xml></xml>"} {
		t.Run("the reply "+strings.TrimSpace(body+" ")+"(malformed) is an error", func(t *testing.T) {
			if _, _, err := ParseNotifyReply([]byte(body)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

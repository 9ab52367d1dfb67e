package wxpay

import (
	"bytes"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"
)

// apiRefundNotify names refund notifications in errors.
const apiRefundNotify = "refund notify"

// RefundNotification is the decrypted content of a refund result
// notification (退款结果通知).
type RefundNotification struct {
	AppID, MchID  string // from the outer, unencrypted message
	TransactionID string
	OutTradeNo    string
	RefundID      string
	OutRefundNo   string
	// RefundStatus is SUCCESS, CHANGE (abnormal) or REFUNDCLOSE.
	RefundStatus        string
	TotalFee            int64 // fen
	RefundFee           int64 // fen
	SettlementTotalFee  int64 // fen, 0 when absent
	SettlementRefundFee int64 // fen, 0 when absent
	SuccessTime         time.Time
	RefundRecvAccount   string
	RefundAccount       string
	RefundRequestSource string
	// Raw holds every decrypted field.
	Raw Params
}

// DecryptRefundNotification decodes a refund notification body and
// decrypts its req_info: Base64 of AES-256-ECB with PKCS#7 padding, keyed
// with the lower-case hex MD5 of the API key. The message has no sign;
// only a holder of the API key can produce a req_info that decrypts to
// well-formed XML with valid padding, so a failure to decrypt or parse is
// reported as ErrSignature. The outer message gets the same hardening as
// ParseNotification; a return_code FAIL is an *Error.
func DecryptRefundNotification(body []byte, key string) (*RefundNotification, error) {
	const api = apiRefundNotify
	if key == "" {
		return nil, fmt.Errorf("wxpay %s: %w: empty API key", api, ErrInvalidInput)
	}
	outer, err := DecodeXML(bytes.NewReader(body), MaxBodySize)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w", api, err)
	}
	switch outer["return_code"] {
	case "SUCCESS":
	case "FAIL":
		return nil, errorFrom(api, outer)
	default:
		return nil, fmt.Errorf("wxpay %s: %w: return_code %q", api, ErrBadMessage, clip(outer["return_code"]))
	}
	if outer["req_info"] == "" {
		return nil, fmt.Errorf("wxpay %s: %w: req_info missing", api, ErrBadMessage)
	}
	plain, err := decryptReqInfo(outer["req_info"], key)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w: req_info: %v", api, ErrSignature, err)
	}
	if !utf8.Valid(plain) || hasDeclaration(plain) {
		return nil, fmt.Errorf("wxpay %s: %w: req_info is not clean UTF-8 XML", api, ErrSignature)
	}
	p, err := parseTokens(plain, "root")
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w: req_info: %w", api, ErrSignature, err)
	}
	return refundNotificationFrom(outer, p)
}

// decryptReqInfo undoes WeChat's req_info encryption.
func decryptReqInfo(b64, key string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("not Base64")
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("length %d is not a whole number of AES blocks", len(ct))
	}
	sum := md5.Sum([]byte(key))
	aesKey := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(aesKey, sum[:]) // lower-case hex: 32 bytes, AES-256
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize { // ECB: each block alone
		block.Decrypt(plain[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("bad padding")
	}
	for _, c := range plain[len(plain)-pad:] {
		if int(c) != pad {
			return nil, fmt.Errorf("bad padding")
		}
	}
	return plain[:len(plain)-pad], nil
}

// refundNotificationFrom checks the decrypted fields.
func refundNotificationFrom(outer, p Params) (*RefundNotification, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("wxpay %s: %w: %s", apiRefundNotify, ErrBadMessage, fmt.Sprintf(format, args...))
	}
	for _, name := range []string{"transaction_id", "out_trade_no", "refund_id", "out_refund_no", "total_fee", "refund_fee", "refund_status"} {
		if p[name] == "" {
			return nil, bad("%s missing", name)
		}
	}
	n := &RefundNotification{
		AppID:               outer["appid"],
		MchID:               outer["mch_id"],
		TransactionID:       p["transaction_id"],
		OutTradeNo:          p["out_trade_no"],
		RefundID:            p["refund_id"],
		OutRefundNo:         p["out_refund_no"],
		RefundStatus:        p["refund_status"],
		RefundRecvAccount:   p["refund_recv_accout"],
		RefundAccount:       p["refund_account"],
		RefundRequestSource: p["refund_request_source"],
		Raw:                 p,
	}
	if n.RefundRecvAccount == "" {
		n.RefundRecvAccount = p["refund_recv_account"]
	}
	for _, f := range []struct {
		dst  *int64
		name string
	}{
		{&n.TotalFee, "total_fee"}, {&n.RefundFee, "refund_fee"},
		{&n.SettlementTotalFee, "settlement_total_fee"}, {&n.SettlementRefundFee, "settlement_refund_fee"},
	} {
		if p[f.name] == "" {
			continue
		}
		v, err := p.Int(f.name)
		if err != nil || v < 0 {
			return nil, bad("%s is not an amount", f.name)
		}
		*f.dst = v
	}
	if n.RefundFee <= 0 || n.RefundFee > n.TotalFee {
		return nil, bad("refund_fee is not within total_fee")
	}
	if s := p["success_time"]; s != "" {
		t, err := time.ParseInLocation(time.DateTime, s, Shanghai())
		if err != nil {
			return nil, bad("success_time is not yyyy-MM-dd HH:mm:ss")
		}
		n.SuccessTime = t
	}
	return n, nil
}

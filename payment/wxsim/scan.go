package wxsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"saoma/payment/wxpay"
)

// Scan outcomes: what the customer does after scanning.
const (
	// OutcomeSuccess pays the order (the default).
	OutcomeSuccess = "SUCCESS"
	// OutcomeNotEnough fails for lack of balance: trade_state PAYERROR. The
	// QR stays payable: scanning it again with SUCCESS pays the order, as a
	// customer who switches to another card would.
	OutcomeNotEnough = "NOTENOUGH"
	// OutcomeCancel backs out before paying: the order stays NOTPAY.
	OutcomeCancel = "CANCEL"
	// OutcomeUserPaying leaves the customer entering the password:
	// trade_state USERPAYING until another scan settles it.
	OutcomeUserPaying = "USERPAYING"
)

// ScanRequest is a customer scanning a QR code with WeChat.
type ScanRequest struct {
	// URL is a mode-2 code_url, a mode-1 bizpayurl or a short link.
	URL string
	// OpenID identifies the customer; empty picks a fresh one.
	OpenID string
	// Outcome is one of the Outcome constants; empty means OutcomeSuccess.
	Outcome string
}

// ScanResult is the order a scan acted on and its state afterwards.
type ScanResult struct {
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeState    string `json:"trade_state"`
}

// ScanError is a scan the customer's WeChat would refuse; Status is the
// HTTP status /sim/scan answers with.
type ScanError struct {
	Status  int    // 400 bad QR, 404 unknown, 409 paid/refused, 410 expired/closed, 502 merchant callback failed
	Message string // what the customer's phone would show, English and Chinese
}

func (e *ScanError) Error() string { return "wxsim: scan refused: " + e.Message }

func scanErr(status int, format string, args ...any) error {
	return &ScanError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Scan plays the customer's phone: it resolves the QR content, runs the
// mode-1 merchant callback when the QR is a static bizpayurl, then applies
// the outcome. A successful payment starts the notification to the order's
// notify_url.
func (s *Sim) Scan(ctx context.Context, sr ScanRequest) (*ScanResult, error) {
	outcome := strings.ToUpper(strings.TrimSpace(sr.Outcome))
	switch outcome {
	case "":
		outcome = OutcomeSuccess
	case OutcomeSuccess, OutcomeNotEnough, OutcomeCancel, OutcomeUserPaying:
	default:
		return nil, scanErr(http.StatusBadRequest, "unknown outcome %q (want SUCCESS, NOTENOUGH, CANCEL or USERPAYING)", sr.Outcome)
	}
	openid := sr.OpenID
	if openid == "" {
		openid = newOpenID()
	} else if len(openid) > 128 {
		return nil, scanErr(http.StatusBadRequest, "openid longer than 128 bytes")
	}
	link := strings.TrimSpace(sr.URL)
	if strings.HasPrefix(link, shortURLPrefix) {
		s.mu.Lock()
		long, ok := s.short[link]
		s.mu.Unlock()
		if !ok {
			return nil, scanErr(http.StatusNotFound, "unknown short link 二维码无效")
		}
		link = long
	}
	var no string
	switch {
	case strings.HasPrefix(link, codeURLPrefix):
		s.mu.Lock()
		no = s.byCode[link]
		s.mu.Unlock()
		if no == "" {
			return nil, scanErr(http.StatusNotFound, "unknown payment code 二维码无效")
		}
	case strings.HasPrefix(link, bizPayPrefix):
		var err error
		if no, err = s.mode1(ctx, link, openid); err != nil {
			return nil, err
		}
	default:
		return nil, scanErr(http.StatusBadRequest, "not a WeChat Pay QR code (want weixin://wxpay/...)")
	}
	return s.settleScan(no, link, openid, outcome)
}

// settleScan applies the customer's outcome to order no, reached through
// link (a code_url, or a bizpayurl after the mode-1 callback).
func (s *Sim) settleScan(no, link, openid, outcome string) (*ScanResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	o := s.orders[no]
	switch {
	case o == nil:
		return nil, scanErr(http.StatusNotFound, "unknown order")
	case o.State == StateSuccess || o.State == StateRefund:
		return nil, scanErr(http.StatusConflict, "order %s is already paid 订单已支付", no)
	case o.State == StateClosed:
		return nil, scanErr(http.StatusGone, "order %s is closed 订单已关闭", no)
	}
	now := s.clock.Now()
	if (strings.HasPrefix(link, codeURLPrefix) && link != o.CodeURL) || now.Sub(o.PrepayAt) >= s.scaled(prepayLife) {
		return nil, scanErr(http.StatusGone, "payment code expired (2 h) 二维码已过期")
	}
	if !o.TimeExpire.IsZero() && !now.Before(o.TimeExpire) {
		return nil, scanErr(http.StatusGone, "order %s expired at time_expire 订单已过期", no)
	}
	switch outcome {
	case OutcomeSuccess:
		s.payLocked(o, openid, true)
	case OutcomeNotEnough:
		o.State = StatePayError
		s.saveLocked(o)
	case OutcomeUserPaying:
		o.State = StateUserPaying
		s.saveLocked(o)
	case OutcomeCancel:
		if o.State == StateUserPaying {
			o.State = StateNotPay
			s.saveLocked(o)
		}
	}
	return &ScanResult{OutTradeNo: o.OutTradeNo, TransactionID: o.TransID, TradeState: o.State}, nil
}

// mode1 verifies a static bizpayurl, calls the merchant's 支付回调URL with
// the customer's openid and product_id, checks the signed reply and returns
// the order its prepay_id belongs to.
func (s *Sim) mode1(ctx context.Context, link, openid string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", scanErr(http.StatusBadRequest, "malformed bizpayurl")
	}
	q := wxpay.Params{}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return "", scanErr(http.StatusBadRequest, "bizpayurl repeats %s", k)
		}
		q[k] = vs[0]
	}
	for _, f := range []string{"appid", "mch_id", "product_id", "time_stamp", "nonce_str", "sign"} {
		if q[f] == "" {
			return "", scanErr(http.StatusBadRequest, "bizpayurl lacks %s 二维码无效", f)
		}
	}
	if q["appid"] != s.cfg.AppID || q["mch_id"] != s.cfg.MchID {
		return "", scanErr(http.StatusBadRequest, "bizpayurl is for another merchant 二维码无效")
	}
	if len(q["product_id"]) > 32 || len(q["nonce_str"]) > 32 || len(q["time_stamp"]) != 10 {
		return "", scanErr(http.StatusBadRequest, "bizpayurl field out of range 二维码无效")
	}
	if q.Verify(s.cfg.Key, wxpay.SignMD5) != nil {
		return "", scanErr(http.StatusBadRequest, "bizpayurl signature is wrong 签名错误")
	}
	if s.cfg.CallbackURL == "" {
		return "", scanErr(http.StatusConflict, "merchant has no mode-1 callback URL configured 商户未设置扫码支付回调URL")
	}
	cb := wxpay.Params{
		"appid":        s.cfg.AppID,
		"mch_id":       s.cfg.MchID,
		"openid":       openid,
		"is_subscribe": "N",
		"nonce_str":    wxpay.NonceStr(),
		"product_id":   q["product_id"],
	}
	cb["sign"] = cb.Sign(s.cfg.Key, wxpay.SignMD5)
	rep, err := s.callMerchant(ctx, cb.EncodeXML())
	if err != nil {
		return "", scanErr(http.StatusBadGateway, "merchant callback failed: %v", err)
	}
	if rep["return_code"] != "SUCCESS" {
		return "", scanErr(http.StatusBadGateway, "merchant callback answered return_code=%s: %s", rep["return_code"], rep["return_msg"])
	}
	if rep.VerifySelf(s.cfg.Key) != nil {
		return "", scanErr(http.StatusBadGateway, "merchant callback reply has a bad signature 签名错误")
	}
	if rep["result_code"] != "SUCCESS" {
		return "", scanErr(http.StatusConflict, "merchant refused: %s", rep["err_code_des"])
	}
	if rep["appid"] != s.cfg.AppID || rep["mch_id"] != s.cfg.MchID {
		return "", scanErr(http.StatusBadGateway, "merchant callback reply names another appid/mch_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	no := s.byPrepay[rep["prepay_id"]]
	o := s.orders[no]
	if rep["prepay_id"] == "" || o == nil {
		return "", scanErr(http.StatusBadGateway, "merchant callback reply carries an unknown prepay_id")
	}
	if o.PrepayID != rep["prepay_id"] {
		return "", scanErr(http.StatusGone, "prepay_id expired 预支付交易单已过期")
	}
	if o.ProductID != q["product_id"] {
		return "", scanErr(http.StatusBadGateway, "prepay_id belongs to product %q, the QR is for %q", o.ProductID, q["product_id"])
	}
	return no, nil
}

func (s *Sim) callMerchant(ctx context.Context, body []byte) (wxpay.Params, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.NotifyTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("callback request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("callback post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("callback reply: HTTP %d", resp.StatusCode)
	}
	p, err := wxpay.DecodeXML(resp.Body, wxpay.MaxBodySize)
	if err != nil {
		return nil, fmt.Errorf("callback reply: %w", err)
	}
	return p, nil
}

// scanStatus maps a Scan error to an HTTP status.
func scanStatus(err error) (int, string) {
	var se *ScanError
	if errors.As(err, &se) {
		return se.Status, se.Message
	}
	return http.StatusServiceUnavailable, err.Error()
}

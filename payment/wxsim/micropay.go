package wxsim

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"time"

	"saoma/payment/wxpay"
)

// 付款码 outcomes: what the payer's phone does when the kiosk charges a
// code minted with MintPayCode (POST /sim/paycode). OutcomeSuccess,
// OutcomeUserPaying and OutcomeNotEnough are shared with Scan.
const (
	// OutcomePasswordFail answers micropay USERPAYING; when the password
	// delay has passed the order turns PAYERROR instead of SUCCESS.
	OutcomePasswordFail = "PASSWORD_FAIL"
	// OutcomeAuthCodeInvalid answers AUTH_CODE_INVALID; no order is created.
	OutcomeAuthCodeInvalid = "AUTH_CODE_INVALID"
	// OutcomeSystemError answers SYSTEMERROR; the order was paid or not
	// created, at random (Config.Seed): the merchant must query.
	OutcomeSystemError = "SYSTEMERROR"
	// OutcomeSystemErrorPaid answers SYSTEMERROR, but the order is paid.
	OutcomeSystemErrorPaid = "SYSTEMERROR_PAID"
	// OutcomeSystemErrorNoOrder answers SYSTEMERROR and creates no order.
	OutcomeSystemErrorNoOrder = "SYSTEMERROR_NOORDER"
)

// TradeTypeMicropay is the trade_type of 付款码 orders.
const TradeTypeMicropay = "MICROPAY"

// Protocol durations of 付款码, before TimeScale.
const (
	payCodeLife      = time.Minute        // an auth_code is valid this long
	payCodeKeep      = 24 * time.Hour     // used/expired codes are remembered this long
	reverseMaxAge    = 7 * 24 * time.Hour // reverse refused after this (REVERSE_EXPIRE)
	micropayMinAhead = time.Minute        // time_expire − now for micropay
)

// PayCode is a 付款码 minted for a simulated payer.
type PayCode struct {
	// AuthCode is the 18-digit code (10–15 prefix) the kiosk scans.
	AuthCode string `json:"auth_code"`
	// OpenID is the payer.
	OpenID string `json:"openid"`
	// Outcome is what happens when the code is charged (Outcome constants).
	Outcome string `json:"outcome"`
	// ValidMS is how long the code stays valid, in milliseconds of the
	// simulator's clock (one minute divided by TimeScale).
	ValidMS int64 `json:"valid_ms"`
}

// payCode is a minted code's server-side record.
type payCode struct {
	openid, outcome string
	minted          time.Time
	used            bool
}

// MintPayCode plays the payer opening 付款码 in WeChat: it returns a fresh
// single-use auth_code for openid (empty: a fresh payer) that, when charged
// through /pay/micropay, behaves as outcome (empty: OutcomeSuccess). The
// code is valid for one minute (scaled by TimeScale) on the simulator's
// clock. Codes are kept in memory only.
func (s *Sim) MintPayCode(openid, outcome string) (PayCode, error) {
	outcome = strings.ToUpper(strings.TrimSpace(outcome))
	switch outcome {
	case "":
		outcome = OutcomeSuccess
	case OutcomeSuccess, OutcomeUserPaying, OutcomePasswordFail, OutcomeNotEnough, OutcomeAuthCodeInvalid,
		OutcomeSystemError, OutcomeSystemErrorPaid, OutcomeSystemErrorNoOrder:
	default:
		return PayCode{}, scanErr(http.StatusBadRequest, "unknown outcome %q (want SUCCESS, USERPAYING, PASSWORD_FAIL, NOTENOUGH, AUTH_CODE_INVALID, SYSTEMERROR, SYSTEMERROR_PAID or SYSTEMERROR_NOORDER)", outcome)
	}
	if openid == "" {
		openid = newOpenID()
	} else if len(openid) > 128 {
		return PayCode{}, scanErr(http.StatusBadRequest, "openid longer than 128 bytes")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return PayCode{}, ErrClosed
	}
	now := s.clock.Now()
	for code, pc := range s.paycodes { // forget long-dead codes
		if now.Sub(pc.minted) >= s.scaled(payCodeKeep) {
			delete(s.paycodes, code)
		}
	}
	var code string
	for {
		code = "1" + randString(1, "012345") + randString(16, digits)
		if _, taken := s.paycodes[code]; !taken {
			break
		}
	}
	s.paycodes[code] = &payCode{openid: openid, outcome: outcome, minted: now}
	return PayCode{AuthCode: code, OpenID: openid, Outcome: outcome, ValidMS: s.scaled(payCodeLife).Milliseconds()}, nil
}

// payCodeLocked returns the live record of code, or nil after a page
// reload when the code is unknown, used or expired.
func (s *Sim) payCodeLocked(code string) *payCode {
	pc := s.paycodes[code]
	if pc == nil || pc.used || s.clock.Now().Sub(pc.minted) >= s.scaled(payCodeLife) {
		return nil
	}
	return pc
}

// validAuthCode reports whether s has a WeChat 付款码's shape.
func validAuthCode(s string) bool { return wxpay.ValidAuthCode(s) == nil }

// micropayParams are the business parameters a micropay re-entry must
// repeat, without the single-use auth_code.
func micropayParams(p map[string]string) map[string]string {
	out := maps.Clone(p)
	delete(out, "auth_code")
	return out
}

func (s *Sim) micropay(req *request) reply {
	p := req.p
	if e := lackParams(p, "body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"); e != nil {
		return reply{err: e}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: e}
	}
	if wxpay.ValidOutTradeNo(p["out_trade_no"]) != nil {
		return reply{err: protoFail("out_trade_no参数格式错误")}
	}
	fee, ok := parseFee(p["total_fee"])
	if !ok {
		return reply{err: protoFail("invalid total_fee")}
	}
	if net.ParseIP(p["spbill_create_ip"]) == nil {
		return reply{err: protoFail("invalid spbill_create_ip")}
	}
	if ft := p["fee_type"]; ft != "" && ft != "CNY" {
		return reply{err: protoFail("fee_type参数格式错误")}
	}
	if lp := p["limit_pay"]; lp != "" && lp != "no_credit" {
		return reply{err: protoFail("limit_pay参数格式错误")}
	}
	if rc := p["receipt"]; rc != "" && rc != "Y" {
		return reply{err: protoFail("receipt参数格式错误")}
	}
	var expire time.Time
	for _, f := range []string{"time_start", "time_expire"} {
		if v := p[f]; v != "" {
			t, err := wxpay.ParseTime(v)
			if err != nil || len(v) != 14 {
				return reply{err: protoFail(f + "参数格式错误")}
			}
			if f == "time_expire" {
				expire = t
			}
		}
	}
	params := businessParams(p)
	no, code := p["out_trade_no"], p["auth_code"]

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	o := s.orders[no]
	if o != nil {
		s.settlePasswordLocked(o)
		switch {
		case o.TradeType != TradeTypeMicropay:
			return reply{err: bizFail("OUT_TRADE_NO_USED", "商户订单号重复")}
		case o.State == StateSuccess || o.State == StateRefund:
			return reply{err: bizFail("ORDERPAID", "订单已支付")}
		case o.State == StateClosed:
			return reply{err: bizFail("ORDERCLOSED", "订单已关闭")}
		case o.State == StateRevoked:
			return reply{err: bizFail("ORDERREVERSED", "当前订单已经被撤销")}
		case o.State == StateUserPaying:
			return reply{err: bizFail("USERPAYING", "需要用户输入支付密码")}
		case !maps.Equal(micropayParams(o.Request), micropayParams(params)):
			return reply{err: bizFail("OUT_TRADE_NO_USED", "商户订单号重复")}
		}
		// PAYERROR: the payer may present another code for the same order.
	} else if !expire.IsZero() && expire.Sub(now) < micropayMinAhead {
		return reply{err: bizFail("INVALID_REQUEST", descTooShort)}
	}
	if !validAuthCode(code) {
		return reply{err: bizFail("AUTH_CODE_INVALID", "请扫描微信支付授权码")}
	}
	pc := s.paycodes[code]
	switch {
	case pc == nil:
		return reply{err: bizFail("AUTH_CODE_INVALID", "授权码检验错误")}
	case pc.used || now.Sub(pc.minted) >= s.scaled(payCodeLife):
		return reply{err: bizFail("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试")}
	}
	pc.used = true

	outcome := pc.outcome
	if outcome == OutcomeSystemError {
		outcome = OutcomeSystemErrorNoOrder
		if s.chance(0.5) {
			outcome = OutcomeSystemErrorPaid
		}
	}
	switch outcome {
	case OutcomeAuthCodeInvalid:
		return reply{err: bizFail("AUTH_CODE_INVALID", "授权码检验错误")}
	case OutcomeSystemErrorNoOrder:
		return reply{err: bizFail("SYSTEMERROR", descSystem)}
	}
	if o == nil {
		o = &Order{
			OutTradeNo: no,
			Body:       p["body"],
			Attach:     p["attach"],
			DeviceInfo: p["device_info"],
			TotalFee:   fee,
			TradeType:  TradeTypeMicropay,
			Request:    params,
			SignType:   string(req.signType),
			Created:    now,
			TimeExpire: expire,
		}
	}
	o.OpenID = pc.openid
	var rep reply
	switch outcome {
	case OutcomeSuccess, OutcomeSystemErrorPaid:
		s.payMicropayLocked(o, now)
		rep.fields = paidFields(o)
		if outcome == OutcomeSystemErrorPaid {
			rep = reply{err: bizFail("SYSTEMERROR", descSystem)}
		}
	case OutcomeUserPaying, OutcomePasswordFail:
		o.State = StateUserPaying
		o.PasswordAt = now.Add(s.scaled(s.cfg.PasswordDelay))
		o.PasswordOK = outcome == OutcomeUserPaying
		rep.err = bizFail("USERPAYING", "需要用户输入支付密码")
	case OutcomeNotEnough:
		o.State = StatePayError
		rep.err = bizFail("NOTENOUGH", "余额不足")
	default:
		panic(fmt.Sprintf("wxsim: unhandled pay code outcome %q", outcome))
	}
	s.indexLocked(o)
	s.saveLocked(o)
	return rep
}

// payMicropayLocked records a 付款码 payment at t. 付款码 payments carry no
// notify_url, so nothing is notified.
func (s *Sim) payMicropayLocked(o *Order, t time.Time) {
	o.State = StateSuccess
	o.PaidAt = t
	o.BankType = "OTHERS"
	o.TransID = newTransactionID(t)
	o.PasswordAt = time.Time{}
	s.byTxn[o.TransID] = o.OutTradeNo
}

// settlePasswordLocked lets the payer's password arrive: a USERPAYING
// 付款码 order whose password delay has passed turns SUCCESS (paid at that
// moment) or PAYERROR.
func (s *Sim) settlePasswordLocked(o *Order) {
	if o.State != StateUserPaying || o.PasswordAt.IsZero() || s.clock.Now().Before(o.PasswordAt) {
		return
	}
	if o.PasswordOK {
		s.payMicropayLocked(o, o.PasswordAt)
	} else {
		o.State, o.PasswordAt = StatePayError, time.Time{}
	}
	s.saveLocked(o)
}

func (s *Sim) reverse(req *request) reply {
	p := req.p
	if p["transaction_id"] == "" && p["out_trade_no"] == "" {
		return reply{err: bizFail("PARAM_ERROR", "transaction_id和out_trade_no不能同时为空")}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: bizFail("PARAM_ERROR", e.code)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrderLocked(p["transaction_id"], p["out_trade_no"])
	switch {
	case o == nil && p["transaction_id"] != "":
		return reply{err: bizFail("INVALID_TRANSACTIONID", "无效transaction_id")}
	case o == nil:
		return reply{err: bizFail("ORDERNOTEXIST", "订单不存在")}
	case o.TradeType != TradeTypeMicropay:
		return reply{err: bizFail("INVALID_REQUEST", "撤销订单只支持付款码支付的订单，其他订单请使用关单或退款")}
	}
	now := s.clock.Now()
	if now.Sub(o.Created) >= s.scaled(reverseMaxAge) {
		return reply{err: bizFail("REVERSE_EXPIRE", "订单已经超过可撤销的最大时限(7天)"), fields: wxpay.Params{"recall": "N"}}
	}
	recall := "N"
	switch o.State {
	case StateRevoked:
	case StateRefund:
		return reply{err: bizFail("TRADE_ERROR", "订单已发生退款，不能撤销"), fields: wxpay.Params{"recall": "N"}}
	case StateUserPaying:
		// The payer is still confirming: WeChat stops the payment and asks
		// for another call to confirm.
		recall = "Y"
		o.State, o.RevokedAt, o.PasswordAt = StateRevoked, now, time.Time{}
	case StateSuccess:
		// Paid: the money goes back to the payer in full.
		o.State, o.RevokedAt, o.ReverseRefundID = StateRevoked, now, newRefundID(now)
	default: // NOTPAY, PAYERROR, CLOSED
		o.State, o.RevokedAt = StateRevoked, now
	}
	s.saveLocked(o)
	return reply{fields: wxpay.Params{"recall": recall}}
}

package wxsim

import (
	"maps"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"saoma/payment/wxpay"
)

// maxLen returns the byte limit of a request field, 0 when unbounded.
func maxLen(field string) int {
	switch field {
	case "appid", "mch_id", "nonce_str", "device_info", "out_trade_no", "transaction_id",
		"product_id", "goods_tag", "limit_pay", "version", "op_user_id", "refund_id":
		return 32
	case "body":
		return 128
	case "attach":
		return 127
	case "detail":
		return 6000
	case "fee_type", "trade_type", "refund_fee_type":
		return 16
	case "spbill_create_ip", "out_refund_no":
		return 64
	case "openid", "auth_code":
		return 128
	case "receipt", "bill_type", "tar_type", "bill_date":
		return 8
	case "time_start", "time_expire":
		return 14
	case "notify_url", "scene_info":
		return 256
	case "long_url":
		return 512
	case "refund_desc":
		return 80
	case "refund_account":
		return 30
	}
	return 0
}

// checkLengths refuses any field longer than its documented size, as a
// protocol-layer "<field>参数长度有误".
func checkLengths(p wxpay.Params) *apiError {
	for k, v := range p {
		if n := maxLen(k); n > 0 && len(v) > n {
			return protoFail(k + "参数长度有误")
		}
	}
	return nil
}

func lackParams(p wxpay.Params, fields ...string) *apiError {
	for _, f := range fields {
		if p[f] == "" {
			return bizFail("LACK_PARAMS", "缺少参数"+f)
		}
	}
	return nil
}

// parseFee parses a positive amount in fen: digits only, 1..2^31-1.
func parseFee(s string) (int64, bool) {
	if s == "" || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > math.MaxInt32 {
		return 0, false
	}
	return v, true
}

// validNotifyURL: absolute http(s) URL with a host and no query string.
func validNotifyURL(raw string) bool {
	if strings.ContainsAny(raw, "?# ") {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// businessParams are the unified-order fields that must repeat exactly on
// re-entry: everything but the envelope.
func businessParams(p wxpay.Params) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "appid", "mch_id", "nonce_str", "sign", "sign_type":
			continue
		}
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func (s *Sim) unifiedOrder(req *request) reply {
	p := req.p
	if e := lackParams(p, "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"); e != nil {
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
	if !validNotifyURL(p["notify_url"]) {
		return reply{err: protoFail("notify_url参数格式错误，不能带参数")}
	}
	switch p["trade_type"] {
	case "NATIVE":
	case "JSAPI", "APP", "MWEB", "MICROPAY":
		return reply{err: bizFail("NOAUTH", "商户未开通此接口权限（模拟商户只开通了Native支付）")}
	default:
		return reply{err: protoFail("trade_type参数格式错误")}
	}
	if e := lackParams(p, "product_id"); e != nil {
		return reply{err: e}
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
	now := s.clock.Now()
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
	no := p["out_trade_no"]

	s.mu.Lock()
	if o, ok := s.orders[no]; ok {
		defer s.mu.Unlock()
		switch o.State {
		case StateSuccess, StateRefund:
			return reply{err: bizFail("ORDERPAID", "该订单已支付")}
		case StateClosed:
			return reply{err: bizFail("ORDERCLOSED", "该订单已关闭")}
		}
		if !maps.Equal(o.Request, params) {
			return reply{err: bizFail("INVALID_REQUEST", descDuplicate)}
		}
		if !o.TimeExpire.IsZero() && !now.Before(o.TimeExpire) {
			return reply{err: bizFail("INVALID_REQUEST", "订单已过期（time_expire已到），请使用新的商户订单号")}
		}
		if now.Sub(o.PrepayAt) >= s.scaled(prepayLife) {
			// The prepay session lapsed: a re-entry opens a new one.
			o.PrepayID, o.CodeURL, o.PrepayAt = newPrepayID(now), s.newCodeURLLocked(), now
			s.byPrepay[o.PrepayID], s.byCode[o.CodeURL] = no, no
			s.saveLocked(o)
		}
		return reply{fields: prepayFields(o)}
	}
	if !expire.IsZero() && expire.Sub(now) < minExpireWindow {
		s.mu.Unlock()
		return reply{err: bizFail("INVALID_REQUEST", descTooShort)}
	}
	o := &Order{
		OutTradeNo: no,
		Body:       p["body"],
		Attach:     p["attach"],
		ProductID:  p["product_id"],
		DeviceInfo: p["device_info"],
		TotalFee:   fee,
		NotifyURL:  p["notify_url"],
		TradeType:  p["trade_type"],
		Request:    params,
		SignType:   string(req.signType),
		Created:    now,
		TimeExpire: expire,
		PrepayID:   newPrepayID(now),
		CodeURL:    s.newCodeURLLocked(),
		PrepayAt:   now,
		State:      StateNotPay,
	}
	s.indexLocked(o)
	s.saveLocked(o)
	fields := prepayFields(o)
	s.mu.Unlock()
	if s.cfg.NotifyBeforeReply {
		s.payBeforeReply(no)
	}
	return reply{fields: fields}
}

func prepayFields(o *Order) wxpay.Params {
	return wxpay.Params{"trade_type": o.TradeType, "prepay_id": o.PrepayID, "code_url": o.CodeURL}
}

func (s *Sim) newCodeURLLocked() string {
	for {
		u := codeURLPrefix + randString(7, alnum)
		if _, taken := s.byCode[u]; !taken {
			return u
		}
	}
}

// tradeStateDesc is trade_state_desc for each state.
func tradeStateDesc(state string) string {
	switch state {
	case StateSuccess:
		return "支付成功"
	case StateRefund:
		return "订单发生过退款"
	case StateNotPay:
		return "订单未支付"
	case StateClosed:
		return "订单已关闭"
	case StatePayError:
		return "支付失败，请重新下单支付"
	case StateUserPaying:
		return "需要用户输入支付密码"
	case StateRevoked:
		return "已撤销（付款码）"
	}
	return state
}

func (s *Sim) findOrderLocked(transactionID, outTradeNo string) *Order {
	var o *Order
	if transactionID != "" {
		o = s.orders[s.byTxn[transactionID]]
	} else {
		o = s.orders[outTradeNo]
	}
	if o != nil {
		s.settlePasswordLocked(o)
	}
	return o
}

func (s *Sim) orderQuery(req *request) reply {
	p := req.p
	if p["transaction_id"] == "" && p["out_trade_no"] == "" {
		return reply{err: bizFail("LACK_PARAMS", "缺少参数out_trade_no或transaction_id")}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrderLocked(p["transaction_id"], p["out_trade_no"])
	if o == nil {
		return reply{err: bizFail("ORDERNOTEXIST", "订单不存在")}
	}
	f := wxpay.Params{
		"out_trade_no":     o.OutTradeNo,
		"trade_state":      o.State,
		"trade_state_desc": tradeStateDesc(o.State),
	}
	if o.Attach != "" {
		f["attach"] = o.Attach
	}
	if o.TradeType == TradeTypeMicropay {
		f["trade_type"] = o.TradeType
	}
	if o.State == StateSuccess || o.State == StateRefund {
		// A refunded order was paid: its payment facts stay queryable.
		maps.Copy(f, paidFields(o))
	}
	return reply{fields: f}
}

// paidFields are the payment facts shared by orderquery (SUCCESS) and the
// payment notification.
func paidFields(o *Order) wxpay.Params {
	f := wxpay.Params{
		"openid":         o.OpenID,
		"is_subscribe":   "N",
		"trade_type":     o.TradeType,
		"bank_type":      o.BankType,
		"fee_type":       "CNY",
		"transaction_id": o.TransID,
		"out_trade_no":   o.OutTradeNo,
		"time_end":       wxpay.FormatTime(o.PaidAt),
	}
	f.SetInt("total_fee", o.TotalFee)
	f.SetInt("cash_fee", o.TotalFee)
	if o.Attach != "" {
		f["attach"] = o.Attach
	}
	if o.DeviceInfo != "" {
		f["device_info"] = o.DeviceInfo
	}
	return f
}

func (s *Sim) closeOrder(req *request) reply {
	p := req.p
	if e := lackParams(p, "out_trade_no"); e != nil {
		return reply{err: e}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[p["out_trade_no"]]
	if o == nil {
		return reply{err: bizFail("ORDERNOTEXIST", "订单不存在")}
	}
	switch o.State {
	case StateSuccess, StateRefund:
		return reply{err: bizFail("ORDERPAID", "订单已支付，不能发起关单")}
	case StateClosed:
		return reply{err: bizFail("ORDERCLOSED", "订单已关闭，无需重复关单")}
	}
	now := s.clock.Now()
	if now.Sub(o.Created) < s.scaled(closeMinAge) {
		return reply{err: bizFail(ErrCodeCloseTooEarly, "订单创建5分钟内不能关闭")}
	}
	o.State, o.ClosedAt = StateClosed, now
	s.saveLocked(o)
	return reply{fields: wxpay.Params{"result_msg": "OK"}}
}

// ErrCodeCloseTooEarly is the err_code the simulator answers when closeorder
// arrives less than 5 minutes after the order was created. WeChat documents
// the 5-minute rule but not its error code; this one is the simulator's
// choice, and it is not retryable in a loop: close again after 5 minutes.
const ErrCodeCloseTooEarly = "ORDER_CLOSE_TOO_EARLY"

// unescapeLongURL undoes the URL-encoding the shorturl document asks for
// ("签名用原串，传输需URLencode"); ok is false when s was not encoded.
func unescapeLongURL(s string) (string, bool) {
	if !strings.HasPrefix(strings.ToLower(s), "weixin%3a") {
		return s, false
	}
	raw, err := url.QueryUnescape(s)
	if err != nil {
		return s, false
	}
	return raw, true
}

func (s *Sim) shortURL(req *request) reply {
	p := req.p
	if e := lackParams(p, "long_url"); e != nil {
		return reply{err: e}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: e}
	}
	long, _ := unescapeLongURL(p["long_url"])
	if !strings.HasPrefix(long, bizPayPrefix) {
		return reply{err: bizFail("INVALID_REQUEST", "long_url不是微信支付二维码链接")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shortOf[long]
	if !ok {
		for {
			sh = shortURLPrefix + randString(6, alnum)
			if _, taken := s.short[sh]; !taken {
				break
			}
		}
		if err := s.st.putShort(sh, long); err != nil {
			s.log.Error("wxsim: persist short url", "err", err)
			return reply{err: bizFail("SYSTEMERROR", descSystem)}
		}
		s.short[sh], s.shortOf[long] = long, sh
	}
	return reply{fields: wxpay.Params{"short_url": sh}}
}

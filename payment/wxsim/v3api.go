package wxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

// maxV3Body caps a v3 request body.
const maxV3Body = 64 << 10

// v3Error is a refusal of a v3 request: HTTP status, code and message, as
// an unsigned JSON body.
type v3Error struct {
	status  int
	code    string
	message string
}

func v3Fail(status int, code, message string) *v3Error {
	return &v3Error{status: status, code: code, message: message}
}

func paramError(format string, args ...any) *v3Error {
	return v3Fail(http.StatusBadRequest, "PARAM_ERROR", fmt.Sprintf(format, args...))
}

// v3Reply is a v3 handler's answer: a signed 2xx (v nil: 204) or an error.
type v3Reply struct {
	status int
	v      any
	err    *v3Error
}

type v3Handler func(r *http.Request, body []byte) v3Reply

func (s *Sim) routesV3(m *http.ServeMux) {
	m.Handle("POST /v3/pay/transactions/native", s.apiV3(s.nativeV3))
	m.Handle("GET /v3/pay/transactions/out-trade-no/{no}", s.apiV3(s.queryV3))
	m.Handle("GET /v3/pay/transactions/id/{id}", s.apiV3(s.queryV3))
	m.Handle("POST /v3/pay/transactions/out-trade-no/{no}/close", s.apiV3(s.closeV3))
	m.Handle("POST /v3/refund/domestic/refunds", s.apiV3(s.refundV3))
	m.Handle("GET /v3/refund/domestic/refunds/{no}", s.apiV3(s.refundQueryV3))
	s.routesBillV3(m)
	noAuth := func(*http.Request, []byte) v3Reply {
		return v3Reply{err: v3Fail(http.StatusForbidden, "NO_AUTH", "商户未开通此接口权限（模拟商户只开通了Native支付）")}
	}
	for _, kind := range []string{"jsapi", "app", "h5"} {
		m.Handle("POST /v3/pay/transactions/"+kind, s.apiV3(noAuth))
	}
	m.HandleFunc("/v3/", func(w http.ResponseWriter, r *http.Request) {
		wxpayv3.WriteError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "接口不存在")
	})
}

// apiV3 wraps a v3 handler with WeChat's checks: the body is read (≤ 64
// KiB), the Authorization verified against the merchant's public key on
// the simulator's clock (401 SIGN_ERROR), SystemErrorRate applied (500
// SYSTEM_ERROR before any processing), and every 2xx reply signed.
func (s *Sim) apiV3(h v3Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Latency > 0 {
			select {
			case <-s.clock.After(s.cfg.Latency):
			case <-r.Context().Done():
				return
			}
		}
		rep := s.serveV3(r, h)
		path := r.Method + " " + r.URL.Path
		if rep.err != nil {
			s.log.Info("wxsim: v3 reply", "api", path, "status", rep.err.status, "code", rep.err.code)
			wxpayv3.WriteError(w, rep.err.status, rep.err.code, rep.err.message)
			return
		}
		s.log.Info("wxsim: v3 reply", "api", path, "status", rep.status)
		if err := s.platform().WriteReply(w, rep.status, rep.v, s.clock.Now()); err != nil {
			s.log.Error("wxsim: v3 reply", "api", path, "err", err)
		}
	}
}

func (s *Sim) serveV3(r *http.Request, h v3Handler) v3Reply {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxV3Body+1))
	if err != nil {
		return v3Reply{err: paramError("请求体读取失败")}
	}
	if len(body) > maxV3Body {
		return v3Reply{err: paramError("请求体过大")}
	}
	keys := s.v3()
	m := wxpayv3.Merchant{MchID: s.cfg.MchID, Serial: keys.serial, PublicKey: &keys.mchKey.PublicKey}
	if _, err := wxpayv3.VerifyRequest(r, body, m, s.clock.Now()); err != nil {
		msg := "签名错误"
		if errors.Is(err, wxpayv3.ErrStale) {
			msg = "签名错误：时间戳与服务器时间相差超过5分钟"
		}
		return v3Reply{err: v3Fail(http.StatusUnauthorized, "SIGN_ERROR", msg)}
	}
	if s.chance(s.cfg.SystemErrorRate) {
		return v3Reply{err: v3Fail(http.StatusInternalServerError, "SYSTEM_ERROR", descSystem)}
	}
	if s.chance(s.cfg.FrequencyLimitRate) {
		return v3Reply{err: v3Fail(http.StatusTooManyRequests, "FREQUENCY_LIMITED", "频率超限，请降低请求频率后重试")}
	}
	return h(r, body)
}

// decodeV3 parses a JSON request body into v; a body that is not a JSON
// object of the right shape is PARAM_ERROR.
func decodeV3(body []byte, v any) *v3Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return paramError("请求体为空")
	}
	if !utf8.Valid(body) {
		return paramError("请求体不是UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return paramError("请求体格式错误")
	}
	if d.More() {
		return paramError("请求体格式错误")
	}
	return nil
}

type nativeV3Request struct {
	AppID       *string `json:"appid"`
	MchID       *string `json:"mchid"`
	Description *string `json:"description"`
	OutTradeNo  *string `json:"out_trade_no"`
	TimeExpire  *string `json:"time_expire"`
	Attach      *string `json:"attach"`
	NotifyURL   *string `json:"notify_url"`
	GoodsTag    *string `json:"goods_tag"`
	Amount      *struct {
		Total    *int64  `json:"total"`
		Currency *string `json:"currency"`
	} `json:"amount"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkMchID checks the mchid a v3 body or query names.
func (s *Sim) checkMchID(mchid string) *v3Error {
	switch {
	case mchid == "":
		return paramError("缺少参数mchid")
	case mchid != s.cfg.MchID:
		return v3Fail(http.StatusBadRequest, "MCH_NOT_EXISTS", "商户号不存在或与请求头中的商户号不一致")
	}
	return nil
}

func (s *Sim) nativeV3(_ *http.Request, body []byte) v3Reply {
	var in nativeV3Request
	if e := decodeV3(body, &in); e != nil {
		return v3Reply{err: e}
	}
	if e := s.checkMchID(str(in.MchID)); e != nil {
		return v3Reply{err: e}
	}
	switch appid := str(in.AppID); {
	case appid == "":
		return v3Reply{err: paramError("缺少参数appid")}
	case appid != s.cfg.AppID:
		return v3Reply{err: v3Fail(http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")}
	}
	desc, no, attach, notify := str(in.Description), str(in.OutTradeNo), str(in.Attach), str(in.NotifyURL)
	switch {
	case desc == "":
		return v3Reply{err: paramError("缺少参数description")}
	case len(desc) > 127:
		return v3Reply{err: paramError("description长度超过127字节")}
	case no == "":
		return v3Reply{err: paramError("缺少参数out_trade_no")}
	case len(no) < 6 || wxpay.ValidOutTradeNo(no) != nil:
		return v3Reply{err: paramError("out_trade_no格式错误（6-32位字母、数字、_-|*）")}
	case len(attach) > 128:
		return v3Reply{err: paramError("attach长度超过128字节")}
	case len(str(in.GoodsTag)) > 32:
		return v3Reply{err: paramError("goods_tag长度超过32字节")}
	case notify == "":
		return v3Reply{err: paramError("缺少参数notify_url")}
	case len(notify) > 255 || !validNotifyURL(notify):
		return v3Reply{err: paramError("notify_url格式错误，须为http(s)绝对地址且不能带参数")}
	case in.Amount == nil || in.Amount.Total == nil:
		return v3Reply{err: paramError("缺少参数amount.total")}
	case *in.Amount.Total <= 0 || *in.Amount.Total > math.MaxInt32:
		return v3Reply{err: paramError("amount.total须为正整数（分）")}
	case in.Amount.Currency != nil && *in.Amount.Currency != "CNY":
		return v3Reply{err: paramError("amount.currency仅支持CNY")}
	}
	now := s.clock.Now()
	var expire time.Time
	if te := str(in.TimeExpire); te != "" {
		t, err := time.Parse(time.RFC3339, te)
		if err != nil {
			return v3Reply{err: paramError("time_expire格式错误，须为RFC3339，如2018-06-08T10:34:56+08:00")}
		}
		expire = t
	}
	// The business parameters a re-entry must repeat; "api" keeps a v2
	// order and a v3 order with the same number apart.
	params := map[string]string{
		"api": "v3", "appid": str(in.AppID), "description": desc, "out_trade_no": no,
		"attach": attach, "notify_url": notify, "goods_tag": str(in.GoodsTag),
		"total": strconv.FormatInt(*in.Amount.Total, 10),
	}
	if !expire.IsZero() {
		params["time_expire"] = strconv.FormatInt(expire.Unix(), 10)
	}
	for k, v := range params {
		if v == "" {
			delete(params, k)
		}
	}

	s.mu.Lock()
	if o, ok := s.orders[no]; ok {
		defer s.mu.Unlock()
		switch o.State {
		case StateSuccess, StateRefund:
			return v3Reply{err: v3Fail(http.StatusBadRequest, "ORDERPAID", "该订单已支付")}
		case StateClosed:
			return v3Reply{err: v3Fail(http.StatusBadRequest, "ORDER_CLOSED", "该订单已关闭")}
		}
		if !maps.Equal(o.Request, params) {
			return v3Reply{err: v3Fail(http.StatusBadRequest, "OUT_TRADE_NO_USED", "商户订单号重复，且与原订单参数不一致")}
		}
		if !o.TimeExpire.IsZero() && !now.Before(o.TimeExpire) {
			return v3Reply{err: v3Fail(http.StatusBadRequest, "INVALID_REQUEST", "订单已过期（time_expire已到），请使用新的商户订单号")}
		}
		if now.Sub(o.PrepayAt) >= s.scaled(prepayLife) {
			o.PrepayID, o.CodeURL, o.PrepayAt = newPrepayID(now), s.newCodeURLLocked(), now
			s.byPrepay[o.PrepayID], s.byCode[o.CodeURL] = no, no
			s.saveLocked(o)
		}
		return v3Reply{v: map[string]string{"code_url": o.CodeURL}}
	}
	if !expire.IsZero() && expire.Sub(now) < minExpireWindow {
		s.mu.Unlock()
		return v3Reply{err: v3Fail(http.StatusBadRequest, "INVALID_REQUEST", descTooShort)}
	}
	o := &Order{
		OutTradeNo: no,
		Body:       desc,
		Attach:     attach,
		TotalFee:   *in.Amount.Total,
		NotifyURL:  notify,
		TradeType:  "NATIVE",
		V3:         true,
		Request:    params,
		Created:    now,
		TimeExpire: expire,
		PrepayID:   newPrepayID(now),
		CodeURL:    s.newCodeURLLocked(),
		PrepayAt:   now,
		State:      StateNotPay,
	}
	s.indexLocked(o)
	s.saveLocked(o)
	code := o.CodeURL
	s.mu.Unlock()
	if s.cfg.NotifyBeforeReply {
		s.payBeforeReply(no)
	}
	return v3Reply{v: map[string]string{"code_url": code}}
}

// transactionV3 is the v3 view of an order.
func (s *Sim) transactionV3(o *Order) wxpayv3.Transaction {
	tx := wxpayv3.Transaction{
		AppID:          s.cfg.AppID,
		MchID:          s.cfg.MchID,
		OutTradeNo:     o.OutTradeNo,
		TradeType:      o.TradeType,
		TradeState:     wxpayv3.TradeState(o.State),
		TradeStateDesc: tradeStateDesc(o.State),
		Attach:         o.Attach,
		Total:          o.TotalFee,
		Currency:       "CNY",
	}
	if o.State == StateSuccess || o.State == StateRefund {
		tx.TransactionID = o.TransID
		tx.BankType = o.BankType
		tx.SuccessTime = o.PaidAt
		tx.PayerTotal = o.TotalFee
		tx.PayerCurrency = "CNY"
		tx.PayerOpenID = o.OpenID
	}
	return tx
}

func (s *Sim) queryV3(r *http.Request, _ []byte) v3Reply {
	if e := s.checkMchID(r.URL.Query().Get("mchid")); e != nil {
		return v3Reply{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var o *Order
	if id := r.PathValue("id"); id != "" {
		o = s.orders[s.byTxn[id]]
	} else {
		o = s.orders[r.PathValue("no")]
	}
	if o == nil {
		return v3Reply{err: v3Fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")}
	}
	s.settlePasswordLocked(o)
	return v3Reply{v: s.transactionV3(o)}
}

func (s *Sim) closeV3(r *http.Request, body []byte) v3Reply {
	var in struct {
		MchID *string `json:"mchid"`
	}
	if e := decodeV3(body, &in); e != nil {
		return v3Reply{err: e}
	}
	if e := s.checkMchID(str(in.MchID)); e != nil {
		return v3Reply{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[r.PathValue("no")]
	if o == nil {
		return v3Reply{err: v3Fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")}
	}
	switch o.State {
	case StateSuccess, StateRefund:
		return v3Reply{err: v3Fail(http.StatusBadRequest, "ORDERPAID", "订单已支付，不能发起关单")}
	case StateClosed:
		return v3Reply{status: http.StatusNoContent} // closing twice succeeds in v3
	}
	now := s.clock.Now()
	if now.Sub(o.Created) < s.scaled(closeMinAge) {
		return v3Reply{err: v3Fail(http.StatusBadRequest, ErrCodeCloseTooEarly, "订单创建5分钟内不能关闭")}
	}
	o.State, o.ClosedAt = StateClosed, now
	s.saveLocked(o)
	return v3Reply{status: http.StatusNoContent}
}

type refundV3Request struct {
	TransactionID *string `json:"transaction_id"`
	OutTradeNo    *string `json:"out_trade_no"`
	OutRefundNo   *string `json:"out_refund_no"`
	Reason        *string `json:"reason"`
	NotifyURL     *string `json:"notify_url"`
	FundsAccount  *string `json:"funds_account"`
	Amount        *struct {
		Refund   *int64  `json:"refund"`
		Total    *int64  `json:"total"`
		Currency *string `json:"currency"`
	} `json:"amount"`
}

// refundV3 checks the v3 body, then applies the v2 refund rules (one
// refund per out_refund_no, never above the paid amount, at most 50) to
// the same order book.
func (s *Sim) refundV3(r *http.Request, body []byte) v3Reply {
	var in refundV3Request
	if e := decodeV3(body, &in); e != nil {
		return v3Reply{err: e}
	}
	switch {
	case str(in.TransactionID) == "" && str(in.OutTradeNo) == "":
		return v3Reply{err: paramError("transaction_id和out_trade_no不能同时为空")}
	case str(in.OutRefundNo) == "":
		return v3Reply{err: paramError("缺少参数out_refund_no")}
	case in.Amount == nil || in.Amount.Refund == nil || in.Amount.Total == nil:
		return v3Reply{err: paramError("缺少参数amount.refund或amount.total")}
	case in.Amount.Currency == nil || *in.Amount.Currency != "CNY":
		return v3Reply{err: paramError("amount.currency须为CNY")}
	case len(str(in.Reason)) > 80:
		return v3Reply{err: paramError("reason长度超过80字节")}
	case in.FundsAccount != nil && *in.FundsAccount != "AVAILABLE":
		return v3Reply{err: paramError("funds_account仅支持AVAILABLE")}
	case str(in.NotifyURL) != "" && (len(str(in.NotifyURL)) > 255 || !validNotifyURL(str(in.NotifyURL))):
		return v3Reply{err: paramError("notify_url格式错误")}
	}
	p := wxpay.Params{
		"transaction_id": str(in.TransactionID),
		"out_trade_no":   str(in.OutTradeNo),
		"out_refund_no":  str(in.OutRefundNo),
		"refund_desc":    str(in.Reason),
		"notify_url":     str(in.NotifyURL),
		"total_fee":      strconv.FormatInt(*in.Amount.Total, 10),
		"refund_fee":     strconv.FormatInt(*in.Amount.Refund, 10),
	}
	for k, v := range p {
		if v == "" {
			delete(p, k)
		}
	}
	rep := s.refund(&request{v3: true, http: r, p: p})
	if rep.err != nil {
		return v3Reply{err: refundErrorV3(rep.err)}
	}
	return s.refundReplyV3(rep.fields["out_refund_no"])
}

// refundErrorV3 maps a v2 refund refusal to WeChat's v3 status and code.
func refundErrorV3(e *apiError) *v3Error {
	switch e.code {
	case "ORDERNOTEXIST", "INVALID_TRANSACTIONID":
		return v3Fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", e.msg)
	case "ERROR":
		return v3Fail(http.StatusBadRequest, "INVALID_REQUEST", e.msg)
	case "SYSTEMERROR":
		return v3Fail(http.StatusInternalServerError, "SYSTEM_ERROR", e.msg)
	}
	msg := e.msg
	if msg == "" {
		msg = e.code
	}
	return paramError("%s", msg)
}

func (s *Sim) refundReplyV3(outRefundNo string) v3Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orders {
		if r := s.refundLocked(o, outRefundNo); r != nil {
			s.settleRefundsLocked(o)
			return v3Reply{v: refundV3(o, s.refundLocked(o, outRefundNo))}
		}
	}
	return v3Reply{err: v3Fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")}
}

func refundV3(o *Order, r *Refund) wxpayv3.Refund {
	out := wxpayv3.Refund{
		RefundID:            r.RefundID,
		OutRefundNo:         r.OutRefundNo,
		TransactionID:       o.TransID,
		OutTradeNo:          o.OutTradeNo,
		Channel:             "ORIGINAL",
		UserReceivedAccount: "支付用户零钱",
		Status:              wxpayv3.RefundStatus(r.Status),
		CreateTime:          r.Created,
		Refund:              r.RefundFee,
		Total:               o.TotalFee,
		PayerRefund:         r.RefundFee,
		PayerTotal:          o.TotalFee,
		Currency:            "CNY",
	}
	if r.Status == RefundSuccess {
		out.SuccessTime = r.SuccessAt
	}
	return out
}

func (s *Sim) refundQueryV3(r *http.Request, _ []byte) v3Reply {
	no := r.PathValue("no")
	if wxpay.ValidOutRefundNo(no) != nil {
		return v3Reply{err: paramError("out_refund_no格式错误")}
	}
	return s.refundReplyV3(no)
}

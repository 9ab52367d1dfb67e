package wxsim

import (
	"strconv"

	"saoma/payment/wxpay"
)

func (s *Sim) refund(req *request) reply {
	p := req.p
	if p["transaction_id"] == "" && p["out_trade_no"] == "" {
		return reply{err: bizFail("PARAM_ERROR", "transaction_id和out_trade_no不能同时为空")}
	}
	if e := lackParams(p, "out_refund_no", "total_fee", "refund_fee"); e != nil {
		return reply{err: e}
	}
	if e := checkLengths(p); e != nil {
		return reply{err: bizFail("PARAM_ERROR", e.code)}
	}
	if wxpay.ValidOutRefundNo(p["out_refund_no"]) != nil {
		return reply{err: bizFail("PARAM_ERROR", "out_refund_no参数格式错误")}
	}
	total, ok1 := parseFee(p["total_fee"])
	fee, ok2 := parseFee(p["refund_fee"])
	if !ok1 || !ok2 {
		return reply{err: bizFail("PARAM_ERROR", "total_fee或refund_fee参数格式错误")}
	}
	if ft := p["refund_fee_type"]; ft != "" && ft != "CNY" {
		return reply{err: bizFail("PARAM_ERROR", "refund_fee_type参数格式错误")}
	}
	switch p["refund_account"] {
	case "", "REFUND_SOURCE_UNSETTLED_FUNDS", "REFUND_SOURCE_RECHARGE_FUNDS":
	default:
		return reply{err: bizFail("PARAM_ERROR", "refund_account参数格式错误")}
	}
	if u := p["notify_url"]; u != "" && !validNotifyURL(u) {
		return reply{err: bizFail("PARAM_ERROR", "notify_url参数格式错误")}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var o *Order
	if txn := p["transaction_id"]; txn != "" {
		if o = s.orders[s.byTxn[txn]]; o == nil {
			return reply{err: bizFail("INVALID_TRANSACTIONID", "无效transaction_id")}
		}
		if no := p["out_trade_no"]; no != "" && no != o.OutTradeNo {
			return reply{err: bizFail("INVALID_TRANSACTIONID", "transaction_id与out_trade_no不匹配")}
		}
	} else if o = s.orders[p["out_trade_no"]]; o == nil {
		return reply{err: bizFail("ORDERNOTEXIST", "订单不存在")}
	}
	s.settlePasswordLocked(o)
	if o.State != StateSuccess && o.State != StateRefund {
		return reply{err: bizFail("ORDERNOTEXIST", "订单不存在或未支付")}
	}
	if total != o.TotalFee {
		return reply{err: bizFail("PARAM_ERROR", "total_fee与订单金额不一致")}
	}
	no := p["out_refund_no"]
	var refunded int64
	for _, r := range o.Refunds {
		if r.OutRefundNo == no {
			if r.RefundFee != fee {
				return reply{err: bizFail("ERROR", "订单金额或退款金额与之前请求不一致，请核实后再试")}
			}
			return reply{fields: refundFields(o, r)} // same out_refund_no refunds once
		}
		refunded += r.RefundFee
	}
	if other, used := s.refundOwnerLocked(no); used && other != o.OutTradeNo {
		return reply{err: bizFail("ERROR", "商户退款单号已用于其他订单")}
	}
	if len(o.Refunds) >= maxRefunds {
		return reply{err: bizFail("ERROR", "退款次数超过限制（每笔订单最多50次部分退款）")}
	}
	if refunded+fee > o.TotalFee {
		return reply{err: bizFail("ERROR", "申请退款金额超过订单可退金额")}
	}
	now := s.clock.Now()
	r := Refund{
		OutRefundNo: no,
		RefundID:    newRefundID(now),
		RefundFee:   fee,
		Desc:        p["refund_desc"],
		Status:      RefundProcessing,
		Created:     now,
		V3:          req.v3,
	}
	if u := p["notify_url"]; u != "" {
		// The result is notified once the refund completes.
		r.NotifyURL = u
		r.Notify = NotifyState{Pending: true, NextAt: now.Add(s.scaled(s.cfg.RefundDelay)), Nonce: wxpay.NonceStr()}
	}
	o.Refunds = append(o.Refunds, r)
	o.State = StateRefund
	s.saveLocked(o)
	if r.NotifyURL != "" {
		s.startNotifierLocked(notifyKey{outTradeNo: o.OutTradeNo, refund: no})
	}
	return reply{fields: refundFields(o, r)}
}

// refundOwnerLocked finds the order an out_refund_no was used on.
func (s *Sim) refundOwnerLocked(outRefundNo string) (string, bool) {
	for _, o := range s.orders {
		for _, r := range o.Refunds {
			if r.OutRefundNo == outRefundNo {
				return o.OutTradeNo, true
			}
		}
	}
	return "", false
}

func refundFields(o *Order, r Refund) wxpay.Params {
	f := wxpay.Params{
		"transaction_id": o.TransID,
		"out_trade_no":   o.OutTradeNo,
		"out_refund_no":  r.OutRefundNo,
		"refund_id":      r.RefundID,
		"fee_type":       "CNY",
	}
	f.SetInt("refund_fee", r.RefundFee)
	f.SetInt("settlement_refund_fee", r.RefundFee)
	f.SetInt("total_fee", o.TotalFee)
	f.SetInt("cash_fee", o.TotalFee)
	f.SetInt("cash_refund_fee", r.RefundFee)
	return f
}

func (s *Sim) refundQuery(req *request) reply {
	p := req.p
	if e := checkLengths(p); e != nil {
		return reply{err: bizFail("PARAM_ERROR", e.code)}
	}
	offset := 0
	if v := p["offset"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return reply{err: bizFail("PARAM_ERROR", "offset参数格式错误")}
		}
		offset = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		o    *Order
		only string // a single refund asked for by its id or number
	)
	switch {
	case p["refund_id"] != "":
		o, only = s.refundByLocked(func(r Refund) bool { return r.RefundID == p["refund_id"] })
	case p["out_refund_no"] != "":
		o, only = s.refundByLocked(func(r Refund) bool { return r.OutRefundNo == p["out_refund_no"] })
	case p["transaction_id"] != "" || p["out_trade_no"] != "":
		o = s.findOrderLocked(p["transaction_id"], p["out_trade_no"])
	default:
		return reply{err: bizFail("PARAM_ERROR", "refund_id、out_refund_no、transaction_id、out_trade_no至少填一个")}
	}
	if o == nil || len(o.Refunds) == 0 {
		return reply{err: bizFail("REFUNDNOTEXIST", "退款订单查询失败")}
	}
	s.settleRefundsLocked(o)
	f := wxpay.Params{
		"transaction_id": o.TransID,
		"out_trade_no":   o.OutTradeNo,
		"fee_type":       "CNY",
	}
	f.SetInt("total_fee", o.TotalFee)
	f.SetInt("cash_fee", o.TotalFee)
	var page []Refund
	if only != "" {
		for _, r := range o.Refunds {
			if r.RefundID == only {
				page = append(page, r)
			}
		}
	} else {
		if offset >= len(o.Refunds) {
			return reply{err: bizFail("PARAM_ERROR", "offset超出退款笔数")}
		}
		f.SetInt("total_refund_count", int64(len(o.Refunds)))
		end := min(offset+refundPageSize, len(o.Refunds))
		page = o.Refunds[offset:end]
	}
	var sum int64
	f.SetInt("refund_count", int64(len(page)))
	for i, r := range page {
		n := "_" + strconv.Itoa(i)
		f["out_refund_no"+n] = r.OutRefundNo
		f["refund_id"+n] = r.RefundID
		f["refund_channel"+n] = "ORIGINAL"
		f.SetInt("refund_fee"+n, r.RefundFee)
		f.SetInt("settlement_refund_fee"+n, r.RefundFee)
		f["refund_status"+n] = r.Status
		f["refund_account"+n] = "REFUND_SOURCE_UNSETTLED_FUNDS"
		f["refund_recv_accout"+n] = "支付用户的零钱"
		if r.Status == RefundSuccess {
			f["refund_success_time"+n] = r.SuccessAt.In(wxpay.Shanghai()).Format("2006-01-02 15:04:05")
		}
		sum += r.RefundFee
	}
	f.SetInt("refund_fee", sum)
	return reply{fields: f}
}

func (s *Sim) refundByLocked(match func(Refund) bool) (*Order, string) {
	for _, o := range s.orders {
		for _, r := range o.Refunds {
			if match(r) {
				return o, r.RefundID
			}
		}
	}
	return nil, ""
}

package wxsim

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"strings"
	"time"

	"saoma/payment/wxpay"
)

// billColumns returns the column sets of WXPAY_V2.md §4.7 (new format) for
// a bill type, and the summary columns.
func billColumns(billType string) (cols, summary []string) {
	all := []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
		"交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
		"充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注"}
	success := []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
		"交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "商品名称", "商户数据包", "手续费", "费率",
		"订单金额", "费率备注"}
	refund := []string{"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
		"交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "退款申请时间", "退款成功时间", "微信退款单号",
		"商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额",
		"申请退款金额", "费率备注"}
	summary = []string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"}
	switch billType {
	case "SUCCESS":
		return success, summary
	case "REFUND":
		return refund, summary
	}
	return all, summary
}

// feeRateText is the simulated merchant's processing fee rate as the bill prints it.
const feeRateText = "0.60%"

// fee returns the 0.6% processing fee of amount fen, rounded half up to
// whole fen.
func fee(amount int64) int64 { return (amount*6 + 500) / 1000 }

// yuan renders fen as yuan with two decimals ("12.50", "-0.04").
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// feeYuan renders a fee with WeChat's five decimals ("0.04000").
func feeYuan(fen int64) string { return yuan(fen) + "000" }

type billRow struct {
	at     time.Time
	fields map[string]string
}

func (s *Sim) downloadBill(req *request) reply {
	p := req.p
	if p["bill_date"] == "" {
		return reply{err: protoFail("missing parameter")}
	}
	day, err := time.ParseInLocation("20060102", p["bill_date"], wxpay.Shanghai())
	if err != nil || len(p["bill_date"]) != 8 {
		return reply{err: protoFail("data format error")}
	}
	billType := p["bill_type"]
	switch billType {
	case "":
		billType = "ALL"
	case "ALL", "SUCCESS", "REFUND":
	case "RECHARGE_REFUND":
		return reply{err: protoFail("No Bill Exist")} // the simulator issues no recharge coupons
	default:
		return reply{err: protoFail("invalid bill_type")}
	}
	if tt := p["tar_type"]; tt != "" && tt != "GZIP" {
		return reply{err: protoFail("invalid tar_type")}
	}
	now := s.clock.Now().In(wxpay.Shanghai())
	next := day.AddDate(0, 0, 1)
	if !s.cfg.InstantBills && now.Before(next.Add(10*time.Hour)) {
		if now.Before(next) {
			return reply{err: protoFail("No Bill Exist")}
		}
		return reply{err: protoFail("Bill Creating")}
	}
	if now.Sub(day) > 93*24*time.Hour {
		return reply{err: protoFail("No Bill Exist")} // only the last 3 months
	}

	s.mu.Lock()
	rows := s.billRowsLocked(day, next, billType)
	s.mu.Unlock()
	if len(rows) == 0 {
		return reply{err: protoFail("No Bill Exist")}
	}
	data := renderBill(rows, billType)
	if p["tar_type"] == "GZIP" {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(data)
		if err := zw.Close(); err != nil {
			return reply{err: protoFail("CompressGZip Error")}
		}
		return reply{raw: buf.Bytes(), gzip: true}
	}
	return reply{raw: data}
}

// billRowsLocked collects the day's payments (on their time_end) and
// refunds (on their application time). Unpaid and closed orders never
// appear, as at WeChat.
func (s *Sim) billRowsLocked(from, to time.Time, billType string) []billRow {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	var rows []billRow
	for _, o := range s.orders {
		s.settleRefundsLocked(o)
		if o.TransID == "" {
			continue
		}
		base := map[string]string{
			"公众账号ID": s.cfg.AppID, "商户号": s.cfg.MchID, "特约商户号": "0", "设备号": o.DeviceInfo,
			"微信订单号": o.TransID, "商户订单号": o.OutTradeNo, "用户标识": o.OpenID, "交易类型": o.TradeType,
			"付款银行": o.BankType, "货币种类": "CNY", "代金券金额": "0.00", "商品名称": o.Body,
			"商户数据包": o.Attach, "费率": feeRateText, "费率备注": "", "充值券退款金额": "0.00",
		}
		if billType != "REFUND" && in(o.PaidAt) {
			f := clone(base)
			f["交易时间"] = billTime(o.PaidAt)
			f["交易状态"] = "SUCCESS"
			f["应结订单金额"], f["订单金额"] = yuan(o.TotalFee), yuan(o.TotalFee)
			f["手续费"] = feeYuan(fee(o.TotalFee))
			f["微信退款单号"], f["商户退款单号"], f["退款金额"], f["申请退款金额"] = "0", "0", "0.00", "0.00"
			f["退款类型"], f["退款状态"] = "", ""
			rows = append(rows, billRow{at: o.PaidAt, fields: f})
		}
		if billType == "SUCCESS" {
			continue
		}
		if o.ReverseRefundID != "" && in(o.RevokedAt) {
			// A paid 付款码 order reversed: its whole amount went back.
			f := clone(base)
			f["交易时间"] = billTime(o.PaidAt)
			f["退款申请时间"], f["退款成功时间"] = billTime(o.RevokedAt), billTime(o.RevokedAt)
			f["交易状态"] = StateRevoked
			f["应结订单金额"], f["订单金额"] = "0.00", "0.00"
			f["微信退款单号"], f["商户退款单号"] = o.ReverseRefundID, o.OutTradeNo
			f["退款金额"], f["申请退款金额"] = yuan(o.TotalFee), yuan(o.TotalFee)
			f["退款类型"], f["退款状态"] = "ORIGINAL", RefundSuccess
			f["手续费"] = feeYuan(-fee(o.TotalFee))
			rows = append(rows, billRow{at: o.RevokedAt, fields: f})
		}
		for _, r := range o.Refunds {
			if !in(r.Created) {
				continue
			}
			f := clone(base)
			f["交易时间"] = billTime(o.PaidAt)
			f["退款申请时间"] = billTime(r.Created)
			f["退款成功时间"] = ""
			if r.Status == RefundSuccess {
				f["退款成功时间"] = billTime(r.SuccessAt)
			}
			f["交易状态"] = "REFUND"
			f["应结订单金额"], f["订单金额"] = "0.00", "0.00"
			f["微信退款单号"], f["商户退款单号"] = r.RefundID, r.OutRefundNo
			f["退款金额"], f["申请退款金额"] = yuan(r.RefundFee), yuan(r.RefundFee)
			f["退款类型"], f["退款状态"] = "ORIGINAL", r.Status
			f["手续费"] = feeYuan(-fee(r.RefundFee))
			rows = append(rows, billRow{at: r.Created, fields: f})
		}
	}
	slices.SortStableFunc(rows, func(a, b billRow) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.fields["商户订单号"], b.fields["商户订单号"])
	})
	return rows
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+8)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func billTime(t time.Time) string { return t.In(wxpay.Shanghai()).Format("2006-01-02 15:04:05") }

// renderBill writes WeChat's text bill: header line, one line per record
// with every field prefixed by a backtick, then the summary header and the
// summary line. Amounts are yuan. Lines end in \r\n as WeChat's do.
func renderBill(rows []billRow, billType string) []byte {
	cols, summaryCols := billColumns(billType)
	var b bytes.Buffer
	b.WriteString(strings.Join(cols, ","))
	b.WriteString("\r\n")
	var settle, refund, fees, orderTotal int64
	for _, r := range rows {
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('`')
			b.WriteString(billSafe(r.fields[c]))
		}
		b.WriteString("\r\n")
		settle += parseYuan(r.fields["应结订单金额"])
		orderTotal += parseYuan(r.fields["订单金额"])
		refund += parseYuan(r.fields["退款金额"])
		fees += parseYuan(strings.TrimSuffix(r.fields["手续费"], "000"))
	}
	b.WriteString(strings.Join(summaryCols, ","))
	b.WriteString("\r\n")
	sum := []string{fmt.Sprint(len(rows)), yuan(settle), yuan(refund), "0.00", feeYuan(fees), yuan(orderTotal), yuan(refund)}
	for i, v := range sum {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('`')
		b.WriteString(v)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// billSafe keeps a free-text field (body, attach) from breaking the
// comma-separated line: WeChat's format has no quoting.
func billSafe(s string) string {
	return strings.NewReplacer(",", "，", "\r", " ", "\n", " ", "`", "'").Replace(s)
}

// parseYuan reads back an amount this file wrote ("-12.50" → -1250).
func parseYuan(s string) int64 {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var v int64
	for _, c := range whole + (frac + "00")[:2] {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v
}

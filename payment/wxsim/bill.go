package wxsim

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
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

// DefaultFeeRate is WeChat Pay's standard processing fee for ordinary
// merchants: 0.6 % of each payment.
const DefaultFeeRate = 0.006

// feePPM is the simulated merchant's fee rate (Config.FeeRate) in parts
// per million, so fees are computed in integers.
func (s *Sim) feePPM() int64 { return ratePPM(s.cfg.FeeRate) }

// ratePPM converts a fee rate to parts per million; 0 or less is
// DefaultFeeRate.
func ratePPM(rate float64) int64 {
	if rate <= 0 {
		rate = DefaultFeeRate
	}
	return int64(math.Round(rate * 1e6))
}

// fee returns the processing fee of amount fen at ppm parts per million,
// rounded to the fen half up (四舍五入) on the absolute amount, per
// transaction, as WeChat's bill shows it: at 0.6 % a ¥0.83 payment pays no
// fee (0.498 fen) and a ¥0.84 one pays 1 fen (0.504 fen). A refund's fee
// (fee returned) is the same rule applied to the refund, negated by the
// caller.
func fee(amount, ppm int64) int64 {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	f := (amount*ppm + 500_000) / 1_000_000
	if neg {
		f = -f
	}
	return f
}

// feeRateText prints a rate as the bill's 费率 column does: "0.60%".
func feeRateText(ppm int64) string {
	bp := (ppm + 50) / 100 // hundredths of a percent
	return fmt.Sprintf("%d.%02d%%", bp/100, bp%100)
}

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
	data, fail := s.bill(day, billType)
	if fail != "" {
		return reply{err: protoFail(fail)}
	}
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

// Why a bill is refused (v2's return_msg).
const (
	billNotExist = "No Bill Exist"
	billCreating = "Bill Creating"
)

// bill renders the bill of the Beijing day starting at day, or says why
// there is none: billNotExist (no trade, a day not over, older than 3
// months) or billCreating (before 10:00 the next day unless
// Config.InstantBills).
func (s *Sim) bill(day time.Time, billType string) (data []byte, fail string) {
	now := s.clock.Now().In(wxpay.Shanghai())
	next := day.AddDate(0, 0, 1)
	if !s.cfg.InstantBills && now.Before(next.Add(10*time.Hour)) {
		if now.Before(next) {
			return nil, billNotExist
		}
		return nil, billCreating
	}
	if now.Sub(day) > 93*24*time.Hour {
		return nil, billNotExist // only the last 3 months
	}
	s.mu.Lock()
	rows := s.billRowsLocked(day, next, billType)
	s.mu.Unlock()
	if len(rows) == 0 {
		return nil, billNotExist
	}
	return renderBill(rows, billType), ""
}

// routesBillV3 serves API v3's trade bill: GET /v3/bill/tradebill
// (bill_type ALL only) answers the file's SHA1 and a download_url on this
// host, whose signed GET returns the same text as v2's ALL bill. The file
// is rendered again at download, from the simulator's records then.
func (s *Sim) routesBillV3(m *http.ServeMux) {
	m.Handle("GET /v3/bill/tradebill", s.apiV3(s.tradeBillV3))
	m.HandleFunc("GET /v3/billdownload/file", s.billFileV3)
}

// billDayV3 parses a v3 bill_date (YYYY-MM-DD).
func billDayV3(date string) (time.Time, *v3Error) {
	day, err := time.ParseInLocation("2006-01-02", date, wxpay.Shanghai())
	if err != nil {
		return time.Time{}, paramError("bill_date格式错误")
	}
	return day, nil
}

// v3BillFail maps a refusal to API v3's error.
func v3BillFail(fail string) *v3Error {
	if fail == billCreating {
		return v3Fail(http.StatusBadRequest, "STATEMENT_CREATING", "账单生成中，请稍后再试")
	}
	return v3Fail(http.StatusBadRequest, "NO_STATEMENT_EXIST", "账单不存在")
}

func (s *Sim) tradeBillV3(r *http.Request, _ []byte) v3Reply {
	q := r.URL.Query()
	day, e := billDayV3(q.Get("bill_date"))
	if e != nil {
		return v3Reply{err: e}
	}
	if bt := q.Get("bill_type"); bt != "" && bt != "ALL" {
		return v3Reply{err: paramError("模拟器只提供bill_type=ALL")}
	}
	data, fail := s.bill(day, "ALL")
	if fail != "" {
		return v3Reply{err: v3BillFail(fail)}
	}
	sum := sha1.Sum(data)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + "/v3/billdownload/file?token=" + url.QueryEscape(day.Format("2006-01-02"))
	return v3Reply{status: http.StatusOK, v: map[string]string{"hash_type": "SHA1", "hash_value": hex.EncodeToString(sum[:]), "download_url": u}}
}

// billFileV3 serves a bill file: the request is signed like any v3 call;
// the reply is the raw text, unsigned (WeChat's is too).
func (s *Sim) billFileV3(w http.ResponseWriter, r *http.Request) {
	var data []byte
	rep := s.serveV3(r, func(r *http.Request, _ []byte) v3Reply {
		day, e := billDayV3(r.URL.Query().Get("token"))
		if e != nil {
			return v3Reply{err: e}
		}
		var fail string
		if data, fail = s.bill(day, "ALL"); fail != "" {
			return v3Reply{err: v3BillFail(fail)}
		}
		return v3Reply{status: http.StatusOK}
	})
	if rep.err != nil {
		wxpayv3.WriteError(w, rep.err.status, rep.err.code, rep.err.message)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
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
			"商户数据包": o.Attach, "费率": feeRateText(s.feePPM()), "费率备注": "", "充值券退款金额": "0.00",
		}
		if billType != "REFUND" && in(o.PaidAt) {
			f := clone(base)
			f["交易时间"] = billTime(o.PaidAt)
			f["交易状态"] = "SUCCESS"
			f["应结订单金额"], f["订单金额"] = yuan(o.TotalFee), yuan(o.TotalFee)
			f["手续费"] = feeYuan(fee(o.TotalFee, s.feePPM()))
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
			f["手续费"] = feeYuan(-fee(o.TotalFee, s.feePPM()))
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
			f["手续费"] = feeYuan(-fee(r.RefundFee, s.feePPM()))
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

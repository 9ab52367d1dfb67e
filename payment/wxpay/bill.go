package wxpay

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const apiDownloadBill = "/pay/downloadbill"

// MaxBillSize caps a downloaded bill (after decompression). A busy shop's
// day is a few megabytes; the cap keeps a hostile reply from exhausting
// memory.
const MaxBillSize = 64 << 20

// BillType selects which transactions a bill lists.
type BillType string

// The bill types of WXPAY_V2.md §4.7.
const (
	BillAll     BillType = "ALL"     // every transaction of the day
	BillSuccess BillType = "SUCCESS" // paid orders
	BillRefund  BillType = "REFUND"  // refunds
)

// ErrBadBill is returned by ParseBill (and DownloadBill) for a body that is
// not a well-formed bill.
var ErrBadBill = errors.New("wxpay: malformed bill")

// BillRequest selects one day's bill.
type BillRequest struct {
	// Date is the bill day, yyyyMMdd (Beijing). Required.
	Date string
	// Type is ALL (default), SUCCESS or REFUND.
	Type BillType
	// GZIP asks WeChat to compress the bill (tar_type=GZIP); DownloadBill
	// decompresses it.
	GZIP bool
}

// Bill is a parsed statement: rows keyed by the header's column names (the
// columns vary with the bill type and the merchant's format generation).
type Bill struct {
	Header        []string
	Rows          []BillRow
	SummaryHeader []string
	// Summary maps summary column names to their values (backtick removed).
	Summary    map[string]string
	TotalCount int   // 总交易单数
	TotalFee   int64 // 应结订单总金额 (old format: 总交易额), fen
	// RefundTotal is 退款总金额 (old format: 总退款金额), fen.
	RefundTotal int64
}

// BillRow is one transaction line. Amounts that WeChat writes in yuan with
// two decimals are converted to fen; fee columns with more decimals
// (手续费 "0.04000") stay exact as text in Fields.
type BillRow struct {
	// Fields maps every column name to its value, backtick removed.
	Fields        map[string]string
	TradeTime     time.Time // 交易时间, Beijing
	TransactionID string    // 微信订单号
	OutTradeNo    string    // 商户订单号
	OpenID        string    // 用户标识
	TradeType     string    // 交易类型
	TradeState    string    // 交易状态: SUCCESS, REFUND, REVOKED
	Body          string    // 商品名称
	Attach        string    // 商户数据包
	OutRefundNo   string    // 商户退款单号
	RefundID      string    // 微信退款单号
	RefundStatus  string    // 退款状态
	SettlementFee int64     // 应结订单金额, fen
	TotalFee      int64     // 订单金额 (old format: 总金额), fen
	RefundFee     int64     // 退款金额, fen
	CouponFee     int64     // 代金券金额 (old: 代金券或立减优惠金额), fen
}

// DownloadBill fetches and parses one day's bill. A successful reply is a
// text table (gzip when r.GZIP); failures are XML and come back as *Error
// with the text in ReturnMsg: ErrBillNotExist for a day without
// transactions, ErrBillCreating (retry after 10:00). The request is signed
// with the client's sign type, like every other call (WXPAY_V2.md §10 item
// 3: the official Java SDK does the same).
func (c *Client) DownloadBill(ctx context.Context, r BillRequest) (*Bill, error) {
	const api = apiDownloadBill
	if len(r.Date) != 8 {
		return nil, invalid(api, "bill_date must be yyyyMMdd")
	}
	if _, err := time.Parse("20060102", r.Date); err != nil {
		return nil, invalid(api, "bill_date must be yyyyMMdd")
	}
	typ := r.Type
	if typ == "" {
		typ = BillAll
	}
	switch typ {
	case BillAll, BillSuccess, BillRefund:
	default:
		return nil, invalid(api, "unknown bill_type %q", string(typ))
	}
	p := Params{"bill_date": r.Date, "bill_type": string(typ)}
	if r.GZIP {
		p["tar_type"] = "GZIP"
	}
	data, err := c.post(ctx, c.hc, api, p, MaxBillSize)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '<' {
		x, err := ParseXML(t)
		if err != nil {
			return nil, fmt.Errorf("wxpay %s: reply: %w", api, err)
		}
		if x["return_code"] == "FAIL" {
			return nil, errorFrom(api, x)
		}
		return nil, fmt.Errorf("wxpay %s: reply: %w: XML reply without return_code FAIL", api, ErrBadMessage)
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		if data, err = gunzip(data, MaxBillSize); err != nil {
			return nil, fmt.Errorf("wxpay %s: reply: %w", api, err)
		}
	}
	b, err := ParseBill(data)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: reply: %w", api, err)
	}
	return b, nil
}

// gunzip decompresses data, refusing output beyond limit bytes.
func gunzip(data []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrBadBill, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrBadBill, err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("bill: %w", ErrTooLarge)
	}
	return out, nil
}

// Column names used to fill BillRow's typed fields; for amounts the first
// name present in the header wins (new format, then old format).
var (
	colSettlementFee = []string{"应结订单金额"}
	colTotalFee      = []string{"订单金额", "总金额"}
	colRefundFee     = []string{"退款金额"}
	colCouponFee     = []string{"代金券金额", "代金券或立减优惠金额"}
	sumTotalFee      = []string{"应结订单总金额", "总交易额"}
	sumRefundTotal   = []string{"退款总金额", "总退款金额"}
)

// ParseBill parses the text form of a bill: a header line, data lines whose
// fields each start with a backtick, then a summary header and one summary
// line. Columns are found by name, so every bill type and both the old and
// the new column sets parse. Amounts become fen without floating point; a
// row whose field count differs from the header's is an error (ErrBadBill)
// naming the line.
func ParseBill(data []byte) (*Bill, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrBadBill)
	}
	s := strings.TrimPrefix(string(data), "\ufeff")
	var lines []string
	var lineNo []int
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		lines = append(lines, l)
		lineNo = append(lineNo, i+1)
	}
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: need a header, a summary header and a summary line, got %d lines", ErrBadBill, len(lines))
	}
	b := &Bill{Header: splitHeader(lines[0])}
	if len(b.Header) == 0 || strings.HasPrefix(lines[0], "`") {
		return nil, fmt.Errorf("%w: line %d is not a header", ErrBadBill, lineNo[0])
	}
	sh := len(lines) - 2
	if strings.HasPrefix(lines[sh], "`") {
		return nil, fmt.Errorf("%w: line %d is not the summary header", ErrBadBill, lineNo[sh])
	}
	b.SummaryHeader = splitHeader(lines[sh])
	sum, err := splitRow(lines[sh+1], len(b.SummaryHeader))
	if err != nil {
		return nil, fmt.Errorf("%w: line %d (summary): %v", ErrBadBill, lineNo[sh+1], err)
	}
	b.Summary = make(map[string]string, len(sum))
	for i, name := range b.SummaryHeader {
		b.Summary[name] = sum[i]
	}
	if v := b.Summary["总交易单数"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: summary 总交易单数 %q is not a count", ErrBadBill, clip(v))
		}
		b.TotalCount = n
	}
	if b.TotalFee, err = amountByName(b.Summary, sumTotalFee); err != nil {
		return nil, fmt.Errorf("%w: summary: %v", ErrBadBill, err)
	}
	if b.RefundTotal, err = amountByName(b.Summary, sumRefundTotal); err != nil {
		return nil, fmt.Errorf("%w: summary: %v", ErrBadBill, err)
	}
	b.Rows = make([]BillRow, 0, sh-1)
	for i := 1; i < sh; i++ {
		row, err := parseBillRow(b.Header, lines[i])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadBill, lineNo[i], err)
		}
		b.Rows = append(b.Rows, row)
	}
	return b, nil
}

// parseBillRow converts one data line.
func parseBillRow(header []string, line string) (BillRow, error) {
	vals, err := splitRow(line, len(header))
	if err != nil {
		return BillRow{}, err
	}
	f := make(map[string]string, len(header))
	for i, name := range header {
		f[name] = vals[i]
	}
	row := BillRow{
		Fields:        f,
		TransactionID: f["微信订单号"],
		OutTradeNo:    f["商户订单号"],
		OpenID:        f["用户标识"],
		TradeType:     f["交易类型"],
		TradeState:    f["交易状态"],
		Body:          f["商品名称"],
		Attach:        f["商户数据包"],
		OutRefundNo:   f["商户退款单号"],
		RefundID:      f["微信退款单号"],
		RefundStatus:  f["退款状态"],
	}
	if v := f["交易时间"]; v != "" {
		if row.TradeTime, err = time.ParseInLocation(time.DateTime, v, Shanghai()); err != nil {
			return BillRow{}, fmt.Errorf("交易时间 %q is not yyyy-MM-dd HH:mm:ss", clip(v))
		}
	}
	for _, a := range []struct {
		dst   *int64
		names []string
	}{
		{&row.SettlementFee, colSettlementFee},
		{&row.TotalFee, colTotalFee},
		{&row.RefundFee, colRefundFee},
		{&row.CouponFee, colCouponFee},
	} {
		if *a.dst, err = amountByName(f, a.names); err != nil {
			return BillRow{}, err
		}
	}
	return row, nil
}

// splitHeader splits a header line into trimmed column names.
func splitHeader(line string) []string {
	parts := strings.Split(line, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// splitRow splits a backtick-prefixed line into want values. Fields are
// separated by ",`" rather than "," so a comma inside 商品名称 survives.
func splitRow(line string, want int) ([]string, error) {
	if !strings.HasPrefix(line, "`") {
		return nil, errors.New("data line does not start with a backtick")
	}
	vals := strings.Split(line[1:], ",`")
	if len(vals) != want {
		return nil, fmt.Errorf("%d fields, header has %d", len(vals), want)
	}
	for i := range vals {
		vals[i] = strings.TrimSpace(vals[i])
	}
	return vals, nil
}

// amountByName parses the first of names present in f as yuan → fen.
func amountByName(f map[string]string, names []string) (int64, error) {
	for _, n := range names {
		v, ok := f[n]
		if !ok {
			continue
		}
		fen, err := YuanToFen(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", n, err)
		}
		return fen, nil
	}
	return 0, nil
}

// ErrBadAmount is returned by YuanToFen for text that is not an exact
// amount of fen.
var ErrBadAmount = errors.New("wxpay: bad yuan amount")

// YuanToFen converts a decimal yuan string such as "6.00", "-0.5" or "12"
// to fen exactly, without floating point. Digits beyond the second decimal
// must be zero ("0.04000" is 4 fen; "0.045" is an error). An empty string is
// 0. The result must fit in an int64.
func YuanToFen(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	neg := false
	t := s
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	whole, frac, hasDot := strings.Cut(t, ".")
	if whole == "" || !isDigits(whole) || (hasDot && frac != "" && !isDigits(frac)) {
		return 0, fmt.Errorf("%w: %q", ErrBadAmount, clip(s))
	}
	for i := 2; i < len(frac); i++ {
		if frac[i] != '0' {
			return 0, fmt.Errorf("%w: %q has fractions of a fen", ErrBadAmount, clip(s))
		}
	}
	if len(frac) > 2 {
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two digits, checked above
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || y > (math.MaxInt64-f)/100 {
		return 0, fmt.Errorf("%w: %q out of range", ErrBadAmount, clip(s))
	}
	v := y*100 + f
	if neg {
		v = -v
	}
	return v, nil
}

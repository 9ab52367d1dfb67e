package printer

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"saoma/app"
)

// Profile is a paper's geometry: its printable width in dots and how many
// 12-dot Font A columns fit on a line (a Chinese character takes two).
type Profile struct {
	Paper int // nominal paper width in mm: 58 or 80
	Dots  int // printable width in dots at 203 dpi
	Cols  int // characters of the 12×24 font per line
}

// ErrBadConfig is returned for a configuration or paper geometry the
// printer package cannot use.
var ErrBadConfig = errors.New("bad printer configuration")

// ProfileFor returns the profile for paper: 58 mm is 384 dots and 32
// columns (16 Chinese characters), 80 mm (also 0, the default) is 576 dots
// and 48 columns (24 Chinese characters). widthDots, when not 0, overrides the printable width (some 80 mm Epsons print 512 dots);
// the column count follows from it at 12 dots per column.
func ProfileFor(paper, widthDots int) (Profile, error) {
	var p Profile
	switch paper {
	case 58:
		p = Profile{Paper: 58, Dots: 384, Cols: 32}
	case 80, 0:
		p = Profile{Paper: 80, Dots: 576, Cols: 48}
	default:
		return Profile{}, fmt.Errorf("%w: paper width %d mm (want 58 or 80)", ErrBadConfig, paper)
	}
	if widthDots != 0 {
		if widthDots < 192 || widthDots > 832 || widthDots%8 != 0 {
			return Profile{}, fmt.Errorf("%w: width %d dots (want a multiple of 8 in 192-832)", ErrBadConfig, widthDots)
		}
		p.Dots, p.Cols = widthDots, widthDots/12
	}
	return p, nil
}

// ErrBadPaper is returned by Layout when a paper lacks what it must carry
// (a bill without its code_url, a label without its link…).
var ErrBadPaper = errors.New("bad paper")

// shanghai is China Standard Time. China has kept UTC+8 without daylight
// saving since 1991, so a fixed zone is exact and needs no tzdata.
func shanghai() *time.Location { return time.FixedZone("CST", 8*3600) }

// yuan formats an amount for paper with the full-width ￥ (U+FFE5): the
// half-width ¥ of app.Fen.String is not in GBK (LIBRARIES.md §5).
func yuan(f app.Fen) string { return "￥" + f.Yuan() }

// Layout builds the Doc for p at cols columns: a sale receipt, a bill with
// the payment QR or a product label.
func Layout(p app.Paper, cols int) (Doc, error) {
	if cols < 16 {
		return Doc{}, fmt.Errorf("%w: %d columns is too narrow (want ≥ 16)", ErrBadConfig, cols)
	}
	switch p.Kind {
	case app.PaperReceipt:
		return receipt(p, cols)
	case app.PaperBill:
		return bill(p, cols)
	case app.PaperLabel:
		return label(p)
	}
	return Doc{}, fmt.Errorf("%w: unknown paper kind %q", ErrBadPaper, p.Kind)
}

// header is the shop name, the paper's title and the copy marker.
func header(p app.Paper, title string) []Block {
	var b []Block
	if p.Shop != "" {
		b = append(b, Text{Text: p.Shop, Align: AlignCenter, Bold: true, Scale: 2})
	}
	b = append(b, Text{Text: title, Align: AlignCenter})
	if p.Reprint {
		b = append(b, Text{Text: "** 重印 COPY **", Align: AlignCenter, Bold: true})
	}
	return append(b, Rule{})
}

func stamp(t time.Time) string { return t.In(shanghai()).Format("2006-01-02 15:04:05") }

// orderBlocks is the order number, time, item table and total.
func orderBlocks(o app.Order, cols int) ([]Block, error) {
	if o.OutTradeNo == "" {
		return nil, fmt.Errorf("%w: order without out_trade_no", ErrBadPaper)
	}
	if len(o.Lines) == 0 {
		return nil, fmt.Errorf("%w: order %s has no lines", ErrBadPaper, o.OutTradeNo)
	}
	b := []Block{Row{Left: "单号 No.", Right: o.OutTradeNo}}
	if !o.CreatedAt.IsZero() {
		b = append(b, Row{Left: "时间 Time", Right: stamp(o.CreatedAt)})
	}
	if o.KioskID != "" {
		b = append(b, Row{Left: "收银台 Till", Right: o.KioskID})
	}
	const qtyW, amtW = 5, 11
	b = append(b, Rule{}, Columns{Bold: true, Cells: []Cell{
		{Text: "品名 Item"}, {Text: "数量", Width: qtyW, Align: AlignRight}, {Text: "金额", Width: amtW, Align: AlignRight},
	}})
	var sum app.Fen
	for i, l := range o.Lines {
		if l.Qty <= 0 {
			return nil, fmt.Errorf("%w: order %s line %d: quantity %d", ErrBadPaper, o.OutTradeNo, i+1, l.Qty)
		}
		name := l.Name
		if name == "" {
			name = l.ProductID
		}
		b = append(b, Columns{Cells: []Cell{
			{Text: name}, {Text: strconv.Itoa(l.Qty), Width: qtyW, Align: AlignRight}, {Text: yuan(l.Amount()), Width: amtW, Align: AlignRight},
		}})
		if l.Qty > 1 {
			b = append(b, Columns{Cells: []Cell{{Text: "  单价 @" + yuan(l.UnitPrice)}}})
		}
		sum += l.Amount()
	}
	if sum != o.Total {
		return nil, fmt.Errorf("%w: order %s lines add up to %s but the total is %s", ErrBadPaper, o.OutTradeNo, yuan(sum), yuan(o.Total))
	}
	scale := 2
	if width(printable("合计 TOTAL"))+1+width(yuan(o.Total)) > cols/2 {
		scale = 1
	}
	return append(b, Rule{}, Row{Left: "合计 TOTAL", Right: yuan(o.Total), Bold: true, Scale: scale}), nil
}

func receipt(p app.Paper, cols int) (Doc, error) {
	o := p.Order
	if !o.State.Paid() {
		return Doc{}, fmt.Errorf("%w: receipt for order %s in state %q: not paid", ErrBadPaper, o.OutTradeNo, o.State)
	}
	b := header(p, "销售小票 SALES RECEIPT")
	ob, err := orderBlocks(o, cols)
	if err != nil {
		return Doc{}, err
	}
	b = append(b, ob...)
	b = append(b, Row{Left: payMethod(o.Mode), Right: yuan(o.Total)})
	if o.TransactionID != "" {
		b = append(b, Row{Left: "交易号 Txn", Right: o.TransactionID})
	}
	if !o.PaidAt.IsZero() {
		b = append(b, Row{Left: "支付时间 Paid", Right: stamp(o.PaidAt)})
	}
	if len(o.Refunds) > 0 {
		b = append(b, Rule{})
		for _, r := range o.Refunds {
			state := refundState(r.State)
			b = append(b, Row{Left: "退款 Refund " + state, Right: "-" + yuan(r.Amount)})
			if !r.CreatedAt.IsZero() {
				b = append(b, Row{Left: "  " + r.OutRefundNo, Right: stamp(r.CreatedAt)})
			}
		}
		b = append(b, Row{Left: "已退款 Refunded", Right: "-" + yuan(o.Refunded()), Bold: true})
	}
	qr := p.QR
	if qr == "" {
		qr = o.OutTradeNo
	}
	b = append(b, Rule{}, QR{Data: qr, MaxModule: 5},
		Text{Text: o.OutTradeNo, Align: AlignCenter},
		Feed{Lines: 1},
		Text{Text: "谢谢惠顾 Thank you", Align: AlignCenter, Bold: true},
		Feed{Lines: 2}, Cut{})
	return Doc{Blocks: b}, nil
}

func refundState(s app.RefundState) string {
	switch s {
	case app.RefundSucceeded:
		return "成功"
	case app.RefundFailed:
		return "失败"
	case app.RefundPending, app.RefundProcessing:
		return "处理中"
	}
	return "异常"
}

func bill(p app.Paper, cols int) (Doc, error) {
	o := p.Order
	code := p.QR
	if code == "" {
		code = o.CodeURL
	}
	if code == "" {
		return Doc{}, fmt.Errorf("%w: bill for order %s has no code_url", ErrBadPaper, o.OutTradeNo)
	}
	if o.CodeURLExpires.IsZero() {
		return Doc{}, fmt.Errorf("%w: bill for order %s: code_url expiry unknown", ErrBadPaper, o.OutTradeNo)
	}
	b := header(p, "账单 BILL · 待支付 UNPAID")
	ob, err := orderBlocks(o, cols)
	if err != nil {
		return Doc{}, err
	}
	b = append(b, ob...)
	exp := o.CodeURLExpires.In(shanghai())
	until := exp.Format("15:04")
	if !o.CreatedAt.IsZero() && o.CreatedAt.In(shanghai()).Format("0102") != exp.Format("0102") {
		until = exp.Format("01-02 15:04")
	}
	b = append(b, Feed{Lines: 1}, QR{Data: code, MaxModule: 8},
		Text{Text: "请使用微信扫一扫", Align: AlignCenter, Bold: true},
		Text{Text: "Scan with WeChat", Align: AlignCenter, Bold: true},
		Text{Text: "有效期至 " + until, Align: AlignCenter},
		Text{Text: "valid until " + until, Align: AlignCenter},
		Feed{Lines: 2}, Cut{})
	return Doc{Blocks: b}, nil
}

func label(p app.Paper) (Doc, error) {
	pr := p.Product
	if p.QR == "" {
		return Doc{}, fmt.Errorf("%w: label for product %s has no QR link", ErrBadPaper, pr.ID)
	}
	if pr.Name == "" {
		return Doc{}, fmt.Errorf("%w: label for product %s has no name", ErrBadPaper, pr.ID)
	}
	if pr.Price <= 0 {
		return Doc{}, fmt.Errorf("%w: label for product %s: price %s", ErrBadPaper, pr.ID, yuan(pr.Price))
	}
	var b []Block
	if p.Shop != "" {
		b = append(b, Text{Text: p.Shop, Align: AlignCenter})
	}
	if p.Reprint {
		b = append(b, Text{Text: "** 重印 COPY **", Align: AlignCenter, Bold: true})
	}
	b = append(b,
		Text{Text: pr.Name, Align: AlignCenter, Bold: true, Scale: 2},
		Text{Text: yuan(pr.Price), Align: AlignCenter, Bold: true, Scale: 2},
		QR{Data: p.QR, MaxModule: 8},
		Text{Text: "微信扫码购买", Align: AlignCenter, Bold: true},
		Text{Text: "Scan with WeChat to buy", Align: AlignCenter},
		Text{Text: "编号 No. " + pr.ID, Align: AlignCenter},
		Feed{Lines: 2}, Cut{})
	return Doc{Blocks: b}, nil
}

// payMethod names how a receipt's order was paid: the QR on screen or
// paper, a shelf label, or the customer's payment code.
func payMethod(mode int) string {
	switch mode {
	case app.ModePayCode:
		return "微信付款码 WeChat code"
	case 1:
		return "微信货架码 Shelf QR"
	}
	return "微信扫码 WeChat QR"
}

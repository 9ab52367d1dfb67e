package store

import "saoma/app"

// The languages of an export (ExportOptions.Lang).
const (
	// ExportBilingual writes every label as "中文 English"; it is the
	// default, and what Export has always written.
	ExportBilingual = ""
	// ExportChinese writes labels in Chinese only.
	ExportChinese = "zh"
	// ExportEnglish writes labels in English only.
	ExportEnglish = "en"
)

// label is one piece of export text in both languages.
type label struct{ zh, en string }

// in renders the label in lang: one language, or both for the bilingual
// default.
func (l label) in(lang string) string {
	switch lang {
	case ExportChinese:
		return l.zh
	case ExportEnglish:
		return l.en
	}
	return l.zh + " " + l.en
}

// Labels of the export's headers and sheets. The Chinese words are the
// ones the kiosk's Sales screen uses, so the owner reads the same word on
// screen and on paper.
var (
	lblTime          = label{"时间", "Time"}
	lblDay           = label{"营业日", "Day"}
	lblOutTradeNo    = label{"订单号", "Out trade no"}
	lblTransaction   = label{"微信支付单号", "Transaction id"}
	lblItems         = label{"商品", "Items"}
	lblTotal         = label{"金额", "Total"}
	lblRefunded      = label{"已退款", "Refunded"}
	lblRefundPending = label{"退款处理中", "Refund pending"}
	lblNet           = label{"净额", "Net"}
	lblState         = label{"状态", "State"}
	lblStateCode     = label{"状态代码", "State code"}
	lblFlag          = label{"标记", "Flag"}
	lblFlagCode      = label{"标记代码", "Flag code"}

	lblPeriod         = label{"期间", "Period"}
	lblSales          = label{"笔数", "Sales"}
	lblPaidOrders     = label{"收款笔数", "Paid orders"}
	lblGross          = label{"收款", "Gross"}
	lblRefunds        = label{"退款", "Refunds"}
	lblRefundsPending = label{"退款处理中", "Refunds pending"}
	lblFlagged        = label{"待处理", "Flagged"}
	lblProduct        = label{"商品", "Product"}
	lblProductID      = label{"编号", "Id"}
	lblQty            = label{"数量", "Qty"}
	lblAmount         = label{"金额", "Amount"}
	lblSum            = label{"合计", "Total"}

	sheetSummary = label{"汇总", "Summary"}
	sheetDetail  = label{"明细", "Detail"}
	sheetByDay   = label{"按日", "By day"}
)

// stateLabels name an order's state as the Sales screen does.
var stateLabels = map[app.State]label{
	app.StateCreated:           {"待下单", "Not issued"},
	app.StateAwaiting:          {"待支付", "Awaiting"},
	app.StatePaid:              {"已支付", "Paid"},
	app.StateCancelPending:     {"取消中", "Cancelling"},
	app.StateClosed:            {"已取消", "Cancelled"},
	app.StateExpired:           {"已过期", "Expired"},
	app.StatePaidAfterCancel:   {"取消后到账", "Paid after cancel"},
	app.StatePartiallyRefunded: {"部分退款", "Part refunded"},
	app.StateRefunded:          {"已退款", "Refunded"},
}

// flagLabels name an order's flag as the Sales screen does.
var flagLabels = map[app.Flag]label{
	app.FlagAmountMismatch:     {"金额不符", "Amount mismatch"},
	app.FlagConflictingPayment: {"重复付款", "Duplicate payment"},
	app.FlagPaidAfterCancel:    {"取消后到账", "Paid after cancel"},
	app.FlagNumberCollision:    {"订单号重复（非本单付款）", "Number used before (not this sale)"},
	app.FlagRefundAbnormal:     {"退款异常", "Refund abnormal"},
}

// stateText is the state's label in lang; a state this build does not
// know (a newer ledger) shows its code rather than nothing.
func stateText(s app.State, lang string) string {
	if l, ok := stateLabels[s]; ok {
		return l.in(lang)
	}
	return string(s)
}

// flagText is the flag's label in lang, empty for no flag.
func flagText(f app.Flag, lang string) string {
	if f == app.FlagNone {
		return ""
	}
	if l, ok := flagLabels[f]; ok {
		return l.in(lang)
	}
	return string(f)
}

// The payment method column.
var (
	lblMethod     = label{"付款方式", "Method"}
	methodQR      = label{"扫码", "QR"}
	methodShelf   = label{"货架码", "Shelf QR"}
	methodPayCode = label{"付款码", "Pay code"}
)

// methodText names how an order was paid (app.Order.Mode).
func methodText(mode int, lang string) string {
	switch mode {
	case 1:
		return methodShelf.in(lang)
	case app.ModePayCode:
		return methodPayCode.in(lang)
	}
	return methodQR.in(lang)
}

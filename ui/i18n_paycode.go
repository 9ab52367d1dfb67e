package ui

// payCodeTable holds the strings of 付款码 checkout (the cashier scans the
// customer's payment code). It is a table of its own so the main table and
// this one can grow apart; T looks here when the main table lacks a key.
// Every key has both languages; no key is in both tables.
var payCodeTable = map[string][2]string{
	"paycode.charging":    {"正在收款…", "Charging the payment code…"},
	"reprint.none":        {"最近一周没有可重打的小票", "No receipt from the last week to print again"},
	"paycode.password":    {"请顾客输入密码", "Customer is entering the password"},
	"paycode.method":      {"付款码收款", "Payment code"},
	"paycode.reversed":    {"付款未完成，已撤销", "Payment not completed; it was cancelled"},
	"paycode.empty":       {"请先扫描商品，再扫付款码", "Scan the goods first, then the payment code"},
	"paycode.unsupported": {"付款码收款需要在设置中填写 v2 API 密钥", "Payment codes need the v2 API key in Settings"},
	"paycode.bad":         {"这不是微信付款码", "This is not a WeChat payment code"},
	"paycode.invalid":     {"付款码无效或已过期，请顾客刷新付款码", "The payment code is invalid or expired: ask the customer to refresh it"},
	"paycode.notenough":   {"余额不足，请顾客换卡或换其他方式", "Not enough balance: ask the customer to change card or pay another way"},
	"paycode.notsupport":  {"顾客的付款卡不支持此交易，请顾客换卡或换其他方式", "The customer's card cannot pay here: ask them to change card or pay another way"},
	"paycode.buyer":       {"付款人与订单不符，请重新扫码收款", "The payer does not match the order: scan the code again"},
	"paycode.refused":     {"微信支付拒绝了付款码（%s），未扣款，请顾客换其他方式", "WeChat Pay refused the payment code (%s); nothing was taken: ask for another way to pay"},
	"method.1":            {"货架码", "Shelf QR"},
	"method.2":            {"扫码", "QR"},
	"method.3":            {"付款码", "Pay code"},
	"source.paycode":      {"付款码收款", "payment code"},

	"note.paycode.refused":   {"微信支付拒绝付款码（%s）", "payment code refused by WeChat Pay (%s)"},
	"note.paycode.password":  {"顾客正在输入密码", "customer entering the password"},
	"note.paycode.unknown":   {"结果未知，向微信支付查询", "outcome unknown; asking WeChat Pay"},
	"note.paycode.reversing": {"付款未完成，正在撤销", "payment not completed; reversing it"},
	"note.paycode.cancelled": {"已取消，正在撤销付款码交易", "cancelled; reversing the payment"},
	"note.paycode.reversed":  {"已在微信支付撤销", "reversed with WeChat Pay"},
}

// lookup finds key in the main table, then in the payment-code and
// reconciliation tables.
func lookup(key string) ([2]string, bool) {
	for _, t := range []map[string][2]string{stringsTable, payCodeTable, reconTable, uibTable, uiaTable, errTable} {
		if s, ok := t[key]; ok {
			return s, true
		}
	}
	return [2]string{}, false
}

package ui

// reconTable holds the strings of the owner's books: a day's
// reconciliation with WeChat's bill, its differences, what reaches the
// bank, and the Settings lines that came with them (the API in use, the
// speaker). T looks here after the main and payment-code tables. Every key
// has both languages; no key is in two tables.
var reconTable = map[string][2]string{
	"recon.unreconciled":  {"未对账（微信账单次日 10:00 后生成）", "Not reconciled yet (WeChat's bill comes after 10:00 the next day)"},
	"recon.reconciled":    {"已对账", "Reconciled"},
	"recon.difference":    {"1 处差异", "1 difference"},
	"recon.differences":   {"%d 处差异", "%d differences"},
	"recon.bank":          {"收款 %s · 退款 %s · 手续费 %s · 结算金额 %s", "Gross %s · refunds %s · fees %s · net settlement %s"},
	"recon.show":          {"差异 (%d)", "Differences (%d)"},
	"recon.title":         {"与微信对账单的差异 %s", "Differences with WeChat's bill %s"},
	"recon.days":          {"对账差异：", "Bill differences:"},
	"recon.day":           {"%s · %d 处", "%s · %d"},
	"recon.none":          {"这一天与微信对账单一致", "This day agrees with WeChat's bill"},
	"recon.order":         {"订单 %s", "Order %s"},
	"recon.refund":        {"退款单 %s", "Refund %s"},
	"recon.transaction":   {"交易号 %s", "Transaction %s"},
	"recon.amounts":       {"账本 %s · 微信 %s", "Ledger %s · WeChat %s"},
	"recon.explained":     {"已说明：%s（%s）", "Explained: %s (%s)"},
	"recon.explain":       {"标记为已说明", "Mark as explained"},
	"recon.note.title":    {"说明这处差异", "Explain this difference"},
	"recon.note.hint":     {"说明（必填），或选一个常用说明", "A note (required), or pick a common one"},
	"recon.note.empty":    {"请先写说明", "Write a note first"},
	"recon.note.checked":  {"已在商户平台核对无误", "Checked in the merchant platform"},
	"recon.note.handed":   {"已交付商品", "Goods handed over"},
	"recon.note.refunded": {"已在商户平台退款", "Refunded in the merchant platform"},
	"recon.note.test":     {"测试交易", "A test payment"},

	"diff.only_at_wechat":        {"微信有此笔收款，账本没有", "Paid at WeChat, missing from the ledger"},
	"diff.unpaid_in_ledger":      {"微信已收款，账本显示未付款", "Paid at WeChat, unpaid in the ledger"},
	"diff.only_in_ledger":        {"账本有，微信没有", "In the ledger, not at WeChat"},
	"diff.amount":                {"金额不符", "The amounts differ"},
	"diff.transaction":           {"微信的交易与账本不同（或已撤销）", "WeChat's transaction is not the ledger's (or was reversed)"},
	"diff.refund_only_at_wechat": {"退款只在微信", "Refund only at WeChat"},
	"diff.refund_only_in_ledger": {"退款只在账本，微信没有", "Refund only in the ledger, not at WeChat"},
	"diff.refund_amount":         {"退款金额不符", "The refund amounts differ"},
	"diff.refund_state":          {"退款结果不符（是否失败）", "The refund's outcome differs (failed or not)"},

	"action.add_sale":       {"需补录到账本：请在商户平台核对这笔付款", "To be added to the ledger: check the payment in the merchant platform"},
	"action.confirm_sale":   {"需在账本记为已付款：请在商户平台核对这笔付款", "To be recorded as paid: check the payment in the merchant platform"},
	"action.added":          {"已补录为销售并标记：请确认商品已交付", "Added to the ledger as a sale, flagged: check the goods were handed over"},
	"action.confirmed":      {"已记为已付款并标记：请确认商品已交付", "Recorded as paid, flagged: check the goods were handed over"},
	"action.check_platform": {"请在微信支付商户平台 (pay.weixin.qq.com) 查询这笔订单，再标记为已说明", "Look the order up in the merchant platform (pay.weixin.qq.com), then mark it explained"},
	"action.check_refund":   {"请在商户平台查询这笔退款：在商户平台直接发起的退款不在账本中", "Look the refund up in the merchant platform: a refund made there is not in the ledger"},

	"flag.found_by_reconciliation": {"对账补录", "Found by reconciliation"},
	"source.reconciliation":        {"微信对账单", "WeChat's daily bill"},
	"alert.found":                  {"注意：微信有此笔付款（交易号 %s，%s），账本没有，已按 %s 的对账单补录", "Attention: paid at WeChat (transaction %s, %s) but missing from the ledger; added from the bill of %s"},
	"alert.bill":                   {"注意：付款 %s 只在 %s 的微信对账单中找到，已记为已付款", "Attention: payment %s was found only in WeChat's bill of %s; recorded as paid"},

	"wx.api":          {"接口", "API"},
	"wx.api.v2":       {"API v2", "API v2"},
	"wx.api.v3.key":   {"API v3 · 已设置 v2 密钥：可用付款码和货架码", "API v3 · v2 key set: payment codes and shelf labels work"},
	"wx.api.v3.nokey": {"API v3 · 付款码和货架码需要 v2 API 密钥", "API v3 · payment codes and shelf labels need the v2 API key"},
	"group.speaker":   {"语音播报", "Speaker"},
	"speaker.volume":  {"音量", "Volume"},
	"speaker.mute":    {"静音", "Mute"},
}

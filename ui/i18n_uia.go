package ui

// uiaTable holds the strings of the customer's side of the Pay screen
// (shown in both languages, Chinese first) and of the messages about work
// the screens finish in the background. T looks here after the main,
// payment-code and reconciliation tables. Every key has both languages; no
// key is in two tables.
var uiaTable = map[string][2]string{
	"cust.items":     {"您购买的商品", "Your items"},
	"locale.unsaved": {"语言已切换，但未能保存（下次启动恢复原语言）：%s", "Language switched but not saved (the next start uses the old one): %s"},
}

package ui

import "fmt"

// strings is the zh/en string table. Keys are English-ish ids; every key
// has both languages.
var stringsTable = map[string][2]string{
	"app.title":                {"扫码收银", "Saoma POS"},
	"all":                      {"全部", "All"},
	"cart":                     {"当前订单", "Current order"},
	"cart.empty":               {"点商品加入订单", "Tap products to add them"},
	"total":                    {"合计", "Total"},
	"clear":                    {"清空", "Clear"},
	"charge":                   {"微信收款 %s", "Charge %s"},
	"code.placeholder":         {"商品码/扫码", "Product code / scan"},
	"code.unknown":             {"没有商品码 %s", "No product with code %s"},
	"remove":                   {"删除", "Remove"},
	"menu":                     {"菜单", "Menu"},
	"sales":                    {"销售", "Sales"},
	"settings":                 {"设置", "Settings"},
	"reprint.last":             {"重打上一张小票", "Reprint last receipt"},
	"lock":                     {"锁定", "Lock"},
	"labels":                   {"打印商品二维码", "Print product QR labels"},
	"labels.done":              {"已打印 %d 张商品二维码", "Printed %d product QR labels"},
	"labels.failed":            {"已打印 %d 张，出错：%v", "Printed %d, then failed: %v"},
	"link.connected":           {"推送已连接", "Push connected"},
	"link.polling":             {"仅轮询", "Polling only"},
	"printer.ok":               {"打印机就绪", "Printer ready"},
	"printer.offline":          {"打印机离线", "Printer offline"},
	"printer.nopaper":          {"打印机缺纸", "Printer out of paper"},
	"printer.stalled":          {"打印机无响应", "Printer not responding"},
	"printer.lp":               {"未安装 CUPS (lp)", "CUPS (lp) not installed"},
	"printer.error":            {"打印失败", "Printing failed"},
	"demo":                     {"演示", "DEMO"},
	"demo.hint":                {"演示模式：在浏览器打开 %s 点「支付」", "Demo: open %s in a browser and press Pay"},
	"settling":                 {"正在核对未完成订单…", "Checking unfinished orders…"},
	"flagged":                  {"%d 笔需关注", "%d need attention"},
	"scan":                     {"请使用微信「扫一扫」付款", "Scan with WeChat to pay"},
	"valid":                    {"二维码有效期 %s", "QR valid for %s"},
	"waiting":                  {"○ 等待付款…", "○ Waiting for payment…"},
	"requesting":               {"正在生成二维码…", "Getting the QR code…"},
	"paid":                     {"支付成功", "Paid"},
	"expired":                  {"二维码已过期", "QR code expired"},
	"cancelled":                {"已取消", "Cancelled"},
	"cancelling":               {"正在取消…", "Cancelling…"},
	"paid.after":               {"取消后收到付款！请退款或交付商品", "Paid after cancel! Refund or hand over the goods"},
	"alert.after":              {"取消后到账", "Paid after cancel"},
	"alert.after.body":         {"订单 %s 已取消，但顾客仍付款 %s。请交付商品或在「销售」中退款。", "Order %s was cancelled but the customer paid %s. Hand over the goods, or refund it from Sales."},
	"mode1.paid":               {"货架二维码收款：%s %s", "Shelf QR sale: %s %s"},
	"refresh":                  {"重新生成", "New QR"},
	"cancel":                   {"取消", "Cancel"},
	"retry":                    {"重试", "Retry"},
	"print.bill":               {"打印付款单", "Print bill"},
	"reprint":                  {"重打小票", "Reprint"},
	"next":                     {"下一单", "Next sale"},
	"receipt.printed":          {"小票已打印", "Receipt printed"},
	"pin.cashier":              {"收银员密码", "Cashier PIN"},
	"pin.owner":                {"店主密码", "Owner PIN"},
	"pin.wrong":                {"密码错误", "Wrong PIN"},
	"pin.demo":                 {"尚未设置密码：输入 0000，并在设置中修改", "No PIN set yet: enter 0000, then set one in Settings"},
	"ok":                       {"确定", "OK"},
	"back":                     {"返回", "Back"},
	"today":                    {"今天", "Today"},
	"prev.day":                 {"◀ 前一天", "◀ Previous"},
	"next.day":                 {"后一天 ▶", "Next ▶"},
	"span.day":                 {"当天", "This day"},
	"span.week":                {"近 7 天", "7 days"},
	"span.month":               {"本月", "Month to date"},
	"show.flagged":             {"需关注 (%d)", "Attention (%d)"},
	"show.day":                 {"返回当天列表", "Back to the day"},
	"export.csv":               {"导出 CSV", "Export CSV"},
	"export.xlsx":              {"导出 Excel", "Export Excel"},
	"exported":                 {"已导出到 %s", "Exported to %s"},
	"gross":                    {"收入", "Gross"},
	"count":                    {"笔数", "Sales"},
	"refunds":                  {"退款", "Refunds"},
	"net":                      {"净额", "Net"},
	"attention":                {"需关注", "Attention"},
	"by.hour":                  {"按小时收入", "Takings by hour"},
	"last14":                   {"近 14 天", "Last 14 days"},
	"no.sales":                 {"这一天没有销售", "No sales on this day"},
	"refund":                   {"退款", "Refund"},
	"refund.amount":            {"退款金额 (元)", "Refund amount (yuan)"},
	"refund.done":              {"已提交退款 %s", "Refund of %s submitted"},
	"refund.confirm":           {"确认退款 %s（订单 %s）？退款会退回顾客的微信。", "Refund %s of order %s? The money goes back to the customer's WeChat."},
	"refund.range":             {"退款金额须大于 0 且不超过 %s", "A refund must be more than 0 and at most %s"},
	"detail":                   {"订单详情", "Order detail"},
	"events":                   {"记录", "History"},
	"shop":                     {"店名", "Shop name"},
	"kiosk.id":                 {"收银台编号", "Kiosk id"},
	"language":                 {"语言", "Language"},
	"day.boundary":             {"营业日开始 (HH:MM)", "Business day starts (HH:MM)"},
	"wx.appid":                 {"APPID", "APPID"},
	"wx.mchid":                 {"商户号", "Merchant no. (mch_id)"},
	"wx.key":                   {"API 密钥 (只写)", "API key (write-only)"},
	"wx.signtype":              {"签名方式", "Sign type"},
	"wx.cert":                  {"证书文件 (.p12)", "Certificate (.p12)"},
	"relay.url":                {"推送中继地址", "Relay URL"},
	"relay.token":              {"中继令牌 (只写)", "Relay token (write-only)"},
	"printer.kind":             {"打印机类型", "Printer type"},
	"printer.addr":             {"打印机地址/设备", "Printer address / device"},
	"printer.paper":            {"纸宽 (mm)", "Paper width (mm)"},
	"pin.new.owner":            {"新店主密码", "New owner PIN"},
	"pin.new.cashier":          {"新收银员密码", "New cashier PIN"},
	"save":                     {"保存", "Save"},
	"saved":                    {"已保存。商户与打印机设置在重启后生效。", "Saved. Merchant and printer settings apply after a restart."},
	"about":                    {"关于", "About"},
	"version":                  {"版本", "Version"},
	"data.dir":                 {"数据目录", "Data folder"},
	"sim.page":                 {"模拟器付款页", "Simulator pay page"},
	"group.shop":               {"店铺", "Shop"},
	"group.wx":                 {"微信支付", "WeChat Pay"},
	"group.relay":              {"推送中继", "Relay"},
	"group.printer":            {"打印机", "Printer"},
	"group.pins":               {"密码", "PINs"},
	"test.print":               {"测试打印", "Test print"},
	"test.sent":                {"测试页已发送到打印机（结果见顶部状态栏）", "Test page sent (the top bar shows the result)"},
	"error":                    {"出错了", "Something went wrong"},
	"state.created":            {"待下单", "Not issued"},
	"state.awaiting":           {"待支付", "Awaiting"},
	"state.paid":               {"已支付", "Paid"},
	"state.cancel_pending":     {"取消中", "Cancelling"},
	"state.closed":             {"已取消", "Cancelled"},
	"state.expired":            {"已过期", "Expired"},
	"state.paid_after_cancel":  {"取消后到账", "Paid after cancel"},
	"state.partially_refunded": {"部分退款", "Part refunded"},
	"state.refunded":           {"已退款", "Refunded"},
	"flag.amount_mismatch":     {"金额不符", "Amount mismatch"},
	"flag.conflicting_payment": {"重复付款", "Duplicate payment"},
	"flag.paid_after_cancel":   {"取消后到账", "Paid after cancel"},
}

// lang is 0 for Chinese, 1 for English.
type lang int

func langOf(locale string) lang {
	if locale == "en" {
		return 1
	}
	return 0
}

// T returns the string for key in l, formatted with args.
func (l lang) T(key string, args ...any) string {
	s, ok := stringsTable[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s[l], args...)
	}
	return s[l]
}

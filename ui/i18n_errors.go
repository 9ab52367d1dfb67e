package ui

// errTable holds the cashier's sentences for the errors the engine and its
// adapters return (errText). T looks here after the other tables. Every
// key has both languages; no key is in two tables.
var errTable = map[string][2]string{
	"err.general":         {"出错了，请再试一次；详情已记录在日志中", "Something went wrong; try again (the details are in the log)"},
	"err.config":          {"设置有误，未保存", "The settings are not valid and were not saved"},
	"err.config.key":      {"设置项 %s 的值不正确，未保存", "The setting %s is not valid; nothing was saved"},
	"err.config.insecure": {"密钥文件可被其他用户读取，已拒绝使用（请将权限设为 600）", "A key file can be read by other users and was refused (set its permissions to 600)"},
	"err.pay.userpaying":  {"顾客正在输入支付密码，请稍候", "The customer is entering the payment password; please wait"},
	"err.refund.final":    {"这笔退款已有最终结果，无需再处理", "This refund already has its final outcome"},
	"err.pay.paid":        {"这笔订单已在微信支付付款", "WeChat Pay says this order is already paid"},
	"err.pay.closed":      {"这笔订单已在微信支付关闭", "WeChat Pay says this order is closed"},
	"err.pay.norefund":    {"微信支付找不到这笔退款", "WeChat Pay has no such refund"},
	"err.pay.notfound":    {"微信支付找不到这笔订单", "WeChat Pay has no such order"},
	"err.pay.unsupported": {"当前的微信支付接口不支持此操作", "The WeChat Pay interface in use does not support this"},
	"err.pay.unknown":     {"未收到微信支付的答复，结果未知；收银机会自动查询", "WeChat Pay's answer was lost; the kiosk checks the outcome by itself"},
	"err.transition":      {"这笔订单当前的状态不允许此操作", "The order's state does not allow this now"},
	"err.mismatch":        {"微信支付的确认与这笔订单不符，已标记需关注", "WeChat Pay's confirmation does not match this order; it is flagged"},
	"err.nobill":          {"这一天在微信支付没有交易，没有账单", "WeChat Pay has no bill for this day (no trade)"},
	"err.billnotready":    {"微信支付账单尚未生成（次日 10:00 后）", "WeChat Pay's bill is not out yet (after 10:00 the next day)"},
	"err.nodiff":          {"找不到这处差异，请刷新后再试", "That difference is gone; refresh and try again"},
	"err.rejected":        {"微信支付的通知未通过校验，已拒绝", "A WeChat Pay notification failed its checks and was refused"},
	"err.permission":      {"没有权限写入此位置", "No permission to write there"},
	"err.nofile":          {"找不到文件或文件夹", "The file or folder was not found"},
	"err.cancelled":       {"操作已取消", "Cancelled"},
	"err.print":           {"打印失败：请检查打印机的电源、纸和上盖后再试", "Printing failed: check the printer's power, paper and cover, then try again"},
	"err.yuan":            {"请输入元，例如 12 或 12.50（最多两位小数）", "Write an amount in yuan, like 12 or 12.50 (at most two decimals)"},
}

package store

import (
	"fmt"

	"github.com/xuri/excelize/v2"

	"saoma/app"
)

// The reconciliation sheets' names, columns and words.
var (
	sheetRecon = label{"对账", "Reconciliation"}
	sheetDiffs = label{"差异", "Differences"}

	lblReconState = label{"对账状态", "Reconciled"}
	lblBillOrders = label{"账单笔数", "Bill orders"}
	lblFees       = label{"手续费", "Fees"}
	lblSettle     = label{"结算金额", "Net settlement"}
	lblOpenDiffs  = label{"未说明差异", "Open differences"}
	lblCheckedAt  = label{"对账时间", "Checked at"}
	lblDiffKind   = label{"差异", "Difference"}
	lblRefundNo   = label{"退款单号", "Refund no."}
	lblLedgerAmt  = label{"账本金额", "Ledger amount"}
	lblWeChatAmt  = label{"微信金额", "WeChat amount"}
	lblToDo       = label{"处理", "What to do"}
	lblExplained  = label{"说明", "Explanation"}
)

var reconColumns = []column{
	{lblDay, 12}, {lblReconState, 16}, {lblBillOrders, 10}, {lblGross, 14}, {lblRefunds, 14},
	{lblFees, 12}, {lblSettle, 16}, {lblOpenDiffs, 12}, {lblCheckedAt, 20},
}

var diffColumns = []column{
	{lblDay, 12}, {lblDiffKind, 30}, {lblOutTradeNo, 22}, {lblRefundNo, 26}, {lblTransaction, 32},
	{lblLedgerAmt, 14}, {lblWeChatAmt, 14}, {lblToDo, 34}, {lblExplained, 30},
}

var reconStates = map[app.ReconcileState]label{
	app.Unreconciled: {"未对账", "Not reconciled"},
	app.Reconciled:   {"已对账 ✓", "Reconciled ✓"},
	app.Differences:  {"有差异", "Differences"},
}

var diffKinds = map[app.DiffKind]label{
	app.DiffOnlyAtWeChat:       {"微信有收款，账本没有", "Paid at WeChat, not in the ledger"},
	app.DiffUnpaidInLedger:     {"微信已收款，账本未收款", "Paid at WeChat, unpaid in the ledger"},
	app.DiffOnlyInLedger:       {"账本有收款，微信没有", "In the ledger, not at WeChat"},
	app.DiffAmount:             {"金额不符", "Amounts differ"},
	app.DiffTransaction:        {"微信交易号不符", "Transaction ids differ"},
	app.DiffRefundOnlyAtWeChat: {"退款只在微信", "Refund only at WeChat"},
	app.DiffRefundOnlyInLedger: {"退款只在账本", "Refund only in the ledger"},
	app.DiffRefundAmount:       {"退款金额不符", "Refund amounts differ"},
	app.DiffRefundState:        {"退款状态不符", "Refund states differ"},
}

var diffActions = map[app.DiffAction]label{
	app.ActionAddSale:       {"补录这笔收款", "Add the sale to the ledger"},
	app.ActionConfirmSale:   {"确认这笔收款", "Confirm the sale"},
	app.ActionAdded:         {"已自动补录，请核对", "Added automatically; check it"},
	app.ActionConfirmed:     {"已自动确认，请核对", "Confirmed automatically; check it"},
	app.ActionCheckPlatform: {"在商户平台核对", "Check it in the merchant platform"},
	app.ActionCheckRefund:   {"在商户平台核对退款", "Check the refund in the merchant platform"},
}

func textOf[K comparable](m map[K]label, k K, lang string) string {
	if l, ok := m[k]; ok {
		return l.in(lang)
	}
	return fmt.Sprint(k)
}

// writeReconSheets adds the days matched against WeChat's bill — what
// reached the bank after fees — and every difference with what to do.
func writeReconSheets(x *excelize.File, recs []app.Reconciliation, st styles, lang string) error {
	sw, err := streamSheet(x, sheetRecon.in(lang), reconColumns, lang, st.bold)
	if err != nil {
		return err
	}
	money := func(f app.Fen) excelize.Cell { return excelize.Cell{StyleID: st.money, Value: yuanNumber(f)} }
	for i, r := range recs {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		var checked any
		if !r.CheckedAt.IsZero() {
			checked = excelize.Cell{StyleID: st.dateTime, Value: excelTime(r.CheckedAt)}
		}
		if err := sw.SetRow(cell, []any{excelize.Cell{StyleID: st.date, Value: excelDay(r.Day)},
			textOf(reconStates, r.State, lang), r.Orders, money(r.Gross), money(r.Refunds), money(r.Fees), money(r.Net),
			r.Open(), checked}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	sw, err = streamSheet(x, sheetDiffs.in(lang), diffColumns, lang, st.bold)
	if err != nil {
		return err
	}
	row := 2
	text := func(s string) excelize.Cell { return excelize.Cell{StyleID: st.text, Value: guard(s)} }
	for _, r := range recs {
		for _, d := range r.Diffs {
			cell, err := excelize.CoordinatesToCellName(1, row)
			if err != nil {
				return err
			}
			if err := sw.SetRow(cell, []any{excelize.Cell{StyleID: st.date, Value: excelDay(r.Day)},
				textOf(diffKinds, d.Kind, lang), text(d.OutTradeNo), text(d.OutRefundNo), text(d.TransactionID),
				money(d.Ledger), money(d.WeChat), textOf(diffActions, d.Action, lang), guard(d.Explained)}); err != nil {
				return err
			}
			row++
		}
	}
	return sw.Flush()
}

// reconByDay indexes reconciliations by day.
func reconByDay(recs []app.Reconciliation) map[app.Day]app.Reconciliation {
	m := make(map[app.Day]app.Reconciliation, len(recs))
	for _, r := range recs {
		m[r.Day] = r
	}
	return m
}

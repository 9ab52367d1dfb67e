package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"saoma/app"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

var (
	_ app.Bills = (*V2)(nil)
	_ app.Bills = (*V3)(nil)
)

// Bill downloads day's trade bill (/pay/downloadbill, bill_type ALL,
// gzip) and translates its rows. "No Bill Exist" is app.ErrNoBill, "Bill
// Creating" app.ErrBillNotReady.
func (v *V2) Bill(ctx context.Context, day app.Day) ([]app.BillRow, error) {
	date, err := billDate(day)
	if err != nil {
		return nil, err
	}
	b, err := v.client.DownloadBill(ctx, wxpay.BillRequest{Date: date, Type: wxpay.BillAll, GZIP: true})
	if err != nil {
		return nil, billErr(day, err)
	}
	return billRows(day, b)
}

// Bill downloads day's trade bill (GET /v3/bill/tradebill, bill_type ALL,
// then the file, checked against its SHA1) and translates its rows, which
// have v2's column layout. NO_STATEMENT_EXIST is app.ErrNoBill,
// STATEMENT_CREATING app.ErrBillNotReady.
func (v *V3) Bill(ctx context.Context, day app.Day) ([]app.BillRow, error) {
	if _, err := billDate(day); err != nil {
		return nil, err
	}
	data, err := v.client.FetchTradeBill(ctx, string(day))
	if err != nil {
		return nil, billErr(day, err)
	}
	b, err := wxpay.ParseBill(data)
	if err != nil {
		return nil, fmt.Errorf("bill of %s: %w", day, err)
	}
	return billRows(day, b)
}

func billDate(day app.Day) (string, error) {
	if _, err := app.ParseDay(string(day)); err != nil {
		return "", fmt.Errorf("bill: %w", err)
	}
	return strings.ReplaceAll(string(day), "-", ""), nil
}

// billErr maps a bill download's failure for the Reconciler.
func billErr(day app.Day, err error) error {
	var to error
	switch {
	case errors.Is(err, wxpay.ErrBillNotExist) || errors.Is(err, wxpayv3.ErrNoStatement):
		to = app.ErrNoBill
	case errors.Is(err, wxpay.ErrBillCreating) || errors.Is(err, wxpayv3.ErrStatementCreating):
		to = app.ErrBillNotReady
	case errors.Is(err, wxpay.ErrTransport) || wxpay.IsRetryable(err) ||
		errors.Is(err, wxpayv3.ErrTransport) || wxpayv3.IsRetryable(err):
		to = app.ErrPayUnknown
	default:
		return fmt.Errorf("bill of %s: %w", day, err)
	}
	return fmt.Errorf("bill of %s: %w: %w", day, to, err)
}

// billStates maps 交易状态.
var billStates = map[string]app.BillState{
	"SUCCESS": app.BillPaid,
	"REFUND":  app.BillRefund,
	"REVOKED": app.BillReversed,
}

// billRows translates a parsed bill. Amounts: 订单金额 for payments,
// 申请退款金额 (what the kiosk asked; 退款金额 on older bills) for refunds,
// 手续费 (five decimals, whole fen) for fees.
func billRows(day app.Day, b *wxpay.Bill) ([]app.BillRow, error) {
	out := make([]app.BillRow, 0, len(b.Rows))
	for i, r := range b.Rows {
		st, ok := billStates[r.TradeState]
		if !ok {
			return nil, fmt.Errorf("bill of %s row %d: unknown trade state %q: %w", day, i+1, r.TradeState, wxpay.ErrBadBill)
		}
		fee, err := wxpay.YuanToFen(r.Fields["手续费"])
		if err != nil {
			return nil, fmt.Errorf("bill of %s row %d: 手续费: %w", day, i+1, err)
		}
		row := app.BillRow{OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID, TradeTime: r.TradeTime, State: st,
			Fee: app.Fen(fee), FeeRate: r.Fields["费率"]}
		if st == app.BillPaid {
			row.Amount = app.Fen(r.TotalFee)
			if row.Amount == 0 {
				row.Amount = app.Fen(r.SettlementFee)
			}
		} else {
			asked, err := wxpay.YuanToFen(r.Fields["申请退款金额"])
			if err != nil {
				return nil, fmt.Errorf("bill of %s row %d: 申请退款金额: %w", day, i+1, err)
			}
			if asked == 0 {
				asked = r.RefundFee
			}
			row.OutRefundNo, row.RefundID, row.RefundAmount = r.OutRefundNo, r.RefundID, app.Fen(asked)
			row.RefundState = v2RefundState(r.RefundStatus)
		}
		out = append(out, row)
	}
	return out, nil
}

package ui

import (
	"strings"
	"testing"
	"time"

	"saoma/app"
)

func TestOrderHistoryReadsAsSentences(t *testing.T) {
	at := time.Date(2026, 11, 22, 4, 41, 0, 0, time.UTC)
	cases := []struct {
		name     string
		loc      string
		e        app.Event
		want     string
		mustLose []string // developer words that must not show
	}{
		{"the cashier's charge keeps its amount", "zh",
			app.Event{Source: app.SourceCashier, From: app.StateCreated, To: app.StateCreated, Note: "charged ¥78.50 for 4 lines"},
			"收银员 · 收款 ￥78.50，共 4 项", []string{"created", "charged", "cashier"}},
		{"a payment keeps its transaction id", "zh",
			app.Event{Source: app.SourceNotification, From: app.StateAwaiting, To: app.StatePaid, Note: "paid, transaction 4200001234"},
			"变为「已支付」（微信支付通知） · 微信交易号 4200001234", []string{"awaiting", "notification", "paid,"}},
		{"a cancel says only that it was cancelled", "en",
			app.Event{Source: app.SourceCashier, From: app.StateAwaiting, To: app.StateCancelPending, Note: "cancelled"},
			"became Cancelling (cashier)", []string{"cancel_pending", "awaiting"}},
		{"an alert is a translated sentence with its data", "zh",
			app.Event{Source: app.SourceQuery, From: app.StateAwaiting, To: app.StateAwaiting, Note: "ALERT: confirmation 42001 for ¥10.00 does not match order total ¥12.00; not recorded as a sale"},
			"向微信支付查询 · 注意：付款 42001 的金额 ￥10.00 与订单金额 ￥12.00 不符，不算销售", []string{"ALERT", "confirmation"}},
		{"an unknown alert still reads as a sentence", "en",
			app.Event{Source: app.SourceSystem, From: app.StatePaid, To: app.StatePaid, Note: "ALERT: something new"},
			"kiosk · Attention: this order needs the owner", []string{"ALERT"}},
		{"an unknown note keeps its data", "en",
			app.Event{Source: app.SourceRefund, From: app.StatePaid, To: app.StateRefunded, Note: "K1-R1 settled"},
			"became Refunded (refund) · K1-R1 settled", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &Kiosk{lang: langOf(c.loc)}
			c.e.At = at
			got := k.eventText(c.e, noteRules())
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			for _, w := range c.mustLose {
				if strings.Contains(got, w) {
					t.Errorf("%q still says %q", got, w)
				}
			}
		})
	}
}

func TestSaleDetailHistoryIsInTheKiosksLanguage(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	o := app.Order{OutTradeNo: "K1H", Total: 7850, State: app.StatePaid, TransactionID: "4200009",
		Events: []app.Event{
			{At: f.now, Source: app.SourceCashier, From: app.StateCreated, To: app.StateCreated, Note: "charged ¥78.50 for 4 lines"},
			{At: f.now, Source: app.SourceNotification, From: app.StateAwaiting, To: app.StatePaid, Note: "paid, transaction 4200009"},
		}}
	f.eng.reports.orders = []app.Order{o}
	openSalesByKey(t, k)
	k.sales.showDetail(o)
	texts := labelsIn(k.win.Canvas().Overlays().Top())
	for _, bad := range []string{"cashier", "created", "notification", "awaiting"} {
		if containsText(texts, bad) {
			t.Errorf("the detail says %q: %v", bad, texts)
		}
	}
	if !containsText(texts, "变为「已支付」（微信支付通知）") {
		t.Errorf("the detail lacks the payment sentence: %v", texts)
	}
}

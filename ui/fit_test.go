package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"saoma/app"
)

// worstStatus is the longest status bar there is: settling, polling, a
// printer out of paper with its Retry, demo mode and flagged orders.
var worstStatus = app.Status{Ready: false, Link: app.LinkPolling, Demo: true, Flagged: 13,
	Printer: app.PrinterStatus{OK: false, Detail: "paper", Failed: 2}}

// TestScreensFitTheWindow opens every screen in both languages at both
// kiosk sizes with the longest status bar, and checks that nothing needs
// more room than the window has (which would cut it off at the edge).
func TestScreensFitTheWindow(t *testing.T) {
	sizes := []fyne.Size{fyne.NewSize(1024, 768), fyne.NewSize(1920, 1080)}
	for _, size := range sizes {
		for _, loc := range []string{"zh", "en"} {
			t.Run(fmt.Sprintf("%s at %vx%v", loc, size.Width, size.Height), func(t *testing.T) {
				f := newFakeKiosk(t, app.Config{Locale: loc}, func(o *Options) {
					o.Demo, o.SimURL = true, "http://127.0.0.1:8090/"
					o.Size = size
					o.DataDir = "/var/lib/saoma/a-rather-long-data-directory-name"
				})
				f.eng.mu.Lock()
				f.eng.status = worstStatus
				f.eng.reports = longReports(f.now)
				f.eng.products = append(f.eng.products,
					app.Product{ID: "9001", Name: "超大杯季节限定南瓜燕麦拿铁（热）", Price: 123456, Category: "季节限定饮品", Active: true},
					app.Product{ID: "9002", Name: "Extra-large seasonal pumpkin spice oat latte", Price: 99900, Category: "Seasonal specials", Active: true})
				f.eng.mu.Unlock()
				// A reconciled day with differences, and older ones in the
				// attention list.
				for _, d := range []app.Day{"2026-11-22", "2026-11-21", "2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17"} {
					f.eng.setRec(diffDay(d))
				}
				f.k.build()
				f.resize(size)
				k := f.k
				k.status.set(worstStatus)
				fits := func(screen string) {
					t.Helper()
					min := k.win.Content().MinSize()
					if min.Width > size.Width || min.Height > size.Height {
						t.Errorf("%s needs %vx%v", screen, min.Width, min.Height)
					}
				}
				for _, id := range []string{"1001", "2001", "3001", "9001", "9002"} {
					f.tapTile(id)
				}
				fits("sell")

				test := func(name string, o app.Order) {
					t.Helper()
					k.showPay(o)
					fits(name)
				}
				o, _ := f.eng.Charge(context.Background(), k.sell.cart.Lines())
				test("pay", o)
				o.State = app.StateExpired
				test("pay expired", o)
				o.State = app.StateCreated
				k.showPay(o)
				k.pay.show(o, time.Time{}, &app.ChargeError{OutTradeNo: o.OutTradeNo, Err: fmt.Errorf("dial tcp: i/o timeout")})
				fits("pay with an error")
				o.State, o.PaidAt, o.TransactionID = app.StatePaid, f.now, "4200001234202611221234567890"
				test("paid", o)
				o.State = app.StatePaidAfterCancel
				test("paid after cancel", o)
				o.Mode, o.State, o.CodeURL = app.ModePayCode, app.StateAwaiting, ""
				test("pay by code, password", o)
				k.pay.next()

				k.sales = newSalesScreen(k)
				k.setBody("sales", k.sales.obj)
				fits("sales")
				if !k.sales.recon.diffs.Visible() || k.sales.recon.bank.Text == "" {
					t.Error("the day's reconciliation is not shown")
				}
				diffsFit(t, k, size)
				k.sales.toggleFlagged()
				fits("sales, flagged")
				if !k.sales.diffDayRow.Visible() {
					t.Error("the attention list offers no days with differences")
				}
				k.settings = newSettingsScreen(k)
				k.setBody("settings", k.settings.obj)
				fits("settings")
			})
		}
	}
}

func (f *fakeKiosk) tapTile(id string) {
	f.t.Helper()
	b := f.k.sell.tiles[id]
	if b == nil {
		f.t.Fatalf("no tile for product %s", id)
	}
	b.OnTapped()
}

// longReports is a busy day with every kind of order.
func longReports(now time.Time) fakeReports {
	var orders []app.Order
	states := []app.State{app.StatePaid, app.StatePaidAfterCancel, app.StateRefunded, app.StatePartiallyRefunded, app.StateClosed, app.StateExpired}
	for i := range 30 {
		o := app.Order{OutTradeNo: fmt.Sprintf("K120261122%06d", i), Total: app.Fen(1000 + i*731),
			State: states[i%len(states)], CreatedAt: now.Add(-time.Duration(i) * 7 * time.Minute),
			TransactionID: fmt.Sprintf("42000012342026112212345%05d", i), Mode: 1 + i%3}
		if o.State == app.StatePaidAfterCancel {
			o.Flag = app.FlagPaidAfterCancel
		}
		if i == 7 {
			o.Flag = app.FlagAmountMismatch
		}
		orders = append(orders, o)
	}
	sum := app.Summary{Sales: 24, Gross: 12345678, Refunds: 456700, Net: 11888978, Flagged: 6}
	for h := 7; h < 22; h++ {
		sum.ByHour[h] = app.Fen(h * 10000)
	}
	return fakeReports{summary: sum, orders: orders, flagged: orders[:6]}
}

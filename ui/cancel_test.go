package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"saoma/app"
)

// cancelByKey charges one coffee and cancels it with Esc and the demo PIN;
// WeChat has not closed it yet.
func (f *fakeKiosk) cancelByKey() app.Order {
	f.t.Helper()
	o := f.charge()
	f.cancelShown()
	return o
}

// cancelShown cancels the order on the Pay screen with Esc and the PIN.
func (f *fakeKiosk) cancelShown() {
	f.t.Helper()
	f.eng.cancelState = app.StateCancelPending
	c := f.k.win.Canvas()
	press(c, fyne.KeyEscape)
	if f.k.pin == nil || !f.k.dialogOpen() {
		f.t.Fatal("Esc did not ask the cashier's PIN")
	}
	f.k.pin.entry.SetText(demoPIN)
	f.k.pin.entry.OnSubmitted("")
	f.pump("the cancelled screen", func() bool { return f.k.pay.order.State == app.StateCancelPending })
}

func TestCancelledScreenIsNoDeadEnd(t *testing.T) {
	demo := func(o *Options) { o.Demo, o.SimURL = true, "http://127.0.0.1:8090/" }
	t.Run("it returns to Sell by itself after a few seconds", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{}, demo)
		k := f.k
		f.cancelByKey()
		k.tick()
		if k.screen != "pay" {
			t.Fatalf("left the cancelled screen at once: %s", k.screen)
		}
		f.now = f.now.Add(cancelReturn)
		k.tick()
		if k.screen != "sell" || !f.eng.called("Done") {
			t.Errorf("after %v: screen %s, Done %v", cancelReturn, k.screen, f.eng.called("Done"))
		}
	})
	t.Run("Enter returns to Sell", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{}, demo)
		k := f.k
		f.cancelByKey()
		press(k.win.Canvas(), fyne.KeyReturn)
		if k.screen != "sell" {
			t.Errorf("Enter on the cancelled screen: %s", k.screen)
		}
	})
	t.Run("Esc does not ask the PIN again", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{}, demo)
		k := f.k
		f.cancelByKey()
		before := k.pin
		press(k.win.Canvas(), fyne.KeyEscape)
		if k.pin != before || k.dialogOpen() {
			t.Error("Esc on the cancelled screen asked for the PIN again")
		}
	})
	t.Run("the demo hint no longer says pay", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{}, demo)
		k := f.k
		f.charge()
		if !k.pay.demoHint.Visible() {
			t.Fatal("no demo hint while waiting")
		}
		f.cancelShown()
		if k.pay.demoHint.Visible() {
			t.Errorf("cancelled screen shows %q", k.pay.demoHint.Text)
		}
	})
	t.Run("Sales lists it as cancelling at once", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		o := f.cancelByKey()
		press(k.win.Canvas(), fyne.KeyReturn)
		openSalesByKey(t, k)
		if len(k.sales.orders) == 0 || k.sales.orders[0].OutTradeNo != o.OutTradeNo {
			t.Fatalf("Sales lists %d orders, not the cancelled %s", len(k.sales.orders), o.OutTradeNo)
		}
		row := k.sales.list.CreateItem().(*fyne.Container)
		k.sales.fillRow(0, row)
		if got := labelText(row.Objects[3]); !strings.HasPrefix(got, k.lang.T("state.cancel_pending")) {
			t.Errorf("row state %q", got)
		}
		// Once WeChat closes it, the ledger lists it and Sales shows it once.
		o.State = app.StateClosed
		f.eng.set(o)
		f.eng.reports.orders = []app.Order{o}
		k.sales.load(k.sales.day)
		if len(k.sales.orders) != 1 {
			t.Errorf("closed order listed %d times", len(k.sales.orders))
		}
	})
}

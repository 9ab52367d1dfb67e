package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

// press delivers a key the way the desktop driver does: Tab moves the
// focus; any other key goes to the focused widget, or to the window's
// handler when nothing (in the top dialog) has focus.
func press(c fyne.Canvas, name fyne.KeyName) {
	if name == fyne.KeyTab {
		c.FocusNext()
		return
	}
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// typeText delivers runes the way the desktop driver does.
func typeText(c fyne.Canvas, s string) {
	for _, r := range s {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		} else if h := c.OnTypedRune(); h != nil {
			h(r)
		}
	}
}

// openSalesByKey opens Sales with F2 and the demo PIN.
func openSalesByKey(t *testing.T, k *Kiosk) {
	t.Helper()
	press(k.win.Canvas(), fyne.KeyF2)
	if k.pin == nil || !k.dialogOpen() {
		t.Fatal("F2 did not ask the owner's PIN")
	}
	k.pin.entry.SetText(demoPIN)
	k.pin.entry.OnSubmitted("")
	if k.screen != "sales" {
		t.Fatalf("after F2 and the PIN: screen %s", k.screen)
	}
}

func TestKeysWorkWhateverHasFocus(t *testing.T) {
	t.Run("Esc leaves Sales after a sale's detail was opened and closed", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.eng.reports = longReports(f.now)
		openSalesByKey(t, k)
		c := k.win.Canvas()
		c.Focus(k.sales.list) // what a tap on a row does
		k.sales.list.Select(0)
		if !k.dialogOpen() {
			t.Fatal("no detail")
		}
		press(c, fyne.KeyEscape) // closes the detail
		if k.dialogOpen() || k.screen != "sales" {
			t.Fatalf("Esc in the detail: dialog %v screen %s", k.dialogOpen(), k.screen)
		}
		press(c, fyne.KeyEscape)
		if k.screen != "sell" {
			t.Errorf("Esc after the detail: screen %s, want sell", k.screen)
		}
	})
	t.Run("F3 opens Settings after a sale's detail was opened and closed", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.eng.reports = longReports(f.now)
		openSalesByKey(t, k)
		c := k.win.Canvas()
		c.Focus(k.sales.list)
		k.sales.list.Select(0)
		back := buttonIn(c.Overlays().Top(), k.lang.T("back"))
		if back == nil {
			t.Fatal("the detail has no 返回")
		}
		test.Tap(back)
		if k.dialogOpen() || c.Focused() != fyne.Focusable(k.sales.list) {
			t.Fatalf("after 返回: dialog %v, focus on %T", k.dialogOpen(), c.Focused())
		}
		before := k.pin
		press(c, fyne.KeyF3)
		if k.pin == before || !k.dialogOpen() {
			t.Error("F3 with the list focused did not ask the owner's PIN")
		}
	})
	t.Run("Esc asks the cancel PIN after Tab focused 取消", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.charge()
		c := k.win.Canvas()
		for range 50 {
			if c.Focused() == fyne.Focusable(k.pay.cancelBtn) {
				break
			}
			press(c, fyne.KeyTab)
		}
		if c.Focused() != fyne.Focusable(k.pay.cancelBtn) {
			t.Fatal("Tab never reached 取消")
		}
		press(c, fyne.KeyEscape)
		if k.pin == nil || !k.dialogOpen() {
			t.Error("Esc with 取消 focused did not ask the cashier's PIN")
		}
	})
	t.Run("Esc behind an open dialog closes the dialog, not the screen", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.eng.reports = longReports(f.now)
		openSalesByKey(t, k)
		k.sales.showDetail(k.sales.orders[0])
		c := k.win.Canvas()
		press(c, fyne.KeyF3)
		if k.screen != "sales" || len(c.Overlays().List()) != 1 {
			t.Errorf("F3 over the detail: screen %s, %d dialogs", k.screen, len(c.Overlays().List()))
		}
		press(c, fyne.KeyEscape)
		if k.screen != "sales" {
			t.Errorf("Esc over the detail switched the screen to %s", k.screen)
		}
		if k.dialogOpen() {
			t.Error("Esc did not close the detail")
		}
	})
	t.Run("Esc closes the PIN pad", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		press(k.win.Canvas(), fyne.KeyF2)
		press(k.win.Canvas(), fyne.KeyEscape)
		if k.dialogOpen() || k.screen != "sell" {
			t.Errorf("Esc on the PIN pad: dialog %v screen %s", k.dialogOpen(), k.screen)
		}
	})
	t.Run("a scanned code with letters reaches the code entry whole", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		c := k.win.Canvas()
		c.Unfocus()
		typeText(c, "P1004")
		if k.sell.code.Text != "P1004" {
			t.Fatalf("code entry %q, want P1004", k.sell.code.Text)
		}
		press(c, fyne.KeyReturn)
		if k.sell.cart.Qty("1004") != 1 {
			t.Errorf("the scan did not add 柠檬茶: %d", k.sell.cart.Qty("1004"))
		}
	})
	t.Run("a scan reaches the code entry when a button has focus", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		c := k.win.Canvas()
		c.Unfocus()
		press(c, fyne.KeyTab)
		if c.Focused() == nil || c.Focused() == fyne.Focusable(k.sell.code) {
			t.Fatalf("Tab focused %T", c.Focused())
		}
		typeText(c, "P1004")
		press(c, fyne.KeyReturn)
		if k.sell.cart.Qty("1004") != 1 {
			t.Errorf("the scan did not add 柠檬茶 (code %q)", k.sell.code.Text)
		}
	})
}

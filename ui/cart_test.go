package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

func TestCartAt1024x768(t *testing.T) {
	size := fyne.NewSize(1024, 768)
	long := func(t *testing.T, loc string) *fakeKiosk {
		f := newFakeKiosk(t, app.Config{Locale: loc}, func(o *Options) { o.Size = size })
		f.resize(size)
		for _, p := range f.eng.products {
			f.tapTile(p.ID)
		}
		return f
	}
	for _, loc := range []string{"zh", "en"} {
		t.Run(loc+": a cart line is one row and at least 7 lines show", func(t *testing.T) {
			f := long(t, loc)
			s := f.k.sell
			row := s.cartList.CreateItem().MinSize().Height
			if row > 64 {
				t.Errorf("a cart line is %v high", row)
			}
			if shown := s.cartList.Size().Height / row; shown < 7 {
				t.Errorf("%.1f lines show", shown)
			}
		})
	}
	for _, loc := range []string{"zh", "en"} {
		t.Run(loc+": a cart line shows a product name of up to five characters whole", func(t *testing.T) {
			f := long(t, loc)
			s := f.k.sell
			width := s.cartList.Size().Width
			for i, ln := range s.cart.Lines() {
				if len([]rune(ln.Name)) > 5 {
					continue
				}
				row := s.cartList.CreateItem()
				row.Resize(fyne.NewSize(width, row.MinSize().Height))
				s.fillRow(i, row)
				row.Refresh() // laid out again for the amount's width, as the list does
				if shown := shownText(s.rows[row].name); shown != ln.Name {
					t.Errorf("%q shows as %q in a %v wide cart", ln.Name, shown, width)
				}
			}
		})
	}
	t.Run("the line just added is scrolled into view", func(t *testing.T) {
		f := long(t, "zh")
		s := f.k.sell
		n := s.cart.Len()
		row := s.cartList.CreateItem().MinSize().Height
		bottom := s.cartList.GetScrollOffset() + s.cartList.Size().Height
		if s.cartList.GetScrollOffset() == 0 || bottom < float32(n)*row {
			t.Errorf("%d lines, scrolled to %v of %v: the newest is hidden", n, s.cartList.GetScrollOffset(), float32(n)*row)
		}
		// Adding to the first line again brings it back.
		f.tapTile(f.eng.products[0].ID)
		if got := s.cartList.GetScrollOffset(); got != 0 {
			t.Errorf("after adding to the first line: offset %v", got)
		}
	})
	t.Run("tapping the quantity opens a keypad that sets it", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		k := f.k
		f.tapTile("1001")
		row := k.sell.cartList.CreateItem()
		k.sell.fillRow(0, row)
		test.Tap(k.sell.rows[row].qty)
		if k.sell.qty == nil || !k.dialogOpen() {
			t.Fatal("no keypad")
		}
		for _, d := range []string{"1", "2"} {
			test.Tap(buttonIn(k.sell.qty.pad, d))
		}
		k.sell.qty.entry.OnSubmitted("")
		if got := k.sell.cart.Qty("1001"); got != 12 || k.dialogOpen() {
			t.Errorf("qty %d, keypad open %v", got, k.dialogOpen())
		}
		if k.sell.total.Text != "￥216.00" {
			t.Errorf("total %s", k.sell.total.Text)
		}
		for _, bad := range []string{"0", ""} {
			test.Tap(k.sell.rows[row].qty)
			k.sell.qty.entry.SetText(bad)
			k.sell.qty.entry.OnSubmitted("")
			if !k.dialogOpen() || k.sell.qty.msg.Text != k.lang.T("qty.range", app.MaxLineQty) || k.sell.cart.Qty("1001") != 12 {
				t.Errorf("quantity %q: open %v, message %q, qty %d", bad, k.dialogOpen(), k.sell.qty.msg.Text, k.sell.cart.Qty("1001"))
			}
			k.closeDialog()
		}
	})
	t.Run("999 says so instead of stopping silently", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{Locale: "en"})
		k := f.k
		f.tapTile("1001")
		k.sell.cart.SetQty("1001", app.MaxLineQty)
		f.tapTile("1001")
		if k.sell.cart.Qty("1001") != app.MaxLineQty || !strings.Contains(k.sell.message.Text, fmt.Sprint(app.MaxLineQty)) {
			t.Errorf("qty %d, message %q", k.sell.cart.Qty("1001"), k.sell.message.Text)
		}
	})
}

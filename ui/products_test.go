package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

// editorAt opens the product editor from Settings, as the owner does.
func editorAt(t *testing.T, f *fakeKiosk) *productEditor {
	t.Helper()
	f.k.openSettings()
	f.k.pin.entry.SetText(demoPIN)
	f.k.pin.entry.OnSubmitted("")
	if f.k.screen != "settings" {
		t.Fatalf("screen %s", f.k.screen)
	}
	return f.k.openProducts()
}

func productIndex(e *productEditor, id string) int {
	for i, p := range e.products {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func TestSettingsOffersTheProductEditor(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	f.k.openSettings()
	f.k.pin.entry.SetText(demoPIN)
	f.k.pin.entry.OnSubmitted("")
	var btn *keyButton
	for _, o := range test.LaidOutObjects(f.k.win.Content()) {
		if b, ok := o.(*keyButton); ok && b.Text == "商品" {
			btn = b
		}
	}
	if btn == nil {
		t.Fatal("Settings has no 商品 button")
	}
	test.Tap(btn)
	if !f.k.dialogOpen() || !containsText(labelsIn(f.k.win.Canvas().Overlays().Top()), "商品码") {
		t.Error("the 商品 button opens no product editor")
	}
}

func TestEditingAPriceSavesItAndSellShowsIt(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	e := editorAt(t, f)
	if len(e.products) != len(app.DemoCatalog()) {
		t.Fatalf("editor lists %d products", len(e.products))
	}
	i := productIndex(e, "1001")
	e.list.Select(i)
	if e.id.Text != "1001" || !e.id.Disabled() || e.price.Text != e.products[i].Price.Yuan() {
		t.Fatalf("form %q %q (disabled %v)", e.id.Text, e.price.Text, e.id.Disabled())
	}
	e.price.SetText("19.9")
	test.Tap(e.saveBtn)
	got, _ := f.eng.AllProducts()
	want := app.DemoCatalog()[i]
	want.Price = 1990
	if got[i] != want {
		t.Errorf("saved %+v, want %+v", got[i], want)
	}
	if !strings.HasPrefix(e.msg.Text, "已保存") || !strings.Contains(e.msg.Text, "￥19.90") {
		t.Errorf("message %q", e.msg.Text)
	}
	// A new cart is charged the new price.
	e.dlg.Hide()
	f.k.back()
	f.tapTile("1001")
	if total := f.k.sell.cart.Total(); total != 1990 {
		t.Errorf("cart total %s after the price change", total)
	}
}

func TestABadPriceIsRefusedWithASentence(t *testing.T) {
	for _, tc := range []struct {
		price, want string
	}{
		{"abc", "价格请填写元，例如 12 或 12.50（最多两位小数）"},
		{"1.234", "价格请填写元，例如 12 或 12.50（最多两位小数）"},
		{"", "价格请填写元，例如 12 或 12.50（最多两位小数）"},
		{"-3", "价格必须大于 0"},
		{"0", "价格必须大于 0"},
		{"1000000", "价格太高：一件商品最多 ￥100000.00"},
	} {
		t.Run(fmt.Sprintf("%q", tc.price), func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{})
			e := editorAt(t, f)
			e.list.Select(productIndex(e, "1001"))
			e.price.SetText(tc.price)
			test.Tap(e.saveBtn)
			if e.msg.Text != tc.want {
				t.Errorf("message %q, want %q", e.msg.Text, tc.want)
			}
			if f.eng.called("SaveProduct") {
				t.Error("a bad price reached the engine")
			}
		})
	}
}

func TestPricesAreReadAsOwnersTypeThem(t *testing.T) {
	for in, want := range map[string]app.Fen{"12": 1200, "12.5": 1250, "￥12.50": 1250, "12.50元": 1250, " ¥ 8 ": 800, "１２．５": 1250} {
		if got, ok := parsePrice(in); !ok || got != want {
			t.Errorf("parsePrice(%q) = %s, %v; want %s", in, got, ok, want)
		}
	}
}

func TestANewProductIsAddedAndACodeInUseIsRefused(t *testing.T) {
	f := newFakeKiosk(t, app.Config{Locale: "en"})
	e := editorAt(t, f)
	e.new()
	e.id.SetText("1001")
	e.name.SetText("Another")
	e.price.SetText("5")
	test.Tap(e.saveBtn)
	if !strings.HasPrefix(e.msg.Text, "Code 1001 is already ") || f.eng.called("SaveProduct") {
		t.Errorf("a code in use: %q", e.msg.Text)
	}
	e.id.SetText("7001")
	e.qrid.SetText("has space")
	test.Tap(e.saveBtn)
	if e.msg.Text != "A shelf QR id is letters, digits or _-|*, at most 32" {
		t.Errorf("a bad QR id: %q", e.msg.Text)
	}
	e.qrid.SetText("P7001")
	e.category.SetText("Cakes")
	test.Tap(e.saveBtn)
	got, _ := f.eng.AllProducts()
	last := got[len(got)-1]
	if want := (app.Product{ID: "7001", Name: "Another", Price: 500, Category: "Cakes", QRID: "P7001", Active: true}); last != want {
		t.Errorf("added %+v, want %+v", last, want)
	}
	if _, ok := f.k.sell.tiles["7001"]; !ok {
		t.Error("Sell has no tile for the new product")
	}
	if e.editing != productIndex(e, "7001") || !e.id.Disabled() {
		t.Error("the saved product does not stay in the form")
	}
}

func TestAnEngineRefusalIsASentenceNotGoError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("product %q: %w: %w", "x", app.ErrBadProduct, errors.New("product x: price must be positive")), "商品没有保存：请检查商品码、名称和价格"},
		{errors.New("put product x: bolt: database not open"), "商品没有保存，请再试一次"},
	} {
		if got := productErrText(langOf("zh"), tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestAnEmptyCatalogSaysHowToAddProducts(t *testing.T) {
	for _, tc := range []struct{ loc, want string }{
		{"zh", "还没有商品。请在「设置」中点「商品」添加，或在电脑上运行 saoma catalog -import 商品.csv 导入。"},
		{"en", "No products yet. Add them in Settings > Products, or import a file with saoma catalog -import products.csv."},
	} {
		t.Run(tc.loc, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: tc.loc})
			f.eng.mu.Lock()
			f.eng.products = nil
			f.eng.mu.Unlock()
			f.k.build()
			if !containsText(labelsIn(f.k.win.Content()), tc.want) {
				t.Errorf("Sell lacks %q: %v", tc.want, labelsIn(f.k.win.Content()))
			}
			// The first product added in the editor replaces the hint.
			e := editorAt(t, f)
			if !e.none.Visible() {
				t.Error("the editor does not say the catalog is empty")
			}
			e.id.SetText("1")
			e.name.SetText("咖啡")
			e.price.SetText("10")
			test.Tap(e.saveBtn)
			e.dlg.Hide()
			f.k.back()
			if containsText(labelsIn(f.k.win.Content()), tc.want) || f.k.sell.tiles["1"] == nil {
				t.Error("the hint stays after a product was added")
			}
		})
	}
	t.Run("a catalog with products shows no hint", func(t *testing.T) {
		f := newFakeKiosk(t, app.Config{})
		if f.k.sell.catalogHint.Visible() {
			t.Error("the hint shows over a full grid")
		}
	})
}

// TestTheOwnersDialogsFitTheWindow opens the export chooser and the
// product editor in both languages at both kiosk sizes.
func TestTheOwnersDialogsFitTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1024, 768), fyne.NewSize(1920, 1080)} {
		for _, loc := range []string{"zh", "en"} {
			t.Run(fmt.Sprintf("%s at %vx%v", loc, size.Width, size.Height), func(t *testing.T) {
				e := newExportKiosk(t, loc)
				e.resize(size)
				k := e.k
				fits := func(what string, body fyne.CanvasObject, box fyne.Size) {
					t.Helper()
					if min := body.MinSize(); min.Width > box.Width || min.Height > box.Height {
						t.Errorf("%s: content needs %vx%v, its box is %vx%v", what, min.Width, min.Height, box.Width, box.Height)
					}
					top := k.win.Canvas().Overlays().Top()
					if top == nil {
						t.Fatalf("%s: no dialog", what)
					}
					if min := top.MinSize(); min.Width > size.Width || min.Height > size.Height {
						t.Errorf("%s needs %vx%v", what, min.Width, min.Height)
					}
				}
				k.sales = newSalesScreen(k)
				k.sales.drives = func() []string { return []string{e.stick, e.stick + "-a-second-card-with-a-long-volume-label"} }
				k.setBody("sales", k.sales.obj)
				k.sales.export(app.ExportXLSX)
				k.sales.chooser.name.SetText(strings.Repeat("很长的文件名", 12))
				k.sales.chooser.msg.SetText(exportErrText(k.lang, errors.New("x")))
				fits("export chooser", k.sales.chooser.body, k.sales.chooser.boxSize)
				k.closeDialog()
				p := k.openProducts()
				p.msg.SetText(p.k.lang.T("product.err.price"))
				fits("product editor", p.body, p.boxSize)
			})
		}
	}
}

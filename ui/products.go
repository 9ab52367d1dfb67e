package ui

import (
	"errors"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// The owner's product editor: the whole catalog (products off sale too),
// and a form to add one or change its name, price, category, shelf QR id
// and whether it is on sale. It opens from Settings, so behind the owner's
// PIN, and saves through the engine; a price change applies to new carts.

// maxProductPrice is the most one product may cost: WeChat Pay takes at
// most ¥100,000 per order on a typical merchant account, so a higher price
// is a typo (an extra 0), not a product.
const maxProductPrice app.Fen = 100000_00

// productEditor is the open editor dialog.
type productEditor struct {
	k        *Kiosk
	dlg      dialog.Dialog
	products []app.Product
	editing  int // index in products; -1 for a new product

	list     *keyList
	none     *widget.Label
	id       *keyEntry
	name     *keyEntry
	price    *keyEntry
	category *keyEntry
	qrid     *keyEntry
	active   *widget.Check
	msg      *widget.Label
	saveBtn  *keyButton
	body     fyne.CanvasObject // the content, in a box of boxSize
	boxSize  fyne.Size
}

// openProducts opens the product editor. Its caller is behind the owner's
// PIN (Settings).
func (k *Kiosk) openProducts() *productEditor {
	l := k.lang
	sc := k.theme.scale
	e := &productEditor{k: k, editing: -1}
	e.list = newList(k, func() int { return len(e.products) }, func() fyne.CanvasObject {
		name := widget.NewLabel("")
		name.Truncation = fyne.TextTruncateEllipsis
		return container.NewBorder(nil, nil, nil, widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}), name)
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i >= len(e.products) {
			return
		}
		p := e.products[i]
		c := o.(*fyne.Container)
		name := p.ID + "  " + p.Name
		if !p.Active {
			name += " · " + l.T("products.off")
		}
		c.Objects[0].(*widget.Label).SetText(name)
		c.Objects[1].(*widget.Label).SetText(money(p.Price))
	})
	e.list.OnSelected = func(i widget.ListItemID) { e.edit(i) }
	e.none = widget.NewLabel(l.T("products.none"))
	e.none.Wrapping = fyne.TextWrapWord
	e.id, e.name, e.price = newEntry(k, false), newEntry(k, false), newEntry(k, false)
	e.category, e.qrid = newEntry(k, false), newEntry(k, false)
	e.id.SetPlaceHolder(l.T("product.id.hint"))
	e.price.SetPlaceHolder("12.50")
	e.qrid.SetPlaceHolder(l.T("product.qrid.hint"))
	e.active = widget.NewCheck(l.T("product.active"), nil)
	e.msg = widget.NewLabel("")
	e.msg.Wrapping = fyne.TextWrapWord
	e.saveBtn = newButton(k, l.T("save"), e.save)
	e.saveBtn.Importance = widget.HighImportance
	for _, f := range []*keyEntry{e.id, e.name, e.price, e.category, e.qrid} {
		f.OnSubmitted = func(string) { e.save() }
	}
	fi := widget.NewFormItem
	form := widget.NewForm(fi(l.T("product.id"), e.id), fi(l.T("product.name"), e.name), fi(l.T("product.price"), e.price),
		fi(l.T("product.category"), e.category), fi(l.T("product.qrid"), e.qrid), fi("", e.active))
	left := container.NewBorder(newButton(k, l.T("products.new"), e.new), nil, nil, nil,
		container.NewStack(e.list, container.NewVBox(e.none)))
	right := container.NewBorder(nil, container.NewVBox(e.msg, container.NewStack(minHeight(52*sc), e.saveBtn)), nil, nil,
		container.NewVScroll(form))
	e.body = container.NewGridWithColumns(2, left, right)
	e.boxSize = fyne.NewSize(860*sc, 520*sc)
	e.dlg = dialog.NewCustom(l.T("products.title"), l.T("back"), container.NewGridWrap(e.boxSize, e.body), k.win)
	e.load()
	k.showDialog(e.dlg)
	e.new()
	return e
}

// load reads the whole catalog.
func (e *productEditor) load() {
	ps, err := e.k.eng.AllProducts()
	if err != nil {
		e.msg.SetText(e.k.errText(err))
	}
	e.products = ps
	showIf(e.none, len(ps) == 0)
	e.list.Refresh()
}

// new empties the form for a product not in the catalog yet.
func (e *productEditor) new() {
	e.editing = -1
	e.list.UnselectAll()
	e.id.Enable()
	for _, f := range []*keyEntry{e.id, e.name, e.price, e.category, e.qrid} {
		f.SetText("")
	}
	e.active.SetChecked(true)
	e.msg.SetText("")
	e.k.win.Canvas().Focus(e.id)
}

// edit fills the form with product i; its code stays (orders name it).
func (e *productEditor) edit(i int) {
	if i < 0 || i >= len(e.products) {
		return
	}
	p := e.products[i]
	e.editing = i
	e.id.SetText(p.ID)
	e.id.Disable()
	e.name.SetText(p.Name)
	e.price.SetText(p.Price.Yuan())
	e.category.SetText(p.Category)
	e.qrid.SetText(p.QRID)
	e.active.SetChecked(p.Active)
	e.msg.SetText("")
}

// form reads the product the form describes, or the sentence saying what
// is wrong with it.
func (e *productEditor) form() (app.Product, string) {
	l := e.k.lang
	p := app.Product{ID: strings.TrimSpace(e.id.Text), Name: strings.TrimSpace(e.name.Text),
		Category: strings.TrimSpace(e.category.Text), QRID: strings.TrimSpace(e.qrid.Text), Active: e.active.Checked}
	if e.editing >= 0 {
		p.ID = e.products[e.editing].ID
	}
	if p.ID == "" || len(p.ID) > 64 || strings.IndexFunc(p.ID, unicode.IsSpace) >= 0 {
		return p, l.T("product.err.id")
	}
	if p.Name == "" {
		return p, l.T("product.err.name")
	}
	price, ok := parsePrice(e.price.Text)
	switch {
	case !ok:
		return p, l.T("product.err.price")
	case price <= 0:
		return p, l.T("product.err.zero")
	case price > maxProductPrice:
		return p, l.T("product.err.high", money(maxProductPrice))
	}
	p.Price = price
	if p.QRID != "" && !validQRID(p.QRID) {
		return p, l.T("product.err.qrid")
	}
	for i, o := range e.products {
		if i == e.editing {
			continue
		}
		if o.ID == p.ID {
			return p, l.T("product.err.dup", p.ID, o.Name)
		}
		if p.QRID != "" && o.QRID == p.QRID {
			return p, l.T("product.err.qrdup", p.QRID, o.Name)
		}
	}
	return p, ""
}

// save stores the form's product, refusing a bad one with a sentence.
func (e *productEditor) save() {
	p, bad := e.form()
	if bad != "" {
		e.setMsg(bad, true)
		return
	}
	if err := e.k.eng.SaveProduct(p); err != nil {
		e.setMsg(productErrText(e.k.lang, err), true)
		return
	}
	e.load()
	e.editing = -1
	for i, o := range e.products {
		if o.ID == p.ID {
			e.list.Select(i) // the saved product stays in the form
		}
	}
	e.setMsg(e.k.lang.T("product.saved", p.Name, money(p.Price)), false)
	e.k.sell.reload()
}

func (e *productEditor) setMsg(s string, bad bool) {
	e.msg.Importance = widget.MediumImportance
	if bad {
		e.msg.Importance = widget.DangerImportance
	}
	e.msg.SetText(s)
}

// parsePrice reads a price in yuan as an owner may type it: 12, 12.5,
// ￥12.50, 12.50元, full-width digits.
func parsePrice(s string) (app.Fen, bool) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．' || r == '。':
			return '.'
		case r == '￥' || r == '¥' || r == '元' || unicode.IsSpace(r):
			return -1
		}
		return r
	}, s)
	f, err := app.ParseYuan(s)
	if err != nil {
		return 0, false
	}
	return f, true
}

// validQRID reports whether s may be printed in a shelf QR as WeChat's
// product_id: 1 to 32 of [0-9A-Za-z_-|*].
func validQRID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("_-|*", r)) {
			return false
		}
	}
	return true
}

// productErrText says why the engine did not save a product.
func productErrText(l lang, err error) string {
	if errors.Is(err, app.ErrBadProduct) {
		return l.T("product.err.bad")
	}
	return l.T("product.err.save")
}

// reload reads the catalog again (after the owner changed it) and redraws
// the grid; the cart keeps the prices its lines were added at.
func (s *sellScreen) reload() {
	ps, err := s.k.eng.Products()
	if err != nil {
		s.setMessage(s.k.errText(err), true)
		return
	}
	s.products = ps
	if s.category != "" && !containsCategory(ps, s.category) {
		s.category = ""
	}
	s.buildTabs()
	s.showCatalogHint()
}

func containsCategory(ps []app.Product, c string) bool {
	for _, p := range ps {
		if p.Category == c {
			return true
		}
	}
	return false
}

// newCatalogHint is the sentence Sell shows over an empty grid: how to
// add products.
func newCatalogHint(k *Kiosk) *widget.Label {
	h := widget.NewLabel(k.lang.T("catalog.empty"))
	h.Wrapping = fyne.TextWrapWord
	h.Alignment = fyne.TextAlignCenter
	h.Importance = widget.WarningImportance
	return h
}

// showCatalogHint shows the hint while there is no product to sell.
func (s *sellScreen) showCatalogHint() {
	showIf(s.catalogHint, len(s.products) == 0)
}

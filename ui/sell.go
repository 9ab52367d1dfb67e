package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// money formats fen for the screen: ￥48.50.
func money(f app.Fen) string { return "￥" + f.Yuan() }

// sellScreen is the cashier's home: product grid by category, the cart and
// the Charge button.
type sellScreen struct {
	k        *Kiosk
	obj      fyne.CanvasObject
	products []app.Product
	category string
	cart     app.Cart

	tabs      *fyne.Container
	grid      *fyne.Container
	tiles     map[string]*keyButton
	cartList  *keyList
	empty     *widget.Label
	rows      map[fyne.CanvasObject]*cartRow
	last      string  // the product whose line changed last: shown
	qty       *qtyPad // the open quantity prompt, for tests
	total     *canvas.Text
	chargeBtn *keyButton
	clearBtn  *keyButton
	code      *codeEntry
	message   *widget.Label

	catalogHint *widget.Label // over an empty grid: how to add products
}

func newSellScreen(k *Kiosk) *sellScreen {
	s := &sellScreen{k: k, tiles: map[string]*keyButton{}, rows: map[fyne.CanvasObject]*cartRow{}}
	ps, err := k.eng.Products()
	s.products = ps
	s.tabs = container.NewHBox()
	// Four tiles a row beside the cart at 1024 px (128 px each, room for a
	// five-character name), more on larger screens.
	tileW := float32(150)
	if k.theme.scale == 1 {
		tileW = 128
	}
	s.grid = container.NewGridWrap(fyne.NewSize(tileW*k.theme.scale, 104*k.theme.scale))
	s.cartList = newList(k, s.cart.Len, s.newRow, s.fillRow)
	s.cartList.OnSelected = func(widget.ListItemID) { s.cartList.UnselectAll() }
	s.empty = widget.NewLabel(k.lang.T("cart.empty"))
	s.total = canvas.NewText("", colorInk)
	s.total.TextSize = 36 * k.theme.scale
	s.total.TextStyle = fyne.TextStyle{Bold: true}
	s.total.Alignment = fyne.TextAlignTrailing
	s.chargeBtn = newButton(k, "", s.charge)
	s.chargeBtn.Importance = widget.HighImportance
	s.clearBtn = newButton(k, k.lang.T("clear"), s.clear)
	s.code = newCodeEntry(k)
	s.code.SetPlaceHolder(k.lang.T("code.placeholder"))
	s.code.OnSubmitted = s.submitCode
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.catalogHint = newCatalogHint(k)
	if err != nil {
		s.setMessage(s.k.errText(err), true)
	}

	left := container.NewBorder(container.NewHScroll(s.tabs),
		container.NewBorder(nil, nil, widget.NewLabel(k.lang.T("code.placeholder")+":"), nil, s.code),
		nil, nil, container.NewStack(container.NewVScroll(s.grid), container.NewPadded(container.NewVBox(s.catalogHint))))
	chargeBox := container.NewStack(minHeight(80*k.theme.scale), s.chargeBtn)
	cartTitle := widget.NewLabelWithStyle(k.lang.T("cart"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	totalRow := container.NewBorder(nil, nil, widget.NewLabel(k.lang.T("total")), nil, s.total)
	right := container.NewBorder(cartTitle,
		container.NewVBox(widget.NewSeparator(), totalRow, s.message, s.clearBtn, chargeBox),
		nil, nil, container.NewStack(s.cartList, container.NewVBox(s.empty)))
	rightBg := container.NewStack(canvas.NewRectangle(color.White), container.NewPadded(right))
	split := container.NewHSplit(container.NewPadded(left), rightBg)
	// At 1024 px the cart needs 45 % for a line to show a five-character
	// name beside its −, quantity, +, amount and delete; larger screens
	// give the products more.
	split.Offset = 0.55
	if k.theme.scale > 1 {
		split.Offset = 0.62
	}
	s.obj = split
	s.buildTabs()
	s.showCatalogHint()
	s.refresh()
	return s
}

// minHeight is an invisible strut that makes a stack at least h tall.
func minHeight(h float32) fyne.CanvasObject { return minSize(10, h) }

// minSize is an invisible strut that makes a stack at least w×h.
func minSize(w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return r
}

func (s *sellScreen) categories() []string {
	seen := map[string]bool{}
	var cats []string
	for _, p := range s.products {
		if !seen[p.Category] {
			seen[p.Category] = true
			cats = append(cats, p.Category)
		}
	}
	return cats
}

func (s *sellScreen) buildTabs() {
	s.tabs.Objects = nil
	for _, c := range append([]string{""}, s.categories()...) {
		name := c
		label := c
		if c == "" {
			label = s.k.lang.T("all")
		}
		b := newButton(s.k, label, func() { s.category = name; s.buildTabs(); s.buildGrid() })
		if name == s.category {
			b.Importance = widget.HighImportance
		}
		s.tabs.Add(b)
	}
	s.tabs.Refresh()
	s.buildGrid()
}

func (s *sellScreen) buildGrid() {
	s.grid.Objects = nil
	s.tiles = map[string]*keyButton{}
	for _, p := range s.products {
		if s.category != "" && p.Category != s.category {
			continue
		}
		p := p
		btn := newButton(s.k, "", func() { s.add(p) })
		s.tiles[p.ID] = btn
		name := widget.NewLabelWithStyle(p.Name, fyne.TextAlignCenter, fyne.TextStyle{})
		name.Wrapping = fyne.TextWrapWord
		price := widget.NewLabelWithStyle(money(p.Price), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		s.grid.Add(container.NewStack(btn, container.NewVBox(layout.NewSpacer(), name, price, layout.NewSpacer())))
	}
	s.grid.Refresh()
}

func (s *sellScreen) add(p app.Product) {
	s.last = p.ID
	if s.cart.Qty(p.ID) >= app.MaxLineQty {
		s.setMessage(s.k.lang.T("qty.max", p.Name, app.MaxLineQty), true)
		s.refresh()
		return
	}
	s.cart.Add(p)
	s.setMessage("", false)
	s.refresh()
}

// setQty changes a line's quantity, saying so when it would pass the
// most one line may hold.
func (s *sellScreen) setQty(ln app.Line, qty int) {
	s.last = ln.ProductID
	s.setMessage("", false)
	if qty > app.MaxLineQty {
		s.setMessage(s.k.lang.T("qty.max", ln.Name, app.MaxLineQty), true)
		qty = app.MaxLineQty
	}
	s.cart.SetQty(ln.ProductID, qty)
	s.refresh()
}

// cartRow is one cart line on one row: name, −, the quantity (tap to type
// it), +, amount and remove.
type cartRow struct {
	name, amount     *widget.Label
	minus, qty, plus *keyButton
	remove           *keyButton
}

func (s *sellScreen) newRow() fyne.CanvasObject {
	k := s.k
	sc := k.theme.scale
	r := &cartRow{name: widget.NewLabel(""), amount: widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.minus = newIconButton(k, "", theme.ContentRemoveIcon(), nil)
	r.qty = newButton(k, "", nil)
	r.plus = newIconButton(k, "", theme.ContentAddIcon(), nil)
	r.remove = newIconButton(k, "", theme.DeleteIcon(), nil)
	r.remove.Importance = widget.DangerImportance
	// Touch targets: 48×48 at least.
	touch := func(b *keyButton, w float32) fyne.CanvasObject {
		return container.NewStack(minSize(w*sc, 48*sc), b)
	}
	obj := container.NewBorder(nil, nil, nil,
		container.NewHBox(touch(r.minus, 48), touch(r.qty, 56), touch(r.plus, 48), r.amount, touch(r.remove, 48)), r.name)
	s.rows[obj] = r
	return obj
}

func (s *sellScreen) fillRow(i widget.ListItemID, obj fyne.CanvasObject) {
	r, lines := s.rows[obj], s.cart.Lines()
	if r == nil || i >= len(lines) {
		return
	}
	ln := lines[i]
	r.name.SetText(ln.Name)
	r.amount.SetText(money(ln.Amount()))
	r.qty.SetText(fmt.Sprint(ln.Qty))
	r.minus.OnTapped = func() { s.setQty(ln, ln.Qty-1) }
	r.plus.OnTapped = func() { s.setQty(ln, ln.Qty+1) }
	r.qty.OnTapped = func() { s.askQty(ln) }
	r.remove.OnTapped = func() { s.cart.Remove(ln.ProductID); s.refresh() }
}

func (s *sellScreen) submitCode(code string) {
	code = strings.TrimSpace(code)
	s.code.SetText("")
	if code == "" {
		return
	}
	if app.IsPayCode(code) { // the customer's payment code, not a product
		s.payByCode(code)
		return
	}
	for _, p := range s.products {
		if p.ID == code || p.QRID == code {
			s.add(p)
			return
		}
	}
	s.setMessage(s.k.lang.T("code.unknown", code), true)
}

func (s *sellScreen) clear() {
	s.cart.Clear()
	s.setMessage("", false)
	s.refresh()
}

func (s *sellScreen) setMessage(msg string, bad bool) {
	s.message.SetText(msg)
	if bad {
		s.message.Importance = widget.DangerImportance
	} else {
		s.message.Importance = widget.MediumImportance
	}
	s.message.Refresh()
}

// refresh redraws the cart, total and Charge button from the cart, and
// scrolls to the line changed last.
func (s *sellScreen) refresh() {
	l := s.k.lang
	lines := s.cart.Lines()
	showIf(s.empty, len(lines) == 0)
	s.cartList.Refresh()
	for i, ln := range lines {
		if ln.ProductID == s.last {
			s.cartList.ScrollTo(i)
		}
	}
	total := s.cart.Total()
	s.total.Text = money(total)
	s.total.Refresh()
	s.chargeBtn.SetText(l.T("charge", money(total)))
	if s.cart.Len() == 0 || s.k.codeBusy {
		s.chargeBtn.Disable()
		s.clearBtn.Disable()
	} else {
		s.chargeBtn.Enable()
		s.clearBtn.Enable()
	}
}

// charge sends the cart to the engine and opens the Pay screen at once; the
// QR appears when WeChat answers.
func (s *sellScreen) charge() {
	if s.cart.Len() == 0 || s.k.codeBusy {
		return
	}
	lines := s.cart.Lines()
	s.chargeBtn.Disable()
	var o app.Order
	s.k.request(func(ctx context.Context) (err error) {
		o, err = s.k.eng.Charge(ctx, lines)
		return err
	}, func(err error) { s.charged(o, err) })
}

func (s *sellScreen) charged(o app.Order, err error) {
	var ce *app.ChargeError
	switch {
	case err == nil || errors.As(err, &ce):
		s.cart.Clear()
		s.refresh()
		s.k.showPay(o)
		if err != nil {
			s.k.pay.show(o, deadlineOf(o), err)
		}
	case errors.Is(err, app.ErrBusy):
		// An order is still waiting (e.g. the owner's screens were opened
		// over it): back to it; the cart stays for after.
		s.refresh()
		if cur, ok := s.k.eng.Current(); ok {
			s.k.showPay(cur)
		}
	default:
		s.refresh()
		s.setMessage(s.k.errText(err), true)
	}
}

// codeEntry is the product-code field. It keeps focus for a barcode
// scanner, so it passes the cashier's function keys on to the kiosk.
type codeEntry struct {
	widget.Entry
	k *Kiosk
}

func newCodeEntry(k *Kiosk) *codeEntry {
	e := &codeEntry{k: k}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey handles F2, F3, F12 and Esc as kiosk shortcuts.
func (e *codeEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyF2, fyne.KeyF3, fyne.KeyF12, fyne.KeyEscape:
		if e.k.typedKey(ev) {
			return
		}
	}
	e.Entry.TypedKey(ev)
}

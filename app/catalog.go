package app

import (
	"errors"
	"fmt"
)

// Product is one item of the shop's catalog.
type Product struct {
	ID       string // stable catalog id; also the barcode/keyboard code
	Name     string // shown on tiles and receipts, usually Chinese
	Price    Fen
	Category string
	// QRID is the product_id printed in this product's Native mode-1 QR
	// (≤ 32 characters); empty when the product has no static QR.
	QRID   string
	Active bool
}

// Line is one line of a cart or order: a product at the price it had when it
// was added, and a quantity.
type Line struct {
	ProductID string
	Name      string
	UnitPrice Fen
	Qty       int
}

// Amount is UnitPrice × Qty.
func (l Line) Amount() Fen { return l.UnitPrice * Fen(l.Qty) }

// ErrEmptyCart is returned when charging a cart with nothing in it.
var ErrEmptyCart = errors.New("cart is empty")

// MaxLineQty bounds a line's quantity so a stuck key cannot build an absurd
// order.
const MaxLineQty = 999

// Cart is the cashier's cart being built. The zero value is an empty cart.
// It is not safe for concurrent use; the UI owns it.
type Cart struct {
	lines []Line
}

// Add puts one more of p in the cart.
func (c *Cart) Add(p Product) {
	for i := range c.lines {
		if c.lines[i].ProductID == p.ID {
			if c.lines[i].Qty < MaxLineQty {
				c.lines[i].Qty++
			}
			return
		}
	}
	c.lines = append(c.lines, Line{ProductID: p.ID, Name: p.Name, UnitPrice: p.Price, Qty: 1})
}

// SetQty sets the quantity of a product already in the cart; 0 or less
// removes the line.
func (c *Cart) SetQty(productID string, qty int) {
	for i := range c.lines {
		if c.lines[i].ProductID != productID {
			continue
		}
		if qty <= 0 {
			c.lines = append(c.lines[:i], c.lines[i+1:]...)
			return
		}
		c.lines[i].Qty = min(qty, MaxLineQty)
		return
	}
}

// Qty returns the quantity of productID in the cart.
func (c *Cart) Qty(productID string) int {
	for _, l := range c.lines {
		if l.ProductID == productID {
			return l.Qty
		}
	}
	return 0
}

// Remove takes a product's line out of the cart.
func (c *Cart) Remove(productID string) { c.SetQty(productID, 0) }

// Clear empties the cart.
func (c *Cart) Clear() { c.lines = nil }

// Lines returns a copy of the cart's lines in the order they were added.
func (c *Cart) Lines() []Line { return append([]Line(nil), c.lines...) }

// Len is the number of lines.
func (c *Cart) Len() int { return len(c.lines) }

// Total is the sum of the lines' amounts.
func (c *Cart) Total() Fen { return LinesTotal(c.lines) }

// LinesTotal sums the amounts of lines.
func LinesTotal(lines []Line) Fen {
	var t Fen
	for _, l := range lines {
		t += l.Amount()
	}
	return t
}

// Validate checks a product's fields before it is stored.
func (p Product) Validate() error {
	switch {
	case p.ID == "":
		return errors.New("product id is empty")
	case p.Name == "":
		return fmt.Errorf("product %s: name is empty", p.ID)
	case p.Price <= 0:
		return fmt.Errorf("product %s: price must be positive", p.ID)
	case len(p.QRID) > 32:
		return fmt.Errorf("product %s: QR id longer than 32 characters", p.ID)
	}
	return nil
}

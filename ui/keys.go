package ui

import (
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// The cashier's keyboard. Fyne gives a key to the focused widget, and to
// the window's handler only when nothing has focus; it turns no bare key
// (F2, Esc) into a shortcut. So every focusable widget on the kiosk's
// screens is one of the small types below, which hand each key to
// Kiosk.typedKey first and keep it only when the kiosk does not want it.
// The window's handler is the same function: one place decides.

// typedKey is the cashier's keyboard: F12 charges, Esc clears the cart or
// asks to cancel, Enter after payment (or cancel) starts the next sale, F2
// opens Sales and F3 Settings (both ask the owner's PIN). While a dialog is
// open it owns the keys: Esc closes it and the screen underneath gets
// nothing. It reports whether it used the key; a focused widget handles
// the keys it did not.
func (k *Kiosk) typedKey(ev *fyne.KeyEvent) bool {
	if k.dialogOpen() {
		switch ev.Name {
		case fyne.KeyEscape:
			k.closeDialog()
			return true
		case fyne.KeyF2, fyne.KeyF3, fyne.KeyF12:
			return true
		}
		return false
	}
	switch ev.Name {
	case fyne.KeyF2:
		k.openSales()
		return true
	case fyne.KeyF3:
		k.openSettings()
		return true
	}
	enter := ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter
	switch k.screen {
	case "sell":
		switch ev.Name {
		case fyne.KeyF12:
			k.sell.charge()
			return true
		case fyne.KeyEscape:
			k.sell.clear()
			return true
		}
	case "pay":
		switch {
		case ev.Name == fyne.KeyEscape && k.pay.cancellable():
			k.pay.askCancel()
			return true
		case ev.Name == fyne.KeyEscape:
			return true // nothing to cancel: never a second PIN
		case enter && k.scanEnter():
			return true
		case enter && k.pay.finished():
			k.pay.next()
			return true
		}
	case "sales", "settings":
		if ev.Name == fyne.KeyEscape {
			k.back()
			return true
		}
	case "locked":
		if enter {
			k.askUnlock()
			return true
		}
	}
	return false
}

// typedRune sends what a barcode scanner types on Sell to the product-code
// entry, letters and digits alike, whatever had focus; on the Pay screen it
// collects a scanned payment code.
func (k *Kiosk) typedRune(r rune) {
	if k.dialogOpen() || unicode.IsSpace(r) || !unicode.IsGraphic(r) {
		return
	}
	switch k.screen {
	case "sell":
		k.win.Canvas().Focus(k.sell.code)
		k.sell.code.TypedRune(r)
	case "pay":
		k.scanRune(r)
	}
}

// showDialog shows d and keeps it on the stack Esc closes from.
func (k *Kiosk) showDialog(d dialog.Dialog) {
	k.dialogs = append(k.dialogs, d)
	d.SetOnClosed(func() {
		for i := len(k.dialogs) - 1; i >= 0; i-- {
			if k.dialogs[i] == d {
				k.dialogs = append(k.dialogs[:i], k.dialogs[i+1:]...)
				break
			}
		}
	})
	d.Show()
}

// closeDialog dismisses the newest dialog, as its own Back/Cancel would.
func (k *Kiosk) closeDialog() {
	if n := len(k.dialogs); n > 0 {
		k.dialogs[n-1].Hide()
	}
}

// keyButton is a button that passes the kiosk's keys on.
type keyButton struct {
	widget.Button
	k *Kiosk
}

func newButton(k *Kiosk, label string, tapped func()) *keyButton {
	return newIconButton(k, label, nil, tapped)
}

func newIconButton(k *Kiosk, label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{k: k}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey gives the kiosk the key first.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	if !b.k.typedKey(ev) {
		b.Button.TypedKey(ev)
	}
}

// TypedRune sends a scanner's characters to the code entry.
func (b *keyButton) TypedRune(r rune) { b.k.typedRune(r) }

// keyList is a list that passes the kiosk's keys on.
type keyList struct {
	widget.List
	k *Kiosk
}

func newList(k *Kiosk, length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *keyList {
	l := &keyList{k: k}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey gives the kiosk the key first.
func (l *keyList) TypedKey(ev *fyne.KeyEvent) {
	if !l.k.typedKey(ev) {
		l.List.TypedKey(ev)
	}
}

// TypedRune sends a scanner's characters to the code entry.
func (l *keyList) TypedRune(r rune) { l.k.typedRune(r) }

// keySelect is a drop-down that passes the kiosk's keys on.
type keySelect struct {
	widget.Select
	k *Kiosk
}

func newSelect(k *Kiosk, options []string, changed func(string)) *keySelect {
	s := &keySelect{k: k}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey gives the kiosk the key first.
func (s *keySelect) TypedKey(ev *fyne.KeyEvent) {
	if !s.k.typedKey(ev) {
		s.Select.TypedKey(ev)
	}
}

// keyEntry is a text field that passes the kiosk's keys on; typed text
// stays its own.
type keyEntry struct {
	widget.Entry
	k *Kiosk
}

func newEntry(k *Kiosk, password bool) *keyEntry {
	e := &keyEntry{k: k}
	e.Password = password
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey gives the kiosk F2, F3, F12 and Esc; the rest is the entry's.
func (e *keyEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyF2, fyne.KeyF3, fyne.KeyF12, fyne.KeyEscape:
		if e.k.typedKey(ev) {
			return
		}
	}
	e.Entry.TypedKey(ev)
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Alert shows a small window with a message for a kiosk that cannot start
// (e.g. another Saoma holds the ledger) and returns when it is closed: a
// person who started it from the desktop sees why nothing else opened.
func Alert(a fyne.App, title, msg string) {
	a.Settings().SetTheme(newTheme())
	w := a.NewWindow(title)
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	ok := widget.NewButton("好 · OK", a.Quit)
	ok.Importance = widget.HighImportance
	w.SetContent(container.NewPadded(container.NewBorder(nil, container.NewCenter(ok), nil, nil, text)))
	w.Resize(fyne.NewSize(460, 200))
	w.CenterOnScreen()
	w.ShowAndRun()
}

package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// cutLabels returns the visible labels under o that draw less than their
// text (cut with "…"), as "text → shown", and the empty entries whose
// placeholder does not fit.
func cutLabels(o fyne.CanvasObject, out []string) []string {
	if o == nil || !o.Visible() {
		return out
	}
	switch v := o.(type) {
	case *widget.Entry:
		return placeholderCut(v, out)
	case *keyEntry:
		return placeholderCut(&v.Entry, out)
	case *codeEntry:
		return placeholderCut(&v.Entry, out)
	case *widget.Label:
		if v.Truncation != fyne.TextTruncateOff && v.Text != "" {
			if shown := shownText(v); shown != v.Text {
				out = append(out, v.Text+" → "+shown)
			}
		}
		return out
	case *fyne.Container:
		for _, c := range v.Objects {
			out = cutLabels(c, out)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = cutLabels(c, out)
		}
	}
	return out
}

// placeholderCut adds e's placeholder when e is empty and it does not fit.
func placeholderCut(e *widget.Entry, out []string) []string {
	if e.PlaceHolder == "" || e.Text != "" || e.MultiLine || !e.Visible() {
		return out
	}
	need := fyne.MeasureText(e.PlaceHolder, theme.TextSize(), e.TextStyle).Width + 2*theme.InnerPadding()
	if need > e.Size().Width+0.5 {
		out = append(out, fmt.Sprintf("placeholder %s → cut (%.0f px of %.0f)", e.PlaceHolder, e.Size().Width, need))
	}
	return out
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// cutLabels returns the visible labels under o that draw less than their
// text (cut with "…"), as "text → shown".
func cutLabels(o fyne.CanvasObject, out []string) []string {
	if o == nil || !o.Visible() {
		return out
	}
	switch v := o.(type) {
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

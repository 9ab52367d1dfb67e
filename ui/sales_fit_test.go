package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// kioskSizes are the two screens a kiosk ships with.
var kioskSizes = []fyne.Size{fyne.NewSize(1024, 768), fyne.NewSize(1920, 1080)}

// openLongSales opens Sales on the fake engine's busiest day (every state,
// every flag) at size in loc.
func openLongSales(t *testing.T, loc string, size fyne.Size) (*fakeKiosk, *salesScreen) {
	t.Helper()
	f := newFakeKiosk(t, app.Config{Locale: loc}, func(o *Options) { o.Size = size })
	rep := longReports(f.now)
	flags := []app.Flag{app.FlagAmountMismatch, app.FlagConflictingPayment, app.FlagNumberCollision,
		app.FlagRefundAbnormal, app.FlagFoundByReconciliation}
	for i, fl := range flags {
		o := rep.orders[i]
		o.OutTradeNo, o.Flag, o.State = fmt.Sprintf("K120261122%06d", 900+i), fl, app.StatePartiallyRefunded
		rep.orders = append(rep.orders, o)
	}
	f.eng.mu.Lock()
	f.eng.reports = rep
	f.eng.mu.Unlock()
	f.resize(size)
	openSalesByKey(t, f.k)
	f.k.win.Resize(size)
	relayout(f.k.win.Canvas())
	return f, f.k.sales
}

func TestSalesListShowsEveryCellWhole(t *testing.T) {
	for _, size := range kioskSizes {
		for _, loc := range []string{"zh", "en"} {
			t.Run(fmt.Sprintf("%s at %vx%v", loc, size.Width, size.Height), func(t *testing.T) {
				_, s := openLongSales(t, loc, size)
				width := s.list.Size().Width
				if width < size.Width/2 {
					t.Fatalf("the list is %v wide", width)
				}
				// The columns that must never be cut: the state at both
				// sizes, and at 1920 the transaction id too.
				whole := []int{0, 1, 2, 3}
				if size.Width >= largeWidth {
					whole = append(whole, 4)
				}
				for i, o := range s.orders {
					row := s.list.CreateItem().(*fyne.Container)
					s.fillRow(i, row)
					row.Resize(fyne.NewSize(width, row.MinSize().Height))
					for _, j := range whole {
						lb := row.Objects[j].(*widget.Label)
						full := widget.NewLabelWithStyle(lb.Text, fyne.TextAlignLeading, lb.TextStyle)
						need, have := full.MinSize().Width, lb.Size().Width
						if need > have+0.5 {
							t.Errorf("order %s column %d %q needs %v, has %v", o.OutTradeNo, j, lb.Text, need, have)
						}
						if shown := shownText(lb); shown != lb.Text {
							t.Errorf("order %s column %d %q shows as %q", o.OutTradeNo, j, lb.Text, shown)
						}
						if lb.Position().X+have > width+0.5 {
							t.Errorf("order %s column %d ends at %v, past the list's %v", o.OutTradeNo, j, lb.Position().X+have, width)
						}
					}
				}
			})
		}
	}
}

// A row the list laid out under other column widths (an emptier day, the
// window before it was rescaled) and then refills shows every cell whole.
func TestSalesListRelaysOutAReusedRow(t *testing.T) {
	for _, size := range kioskSizes {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) {
			_, s := openLongSales(t, "zh", size)
			width := s.list.Size().Width
			orders := s.orders
			row := s.list.CreateItem().(*fyne.Container)
			s.orders = nil
			s.measureColumns() // an empty day: every column 0 wide
			s.orders = orders
			row.Resize(fyne.NewSize(width, row.MinSize().Height))
			s.measureColumns()
			for i := range s.orders {
				s.fillRow(i, row) // reused: same size, new widths
				for j := range 4 {
					lb := row.Objects[j].(*widget.Label)
					full := widget.NewLabelWithStyle(lb.Text, fyne.TextAlignLeading, lb.TextStyle)
					if need, have := full.MinSize().Width, lb.Size().Width; need > have+0.5 {
						t.Fatalf("order %d column %d %q needs %v, has %v", i, j, lb.Text, need, have)
					}
					if shown := shownText(lb); shown != lb.Text {
						t.Fatalf("order %d column %d %q shows as %q", i, j, lb.Text, shown)
					}
				}
			}
		})
	}
}

// shownText is what a label draws: its text after truncation.
func shownText(lb *widget.Label) string {
	var b strings.Builder
	for _, o := range test.WidgetRenderer(lb).Objects() {
		rt, ok := o.(*widget.RichText)
		if !ok {
			continue
		}
		for _, c := range test.WidgetRenderer(rt).Objects() {
			if tx, ok := c.(*canvas.Text); ok {
				b.WriteString(tx.Text)
			}
		}
	}
	return b.String()
}

func TestSalesChartLabelsAreReadable(t *testing.T) {
	for _, size := range kioskSizes {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) {
			f, s := openLongSales(t, "zh", size)
			caption := f.k.theme.Size(theme.SizeNameCaptionText)
			if caption < 14*f.k.theme.scale {
				t.Errorf("the theme's caption is %v at scale %v", caption, f.k.theme.scale)
			}
			for _, box := range []*fyne.Container{s.hours, s.days} {
				c := box.Objects[0].(*chart)
				r := chartRendererOf(c)
				labelled := 0
				for _, l := range append(r.labels, r.maxText) {
					if l.Text == "" {
						continue
					}
					labelled++
					if l.TextSize < caption {
						t.Errorf("axis label %q is %v px, the caption %v", l.Text, l.TextSize, caption)
					}
					if l.Position().Y+l.MinSize().Height > c.Size().Height+0.5 {
						t.Errorf("axis label %q is cut at the chart's bottom", l.Text)
					}
				}
				if labelled < 3 {
					t.Errorf("only %d axis labels", labelled)
				}
			}
		})
	}
}

// TestSalesHasNoBlankBandUnderTheCards: the line between the cards and the
// charts says something readable (the day's reconciliation), and nothing
// else takes room there.
func TestSalesHasNoBlankBandUnderTheCards(t *testing.T) {
	for _, size := range kioskSizes {
		for _, loc := range []string{"zh", "en"} {
			t.Run(fmt.Sprintf("%s at %vx%v", loc, size.Width, size.Height), func(t *testing.T) {
				f, s := openLongSales(t, loc, size)
				if s.recon.state.Text == "" || s.recon.state.Importance == widget.LowImportance {
					t.Errorf("the unreconciled day reads %q at importance %v (faint)", s.recon.state.Text, s.recon.state.Importance)
				}
				d := fyne.CurrentApp().Driver()
				cardsEnd := d.AbsolutePositionForObject(s.cards).Y + s.cards.Size().Height
				chartTop := d.AbsolutePositionForObject(s.hours).Y
				pad := theme.Padding()
				header := widget.NewLabel(f.k.lang.T("by.hour")).MinSize().Height
				most := s.recon.obj.MinSize().Height + header + 4*pad
				if gap := chartTop - cardsEnd; gap > most {
					t.Errorf("%v px between the cards and the chart, at most %v", gap, most)
				}
			})
		}
	}
}

func chartRendererOf(c *chart) *chartRenderer {
	return test.WidgetRenderer(c).(*chartRenderer)
}

// widgetLabels are the texts of the visible labels in o (not the text
// objects inside them).
func widgetLabels(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range test.LaidOutObjects(o) {
		if lb, ok := c.(*widget.Label); ok && lb.Visible() && lb.Text != "" {
			out = append(out, lb.Text)
		}
	}
	return out
}

func TestSaleDetailShowsTheStateOnce(t *testing.T) {
	for _, loc := range []string{"zh", "en"} {
		t.Run(loc, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: loc})
			k := f.k
			l := k.lang
			paid := app.Order{OutTradeNo: "K1ONCE", Total: 4600, State: app.StatePaid, TransactionID: "4200001", Mode: 2,
				Lines:  []app.Line{{ProductID: "1", Name: "咖啡", UnitPrice: 4600, Qty: 1}},
				Events: []app.Event{{At: f.now, Source: app.SourceNotification, From: app.StateAwaiting, To: app.StatePaid, Note: "paid, transaction 4200001"}}}
			f.eng.reports.orders = []app.Order{paid}
			openSalesByKey(t, k)
			// What the engine answers after the refund.
			after := paid
			after.State = app.StatePartiallyRefunded
			after.Refunds = []app.Refund{{OutRefundNo: "K1ONCE-R1", Amount: 1000, State: app.RefundSucceeded}}
			f.eng.orders[after.OutTradeNo] = after

			k.sales.showDetail(paid)
			top := k.win.Canvas().Overlays().Top()
			states := func(want app.State) {
				t.Helper()
				shown := 0
				for _, text := range widgetLabels(top) {
					if strings.HasPrefix(text, l.T("events")) {
						continue // the history says how the state came about
					}
					for _, st := range []app.State{app.StateCreated, app.StateAwaiting, app.StatePaid, app.StateCancelPending, app.StateClosed,
						app.StateExpired, app.StatePaidAfterCancel, app.StatePartiallyRefunded, app.StateRefunded} {
						shown += strings.Count(text, l.T("state."+string(st)))
					}
				}
				if shown != 1 {
					t.Errorf("the detail shows %d states: %q", shown, widgetLabels(top))
				}
				if !containsText(widgetLabels(top), l.T("state."+string(want))) {
					t.Errorf("the detail does not say %q: %q", l.T("state."+string(want)), widgetLabels(top))
				}
			}
			states(app.StatePaid)

			for _, c := range test.LaidOutObjects(top) {
				if e, ok := c.(*widget.Entry); ok && e.PlaceHolder == l.T("refund.amount") {
					e.SetText("10")
				}
			}
			test.Tap(buttonIn(top, l.T("refund")))
			confirm := k.win.Canvas().Overlays().Top()
			test.Tap(buttonIn(confirm, l.T("refund")))
			f.pump("the refund", func() bool { return f.eng.called("Refund") && containsText(widgetLabels(top), money(1000)) })
			f.pump("the detail's new state", func() bool {
				return containsText(widgetLabels(top), l.T("state."+string(app.StatePartiallyRefunded)))
			})
			states(app.StatePartiallyRefunded)
		})
	}
}

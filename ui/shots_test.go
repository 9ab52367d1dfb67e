package ui

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

// The screens the real-binary screenshot script (scripts/screenshots.sh)
// cannot reach easily, rendered by Fyne's software painter with the kiosk's
// own theme and bundled CJK font. Without -shots each screen is still
// opened, checked and rendered; with it the PNGs go to docs/screenshots/.

var writeShots = flag.Bool("shots", false, "write docs/screenshots/*.png")

// shotsDir is docs/screenshots seen from the ui package's directory, where
// go test runs.
const shotsDir = "../docs/screenshots"

// shotDay is the business day the Sales shots show: yesterday, whose
// WeChat bill came this morning.
const shotDay app.Day = "2026-11-21"

// shotEngine is the fake engine with three weeks of a shop's sales behind
// Reports, so the cards, charts and list read like a real coffee shop's.
type shotEngine struct {
	*fakeEngine
	reports *shotReports
}

func (e *shotEngine) Reports() app.Reports { return e.reports }

// shotReports answers from a fixed set of orders per business day.
type shotReports struct {
	loc  *time.Location
	days map[app.Day][]app.Order // newest first
}

// newShotReports makes three weeks of sales up to today from the demo
// catalog, the same every run.
func newShotReports(today app.Day, loc *time.Location) *shotReports {
	r := &shotReports{loc: loc, days: map[app.Day][]app.Order{}}
	catalog := app.DemoCatalog()
	for back := 20; back >= 0; back-- { // the chart's fortnight before yesterday too
		day := today.Add(-back)
		date, err := time.ParseInLocation("2006-01-02", string(day), loc)
		if err != nil {
			panic(err) // a constant day
		}
		rng := rand.New(rand.NewPCG(uint64(date.Unix()), 7))
		n := 22 + rng.IntN(16)
		shut := 20 * time.Hour
		if back == 0 {
			n, shut = 17, 14*time.Hour+30*time.Minute // today, until the shot's 14:41
		}
		ats := make([]time.Time, n)
		for i := range ats {
			ats[i] = date.Add(7*time.Hour + time.Duration(rng.Int64N(int64(shut-7*time.Hour))))
		}
		sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) }) // numbered in order
		var orders []app.Order
		for i, at := range ats {
			var lines []app.Line
			for range 1 + rng.IntN(3) {
				p := catalog[rng.IntN(len(catalog))]
				lines = append(lines, app.Line{ProductID: p.ID, Name: p.Name, UnitPrice: p.Price, Qty: 1 + rng.IntN(2)})
			}
			o := app.Order{OutTradeNo: fmt.Sprintf("K1%s%06d", strings.ReplaceAll(string(day), "-", ""), i+1), KioskID: "k1",
				Lines: lines, Total: app.LinesTotal(lines), Mode: []int{2, 2, 2, app.ModePayCode, 1}[rng.IntN(5)],
				State: app.StatePaid, CreatedAt: at, PaidAt: at.Add(20 * time.Second),
				TransactionID: fmt.Sprintf("42000028%s%012d", strings.ReplaceAll(string(day), "-", ""), rng.Int64N(1e12))}
			switch i % 13 {
			case 5:
				o.State, o.PaidAt, o.TransactionID = app.StateClosed, time.Time{}, "" // the customer walked away
			case 9:
				o.State = app.StatePartiallyRefunded
				o.Refunds = []app.Refund{{OutRefundNo: o.OutTradeNo + "-R1", Amount: o.Lines[0].UnitPrice,
					State: app.RefundSucceeded, CreatedAt: at.Add(10 * time.Minute)}}
			}
			orders = append(orders, o)
		}
		sort.Slice(orders, func(i, j int) bool { return orders[i].CreatedAt.After(orders[j].CreatedAt) })
		r.days[day] = orders
	}
	return r
}

// add puts o among day d's orders, newest first.
func (r *shotReports) add(d app.Day, o app.Order) {
	orders := append(r.days[d], o)
	sort.Slice(orders, func(i, j int) bool { return orders[i].CreatedAt.After(orders[j].CreatedAt) })
	r.days[d] = orders
}

// total sums one day as the ledger would.
func (r *shotReports) total(d app.Day) app.DayTotal {
	t := app.DayTotal{Day: d}
	for _, o := range r.days[d] {
		if o.State.Paid() {
			t.Sales++
			t.Gross += o.Total
		}
		t.Refunds += o.Refunded()
	}
	t.Net = t.Gross - t.Refunds
	return t
}

func (r *shotReports) Summary(from, to app.Day) (app.Summary, error) {
	s := app.Summary{From: from, To: to}
	for d := from; d <= to; d = d.Add(1) {
		t := r.total(d)
		s.Days = append(s.Days, t)
		s.Sales += t.Sales
		s.Gross += t.Gross
		s.Refunds += t.Refunds
		s.Net += t.Net
		for _, o := range r.days[d] {
			if o.Flag != app.FlagNone {
				s.Flagged++
			}
			if o.State.Paid() {
				s.ByHour[o.PaidAt.In(r.loc).Hour()] += o.Total
			}
		}
	}
	return s, nil
}

func (r *shotReports) DayOrders(from, to app.Day) ([]app.Order, error) {
	var out []app.Order
	for d := to; d >= from; d = d.Add(-1) {
		out = append(out, r.days[d]...)
	}
	return out, nil
}

// Export and ExportWith are not pictured: they write nothing.
func (r *shotReports) Export(io.Writer, app.Day, app.Day, app.ExportFormat) error { return nil }

func (r *shotReports) ExportWith(io.Writer, app.Day, app.Day, app.ExportOptions) error { return nil }

// reconciled is WeChat's bill agreeing with the ledger for d: 0.6% fees.
func (r *shotReports) reconciled(d app.Day) app.Reconciliation {
	t := r.total(d)
	rec := app.Reconciliation{Day: d, State: app.Reconciled, Gross: t.Gross, Refunds: t.Refunds,
		Fees: (t.Gross*6 + 500) / 1000, Orders: t.Sales,
		CheckedAt: time.Date(2026, 11, 22, 2, 5, 0, 0, time.UTC)}
	rec.Net = rec.Gross - rec.Refunds - rec.Fees
	return rec
}

// newShotKiosk is a fake kiosk sized as a real screen (the theme scales
// for 1920×1080 as on the kiosk) with a coffee shop's books.
func newShotKiosk(t *testing.T, loc string, size fyne.Size, recs ...app.Reconciliation) *fakeKiosk {
	t.Helper()
	// 14:41 in the shop: yesterday's bill has come and been checked.
	f := &fakeKiosk{t: t, ui: make(chan func(), 1024), now: time.Date(2026, 11, 22, 6, 41, 0, 0, time.UTC)}
	f.eng = newFakeEngine(func() time.Time { return f.now })
	for _, r := range recs {
		f.eng.setRec(r)
	}
	eng := &shotEngine{fakeEngine: f.eng, reports: newShotReports("2026-11-22", app.ShopLocation())}
	shop := "老王咖啡"
	if loc == "en" {
		shop = "Wang's Coffee"
	}
	cfg := app.Config{Locale: loc, Shop: shop}
	o := Options{Config: cfg, Locale: loc, Version: "test", Size: size, Now: func() time.Time { return f.now },
		dispatch: func(fn func()) { f.ui <- fn }}
	k, err := New(test.NewTempApp(t), eng, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	f.k = k
	f.resize(size)
	return f
}

// shotReportsOf is the kiosk's shop books.
func shotReportsOf(f *fakeKiosk) *shotReports { return f.k.eng.(*shotEngine).reports }

// sellLines fills the cart by tapping tiles, as the cashier does.
func (f *fakeKiosk) sellLines(ids ...string) {
	f.t.Helper()
	for _, id := range ids {
		f.tapTile(id)
	}
}

// screenShot is one screen to render: open brings the kiosk to it and
// checks that it shows what the picture is meant to show.
type screenShot struct {
	name string
	open func(t *testing.T, f *fakeKiosk, size fyne.Size)
}

func TestRenderScreenshots(t *testing.T) {
	if *writeShots {
		if _, err := os.Stat(shotsDir); err != nil {
			t.Fatalf("screenshots folder: %v", err)
		}
	}
	shots := []screenShot{
		{"export-chooser", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			s := f.openSalesOn(shotDay)
			stick := filepath.Join(t.TempDir(), "KINGSTON")
			if err := os.MkdirAll(stick, 0o700); err != nil {
				t.Fatal(err)
			}
			s.drives = func() []string { return []string{stick} }
			s.export(app.ExportXLSX)
			if s.chooser == nil || !f.k.dialogOpen() || !s.chooser.places[0].drive {
				t.Fatal("the export chooser did not open on the USB drive")
			}
			fitsWindow(t, f.k.win.Canvas().Overlays().Top(), size)
		}},
		{"products", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			e := editorAt(t, f)
			if e == nil || len(e.products) == 0 || !f.k.dialogOpen() {
				t.Fatal("the product editor did not open with the catalog")
			}
			fitsWindow(t, f.k.win.Canvas().Overlays().Top(), size)
		}},
		{"sales-reconciled", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			rec := shotReportsOf(f).reconciled(shotDay)
			f.eng.setRec(rec)
			s := f.openSalesOn(shotDay)
			l := f.k.lang
			if s.recon.state.Text != l.T("recon.reconciled") || !s.recon.icon.Visible() {
				t.Errorf("state %q, tick %v", s.recon.state.Text, s.recon.icon.Visible())
			}
			want := l.T("recon.bank", money(rec.Gross), money(rec.Refunds), money(rec.Fees), money(rec.Net))
			if s.recon.bank.Text != want {
				t.Errorf("bank figures %q, want %q", s.recon.bank.Text, want)
			}
			if rec.Refunds == 0 || rec.Fees == 0 {
				t.Errorf("a day without refunds or fees: %+v", rec)
			}
			fitsWindow(t, f.k.win.Content(), size)
		}},
		{"sales-differences", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			// A sale WeChat's bill had and the ledger missed (the last of
			// the day: the customer paid as the kiosk was switched off),
			// added from the bill and flagged; and a refund made in the
			// merchant platform, explained by the owner.
			books := shotReportsOf(f)
			day := books.days[shotDay]
			paid := day[0].CreatedAt.Add(3 * time.Minute)
			found := app.Order{OutTradeNo: fmt.Sprintf("K120261121%06d", len(day)+1), KioskID: "k1", Total: 4000, State: app.StatePaid,
				Flag: app.FlagFoundByReconciliation, Mode: 2, CreatedAt: paid, PaidAt: paid,
				TransactionID: "4200002820261121618033957214"}
			books.add(shotDay, found)
			f.eng.mu.Lock()
			f.eng.reports.flagged = []app.Order{found}
			f.eng.status.Flagged = 1
			f.eng.mu.Unlock()
			rec := books.reconciled(shotDay)
			note := "已在商户平台退款"
			if f.k.lang == langOf("en") {
				note = "Refunded in the merchant platform"
			}
			rec.State = app.Differences
			rec.Diffs = []app.Diff{
				{Kind: app.DiffOnlyAtWeChat, OutTradeNo: found.OutTradeNo, TransactionID: found.TransactionID,
					WeChat: 4000, Action: app.ActionAdded},
				{Kind: app.DiffRefundOnlyAtWeChat, OutTradeNo: "K120261121000012", OutRefundNo: "K120261121000012-R1",
					WeChat: 1500, Action: app.ActionCheckRefund,
					Explained: note, ExplainedAt: time.Date(2026, 11, 22, 3, 12, 0, 0, time.UTC)},
			}
			rec.Refunds += 1500 // the ledger does not have it
			rec.Fees = (rec.Gross*6 + 500) / 1000
			rec.Net = rec.Gross - rec.Refunds - rec.Fees
			f.eng.setRec(rec)
			f.k.status.set(f.eng.Status())
			s := f.openSalesOn(shotDay)
			if got, want := s.recon.state.Text, diffCount(f.k.lang, 1); got != want {
				t.Errorf("state %q, want %q", got, want)
			}
			if got := attentionCard(s); got != "2" {
				t.Errorf("attention card %q, want the flagged sale and the open difference", got)
			}
			fitsWindow(t, f.k.win.Content(), size)
			s.showDiffs()
			if s.diffs == nil || !f.k.dialogOpen() {
				t.Fatal("no list of differences")
			}
			if s.diffs.explain[0] == nil || s.diffs.explain[1] != nil {
				t.Errorf("explain buttons %v, want on the open difference only", s.diffs.explain)
			}
			fitsWindow(t, f.k.win.Canvas().Overlays().Top(), size)
		}},
		{"qty-keypad", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			f.sellLines("1001", "1001", "1002", "1003", "2001", "2002", "3001")
			s := f.k.sell
			row := s.cartList.CreateItem()
			s.fillRow(0, row)
			test.Tap(s.rows[row].qty)
			if s.qty == nil || !f.k.dialogOpen() {
				t.Fatal("no keypad")
			}
			test.Tap(buttonIn(s.qty.pad, "3"))
			if s.qty.entry.Text != "3" {
				t.Errorf("keypad entry %q", s.qty.entry.Text)
			}
			fitsWindow(t, f.k.win.Content(), size)
			fitsWindow(t, f.k.win.Canvas().Overlays().Top(), size)
		}},
		{"cancelled", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			f.sellLines("1003", "1003", "2003")
			test.Tap(f.k.sell.chargeBtn)
			f.pump("the Pay screen", func() bool { return f.k.screen == "pay" && f.k.pay.order.State == app.StateAwaiting })
			f.cancelShown()
			p := f.k.pay
			if p.big.Text != f.k.lang.T("cancelled") || !p.backBtn.Visible() || p.qrBox.Visible() {
				t.Errorf("big %q, back %v, QR %v", p.big.Text, p.backBtn.Visible(), p.qrBox.Visible())
			}
			fitsWindow(t, f.k.win.Content(), size)
		}},
		{"paycode-password", func(t *testing.T, f *fakeKiosk, size fyne.Size) {
			f.sellLines("1002", "1002", "2001")
			scanCode(f.k, aPayCode, nil)
			f.pump("the password screen", func() bool { return f.k.screen == "pay" && f.k.pay.order.Mode == app.ModePayCode })
			p := f.k.pay
			if p.big.Text != f.k.lang.T("paycode.password") || p.qrBox.Visible() {
				t.Errorf("big %q, QR %v", p.big.Text, p.qrBox.Visible())
			}
			if p.amount.Text != "￥54.00" {
				t.Errorf("amount %q", p.amount.Text)
			}
			fitsWindow(t, f.k.win.Content(), size)
		}},
	}
	// Every screen is opened, checked and captured in Chinese at the
	// smallest kiosk size on every run; writing the screenshots (-shots)
	// renders both languages at both sizes. Capturing 20 full-size images
	// under the race detector takes minutes on two cores.
	sizes, locs := []fyne.Size{fyne.NewSize(1024, 768)}, []string{"zh"}
	if *writeShots {
		sizes, locs = append(sizes, fyne.NewSize(1920, 1080)), append(locs, "en")
	}
	for _, sh := range shots {
		for _, loc := range locs {
			for _, size := range sizes {
				name := fmt.Sprintf("%s-%s-%vx%v", sh.name, loc, size.Width, size.Height)
				t.Run(name, func(t *testing.T) {
					f := newShotKiosk(t, loc, size)
					sh.open(t, f, size)
					f.k.tick() // the clock in the status bar
					relayout(f.k.win.Canvas())
					img := f.k.win.Canvas().Capture()
					checkShot(t, img, size)
					if *writeShots {
						saveShot(t, filepath.Join(shotsDir, name+".png"), img)
					}
				})
			}
		}
	}
}

// relayout lays the whole window out again, top down and into every
// widget, as the real driver does each frame when a text changed its size.
// The test canvas does not: a label given its text after the first layout
// would keep its old width and overlap its neighbours in the picture.
func relayout(c fyne.Canvas) {
	relayoutTree(c.Content())
	for _, o := range c.Overlays().List() {
		relayoutTree(o)
	}
}

func relayoutTree(o fyne.CanvasObject) {
	switch v := o.(type) {
	case *fyne.Container:
		if v.Layout != nil {
			v.Layout.Layout(v.Objects, v.Size())
		}
		for _, c := range v.Objects {
			relayoutTree(c)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(v)
		r.Layout(v.Size())
		for _, c := range r.Objects() {
			relayoutTree(c)
		}
	}
}

// fitsWindow checks that obj needs no more room than the window has, so
// nothing in the picture is cut off.
func fitsWindow(t *testing.T, obj fyne.CanvasObject, size fyne.Size) {
	t.Helper()
	if min := obj.MinSize(); min.Width > size.Width || min.Height > size.Height {
		t.Errorf("needs %vx%v in a %vx%v window", min.Width, min.Height, size.Width, size.Height)
	}
}

// checkShot checks that img is the window's size and shows a screen: the
// background does not cover it all and there is ink (text) on it.
func checkShot(t *testing.T, img image.Image, size fyne.Size) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != int(size.Width) || b.Dy() != int(size.Height) {
		t.Fatalf("rendered %dx%d, want %vx%v", b.Dx(), b.Dy(), size.Width, size.Height)
	}
	counts := map[color.NRGBA]int{}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			counts[c]++
			if c.A > 0 && int(c.R)+int(c.G)+int(c.B) < 3*90 {
				dark++
			}
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	all := b.Dx() * b.Dy()
	if other := all - most; other < all/200 {
		t.Errorf("blank: only %d of %d pixels differ from the background", other, all)
	}
	if dark < all/1000 {
		t.Errorf("no text: %d dark pixels", dark)
	}
	if len(counts) < 16 {
		t.Errorf("only %d colours: nothing anti-aliased was drawn", len(counts))
	}
}

func saveShot(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		t.Fatalf("encode %s: %v", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	t.Logf("wrote %s", path)
}

package printer

import (
	"errors"
	"strings"
	"testing"
	"time"

	"saoma/app"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols int
		want []string
	}{
		{"fits", "奶茶 tea", 16, []string{"奶茶 tea"}},
		{"chinese breaks anywhere", "珍珠奶茶大杯少冰七分糖", 8, []string{"珍珠奶茶", "大杯少冰", "七分糖"}},
		{"a wide character never straddles the edge", "a珍珠奶茶", 8, []string{"a珍珠奶", "茶"}},
		{"latin words move whole", "Nongfu Spring mineral water", 16, []string{"Nongfu Spring", "mineral water"}},
		{"long words are split", "K1-20261122-0007-R1", 8, []string{"K1-20261", "122-0007", "-R1"}},
		{"mixed", "叉烧包 BBQ pork bun", 10, []string{"叉烧包 BBQ", "pork bun"}},
		{"empty is one empty line", "", 8, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(printable(tt.in), tt.cols)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
			}
		})
	}
}

func TestWidthCountsChineseAsTwoColumns(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"abc", 3}, {"奶茶", 4}, {"￥12.50", 7}, {"¥12.50", 7}, {"🧋", 2}, {"e\u0301", 2}, {"a\tb", 3},
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.want {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// Long Chinese names wrap inside the name column at both paper widths and
// no line is wider than the paper, measured in display columns.
func TestReceiptLinesFitThePaper(t *testing.T) {
	for name, p := range testPapers() {
		for _, paper := range []int{58, 80} {
			prof, err := ProfileFor(paper, 0)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Layout(p, prof.Cols)
			if err != nil {
				t.Fatalf("%s at %d mm: %v", name, paper, err)
			}
			items, err := flatten(doc, prof.Cols)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, it := range items {
				if it.kind != itemLine {
					continue
				}
				if w := width(it.line.text) * it.line.scale; w > prof.Cols {
					t.Errorf("%s at %d mm: line %q is %d columns, paper has %d", name, paper, it.line.text, w, prof.Cols)
				}
				all.WriteString(strings.TrimSpace(it.line.text))
			}
			if p.Kind == app.PaperLabel {
				continue
			}
			// Every character of every product name is printed, in order.
			text := strings.ReplaceAll(all.String(), " ", "")
			for _, l := range p.Order.Lines {
				n := strings.ReplaceAll(l.Name, " ", "")
				if !containsInOrder(text, n) {
					t.Errorf("%s at %d mm: name %q lost in wrapping", name, paper, l.Name)
				}
			}
		}
	}
}

func containsInOrder(text, sub string) bool {
	rs := []rune(sub)
	i := 0
	for _, r := range text {
		if i < len(rs) && r == rs[i] {
			i++
		}
	}
	return i == len(rs)
}

func TestItemTableKeepsColumnsAligned(t *testing.T) {
	p := testPapers()["receipt"]
	doc, err := Layout(p, 32)
	if err != nil {
		t.Fatal(err)
	}
	items, err := flatten(doc, 32)
	if err != nil {
		t.Fatal(err)
	}
	// The first line of each item ends with its amount at column 32.
	for _, l := range p.Order.Lines {
		amt := yuan(l.Amount())
		found := false
		for _, it := range items {
			if it.kind == itemLine && strings.HasSuffix(it.line.text, " "+amt) && width(it.line.text) == 32 {
				found = true
			}
		}
		if !found {
			t.Errorf("no line ends with %s at column 32", amt)
		}
	}
}

func TestLayoutRejectsBadPapers(t *testing.T) {
	papers := testPapers()
	mutate := func(name string, f func(p *app.Paper)) app.Paper {
		p := papers[name]
		p.Order.Lines = append([]app.Line(nil), p.Order.Lines...)
		f(&p)
		return p
	}
	tests := []struct {
		name  string
		paper app.Paper
	}{
		{"unknown kind", mutate("receipt", func(p *app.Paper) { p.Kind = "poster" })},
		{"receipt for an unpaid order", mutate("receipt", func(p *app.Paper) { p.Order.State = app.StateAwaiting })},
		{"order without number", mutate("receipt", func(p *app.Paper) { p.Order.OutTradeNo = "" })},
		{"order without lines", mutate("receipt", func(p *app.Paper) { p.Order.Lines = nil })},
		{"lines that do not add up", mutate("receipt", func(p *app.Paper) { p.Order.Total++ })},
		{"zero quantity", mutate("receipt", func(p *app.Paper) { p.Order.Lines[0].Qty = 0 })},
		{"bill without code_url", mutate("bill", func(p *app.Paper) { p.Order.CodeURL = "" })},
		{"bill without expiry", mutate("bill", func(p *app.Paper) { p.Order.CodeURLExpires = time.Time{} })},
		{"label without link", mutate("label", func(p *app.Paper) { p.QR = "" })},
		{"label without price", mutate("label", func(p *app.Paper) { p.Product.Price = 0 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Layout(tt.paper, 32)
			if !errors.Is(err, ErrBadPaper) {
				t.Errorf("got %v, want ErrBadPaper", err)
			}
		})
	}
}

func TestProfileFor(t *testing.T) {
	tests := []struct {
		name        string
		paper, dots int
		want        Profile
		wantErr     bool
	}{
		{"58 mm", 58, 0, Profile{Paper: 58, Dots: 384, Cols: 32}, false},
		{"80 mm", 80, 0, Profile{Paper: 80, Dots: 576, Cols: 48}, false},
		{"80 mm at 180 dpi", 80, 512, Profile{Paper: 80, Dots: 512, Cols: 42}, false},
		{"default is 80 mm", 0, 0, Profile{Paper: 80, Dots: 576, Cols: 48}, false},
		{"76 mm is not a paper we know", 76, 0, Profile{}, true},
		{"width not a multiple of 8", 80, 500, Profile{}, true},
		{"absurd width", 58, 4000, Profile{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ProfileFor(tt.paper, tt.dots)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadConfig) {
				t.Errorf("error %v does not wrap ErrBadConfig", err)
			}
		})
	}
}

func TestFlattenRejectsBadBlocks(t *testing.T) {
	tests := []struct {
		name  string
		block Block
	}{
		{"scale 4", Text{Text: "x", Scale: 4}},
		{"negative scale", Row{Left: "x", Scale: -1}},
		{"non-ASCII rule", Rule{Char: 0xc4}},
		{"empty QR", QR{}},
		{"QR too long", QR{Data: strings.Repeat("x", maxQRData+1)}},
		{"QR module 17", QR{Data: "x", MaxModule: 17}},
		{"negative feed", Feed{Lines: -1}},
		{"cells wider than paper", Columns{Cells: []Cell{{Text: "a", Width: 20}, {Text: "b", Width: 20}}}},
		{"two rest cells", Columns{Cells: []Cell{{Text: "a"}, {Text: "b"}}}},
		{"no cells", Columns{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := flatten(Doc{Blocks: []Block{tt.block}}, 32); err == nil {
				t.Error("no error")
			}
		})
	}
}

package printer

import (
	"fmt"
	"strings"
)

// Align is the horizontal placement of a line on the paper.
type Align uint8

// The alignments; the numbers are ESC a's arguments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// MaxScale is the largest text scale a Doc accepts. GS ! goes to 8, but at
// 58 mm anything past 3 leaves fewer than 6 Chinese characters per line.
const MaxScale = 3

// Doc is a receipt's layout independent of the output: a list of blocks
// that Encode turns into ESC/POS bytes and Render into an image. Text is
// wrapped to the paper's columns when the Doc is flattened, the same way
// for both outputs.
type Doc struct {
	Blocks []Block
}

// Block is one element of a Doc: Text, Row, Columns, Rule, QR, Feed or Cut.
type Block interface{ isBlock() }

// Text is a paragraph, wrapped to the paper's width. Scale 0 or 1 is the
// normal 12×24 font; 2 doubles width and height (and halves the columns).
type Text struct {
	Text  string
	Align Align
	Bold  bool
	Scale int
}

// Row is a two-column line: Left flush left, Right flush right. When both
// do not fit on one line, Left is printed first and Right on the next
// line(s), flush right.
type Row struct {
	Left, Right string
	Bold        bool
	Scale       int
}

// Columns is a table row of fixed-width cells; each cell wraps inside its
// own width and the row grows to the tallest cell.
type Columns struct {
	Cells []Cell
	Bold  bool
}

// Cell is one column of a Columns row. Width is in printer columns; 0 takes
// what the other cells leave.
type Cell struct {
	Text  string
	Width int
	Align Align
}

// Rule is a separator line across the paper, drawn with Char ('-' if 0).
// Char must be ASCII.
type Rule struct {
	Char byte
}

// QR is a QR code printed centred. MaxModule caps the module size in dots
// (0 means 8); the encoder picks the largest size up to it that fits the
// paper with its quiet zone.
type QR struct {
	Data      string
	MaxModule int
}

// Feed advances the paper by Lines empty lines.
type Feed struct {
	Lines int
}

// Cut feeds the paper past the cutter and cuts it (partial cut, which
// every cutter supports).
type Cut struct{}

func (Text) isBlock()    {}
func (Row) isBlock()     {}
func (Columns) isBlock() {}
func (Rule) isBlock()    {}
func (QR) isBlock()      {}
func (Feed) isBlock()    {}
func (Cut) isBlock()     {}

// line is one flattened line of printable text that fits the paper.
type line struct {
	text  string
	align Align
	bold  bool
	scale int
}

// item is one flattened element: a line, a QR, a feed or a cut.
type item struct {
	kind  itemKind
	line  line
	qr    QR
	lines int // feed
}

type itemKind uint8

const (
	itemLine itemKind = iota
	itemQR
	itemFeed
	itemCut
)

// maxQRData is what GS ( k can store (k ≤ 7089) and far above what a
// phone reads from paper; WeChat links are well under 600 bytes.
const maxQRData = 2048

// flatten wraps d's text to cols columns. Every line it returns is at most
// cols/scale columns wide (measured with runeWidth).
func flatten(d Doc, cols int) ([]item, error) {
	if cols < 16 {
		return nil, fmt.Errorf("printer: %d columns is too narrow for a receipt (want ≥ 16)", cols)
	}
	var out []item
	add := func(l line) { out = append(out, item{kind: itemLine, line: l}) }
	for i, b := range d.Blocks {
		switch b := b.(type) {
		case Text:
			sc, err := scale(b.Scale)
			if err != nil {
				return nil, fmt.Errorf("printer: block %d: %w", i, err)
			}
			for _, s := range wrap(printable(b.Text), cols/sc) {
				add(line{text: s, align: b.Align, bold: b.Bold, scale: sc})
			}
		case Row:
			sc, err := scale(b.Scale)
			if err != nil {
				return nil, fmt.Errorf("printer: block %d: %w", i, err)
			}
			c := cols / sc
			l, r := printable(b.Left), printable(b.Right)
			if width(l)+1+width(r) <= c {
				add(line{text: l + strings.Repeat(" ", c-width(l)-width(r)) + r, bold: b.Bold, scale: sc})
				continue
			}
			for _, s := range wrap(l, c) {
				add(line{text: s, bold: b.Bold, scale: sc})
			}
			for _, s := range wrap(r, c) {
				add(line{text: s, align: AlignRight, bold: b.Bold, scale: sc})
			}
		case Columns:
			rows, err := table(b.Cells, cols)
			if err != nil {
				return nil, fmt.Errorf("printer: block %d: %w", i, err)
			}
			for _, s := range rows {
				add(line{text: s, bold: b.Bold, scale: 1})
			}
		case Rule:
			c := b.Char
			if c == 0 {
				c = '-'
			}
			if c < 0x20 || c >= 0x7f {
				return nil, fmt.Errorf("printer: block %d: rule character %#x is not printable ASCII", i, c)
			}
			add(line{text: strings.Repeat(string(rune(c)), cols), scale: 1})
		case QR:
			if b.Data == "" {
				return nil, fmt.Errorf("printer: block %d: empty QR data", i)
			}
			if len(b.Data) > maxQRData {
				return nil, fmt.Errorf("printer: block %d: QR data of %d bytes is too long (max %d)", i, len(b.Data), maxQRData)
			}
			if b.MaxModule < 0 || b.MaxModule > 16 {
				return nil, fmt.Errorf("printer: block %d: QR module size %d out of range 0-16", i, b.MaxModule)
			}
			out = append(out, item{kind: itemQR, qr: b})
		case Feed:
			if b.Lines < 0 || b.Lines > 255 {
				return nil, fmt.Errorf("printer: block %d: feed of %d lines out of range 0-255", i, b.Lines)
			}
			out = append(out, item{kind: itemFeed, lines: b.Lines})
		case Cut:
			out = append(out, item{kind: itemCut})
		default:
			return nil, fmt.Errorf("printer: block %d: unknown block %T", i, b)
		}
	}
	return out, nil
}

func scale(s int) (int, error) {
	if s == 0 {
		return 1, nil
	}
	if s < 1 || s > MaxScale {
		return 0, fmt.Errorf("text scale %d out of range 1-%d", s, MaxScale)
	}
	return s, nil
}

// table lays out cells side by side, each wrapped to its width.
func table(cells []Cell, cols int) ([]string, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("columns row without cells")
	}
	widths := make([]int, len(cells))
	used, rest := 0, -1
	for i, c := range cells {
		switch {
		case c.Width < 0:
			return nil, fmt.Errorf("cell %d: negative width %d", i, c.Width)
		case c.Width == 0 && rest >= 0:
			return nil, fmt.Errorf("cell %d: only one cell may take the remaining width", i)
		case c.Width == 0:
			rest = i
		default:
			widths[i] = c.Width
			used += c.Width
		}
	}
	if rest >= 0 {
		widths[rest] = cols - used
	}
	total := 0
	for i, w := range widths {
		if w < 2 {
			return nil, fmt.Errorf("cell %d: width %d too narrow (columns add up to more than %d)", i, w, cols)
		}
		total += w
	}
	if total > cols {
		return nil, fmt.Errorf("cells are %d columns wide, the paper has %d", total, cols)
	}
	wrapped := make([][]string, len(cells))
	height := 0
	for i, c := range cells {
		wrapped[i] = wrap(printable(c.Text), widths[i])
		height = max(height, len(wrapped[i]))
	}
	rows := make([]string, height)
	for r := range rows {
		var b strings.Builder
		for i, c := range cells {
			s := ""
			if r < len(wrapped[i]) {
				s = wrapped[i][r]
			}
			gap := widths[i] - width(s)
			switch c.Align {
			case AlignRight:
				b.WriteString(strings.Repeat(" ", gap) + s)
			case AlignCenter:
				b.WriteString(strings.Repeat(" ", gap/2) + s + strings.Repeat(" ", gap-gap/2))
			default:
				b.WriteString(s + strings.Repeat(" ", gap))
			}
		}
		rows[r] = strings.TrimRight(b.String(), " ")
	}
	return rows, nil
}

package printer

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"saoma/assets"
)

// Geometry of the printer's fonts, in dots at scale 1: Font A is 12×24,
// the Hanzi font 24×24; lines advance 30 dots (ESC 2, 1/6 inch at 180 dpi
// on most models).
const (
	cellW      = 12
	cellH      = 24
	lineH      = 30
	marginDots = 16
	cutH       = 24
)

// Renderer draws Docs the way a thermal printer prints them: black on white
// at the paper's dot width, text on the printer's column grid (so tables
// line up exactly as on paper) and QR codes as real bitmaps. It is safe for
// concurrent use.
type Renderer struct {
	mu       sync.Mutex
	cjk      *opentype.Font
	mono     *opentype.Font
	monoBold *opentype.Font
	faces    map[faceKey]font.Face
}

type faceKey struct {
	which int // 0 cjk, 1 mono, 2 mono bold
	scale int
}

// NewRenderer parses the bundled CJK font (assets.CJKFont) and the Go Mono
// faces used for Latin text, which the CJK font lacks.
func NewRenderer() (*Renderer, error) {
	cjk, err := opentype.Parse(assets.CJKFont())
	if err != nil {
		return nil, fmt.Errorf("printer: parse CJK font: %w", err)
	}
	mono, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return nil, fmt.Errorf("printer: parse Go Mono: %w", err)
	}
	bold, err := opentype.Parse(gomonobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("printer: parse Go Mono Bold: %w", err)
	}
	return &Renderer{cjk: cjk, mono: mono, monoBold: bold, faces: map[faceKey]font.Face{}}, nil
}

// face returns a cached face; r.mu must be held.
func (r *Renderer) face(which, scale int) (font.Face, error) {
	k := faceKey{which, scale}
	if f, ok := r.faces[k]; ok {
		return f, nil
	}
	f, size := r.cjk, 22.0
	switch which {
	case 1:
		f, size = r.mono, 20 // Go Mono advances 0.6 em: 12 dots at 20 px
	case 2:
		f, size = r.monoBold, 20
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size * float64(scale), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("printer: font face: %w", err)
	}
	r.faces[k] = face
	return face, nil
}

// Render draws d on paper prof. The image is prof.Dots wide; its height
// follows the content.
func (r *Renderer) Render(d Doc, prof Profile) (*image.Gray, error) {
	items, err := flatten(d, prof.Cols)
	if err != nil {
		return nil, err
	}
	syms := make([]qrSymbol, len(items))
	h := 2 * marginDots
	for i, it := range items {
		switch it.kind {
		case itemLine:
			h += lineH * it.line.scale
		case itemQR:
			s, err := planQR(it.qr.Data, it.qr.MaxModule, prof.Dots)
			if err != nil {
				return nil, err
			}
			syms[i] = s
			h += len(s.bits) * s.module
		case itemFeed:
			h += lineH * it.lines
		case itemCut:
			h += cutH
		}
	}
	img := image.NewGray(image.Rect(0, 0, prof.Dots, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	r.mu.Lock()
	defer r.mu.Unlock()
	y := marginDots
	for i, it := range items {
		switch it.kind {
		case itemLine:
			if err := r.drawLine(img, it.line, prof, y); err != nil {
				return nil, err
			}
			y += lineH * it.line.scale
		case itemQR:
			s := syms[i]
			side := len(s.bits) * s.module
			x0 := (prof.Dots - side) / 2
			for my, row := range s.bits {
				for mx, black := range row {
					if black {
						rect := image.Rect(x0+mx*s.module, y+my*s.module, x0+(mx+1)*s.module, y+(my+1)*s.module)
						draw.Draw(img, rect, image.Black, image.Point{}, draw.Src)
					}
				}
			}
			y += side
		case itemFeed:
			y += lineH * it.lines
		case itemCut:
			// A dashed line where the cutter cuts, so a preview shows
			// where one paper ends.
			mid := y + cutH/2
			for x := 0; x < prof.Dots; x += 12 {
				for dx := 0; dx < 6 && x+dx < prof.Dots; dx++ {
					img.SetGray(x+dx, mid, color.Gray{Y: 0x80})
				}
			}
			y += cutH
		}
	}
	return img, nil
}

// drawLine draws one flattened line, each character centred in its one or
// two printer columns; r.mu must be held.
func (r *Renderer) drawLine(img *image.Gray, l line, prof Profile, y int) error {
	sc := l.scale
	w := width(l.text) * cellW * sc
	x := 0
	switch l.align {
	case AlignCenter:
		x = (prof.Dots - w) / 2
	case AlignRight:
		x = prof.Dots - w
	}
	x = max(x, 0)
	latin := 1
	if l.bold {
		latin = 2
	}
	baseline := y + 19*sc
	for _, c := range l.text {
		cw := runeWidth(c) * cellW * sc
		if c != ' ' {
			face, err := r.face(latin, sc)
			if err != nil {
				return err
			}
			if c >= 0x80 {
				cjk, err := r.face(0, sc)
				if err != nil {
					return err
				}
				if _, ok := cjk.GlyphAdvance(c); ok {
					face = cjk
				}
			}
			adv, _ := face.GlyphAdvance(c)
			gx := fixed.I(x) + (fixed.I(cw)-adv)/2
			passes := 1
			if l.bold && c >= 0x80 {
				passes = 2 // emphasise the Hanzi font the way printers do: double strike one dot over
			}
			for p := range passes {
				dr := font.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.Point26_6{X: gx + fixed.I(p), Y: fixed.I(baseline)}}
				dr.DrawString(string(c))
			}
		}
		x += cw
	}
	return nil
}

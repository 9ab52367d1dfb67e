package printer

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// ESC/POS control bytes.
const (
	esc = 0x1b
	gs  = 0x1d
	fsc = 0x1c
	lf  = 0x0a
)

// QRLevel is a QR error-correction level; the values are GS ( k fn 69's
// argument.
type QRLevel byte

// The QR error-correction levels. Payment links use M: 15 % damage
// tolerance on thermal paper without growing the symbol past version 3 for
// a code_url.
const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// Encoder appends ESC/POS commands to a buffer. The zero value is ready to
// use. Methods return the Encoder so commands can be chained; errors (bad
// arguments) are reported by the methods that can fail.
type Encoder struct {
	buf []byte
}

// Bytes returns the commands written so far. The slice is the Encoder's
// own; copy it before writing more.
func (e *Encoder) Bytes() []byte { return e.buf }

// Init resets the printer (ESC @): modes back to default, stored QR data
// cleared.
func (e *Encoder) Init() *Encoder { e.buf = append(e.buf, esc, '@'); return e }

// Align sets the justification for the following lines (ESC a n).
func (e *Encoder) Align(a Align) *Encoder { e.buf = append(e.buf, esc, 'a', byte(a)); return e }

// Bold turns emphasis on or off (ESC E n).
func (e *Encoder) Bold(on bool) *Encoder {
	var n byte
	if on {
		n = 1
	}
	e.buf = append(e.buf, esc, 'E', n)
	return e
}

// Scale sets the character size to n times normal width and height
// (GS ! n; n in 1..8, clamped).
func (e *Encoder) Scale(n int) *Encoder {
	n = min(max(n, 1), 8) - 1
	e.buf = append(e.buf, gs, '!', byte(n<<4|n))
	return e
}

// Text writes s. Pure ASCII goes out as is; text with other characters is
// sent as GBK inside Chinese mode (FS & … FS .), with characters GBK lacks
// replaced by Replacement and control characters by spaces. It never sends
// a four-byte GB18030 sequence, and leaves the printer out of Chinese mode.
func (e *Encoder) Text(s string) *Encoder {
	b := encodeGBK(s)
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		e.buf = append(e.buf, b...)
		return e
	}
	e.buf = append(e.buf, fsc, '&')
	e.buf = append(e.buf, b...)
	e.buf = append(e.buf, fsc, '.')
	return e
}

// Newline ends the current line (LF).
func (e *Encoder) Newline() *Encoder { e.buf = append(e.buf, lf); return e }

// Feed prints the buffer and feeds n lines (ESC d n).
func (e *Encoder) Feed(n int) *Encoder {
	e.buf = append(e.buf, esc, 'd', byte(min(max(n, 0), 255)))
	return e
}

// Cut feeds the paper to the cutter and cuts it partially (GS V 66 0).
// Partial cut is the one every cutter, including the Zijiang ZJ-58's,
// performs; printers without a cutter ignore it.
func (e *Encoder) Cut() *Encoder { e.buf = append(e.buf, gs, 'V', 66, 0); return e }

// KickDrawer pulses cash-drawer pin 2 for 50 ms then waits 500 ms
// (ESC p 0 25 250).
func (e *Encoder) KickDrawer() *Encoder { e.buf = append(e.buf, esc, 'p', 0, 25, 250); return e }

// QRNative prints data as a model 2 QR code with the printer's own
// generator (GS ( k): model, module size, error correction, store, print.
// The printer does not add the quiet zone; callers leave blank space.
func (e *Encoder) QRNative(data string, module int, level QRLevel) error {
	if module < 1 || module > 16 {
		return fmt.Errorf("printer: QR module size %d out of range 1-16", module)
	}
	if level < QRLevelL || level > QRLevelH {
		return fmt.Errorf("printer: QR error correction %d out of range 48-51", level)
	}
	n := len(data) + 3
	if len(data) == 0 || n > 7092 {
		return fmt.Errorf("printer: QR data of %d bytes out of range 1-7089", len(data))
	}
	e.buf = append(e.buf,
		gs, '(', 'k', 4, 0, '1', 'A', '2', 0, // fn 65: model 2
		gs, '(', 'k', 3, 0, '1', 'C', byte(module), // fn 67: module size
		gs, '(', 'k', 3, 0, '1', 'E', byte(level), // fn 69: error correction
		gs, '(', 'k', byte(n), byte(n>>8), '1', 'P', '0') // fn 80: store
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, gs, '(', 'k', 3, 0, '1', 'Q', '0') // fn 81: print
	return nil
}

// rasterBand is the most rows sent in one GS v 0 command; some printers'
// buffers overflow on taller images (python-escpos uses 960 as well).
const rasterBand = 960

// Raster prints a bitmap (rows of dots, true = black) with GS v 0 in bands.
// Rows may have different lengths; the widest sets the width.
func (e *Encoder) Raster(rows [][]bool) error {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	if w == 0 {
		return fmt.Errorf("printer: empty raster image")
	}
	xb := (w + 7) / 8
	if xb > 0xffff {
		return fmt.Errorf("printer: raster image %d dots wide is too wide", w)
	}
	for top := 0; top < len(rows); top += rasterBand {
		band := rows[top:min(top+rasterBand, len(rows))]
		h := len(band)
		e.buf = append(e.buf, gs, 'v', '0', 0, byte(xb), byte(xb>>8), byte(h), byte(h>>8))
		for _, r := range band {
			row := make([]byte, xb)
			for x, black := range r {
				if black {
					row[x/8] |= 0x80 >> (x % 8)
				}
			}
			e.buf = append(e.buf, row...)
		}
	}
	return nil
}

// qrSymbol is a QR code laid out for a paper: its modules (quiet zone of 4
// modules included) and the module size in dots.
type qrSymbol struct {
	bits   [][]bool
	module int
}

// planQR encodes data at level M and picks the largest module size up to
// maxModule (8 if 0) at which the symbol and its quiet zone fit dots.
func planQR(data string, maxModule, dots int) (qrSymbol, error) {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return qrSymbol{}, fmt.Errorf("printer: encode QR: %w", err)
	}
	bits := q.Bitmap()
	if maxModule == 0 {
		maxModule = 8
	}
	m := min(maxModule, dots/len(bits))
	if m < 2 {
		return qrSymbol{}, fmt.Errorf("printer: QR of %d modules does not fit %d dots at 2 dots per module", len(bits), dots)
	}
	return qrSymbol{bits: bits, module: m}, nil
}

// scaled returns the symbol's bitmap at one dot per bit.
func (s qrSymbol) scaled() [][]bool {
	out := make([][]bool, 0, len(s.bits)*s.module)
	for _, r := range s.bits {
		row := make([]bool, len(r)*s.module)
		for x, black := range r {
			for i := range s.module {
				row[x*s.module+i] = black
			}
		}
		for range s.module {
			out = append(out, row)
		}
	}
	return out
}

// EncodeOptions are the printer's abilities that change the bytes.
type EncodeOptions struct {
	// RasterQR sends QR codes as GS v 0 bitmaps instead of GS ( k, for
	// printers without a QR generator. Jobs get larger (a few KB per QR).
	RasterQR bool
	// KickDrawer opens the cash drawer at the end of the job.
	KickDrawer bool
}

// Encode turns d into one ESC/POS job for the paper prof.
func Encode(d Doc, prof Profile, opt EncodeOptions) ([]byte, error) {
	items, err := flatten(d, prof.Cols)
	if err != nil {
		return nil, err
	}
	var e Encoder
	e.Init()
	align, bold, sc := AlignLeft, false, 1
	for _, it := range items {
		switch it.kind {
		case itemLine:
			l := it.line
			if l.align != align {
				e.Align(l.align)
				align = l.align
			}
			if l.bold != bold {
				e.Bold(l.bold)
				bold = l.bold
			}
			if l.scale != sc {
				e.Scale(l.scale)
				sc = l.scale
			}
			e.Text(l.text).Newline()
		case itemQR:
			sym, err := planQR(it.qr.Data, it.qr.MaxModule, prof.Dots)
			if err != nil {
				return nil, err
			}
			if align != AlignCenter {
				e.Align(AlignCenter)
				align = AlignCenter
			}
			if opt.RasterQR {
				if err := e.Raster(sym.scaled()); err != nil {
					return nil, err
				}
				continue
			}
			// The printer draws no quiet zone: leave about 4 modules
			// above and below (dots ≈ lines × 30).
			quiet := (4*sym.module + 29) / 30
			e.Feed(quiet)
			if err := e.QRNative(it.qr.Data, sym.module, QRLevelM); err != nil {
				return nil, err
			}
			e.Feed(quiet)
		case itemFeed:
			e.Feed(it.lines)
		case itemCut:
			e.Cut()
		}
	}
	if opt.KickDrawer {
		e.KickDrawer()
	}
	return e.Bytes(), nil
}

package printer

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// Replacement is printed in place of a character the printer's GBK font
// cannot show (emoji, rare characters outside GBK). It is itself in GBK
// (A1 F5), so the gap stays visible and keeps the double width the missing
// character would have taken.
const Replacement = '□'

// printable returns s as the printer will show it: NFC-normalised, the
// half-width yen sign U+00A5 (not in GBK; GB18030 would need 4 bytes) mapped
// to the full-width ￥ U+FFE5, control characters turned into spaces (a
// product name must never smuggle an ESC/POS command), and every other
// character outside GBK replaced by Replacement. Its output is what both the
// ESC/POS encoder and the PNG renderer draw, so the preview shows exactly
// what the paper will.
func printable(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\u00a5':
			r = '￥'
		case r == '\t':
			r = ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			r = ' '
		case r == utf8.RuneError:
			r = Replacement
		}
		if r >= 0x80 && !inGBK(r) {
			r = Replacement
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inGBK reports whether r has a two-byte GBK code. GBK's encoder in x/text
// refuses anything else, which is exactly the set a GBK printer can show.
func inGBK(r rune) bool {
	var buf [4]byte
	n := utf8.EncodeRune(buf[:], r)
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf[:n])
	return err == nil && len(out) == 2
}

// runeWidth is the number of printer columns r takes after printable: an
// ASCII character is one 12-dot column of Font A, every other character is
// sent as a two-byte GBK code and printed from the 24×24 Hanzi font, so it
// takes two. This is the East Asian width rule specialised to what a GBK
// printer really does (ambiguous-width characters such as "·" or "é" are
// also full width there), and it equals the number of bytes the encoder
// emits for r.
func runeWidth(r rune) int {
	if r < 0x80 {
		return 1
	}
	return 2
}

// Width returns the number of printer columns s takes once made printable.
func Width(s string) int {
	n := 0
	for _, r := range printable(s) {
		n += runeWidth(r)
	}
	return n
}

// width is Width for a string that is already printable.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// wrap breaks a printable string into lines of at most cols columns.
// Latin words move to the next line whole when they fit on one; CJK text
// breaks between any two characters; a word longer than a line is split.
// Leading spaces are kept, spaces at a break are dropped. It always returns at least one line.
func wrap(s string, cols int) []string {
	if cols < 2 {
		cols = 2
	}
	var lines []string
	var cur []rune
	curW := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(string(cur), " "))
		cur, curW = cur[:0], 0
	}
	for _, tok := range tokens(s) {
		tw := width(tok)
		if tok == " " {
			// Spaces at the start of the text indent it; spaces at a
			// break are dropped.
			if (curW > 0 || len(lines) == 0) && curW < cols {
				cur = append(cur, ' ')
				curW++
			}
			continue
		}
		if curW+tw > cols && curW > 0 {
			flush()
		}
		if tw <= cols {
			cur = append(cur, []rune(tok)...)
			curW += tw
			continue
		}
		for _, r := range tok { // a word longer than a line
			w := runeWidth(r)
			if curW+w > cols {
				flush()
			}
			cur = append(cur, r)
			curW += w
		}
	}
	if curW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// tokens splits s into runs of ASCII non-space characters (words), single
// spaces, and single non-ASCII characters (each a possible break point).
func tokens(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if r < 0x80 && r != ' ' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		out = append(out, string(r))
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// encodeGBK encodes printable text for the printer: ASCII as is, every
// other character as its two-byte GBK code, characters without one as
// Replacement. It never emits a four-byte GB18030 sequence.
func encodeGBK(s string) []byte {
	enc := simplifiedchinese.GBK.NewEncoder()
	out := make([]byte, 0, len(s))
	var buf [4]byte
	for _, r := range printable(s) {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		b, err := enc.Bytes(buf[:n])
		if err != nil || len(b) != 2 {
			b = []byte{0xa1, 0xf5} // □, see Replacement
		}
		out = append(out, b...)
	}
	return out
}

package speaker

import "strings"

// Lang is the language of an announcement; its values are the kiosk's
// locale codes.
type Lang string

// The languages the clips cover.
const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// LangOf returns English for the locale "en" (or "en-…"/"en_…") and Chinese
// for anything else, Chinese being the kiosk's default.
func LangOf(locale string) Lang {
	if locale == "en" || strings.HasPrefix(locale, "en-") || strings.HasPrefix(locale, "en_") {
		return English
	}
	return Chinese
}

// Words reads an amount of fen in Chinese as it is said aloud, ending in
// 元: 1250 → "十二点五元", 100305 → "一千零三点零五元", 2000000 → "两万元".
// Jiao and fen follow 点 as digits with trailing zeros dropped; a negative
// amount starts with 负.
func Words(fen int64) string {
	return strings.Join(zhTokens(fen), "")
}

// EnglishWords reads an amount of fen in English in the same shape as
// Words, digits after "point": 1250 → "twelve point five yuan", 100305 →
// "one thousand three point zero five yuan" (no "and"), 2200 → "twenty-two
// yuan". A negative amount starts with "minus".
func EnglishWords(fen int64) string {
	toks := enTokens(fen)
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			if isEnTens(toks[i-1]) && isEnDigit(t) {
				b.WriteByte('-')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

// magnitude splits fen into its sign and absolute value without
// overflowing on math.MinInt64.
func magnitude(fen int64) (neg bool, abs uint64) {
	if fen < 0 {
		return true, uint64(-(fen + 1)) + 1
	}
	return false, uint64(fen)
}

var zhDigits = [10]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// zhPlaceUnits are the units of a four-digit section, thousands first.
var zhPlaceUnits = [4]string{"千", "百", "十", ""}

// zhTokens is the Chinese reading as one token per clip.
func zhTokens(fen int64) []string {
	neg, abs := magnitude(fen)
	yuan, rest := abs/100, abs%100
	var out []string
	if neg {
		out = append(out, "负")
	}
	if yuan == 0 {
		out = append(out, "零")
	} else {
		// A bare 2 before 元 is 两元, but 2.5 is 二点五.
		out = zhInt(out, yuan, true, rest == 0)
	}
	if rest > 0 {
		out = append(out, "点", zhDigits[rest/10])
		if rest%10 != 0 {
			out = append(out, zhDigits[rest%10])
		}
	}
	return append(out, "元")
}

// zhInt appends the reading of n > 0. leading says nothing has been read
// before n (so 十 drops its 一 and a first 2 before a unit is 两);
// liangUnits says whether a leading units-digit 2 is read 两 (before 万,
// 亿 and a bare 元).
func zhInt(out []string, n uint64, leading, liangUnits bool) []string {
	for _, big := range [...]struct {
		size uint64
		name string
	}{{100000000, "亿"}, {10000, "万"}} {
		if n < big.size {
			continue
		}
		hi, lo := n/big.size, n%big.size
		out = zhInt(out, hi, leading, true)
		out = append(out, big.name)
		if lo > 0 {
			// A gap of zeros between the two parts is read as one 零:
			// 一万零一十, 一亿零一千, but 一亿一千万.
			if lo < big.size/10 {
				out = append(out, "零")
			}
			out = zhInt(out, lo, false, liangUnits)
		}
		return out
	}
	return zhSection(out, n, leading, liangUnits)
}

// zhSection appends the reading of 0 < n < 10000.
func zhSection(out []string, n uint64, leading, liangUnits bool) []string {
	digits := [4]uint64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	read, zero := false, false
	for i, d := range digits {
		if d == 0 {
			zero = zero || read // zeros inside the section; trailing ones stay silent
			continue
		}
		if zero {
			out = append(out, "零")
			zero = false
		}
		first := leading && !read
		read = true
		switch {
		case i == 2 && d == 1 && first:
			out = append(out, "十") // 十二, not 一十二; but 一百一十
			continue
		case d == 2 && first && (i < 2 || i == 3 && liangUnits):
			out = append(out, "两") // 两千二百, 两万, 两元; but 二十二
		default:
			out = append(out, zhDigits[d])
		}
		if zhPlaceUnits[i] != "" {
			out = append(out, zhPlaceUnits[i])
		}
	}
	return out
}

var enOnes = [20]string{
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
	"seventeen", "eighteen", "nineteen",
}

var enTens = [10]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

func isEnTens(w string) bool {
	for _, t := range enTens[2:] {
		if w == t {
			return true
		}
	}
	return false
}

func isEnDigit(w string) bool {
	for _, t := range enOnes[1:10] {
		if w == t {
			return true
		}
	}
	return false
}

// enTokens is the English reading as one token per clip.
func enTokens(fen int64) []string {
	neg, abs := magnitude(fen)
	yuan, rest := abs/100, abs%100
	var out []string
	if neg {
		out = append(out, "minus")
	}
	if yuan == 0 {
		out = append(out, "zero")
	} else {
		out = enInt(out, yuan)
	}
	if rest > 0 {
		out = append(out, "point", enOnes[rest/10])
		if rest%10 != 0 {
			out = append(out, enOnes[rest%10])
		}
	}
	return append(out, "yuan")
}

// enInt appends the reading of n > 0; beyond 999 billion the billions are
// read as a number ("one thousand billion"), which needs no further clips.
func enInt(out []string, n uint64) []string {
	for _, big := range [...]struct {
		size uint64
		name string
	}{{1000000000, "billion"}, {1000000, "million"}, {1000, "thousand"}} {
		if n < big.size {
			continue
		}
		out = enInt(out, n/big.size)
		out = append(out, big.name)
		if lo := n % big.size; lo > 0 {
			out = enInt(out, lo)
		}
		return out
	}
	if n >= 100 {
		out = append(out, enOnes[n/100], "hundred")
		n %= 100
	}
	switch {
	case n >= 20:
		out = append(out, enTens[n/10])
		if n%10 != 0 {
			out = append(out, enOnes[n%10])
		}
	case n > 0:
		out = append(out, enOnes[n])
	}
	return out
}

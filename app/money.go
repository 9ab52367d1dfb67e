package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (1/100 yuan). Money is never a float.
type Fen int64

// Yuan renders f as yuan with exactly two decimals, e.g. "12.50" or "-0.05".
func (f Fen) Yuan() string {
	n := int64(f)
	sign := ""
	if n < 0 {
		sign = "-"
		n = -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// String renders f for people: "¥12.50".
func (f Fen) String() string { return "¥" + f.Yuan() }

// ParseYuan parses a yuan amount with at most two decimals ("12", "12.5",
// "12.50") into fen without floating point.
func ParseYuan(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("bad amount %q: want yuan with up to two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > math.MaxInt64/100-1 || strings.HasPrefix(whole, "+") {
		return 0, fmt.Errorf("bad amount %q: want yuan with up to two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	fr, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || fr < 0 {
		return 0, fmt.Errorf("bad amount %q: want yuan with up to two decimals", s)
	}
	v := Fen(w*100 + fr)
	if neg {
		v = -v
	}
	return v, nil
}

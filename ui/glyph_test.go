package ui

import (
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font/sfnt"

	"saoma/assets"
)

// TestEveryGlyphIsBundled checks that every character the screens write
// is in the bundled CJK font or Fyne's own text font, so a kiosk with no
// system fonts shows no replacement boxes (✓ and ☰, say, are in neither:
// they are drawn as icons).
func TestEveryGlyphIsBundled(t *testing.T) {
	var fonts []*sfnt.Font
	for _, b := range [][]byte{assets.CJKFont(), theme.DefaultTextFont().Content(), theme.DefaultTextBoldFont().Content()} {
		f, err := sfnt.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		fonts = append(fonts, f)
	}
	var buf sfnt.Buffer
	has := func(r rune) bool {
		for _, f := range fonts {
			if i, err := f.GlyphIndex(&buf, r); err == nil && i != 0 {
				return true
			}
		}
		return false
	}
	check := func(where, s string) {
		for _, r := range s {
			if r > 0x7E && !has(r) {
				t.Errorf("%s: %q has no glyph for %q (U+%04X)", where, s, r, r)
			}
		}
	}
	for _, table := range []map[string][2]string{stringsTable, payCodeTable, reconTable} {
		for key, v := range table {
			check(key, v[0])
			check(key, v[1])
		}
	}
	// String literals in the screens' source.
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(name, -1, len(src)), src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.STRING {
				v, err := strconv.Unquote(lit)
				if err == nil {
					check(fset.Position(pos).String(), v)
				}
			}
		}
	}
}

// Package assets holds the files the kiosk embeds so a bare machine needs
// nothing installed: the CJK font, icons and translations.
package assets

import _ "embed"

//go:embed fonts/DroidSansFallbackFull.otf
var cjkFont []byte

// CJKFontName is the file name of the bundled CJK font.
const CJKFontName = "DroidSansFallbackFull.otf"

// CJKFont returns the bundled single-face CJK OpenType font (Droid Sans
// Fallback with CFF outlines, Apache-2.0; see
// fonts/DroidSansFallback-COPYRIGHT.txt and tools/cjkfont). It has Chinese
// glyphs but no Latin ones; renderers fall back for those. The returned
// slice is shared: do not modify it.
func CJKFont() []byte { return cjkFont }

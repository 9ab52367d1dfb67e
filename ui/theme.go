package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"saoma/assets"
)

// Colours that mean state, the same on every screen.
var (
	colorPay     = color.NRGBA{R: 0x07, G: 0xC1, B: 0x60, A: 0xFF} // WeChat green: pay / paid
	colorDanger  = color.NRGBA{R: 0xFA, G: 0x51, B: 0x51, A: 0xFF} // failed / mismatch
	colorWaiting = color.NRGBA{R: 0xFF, G: 0xA9, B: 0x40, A: 0xFF} // waiting / attention
	colorGrey    = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xFF} // expired / closed
	colorInk     = color.NRGBA{R: 0x1A, G: 0x1A, B: 0x1A, A: 0xFF}
	colorPaper   = color.NRGBA{R: 0xF7, G: 0xF7, B: 0xF7, A: 0xFF}
)

// kioskTheme is a light, touch-sized theme whose every text style uses the
// bundled CJK font, so Chinese renders on a bare kiosk.
type kioskTheme struct {
	font  fyne.Resource
	scale float32 // grows sizes on big screens
}

func newTheme() *kioskTheme {
	return &kioskTheme{font: fyne.NewStaticResource("DroidSansFallbackFull.otf", assets.CJKFont()), scale: 1}
}

func (t *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground:
		return colorPaper
	case theme.ColorNameForeground:
		return colorInk
	case theme.ColorNamePrimary:
		return colorPay
	case theme.ColorNameButton:
		return color.NRGBA{R: 0xE8, G: 0xE8, B: 0xE8, A: 0xFF}
	case theme.ColorNameInputBackground:
		return color.White
	case theme.ColorNameError:
		return colorDanger
	case theme.ColorNameWarning:
		return colorWaiting
	case theme.ColorNameSuccess:
		return colorPay
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (t *kioskTheme) Font(fyne.TextStyle) fyne.Resource { return t.font }

func (t *kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 18 * t.scale
	case theme.SizeNameHeadingText:
		return 26 * t.scale
	case theme.SizeNameCaptionText:
		return 14 * t.scale // chart axes and small print, readable from a stool
	case theme.SizeNameSubHeadingText:
		return 21 * t.scale
	case theme.SizeNamePadding:
		return 6 * t.scale
	case theme.SizeNameInnerPadding:
		return 10 * t.scale
	case theme.SizeNameInlineIcon:
		return 24 * t.scale
	case theme.SizeNameScrollBar:
		return 14
	}
	return theme.DefaultTheme().Size(n) * t.scale
}

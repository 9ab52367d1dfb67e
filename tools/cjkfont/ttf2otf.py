#!/usr/bin/python3
"""Rewrites a TrueType (glyf) font with CFF outlines, glyphs unchanged.

Why: the kiosk's GUI toolkit (Fyne, through go-text) parses the CJK font
once per text style, and go-text parses every TrueType outline up front
but CFF charstrings only when a glyph is drawn: a parse of Droid Sans
Fallback's 49,382 glyphs keeps 16.7 MB as TrueType, 7.5 MB as
subroutinized CFF (mostly a copy of the CFF table; BenchmarkCJKFontParse in
assets/). The live kiosk's peak memory drops by about 20 MB
(scripts/memory.sh).

Regenerate assets/fonts/DroidSansFallbackFull.otf from Debian's
fonts-droid-fallback (needs python3-fonttools and python3-cffsubr; the
output is the same on every run). The source used here has sha256 acb6440a713d880a13a21b468ba7cd43
f5a2b2934972e51be791c880730777b8; git history keeps it
(git show 32f95ee:assets/fonts/DroidSansFallbackFull.ttf).

    /usr/bin/python3 tools/cjkfont/ttf2otf.py \
        /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf \
        assets/fonts/DroidSansFallbackFull.otf

Quadratic outlines become cubic ones exactly (T2CharStringPen); hinting
programs are dropped (Fyne and the receipt renderer do not hint); cmap,
advance widths and vertical metrics of the header tables are kept.
"""
import sys
from fontTools.ttLib import TTFont
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.fontBuilder import FontBuilder
import cffsubr

src, dst = sys.argv[1], sys.argv[2]
tt = TTFont(src)
order = tt.getGlyphOrder()
gs = tt.getGlyphSet()
hmtx = tt['hmtx'].metrics
charstrings = {}
for name in order:
    pen = T2CharStringPen(hmtx[name][0], gs)
    gs[name].draw(pen)
    charstrings[name] = pen.getCharString()
upm = tt['head'].unitsPerEm
fb = FontBuilder(upm, isTTF=False)
fb.setupGlyphOrder(order)
fb.setupCharacterMap(tt.getBestCmap())
names = {r.nameID: r.toUnicode() for r in tt['name'].names if r.platformID == 3}
ps = names.get(6, 'DroidSansFallback').replace(' ', '')
fb.setupCFF(ps, {"FullName": names.get(4, ps), "FamilyName": names.get(1, ps), "Weight": "Regular"}, charstrings, {})
fb.setupHorizontalMetrics(hmtx)
hh = tt['hhea']
fb.setupHorizontalHeader(ascent=hh.ascent, descent=hh.descent, lineGap=hh.lineGap)
fb.setupNameTable({"familyName": names.get(1, ps), "styleName": names.get(2, "Regular"),
                   "copyright": names.get(0, ""), "licenseDescription": names.get(13, ""),
                   "licenseInfoURL": names.get(14, ""), "version": names.get(5, "")})
os2 = tt['OS/2']
fb.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender, sTypoLineGap=os2.sTypoLineGap,
            usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent, ulUnicodeRange1=os2.ulUnicodeRange1,
            ulUnicodeRange2=os2.ulUnicodeRange2, ulUnicodeRange3=os2.ulUnicodeRange3, ulUnicodeRange4=os2.ulUnicodeRange4,
            ulCodePageRange1=getattr(os2,'ulCodePageRange1',0), ulCodePageRange2=getattr(os2,'ulCodePageRange2',0),
            achVendID=os2.achVendID, usWeightClass=os2.usWeightClass, fsSelection=os2.fsSelection, sxHeight=getattr(os2,'sxHeight',0), sCapHeight=getattr(os2,'sCapHeight',0))
fb.setupPost()
# The source's timestamps, so the output is the same on every run.
fb.font['head'].created = tt['head'].created
fb.font['head'].modified = tt['head'].modified
# Shared pieces of outlines (Droid's hanzi are built from components) go
# into subroutines: 7.7 MB of flat charstrings become 3.7 MB, which go-text
# copies once per parse.
cffsubr.subroutinize(fb.font)
fb.save(dst)
print(len(order), "glyphs")

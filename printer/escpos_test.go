package printer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The python-escpos vectors quoted in POS_NOTES.md §3.2.
func TestQRNativeMatchesTheReferenceVectors(t *testing.T) {
	tests := []struct {
		name   string
		module int
		level  QRLevel
		want   string
	}{
		{"defaults: size 3, EC L", 3, QRLevelL, `
			1D 28 6B 04 00 31 41 32 00
			1D 28 6B 03 00 31 43 03
			1D 28 6B 03 00 31 45 30
			1D 28 6B 07 00 31 50 30 31 32 33 34
			1D 28 6B 03 00 31 51 30`},
		{"EC H", 3, QRLevelH, `
			1D 28 6B 04 00 31 41 32 00
			1D 28 6B 03 00 31 43 03
			1D 28 6B 03 00 31 45 33
			1D 28 6B 07 00 31 50 30 31 32 33 34
			1D 28 6B 03 00 31 51 30`},
		{"size 7", 7, QRLevelL, `
			1D 28 6B 04 00 31 41 32 00
			1D 28 6B 03 00 31 43 07
			1D 28 6B 03 00 31 45 30
			1D 28 6B 07 00 31 50 30 31 32 33 34
			1D 28 6B 03 00 31 51 30`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Encoder
			if err := e.QRNative("1234", tt.module, tt.level); err != nil {
				t.Fatal(err)
			}
			if got, want := e.Bytes(), mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("got  % X\nwant % X", got, want)
			}
		})
	}
}

func TestQRNativeStoreLengthUsesBothBytes(t *testing.T) {
	data := strings.Repeat("a", 300) // 303 = 0x012F after fn
	var e Encoder
	if err := e.QRNative(data, 4, QRLevelM); err != nil {
		t.Fatal(err)
	}
	store := []byte{gs, '(', 'k', 0x2f, 0x01, '1', 'P', '0'}
	if !bytes.Contains(e.Bytes(), append(store, data...)) {
		t.Errorf("store command with pL=2F pH=01 not found in % X", e.Bytes()[:40])
	}
}

func TestQRNativeRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		module int
		level  QRLevel
	}{
		{"empty data", "", 3, QRLevelM},
		{"module 0", "x", 0, QRLevelM},
		{"module 17", "x", 17, QRLevelM},
		{"unknown level", "x", 3, 52},
		{"too much data", strings.Repeat("x", 7090), 3, QRLevelM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Encoder
			if err := e.QRNative(tt.data, tt.module, tt.level); err == nil {
				t.Error("no error")
			}
			if len(e.Bytes()) != 0 {
				t.Errorf("wrote % X on error", e.Bytes())
			}
		})
	}
}

func TestCommandsGolden(t *testing.T) {
	var raster Encoder
	// A 10×3 bitmap: the row width rounds up to 2 bytes; MSB is leftmost.
	if err := raster.Raster([][]bool{
		{true, false, false, false, false, false, false, false, true, true},
		{false, true},
		{true, true, true, true, true, true, true, true, true, true},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		enc  *Encoder
	}{
		{"chinese_text.hex", new(Encoder).Init().Text("合计 Total ￥12.50").Newline().Text("ASCII only").Newline()},
		{"yen_and_emoji.hex", new(Encoder).Text("¥8 奶茶🧋").Newline()},
		{"styles_feed_cut_drawer.hex", new(Encoder).Align(AlignCenter).Bold(true).Scale(2).Scale(1).Bold(false).Align(AlignLeft).Feed(3).Cut().KickDrawer()},
		{"raster.hex", &raster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, hexDump(tt.enc.Bytes())) })
	}
}

func TestTextUsesChineseModeOnlyAroundGBK(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{"ascii is sent bare", "Total 12", []byte("Total 12")},
		{"chinese in FS & … FS .", "合计", []byte{0x1c, 0x26, 0xba, 0xcf, 0xbc, 0xc6, 0x1c, 0x2e}},
		{"¥ becomes full-width ￥ (A3 A4)", "¥1", []byte{0x1c, 0x26, 0xa3, 0xa4, '1', 0x1c, 0x2e}},
		{"emoji becomes □ (A1 F5)", "🧋", []byte{0x1c, 0x26, 0xa1, 0xf5, 0x1c, 0x2e}},
		{"control characters become spaces", "a\x1b@b", []byte("a @b")},
		{"euro (single byte 80 in CP936) is replaced", "€", []byte{0x1c, 0x26, 0xa1, 0xf5, 0x1c, 0x2e}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := new(Encoder).Text(tt.in).Bytes(); !bytes.Equal(got, tt.want) {
				t.Errorf("Text(%q) = % X, want % X", tt.in, got, tt.want)
			}
		})
	}
}

// checkStream parses an ESC/POS job as a GBK printer would — skipping the
// arguments of the commands the encoder emits — and fails on a four-byte
// GB18030 sequence, a stray byte outside Chinese mode, or a job that ends
// in Chinese mode.
func checkStream(t *testing.T, b []byte) {
	t.Helper()
	chinese := false
	arg := func(i, n int) int {
		if i+n >= len(b) {
			t.Fatalf("command at %d truncated", i)
		}
		return i + n
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == esc && i+1 < len(b):
			switch b[i+1] {
			case '@':
				i++
			case 'a', 'E', 'd':
				i = arg(i, 2)
			case 'p':
				i = arg(i, 4)
			default:
				t.Fatalf("unexpected ESC %#x at %d", b[i+1], i)
			}
		case c == gs && i+1 < len(b):
			switch b[i+1] {
			case '!':
				i = arg(i, 2)
			case 'V':
				i = arg(i, 3)
			case '(':
				arg(i, 4)
				i = arg(i, 4+int(b[i+3])+int(b[i+4])<<8)
			case 'v':
				arg(i, 7)
				i = arg(i, 7+(int(b[i+4])|int(b[i+5])<<8)*(int(b[i+6])|int(b[i+7])<<8))
			default:
				t.Fatalf("unexpected GS %#x at %d", b[i+1], i)
			}
		case c == fsc && i+1 < len(b) && b[i+1] == '&':
			chinese, i = true, i+1
		case c == fsc && i+1 < len(b) && b[i+1] == '.':
			chinese, i = false, i+1
		case c < 0x80:
		case !chinese:
			t.Fatalf("byte %#x at %d outside Chinese mode", c, i)
		case c == 0x80 || c == 0xff || i+1 >= len(b):
			t.Fatalf("bad GBK lead byte %#x at %d", c, i)
		case b[i+1] >= 0x30 && b[i+1] <= 0x39:
			t.Fatalf("four-byte GB18030 sequence at %d: % X", i, b[i:min(i+4, len(b))])
		case b[i+1] < 0x40 || b[i+1] == 0x7f || b[i+1] == 0xff:
			t.Fatalf("bad GBK trail byte %#x at %d", b[i+1], i+1)
		default:
			i++
		}
	}
	if chinese {
		t.Fatal("job leaves the printer in Chinese mode")
	}
}

func TestRareCharactersAreReplacedVisibly(t *testing.T) {
	in := "𠀀 rare, 😀 emoji, ¥ yen, 𪚥 four dragons"
	got := new(Encoder).Text(in).Bytes()
	checkStream(t, got)
	if n := bytes.Count(got, []byte{0xa1, 0xf5}); n != 3 {
		t.Errorf("%d replacement characters (□ = A1 F5), want 3 in % X", n, got)
	}
	if !bytes.Contains(got, []byte{0xa3, 0xa4}) {
		t.Errorf("¥ not sent as ￥ (A3 A4): % X", got)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "合计 ￥12.50", "¥", "🧋奶茶", "a\x00\x1b\x1c&b", "\xff\xfe", "é e\u0301", "€·—“”", "𠀀𪚥"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := new(Encoder).Text(s).Bytes()
		checkStream(t, out)
		// The column width the layout computes is exactly what is sent.
		if w, n := Width(s), len(encodeGBK(s)); w != n {
			t.Fatalf("Width(%q) = %d but %d bytes are sent", s, w, n)
		}
		p := printable(s)
		if !utf8.ValidString(p) {
			t.Fatalf("printable(%q) is not UTF-8", s)
		}
		for _, l := range wrap(p, 16) {
			if width(l) > 16 {
				t.Fatalf("wrap(%q, 16) gave a line of width %d: %q", s, width(l), l)
			}
		}
	})
}

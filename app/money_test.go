package app

import "testing"

func TestFenFormat(t *testing.T) {
	cases := []struct {
		f          Fen
		yuan, text string
	}{
		{0, "0.00", "¥0.00"},
		{1, "0.01", "¥0.01"},
		{1250, "12.50", "¥12.50"},
		{100000, "1000.00", "¥1000.00"},
		{-5, "-0.05", "¥-0.05"},
	}
	for _, c := range cases {
		if got := c.f.Yuan(); got != c.yuan {
			t.Errorf("Fen(%d).Yuan() = %q, want %q", c.f, got, c.yuan)
		}
		if got := c.f.String(); got != c.text {
			t.Errorf("Fen(%d).String() = %q, want %q", c.f, got, c.text)
		}
	}
}

func TestParseYuan(t *testing.T) {
	cases := []struct {
		in      string
		want    Fen
		wantErr bool
	}{
		{"12", 1200, false},
		{"12.5", 1250, false},
		{"12.50", 1250, false},
		{" 0.01 ", 1, false},
		{"-3.20", -320, false},
		{"0.10", 10, false},
		{"", 0, true},
		{".5", 0, true},
		{"1.", 0, true},
		{"1.234", 0, true},
		{"1,00", 0, true},
		{"abc", 0, true},
		{"1e3", 0, true},
		{"--1", 0, true},
		{"+1", 0, true},
		{"1.-5", 0, true},
		{"99999999999999999999", 0, true},
		{"92233720368547758.07", 0, true},
	}
	for _, c := range cases {
		got, err := ParseYuan(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, err=%v", c.in, got, err, c.want, c.wantErr)
		}
		if err == nil {
			back, err := ParseYuan(got.Yuan())
			if err != nil || back != got {
				t.Errorf("round trip of %q: %d, %v", c.in, back, err)
			}
		}
	}
}

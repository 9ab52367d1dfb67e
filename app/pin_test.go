package app

import "testing"

func TestPIN(t *testing.T) {
	h, err := HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPIN("2468")
	if h == h2 {
		t.Error("two hashes of the same PIN are equal: salt missing")
	}
	cases := []struct {
		hash, pin string
		want      bool
	}{
		{h, "2468", true},
		{h2, "2468", true},
		{h, "2469", false},
		{h, "", false},
		{"", "", false},
		{"v1$zz$00", "2468", false},
		{"v2" + h[2:], "2468", false},
	}
	for _, c := range cases {
		if got := CheckPIN(c.hash, c.pin); got != c.want {
			t.Errorf("CheckPIN(%q, %q) = %v, want %v", c.hash, c.pin, got, c.want)
		}
	}
	for _, bad := range []string{"", "123", "123456789", "12a4", " 1234"} {
		if _, err := HashPIN(bad); err != ErrBadPIN {
			t.Errorf("HashPIN(%q) = %v, want ErrBadPIN", bad, err)
		}
	}
}

package wxpay

import (
	"errors"
	"testing"
)

// The official worked example from WeChat's signing page (WXPAY_V2.md §2.2).
func officialExample() Params {
	return Params{
		"appid":       "wxd930ea5d5a258f4f",
		"mch_id":      "10000100",
		"device_info": "1000",
		"body":        "test",
		"nonce_str":   "ibuaiVcKdpRxkhJA",
	}
}

const officialKey = "192006250b4c09247ec02edce69f6a2d"

func TestSignOfficialExample(t *testing.T) {
	tests := []struct {
		name string
		st   SignType
		want string
	}{
		{"MD5 matches the documented value", SignMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"HMAC-SHA256 matches the documented value", SignHMACSHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := officialExample().Sign(officialKey, tt.st); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSigningStringSkipsSignAndEmpty(t *testing.T) {
	p := officialExample()
	p["sign"] = "XYZ"
	p["attach"] = ""
	want := "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
	if got := p.SigningString(); got != want {
		t.Errorf("SigningString = %q, want %q", got, want)
	}
}

func TestHMACWithoutKeySuffixDiffers(t *testing.T) {
	// Negative control from WXPAY_V2.md: HMAC over stringA alone is wrong.
	const wrong = "F734F0E6B3509F9701F4A27CA72985EE10313DD0F96B71CAB42985D0F4F56376"
	if got := officialExample().Sign(officialKey, SignHMACSHA256); got == wrong {
		t.Fatal("HMAC-SHA256 must include the &key= suffix in its message")
	}
}

func TestMode1URLVector(t *testing.T) {
	p := Params{
		"appid":      "wxd930ea5d5a258f4f",
		"mch_id":     "10000100",
		"product_id": "88888",
		"time_stamp": "1414488825",
		"nonce_str":  "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
	}
	if got, want := p.Sign(officialKey, SignMD5), "9D1D490CBBF322C6C570375718106149"; got != want {
		t.Errorf("mode-1 sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	signed := func(st SignType) Params {
		p := officialExample()
		if st != SignMD5 {
			p["sign_type"] = string(st)
		}
		p["sign"] = p.Sign(officialKey, st)
		return p
	}
	tests := []struct {
		name    string
		p       Params
		wantErr bool
	}{
		{"a correct MD5 signature verifies", signed(SignMD5), false},
		{"a correct HMAC-SHA256 signature verifies", signed(SignHMACSHA256), false},
		{"a lower-case signature still verifies", func() Params { p := signed(SignMD5); p["sign"] = "9a0a8659f005d6984697e2ca0a9cf3b7"; return p }(), false},
		{"an unknown extra field is covered by the signature", func() Params { p := signed(SignMD5); p["new_field"] = "x"; return p }(), true},
		{"a changed value breaks the signature", func() Params { p := signed(SignMD5); p["body"] = "tesT"; return p }(), true},
		{"a missing sign is refused", func() Params { p := signed(SignMD5); delete(p, "sign"); return p }(), true},
		{"an unknown sign_type is refused", func() Params { p := signed(SignMD5); p["sign_type"] = "SHA1"; return p }(), true},
		{"MD5 sign claimed as HMAC is refused", func() Params { p := signed(SignMD5); p["sign_type"] = "HMAC-SHA256"; return p }(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.VerifySelf(officialKey)
			if (err != nil) != tt.wantErr {
				t.Fatalf("VerifySelf = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrSignature) {
				t.Errorf("error %v is not ErrSignature", err)
			}
		})
	}
}

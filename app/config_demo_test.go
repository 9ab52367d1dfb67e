package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoRun is a config as demo mode runs it: the demo world's merchant (an
// APPID the validator refuses) and its loopback relay, on v3 or v2.
func demoRun(api string) Config {
	return Config{Shop: "扫码小店 · 演示", KioskID: "k1", Locale: "zh",
		WxPay: WxPayConfig{AppID: "wx0000000000demo", MchID: "1900000109", Key: "saomaDemoKey0123456789abcdefABCD", API: api, SignType: "MD5"},
		Relay: RelayConfig{URL: "http://127.0.0.1:41234", Token: "demo-token"}}.WithDefaults()
}

func TestConfigWithoutDemoSavesWhatTheOwnerChanged(t *testing.T) {
	pin, err := HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []string{"", "v3"} {
		t.Run("demo on API "+api+": shop, PIN, language, printer and speaker are saved, the demo merchant is not", func(t *testing.T) {
			demo := demoRun(api)
			c := demo
			c.Shop, c.OwnerPIN, c.Locale = "老王咖啡", pin, "en"
			c.Printer = PrinterConfig{Kind: "tcp", Address: "192.168.1.50:9100", Paper: 58}
			c.Speaker = SpeakerConfig{Volume: 40, Muted: true}
			var ce *ConfigError
			if err := c.Validate(); !errors.As(err, &ce) {
				t.Fatalf("the demo's own config validates (%v): the test proves nothing", err)
			}
			out := c.WithoutDemo(demo)
			p := filepath.Join(t.TempDir(), "config.toml")
			if err := out.Save(p); err != nil {
				t.Fatalf("save: %v", err)
			}
			back, err := LoadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			if back.Live() || back.WxPay != (WxPayConfig{}) || back.Relay != (RelayConfig{}) {
				t.Errorf("the demo's merchant or relay was saved: %+v %+v", back.WxPay, back.Relay)
			}
			if back.Shop != c.Shop || back.OwnerPIN != pin || back.Locale != "en" || back.Printer != c.Printer || back.Speaker != c.Speaker {
				t.Errorf("saved %+v", back)
			}
			raw, _ := os.ReadFile(p)
			for _, secret := range []string{demo.WxPay.Key, demo.Relay.Token, demo.WxPay.AppID} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the file holds the demo's %q", secret)
				}
			}
		})
	}
	t.Run("a merchant the owner typed in the demo is kept", func(t *testing.T) {
		demo := demoRun("")
		c := demo
		c.WxPay.AppID, c.WxPay.MchID, c.WxPay.Key = "wx1234567890abcdef", "1230000109", "0123456789abcdef0123456789abcdef"
		out := c.WithoutDemo(demo)
		want := WxPayConfig{AppID: c.WxPay.AppID, MchID: c.WxPay.MchID, Key: c.WxPay.Key}
		if out.WxPay != want {
			t.Errorf("wxpay %+v, want %+v", out.WxPay, want)
		}
		if out.Relay != (RelayConfig{}) {
			t.Errorf("the demo's relay is kept: %+v", out.Relay)
		}
	})
	t.Run("the demo's key is not the owner's: a new APPID without her key is refused", func(t *testing.T) {
		demo := demoRun("")
		c := demo
		c.WxPay.AppID, c.WxPay.MchID = "wx1234567890abcdef", "1230000109"
		if err := c.WithoutDemo(demo).Validate(); err == nil {
			t.Error("a merchant with the demo's key validates")
		}
	})
}

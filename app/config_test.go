package app

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodConfig = `shop = "老王咖啡"
kiosk_id = "k1"
locale = "en"
day_boundary = "04:00"
qr_lifetime = "90m"

[wxpay]
appid = "wx1234567890abcdef"
mch_id = "1900000109"
key = "0123456789abcdef0123456789abcdef"

[relay]
url = "https://relay.example.com"
token = "secret-token"

[printer]
kind = "tcp"
address = "192.168.1.50:9100"
paper = 58
`

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(writeConfig(t, goodConfig, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	if c.Shop != "老王咖啡" || c.WxPay.MchID != "1900000109" || c.Printer.Paper != 58 || c.QRLifetime.Duration != 90*time.Minute {
		t.Errorf("decoded %+v", c)
	}
	if c.DayBoundaryDuration() != 4*time.Hour || !c.Live() {
		t.Errorf("boundary %s live %v", c.DayBoundaryDuration(), c.Live())
	}
}

func TestLoadConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown key", strings.Replace(goodConfig, "paper = 58", "papr = 58", 1), "config.toml:19: printer.papr: unknown key"},
		{"bad locale", strings.Replace(goodConfig, `"en"`, `"fr"`, 1), `config.toml:3: locale: want "zh" or "en"`},
		{"bad boundary", strings.Replace(goodConfig, `"04:00"`, `"4am"`, 1), "config.toml:4: day_boundary"},
		{"short key", strings.Replace(goodConfig, "0123456789abcdef0123456789abcdef", "short", 1), "config.toml:10: wxpay.key: the API key is 32 characters"},
		{"bad appid", strings.Replace(goodConfig, "wx1234567890abcdef", "1234", 1), "config.toml:8: wxpay.appid"},
		{"bad paper", strings.Replace(goodConfig, "paper = 58", "paper = 76", 1), "config.toml:19: printer.paper: want 58 or 80"},
		{"wrong type", strings.Replace(goodConfig, "paper = 58", `paper = "58mm"`, 1), `line 19 (last key "printer.paper")`},
		{"bad duration", strings.Replace(goodConfig, `"90m"`, `"ninety"`, 1), "qr_lifetime"},
		{"lifetime too long", strings.Replace(goodConfig, `"90m"`, `"3h"`, 1), "config.toml:5: qr_lifetime"},
		{"syntax", goodConfig + "\n[wxpay\n", "config.toml:22"},
		{"bad spbill_create_ip", strings.Replace(goodConfig, `key = "0123456789abcdef0123456789abcdef"`, `key = "0123456789abcdef0123456789abcdef"
spbill_create_ip = "203.0.113"`, 1), "config.toml:11: wxpay.spbill_create_ip: want the shop's public IP"},
		{"live without a relay", strings.Replace(goodConfig, `url = "https://relay.example.com"`, ``, 1), "relay.url: a live kiosk needs its relay"},
		{"relay url with a path", strings.Replace(goodConfig, `"https://relay.example.com"`, `"https://relay.example.com/wxpay/notify"`, 1), "config.toml:13: relay.url: want the relay's base URL without a path"},
		{"relay url without a host", strings.Replace(goodConfig, `"https://relay.example.com"`, `"https:///"`, 1), "relay.url: want a host name"},
		{"speaker volume", goodConfig + "\n[speaker]\nvolume = 130\n", "speaker.volume: want 1 to 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, c.edit, 0o600))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestLoadConfigAcceptsWhatShopsWrite(t *testing.T) {
	cases := []struct{ name, text string }{
		{"relay URL ending in a slash", strings.Replace(goodConfig, `"https://relay.example.com"`, `"https://relay.example.com/"`, 1)},
		{"polling only with an explicit notify_url", strings.Replace(strings.Replace(goodConfig, `url = "https://relay.example.com"`, ``, 1),
			`key = "0123456789abcdef0123456789abcdef"`, `key = "0123456789abcdef0123456789abcdef"
notify_url = "https://shop.example.com/wxpay/notify"`, 1)},
		{"IPv6 spbill_create_ip", strings.Replace(goodConfig, `key = "0123456789abcdef0123456789abcdef"`, `key = "0123456789abcdef0123456789abcdef"
spbill_create_ip = "2001:db8::7"`, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := LoadConfig(writeConfig(t, c.text, 0o600)); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

func TestLoadConfigRefusesReadableSecrets(t *testing.T) {
	if _, err := LoadConfig(writeConfig(t, goodConfig, 0o644)); !errors.Is(err, ErrInsecureConfig) {
		t.Errorf("world-readable config: %v", err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "apikey")
	os.WriteFile(keyFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o640)
	text := strings.Replace(goodConfig, `key = "0123456789abcdef0123456789abcdef"`, `key_file = "`+keyFile+`"`, 1)
	p := writeConfig(t, text, 0o600)
	if _, err := LoadConfig(p); !errors.Is(err, ErrInsecureConfig) {
		t.Errorf("group-readable key file: %v", err)
	}
	os.Chmod(keyFile, 0o600)
	c, err := LoadConfig(p)
	if err != nil || c.WxPay.Key != "0123456789abcdef0123456789abcdef" {
		t.Errorf("key file: %v %q", err, c.WxPay.Key)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigSaveRoundTripIsPrivate(t *testing.T) {
	c, err := LoadConfig(writeConfig(t, goodConfig, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sub", "config.toml")
	c.OwnerPIN, _ = HashPIN("1234")
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("saved with mode %v", st.Mode().Perm())
	}
	back, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Errorf("round trip:\n%+v\n%+v", back, c)
	}
	bad := c
	bad.Locale = "de"
	if err := bad.Save(p); err == nil {
		t.Error("saved an invalid config")
	}
}

func TestConfigLogValueRedactsSecrets(t *testing.T) {
	c, _ := LoadConfig(writeConfig(t, goodConfig, 0o600))
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "cfg", c)
	out := b.String()
	if strings.Contains(out, "0123456789abcdef") || strings.Contains(out, "secret-token") {
		t.Errorf("secret in log: %s", out)
	}
	if !strings.Contains(out, "1900000109") {
		t.Errorf("log lacks mch_id: %s", out)
	}
}

func TestPollInterval(t *testing.T) {
	cases := []struct {
		age  time.Duration
		link LinkState
		want time.Duration
	}{
		{0, LinkConnected, 2 * time.Second},
		{59 * time.Second, LinkConnected, 2 * time.Second},
		{2 * time.Minute, LinkConnected, 5 * time.Second},
		{10 * time.Minute, LinkConnected, 15 * time.Second},
		{90 * time.Minute, LinkConnected, 30 * time.Second},
		{90 * time.Minute, LinkPolling, 5 * time.Second},
		{10 * time.Second, LinkPolling, 2 * time.Second},
	}
	for _, c := range cases {
		if got := pollInterval(c.age, c.link); got != c.want {
			t.Errorf("pollInterval(%s, %s) = %s, want %s", c.age, c.link, got, c.want)
		}
	}
}

func TestOrderBody(t *testing.T) {
	lines := []Line{{Name: "美式咖啡", Qty: 2}, {Name: "可颂", Qty: 1}}
	if got := orderBody("老王咖啡", lines); got != "老王咖啡-美式咖啡等3件" {
		t.Errorf("body %q", got)
	}
	long := orderBody(strings.Repeat("店", 60), lines)
	if len(long) > 128 || !strings.HasPrefix(long, "店") || strings.ContainsRune(long, '\uFFFD') {
		t.Errorf("long body %d bytes %q", len(long), long)
	}
}

// v3Config writes a v3 merchant's files and config, with edit applied to
// the config text.
func v3Config(t *testing.T, edit func(string) string, keyMode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "apiclient_key.pem")
	pub := filepath.Join(dir, "pub_key.pem")
	os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), keyMode)
	os.WriteFile(pub, []byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), 0o644)
	text := `shop = "老王咖啡"
kiosk_id = "k1"

[wxpay]
api = "v3"
appid = "wx1234567890abcdef"
mch_id = "1900000109"
mch_serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
private_key_file = "` + key + `"
apiv3_key = "0123456789abcdef0123456789abcdef"
wechatpay_public_key_file = "` + pub + `"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092025010100000000"

[relay]
url = "https://relay.example.com"
token = "t"
`
	if edit != nil {
		text = edit(text)
	}
	return writeConfig(t, text, 0o600)
}

func TestLoadConfigV3(t *testing.T) {
	c, err := LoadConfig(v3Config(t, nil, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	if c.WxPay.API != "v3" || c.WxPay.Key != "" || !c.Live() {
		t.Errorf("v3 config: %+v", c.WxPay)
	}
	cases := []struct {
		name string
		edit func(string) string
		mode os.FileMode
		want string
	}{
		{"unknown api", func(s string) string { return strings.Replace(s, `api = "v3"`, `api = "v4"`, 1) }, 0o600, `wxpay.api: want "v2" or "v3"`},
		{"no serial", func(s string) string { return strings.Replace(s, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "", 1) }, 0o600, "wxpay.mch_serial"},
		{"short APIv3 key", func(s string) string { return strings.Replace(s, "0123456789abcdef0123456789abcdef", "short", 1) }, 0o600, "config.toml:10: wxpay.apiv3_key: the APIv3 key is 32 characters"},
		{"no public key id", func(s string) string { return strings.Replace(s, "PUB_KEY_ID_0119000001092025010100000000", "", 1) }, 0o600, "wxpay.wechatpay_public_key_id"},
		{"private key readable by others", nil, 0o644, "readable by other users"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(v3Config(t, c.edit, c.mode))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

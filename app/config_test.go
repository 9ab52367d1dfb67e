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

// commentedConfig is goodConfig as an owner keeps it: comments, a blank
// line layout and keys left to their defaults.
const commentedConfig = `# Saoma at 老王咖啡 — edited by hand, keep the comments.
shop = "老王咖啡" # on receipts
kiosk_id = "k1"

# The merchant account.
[wxpay]
appid = "wx1234567890abcdef"
mch_id = "1900000109"
KEYLINE

[relay]
url = "https://relay.example.com"   # the public name
TOKENLINE

[printer]
kind = "tcp"
address = "192.168.1.50:9100"
`

const (
	oldKey = "0123456789abcdef0123456789abcdef"
	newKey = "fedcba9876543210fedcba9876543210"
)

// secretFile writes a private file holding secret and returns its path.
func secretFileWith(t *testing.T, secret string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigSaveWritesSecretsToTheirOwnFile(t *testing.T) {
	keyFile := secretFileWith(t, oldKey)
	tokenFile := secretFileWith(t, "old-token")
	text := strings.NewReplacer("KEYLINE", `key_file = "`+keyFile+`"`, "TOKENLINE", `token_file = "`+tokenFile+`"`).Replace(commentedConfig)
	p := writeConfig(t, text, 0o600)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Relay.Token != "old-token" {
		t.Fatalf("token_file not read: %q", c.Relay.Token)
	}
	c.WxPay.Key, c.Relay.Token = newKey, "new-token" // typed in Settings
	if err := c.WithDefaults().Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.WxPay.Key != newKey || back.Relay.Token != "new-token" {
		t.Errorf("after saving, the kiosk starts with key %q token %q; want the ones typed in Settings", back.WxPay.Key, back.Relay.Token)
	}
	for file, want := range map[string]string{keyFile: newKey + "\n", tokenFile: "new-token\n"} {
		if got := readText(t, file); got != want {
			t.Errorf("%s holds %q, want %q", file, got, want)
		}
		if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", file, st.Mode().Perm())
		}
	}
	if got := readText(t, p); got != text {
		t.Errorf("config.toml changed though only secrets in their own files did:\n%s\nwant\n%s", got, text)
	}
}

func TestConfigSaveAPIv3KeyToItsFile(t *testing.T) {
	keyFile := secretFileWith(t, oldKey)
	p := v3Config(t, func(s string) string {
		return strings.Replace(s, `apiv3_key = "`+oldKey+`"`, `apiv3_key_file = "`+keyFile+`"`, 1)
	}, 0o600)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	c.WxPay.APIv3Key = newKey
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	if back, err := LoadConfig(p); err != nil || back.WxPay.APIv3Key != newKey {
		t.Errorf("APIv3 key after save: %q, %v", back.WxPay.APIv3Key, err)
	}
	if strings.Contains(readText(t, p), newKey) {
		t.Error("the APIv3 key was written inline as well")
	}
}

func TestConfigSaveRemovesAnIgnoredInlineCopy(t *testing.T) {
	keyFile := secretFileWith(t, oldKey)
	text := strings.NewReplacer("KEYLINE", `key = "`+oldKey+`"
key_file = "`+keyFile+`"`, "TOKENLINE", `token = "secret-token"`).Replace(commentedConfig)
	p := writeConfig(t, text, 0o600)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	c.WxPay.Key = newKey
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	got := readText(t, p)
	if strings.Contains(got, oldKey) || strings.Contains(got, newKey) {
		t.Errorf("config.toml still holds a key beside key_file:\n%s", got)
	}
	if readText(t, keyFile) != newKey+"\n" {
		t.Error("key file not updated")
	}
}

func TestConfigSaveEditsInPlace(t *testing.T) {
	inline := strings.NewReplacer("KEYLINE", `key = "`+oldKey+`" # 商户平台 → API安全`, "TOKENLINE", `token = "secret-token"`).Replace(commentedConfig)
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"an unchanged config is written back byte for byte", func(*Config) {}, inline},
		{"a changed inline key is replaced on its line, keeping its comment", func(c *Config) { c.WxPay.Key = newKey },
			strings.Replace(inline, oldKey, newKey, 1)},
		{"a changed top-level value keeps the comment after it", func(c *Config) { c.Shop = `老王 "咖啡"` },
			strings.Replace(inline, `shop = "老王咖啡" # on receipts`, `shop = "老王 \"咖啡\"" # on receipts`, 1)},
		{"a new key is added at the end of its table", func(c *Config) { c.Printer.KickDrawer = true },
			strings.Replace(inline, `address = "192.168.1.50:9100"`, `address = "192.168.1.50:9100"
kick_drawer = true`, 1)},
		{"a new top-level key goes before the first table's comments", func(c *Config) { c.DayBoundary = "04:00" },
			strings.Replace(inline, `kiosk_id = "k1"`, `kiosk_id = "k1"
day_boundary = "04:00"`, 1)},
		{"a missing table is appended", func(c *Config) { c.Speaker.Volume = 60 }, inline + "\n[speaker]\nvolume = 60\n"},
		{"a cleared value is removed", func(c *Config) { c.Printer.Kind, c.Printer.Address = "device", ""; c.Printer.Device = "/dev/usb/lp0" },
			strings.Replace(inline, `kind = "tcp"
address = "192.168.1.50:9100"`, `kind = "device"
device = "/dev/usb/lp0"`, 1)},
		{"a default the file leaves unset stays unset", func(c *Config) { *c = c.WithDefaults() }, inline},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, inline, 0o600)
			c, err := LoadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&c)
			if err := c.Save(p); err != nil {
				t.Fatal(err)
			}
			if got := readText(t, p); got != tc.want {
				t.Errorf("saved:\n%s\nwant:\n%s", got, tc.want)
			}
			back, err := LoadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			if back.WithDefaults() != c.WithDefaults() {
				t.Errorf("reads back as\n%+v\nwant\n%+v", back, c)
			}
		})
	}
}

func TestConfigSaveRewritesWhatItCannotEditInPlace(t *testing.T) {
	text := strings.Replace(goodConfig, `shop = "老王咖啡"`, `shop = """老王咖啡"""`, 1)
	p := writeConfig(t, text, 0o600)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Shop = "小王咖啡"
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadConfig(p)
	if err != nil || back != c {
		t.Errorf("rewritten config reads back as %+v, %v; want %+v", back, err, c)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

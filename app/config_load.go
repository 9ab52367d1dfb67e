package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ConfigError is a problem in the config file, with the key and line when
// known.
type ConfigError struct {
	Path string
	Key  string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrInsecureConfig is returned when a file holding secrets can be read by
// other users.
var ErrInsecureConfig = errors.New("readable by other users; run chmod 600 on it")

// DefaultConfigPath is <user config dir>/saoma/config.toml:
// ~/.config/saoma/config.toml on Linux, %APPDATA%\Saoma\config.toml on
// Windows (configDirName).
func DefaultConfigPath() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return "saoma.toml"
	}
	return filepath.Join(d, configDirName, "config.toml")
}

var (
	kioskIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)
	appIDRe   = regexp.MustCompile(`^wx[0-9A-Za-z]{16}$`)
	mchIDRe   = regexp.MustCompile(`^[0-9]{8,10}$`)
	hhmmRe    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

	mchSerialRe = regexp.MustCompile(`^[0-9A-Fa-f]{8,40}$`)
	pubKeyIDRe  = regexp.MustCompile(`^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$`)
)

// LoadConfig reads and checks the config file. A missing file gives an
// error wrapping fs.ErrNotExist (the kiosk then runs in demo mode). Unknown
// keys and bad values are reported with their key and line; a file (or key
// file) readable by others is refused.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	if err := checkPrivate(path); err != nil {
		return Config{}, err
	}
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, &ConfigError{Path: path, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		}
		return Config{}, &ConfigError{Path: path, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return Config{}, &ConfigError{Path: path, Key: k, Line: keyLine(data, und[0]), Msg: "unknown key"}
	}
	for _, f := range []struct {
		key, path string
		dst       *string
	}{{"wxpay.apiv3_key_file", c.WxPay.APIv3KeyFile, &c.WxPay.APIv3Key}, {"wxpay.private_key_file", c.WxPay.PrivateKeyFile, nil}} {
		if f.path == "" {
			continue
		}
		if err := checkPrivate(f.path); err != nil {
			return Config{}, &ConfigError{Path: path, Key: f.key, Line: keyLine(data, strings.Split(f.key, ".")), Msg: err.Error()}
		}
		if f.dst != nil {
			b, err := os.ReadFile(f.path)
			if err != nil {
				return Config{}, &ConfigError{Path: path, Key: f.key, Line: keyLine(data, strings.Split(f.key, ".")), Msg: err.Error()}
			}
			*f.dst = strings.TrimSpace(string(b))
		}
	}
	if c.WxPay.KeyFile != "" {
		if err := checkPrivate(c.WxPay.KeyFile); err != nil {
			return Config{}, err
		}
		b, err := os.ReadFile(c.WxPay.KeyFile)
		if err != nil {
			return Config{}, &ConfigError{Path: path, Key: "wxpay.key_file", Line: keyLine(data, toml.Key{"wxpay", "key_file"}), Msg: err.Error()}
		}
		c.WxPay.Key = strings.TrimSpace(string(b))
	}
	if err := c.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Path = path
			ce.Line = keyLine(data, strings.Split(ce.Key, "."))
		}
		return Config{}, err
	}
	return c, nil
}

// keyLine finds the line where a dotted key is set: the table header, then
// the key inside it. 0 when not found.
func keyLine(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	table := strings.Join(key[:len(key)-1], ".")
	name := key[len(key)-1]
	cur := ""
	for i, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if strings.HasPrefix(l, "[") {
			cur = strings.Trim(l, "[] \t")
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if ok && cur == table && strings.Trim(strings.TrimSpace(k), `"`) == name {
			return i + 1
		}
	}
	return 0
}

// Validate checks values; the first problem is returned as a *ConfigError
// naming the key.
func (c Config) Validate() error {
	bad := func(key, msg string, args ...any) error {
		return &ConfigError{Key: key, Msg: fmt.Sprintf(msg, args...)}
	}
	if c.KioskID != "" && !kioskIDRe.MatchString(c.KioskID) {
		return bad("kiosk_id", "want 1–12 letters or digits, got %q", c.KioskID)
	}
	if c.Locale != "" && c.Locale != "zh" && c.Locale != "en" {
		return bad("locale", `want "zh" or "en", got %q`, c.Locale)
	}
	if c.DayBoundary != "" && !hhmmRe.MatchString(c.DayBoundary) {
		return bad("day_boundary", `want HH:MM such as "04:00", got %q`, c.DayBoundary)
	}
	if d := c.QRLifetime.Duration; d != 0 && (d < 6*time.Minute || d > CodeURLLife) {
		return bad("qr_lifetime", "want between 6m and 2h, got %s", d)
	}
	w := c.WxPay
	if w.AppID != "" && !appIDRe.MatchString(w.AppID) {
		return bad("wxpay.appid", `want "wx" and 16 letters or digits, got %q`, w.AppID)
	}
	if w.MchID != "" && !mchIDRe.MatchString(w.MchID) {
		return bad("wxpay.mch_id", "want 8–10 digits, got %q", w.MchID)
	}
	if w.Key != "" && len(w.Key) != 32 {
		return bad("wxpay.key", "the API key is 32 characters, got %d", len(w.Key))
	}
	if w.SignType != "" && w.SignType != "MD5" && w.SignType != "HMAC-SHA256" {
		return bad("wxpay.sign_type", `want "MD5" or "HMAC-SHA256", got %q`, w.SignType)
	}
	switch w.API {
	case "", "v2":
		if (w.AppID != "") != (w.MchID != "") || (w.AppID != "") != (w.Key != "") {
			return bad("wxpay", "appid, mch_id and key go together")
		}
	case "v3":
		switch {
		case w.AppID == "" || w.MchID == "":
			return bad("wxpay", `api = "v3" needs appid and mch_id`)
		case !mchSerialRe.MatchString(w.MchSerial):
			return bad("wxpay.mch_serial", "want the merchant certificate's serial number (hex digits), got %q", w.MchSerial)
		case w.PrivateKeyFile == "":
			return bad("wxpay.private_key_file", "want the path of apiclient_key.pem (the merchant's private key)")
		case len(w.APIv3Key) != 32:
			return bad("wxpay.apiv3_key", "the APIv3 key is 32 characters, got %d", len(w.APIv3Key))
		case w.WechatPayPublicKeyFile == "":
			return bad("wxpay.wechatpay_public_key_file", "want the path of WeChat Pay's public key (pub_key.pem)")
		case !pubKeyIDRe.MatchString(w.WechatPayPublicKeyID):
			return bad("wxpay.wechatpay_public_key_id", `want the key's ID such as "PUB_KEY_ID_0119…", got %q`, w.WechatPayPublicKeyID)
		}
	default:
		return bad("wxpay.api", `want "v2" or "v3", got %q`, w.API)
	}
	if c.Relay.URL != "" {
		if msg := checkBaseURL(c.Relay.URL); msg != "" {
			return bad("relay.url", "%s, got %q", msg, c.Relay.URL)
		}
	}
	if w.NotifyURL != "" {
		if msg := checkBaseURL(w.NotifyURL); msg != "" && !strings.Contains(msg, "path") {
			return bad("wxpay.notify_url", "%s, got %q", msg, w.NotifyURL)
		}
	}
	if w.SpbillCreateIP != "" && net.ParseIP(w.SpbillCreateIP) == nil {
		return bad("wxpay.spbill_create_ip", "want the shop's public IP address such as 203.0.113.7, got %q", w.SpbillCreateIP)
	}
	if c.Live() && c.Relay.URL == "" && w.NotifyURL == "" {
		return bad("relay.url", "a live kiosk needs its relay ([relay] url and token), or, to confirm payments by polling only, [wxpay] notify_url")
	}
	if v := c.Speaker.Volume; v < 0 || v > 100 {
		return bad("speaker.volume", "want 1 to 100, got %d", v)
	}
	if l := c.Speaker.Language; l != "" && l != "zh" && l != "en" {
		return bad("speaker.language", `want "zh" or "en", got %q`, l)
	}
	switch c.Printer.Kind {
	case "", "png", "none", "tcp", "device", "cups":
	default:
		return bad("printer.kind", "want png, tcp, device, cups or none, got %q", c.Printer.Kind)
	}
	if p := c.Printer.Paper; p != 0 && p != 58 && p != 80 {
		return bad("printer.paper", "want 58 or 80, got %d", p)
	}
	return nil
}

// checkBaseURL says what is wrong with an http(s) base URL, or "".
func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http"):
		return "want an http(s) URL"
	case u.Host == "":
		return "want a host name in the URL"
	case u.RawQuery != "" || u.Fragment != "":
		return "want no ?query or #fragment in the URL"
	case strings.Trim(u.Path, "/") != "":
		return "want the relay's base URL without a path"
	}
	return ""
}

// Live reports whether the config names a merchant (otherwise the kiosk
// runs in demo mode).
func (c Config) Live() bool { return c.WxPay.AppID != "" }

// WithDefaults fills what the file left out.
func (c Config) WithDefaults() Config {
	if c.Shop == "" {
		c.Shop = "扫码小店"
	}
	if c.KioskID == "" {
		c.KioskID = "k1"
	}
	if c.Locale == "" {
		c.Locale = "zh"
	}
	if c.QRLifetime.Duration == 0 {
		c.QRLifetime.Duration = DefaultQRLifetime
	}
	if c.WxPay.SignType == "" {
		c.WxPay.SignType = "MD5"
	}
	if c.Printer.Paper == 0 {
		c.Printer.Paper = 80
	}
	return c
}

// DayBoundaryDuration is DayBoundary as time after midnight.
func (c Config) DayBoundaryDuration() time.Duration {
	t, err := time.Parse("15:04", c.DayBoundary)
	if err != nil {
		return 0
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
}

// Save writes the config atomically (a temporary file renamed over the
// old one) with mode 0600, since it holds secrets.
func (c Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("# Saoma kiosk configuration. Holds secrets: keep it mode 0600.\n")
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LogValue renders the config for logs with every secret redacted.
func (c Config) LogValue() slog.Value {
	red := func(s string) string {
		if s == "" {
			return ""
		}
		return "<redacted>"
	}
	return slog.GroupValue(
		slog.String("shop", c.Shop), slog.String("kiosk_id", c.KioskID), slog.String("locale", c.Locale),
		slog.String("appid", c.WxPay.AppID), slog.String("mch_id", c.WxPay.MchID),
		slog.String("api", c.WxPay.API), slog.String("key", red(c.WxPay.Key)), slog.String("apiv3_key", red(c.WxPay.APIv3Key)),
		slog.String("relay", c.Relay.URL),
		slog.String("relay_token", red(c.Relay.Token)), slog.String("printer", c.Printer.Kind),
	)
}

// IsNotExist reports whether err means the config file does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

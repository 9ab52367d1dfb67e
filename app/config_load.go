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
	"reflect"
	"regexp"
	"slices"
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
	// Err is the underlying error, when there is one (e.g.
	// ErrInsecureConfig for a key file readable by others).
	Err error
}

// Unwrap returns the underlying error, if any.
func (e *ConfigError) Unwrap() error { return e.Err }

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
	fileErr := func(key string, err error) error {
		return &ConfigError{Path: path, Key: key, Line: keyLine(data, strings.Split(key, ".")), Msg: err.Error(), Err: err}
	}
	if p := c.WxPay.PrivateKeyFile; p != "" {
		if err := checkPrivate(p); err != nil {
			return Config{}, fileErr("wxpay.private_key_file", err)
		}
	}
	for _, f := range c.secretFiles() {
		if f.path == "" {
			continue
		}
		if err := checkPrivate(f.path); err != nil {
			return Config{}, fileErr(f.fileKey, err)
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return Config{}, fileErr(f.fileKey, err)
		}
		*f.value = strings.TrimSpace(string(b))
	}
	if p := c.Relay.CAFile; p != "" {
		if _, err := os.Stat(p); err != nil {
			return Config{}, fileErr("relay.ca_file", err)
		}
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
	case "", "png", "none", "tcp", "device", "cups", "windows":
	default:
		return bad("printer.kind", "want png, tcp, device, cups, windows or none, got %q", c.Printer.Kind)
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

// WithoutDemo returns c without what demo mode put into it: every merchant
// ([wxpay]) and relay setting equal to demo's, the demo world's fake
// credentials, which must never reach the config file (and would not pass
// Validate). What the owner may change in a demo is kept: shop name, PINs,
// language, day boundary, printer, speaker, and any merchant or relay
// setting she typed herself, so a config saved in demo mode becomes a live
// one once it holds her own credentials.
func (c Config) WithoutDemo(demo Config) Config {
	clearSame(reflect.ValueOf(&c.WxPay).Elem(), reflect.ValueOf(demo.WxPay))
	clearSame(reflect.ValueOf(&c.Relay).Elem(), reflect.ValueOf(demo.Relay))
	return c
}

// clearSame empties each string field of the struct v that holds the same
// non-empty value as in demo.
func clearSame(v, demo reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.String && f.String() != "" && f.String() == demo.Field(i).String() {
			f.SetString("")
		}
	}
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

// secretFile is a secret with a file form: when path is set, the secret
// lives in that file and config.toml holds only the path.
type secretFile struct {
	key, fileKey string // dotted TOML keys of the inline value and of the path
	path         string
	value        *string
}

// secretFiles lists c's secrets that may live in their own file, with
// pointers into c.
func (c *Config) secretFiles() []secretFile {
	return []secretFile{
		{"wxpay.key", "wxpay.key_file", c.WxPay.KeyFile, &c.WxPay.Key},
		{"wxpay.apiv3_key", "wxpay.apiv3_key_file", c.WxPay.APIv3KeyFile, &c.WxPay.APIv3Key},
		{"relay.token", "relay.token_file", c.Relay.TokenFile, &c.Relay.Token},
	}
}

// Save writes the config with mode 0600, since it holds secrets, and
// atomically (a temporary file renamed over the old one).
//
// Each secret has one home: a secret whose file form is set (key_file,
// apiv3_key_file, token_file) is written into that file (atomically, mode
// 0600, only when it changed) and never inline into config.toml; an inline
// copy left there beside the file form is removed, since it was ignored.
//
// An existing file is edited in place: only the keys whose value changed
// are rewritten (or added to their table, or removed when cleared), so the
// owner's comments, layout and unset keys survive; a value equal to the
// default of a key the file leaves unset stays unset. A file that cannot
// be edited that way safely (e.g. multi-line values) is rewritten whole.
func (c Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	inline := c // what config.toml holds
	for _, f := range inline.secretFiles() {
		if f.path == "" {
			continue
		}
		if err := saveSecret(f.path, *f.value); err != nil {
			return fmt.Errorf("save %s: %w", f.fileKey, err)
		}
		*f.value = ""
	}
	var out []byte
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out, err = encodeConfig(inline)
	case err != nil:
		return err
	default:
		out, err = editConfig(old, inline)
		if err != nil {
			out, err = encodeConfig(inline)
		}
	}
	if err != nil {
		return err
	}
	return writeFileAtomic(path, out)
}

// saveSecret stores a secret in its own file, unless the file already
// holds it. An empty secret leaves the file alone.
func saveSecret(path, value string) error {
	if value == "" {
		return nil
	}
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == value {
		return nil
	}
	return writeFileAtomic(path, []byte(value+"\n"))
}

// writeFileAtomic replaces path with data, mode 0600, through a temporary
// file in the same directory renamed over it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
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

// encodeConfig writes c as a whole new file.
func encodeConfig(c Config) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Saoma kiosk configuration. Holds secrets: keep it mode 0600.\n")
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
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

// errNotEditable is returned by editConfig when the file cannot be edited
// line by line with confidence; Save then rewrites it whole.
var errNotEditable = errors.New("config file not editable in place")

// editConfig returns the file text old with the keys whose value differs
// in c set, added or removed, and every other line kept as it was.
func editConfig(old []byte, c Config) ([]byte, error) {
	var was Config
	if _, err := toml.Decode(string(old), &was); err != nil {
		return nil, errNotEditable
	}
	base := was.WithDefaults()
	doc := tomlDoc{lines: strings.Split(string(old), "\n")}
	for _, f := range configLeaves(reflect.ValueOf(c), reflect.ValueOf(base), reflect.ValueOf(was)) {
		now := f.now.Interface()
		if now == f.was.Interface() || (f.was.IsZero() && now == f.base.Interface()) {
			continue // unchanged, or unset in the file and still the default
		}
		var err error
		if f.now.IsZero() {
			err = doc.remove(f.table, f.key)
		} else {
			var v string
			if v, err = tomlValue(f.now.Interface()); err == nil {
				err = doc.set(f.table, f.key, v)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	out := []byte(strings.Join(doc.lines, "\n"))
	// Trust the edit only if the result reads back as c.
	var got Config
	md, err := toml.Decode(string(out), &got)
	if err != nil || len(md.Undecoded()) > 0 || got.WithDefaults() != c.WithDefaults() {
		return nil, errNotEditable
	}
	return out, nil
}

// configLeaf is one key of the config: its table ("" for the top level),
// its name, and its value in the new config, in the file's with defaults
// applied, and in the file as written.
type configLeaf struct {
	table, key     string
	now, base, was reflect.Value
}

// configLeaves lists the keys of three Config values side by side, in
// struct order: top-level keys, then each table's.
func configLeaves(now, base, was reflect.Value) []configLeaf {
	var leaves []configLeaf
	var walk func(table string, now, base, was reflect.Value)
	walk = func(table string, now, base, was reflect.Value) {
		t := now.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" || name == "-" {
				continue
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
				walk(name, now.Field(i), base.Field(i), was.Field(i))
				continue
			}
			leaves = append(leaves, configLeaf{table, name, now.Field(i), base.Field(i), was.Field(i)})
		}
	}
	walk("", now, base, was)
	return leaves
}

// tomlValue encodes v as a TOML value (the right-hand side of key = v).
func tomlValue(v any) (string, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"v": v}); err != nil {
		return "", err
	}
	s, ok := strings.CutPrefix(strings.TrimSpace(buf.String()), "v = ")
	if !ok {
		return "", errNotEditable
	}
	return s, nil
}

// tomlDoc is a TOML file as lines, edited one `key = value` line at a
// time inside [table] sections: enough for the kiosk's flat config, whose
// values are single-line strings, numbers and booleans.
type tomlDoc struct{ lines []string }

// find returns the line setting key in table (-1 if none), the line after
// which a new key of that table goes (-1 if the table has no header), and
// an error for a layout this editor does not handle.
func (d *tomlDoc) find(table, key string) (at, insertAfter int, err error) {
	at, insertAfter = -1, -1
	cur := ""
	firstHeader := -1
	for i, line := range d.lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
			continue
		case strings.HasPrefix(t, "[["):
			return -1, -1, errNotEditable
		case strings.HasPrefix(t, "["):
			name, _, ok := strings.Cut(t[1:], "]")
			if !ok {
				return -1, -1, errNotEditable
			}
			cur = strings.Trim(strings.TrimSpace(name), `"'`)
			if firstHeader < 0 {
				firstHeader = i
			}
			if cur == table {
				insertAfter = i
			}
			continue
		}
		k, _, ok := strings.Cut(t, "=")
		if !ok {
			return -1, -1, errNotEditable // a continuation line: multi-line value
		}
		k = strings.TrimSpace(k)
		if strings.Contains(strings.Trim(k, `"'`), ".") && !strings.HasPrefix(k, `"`) {
			return -1, -1, errNotEditable // dotted keys
		}
		if cur != table {
			continue
		}
		insertAfter = i
		if strings.Trim(k, `"'`) == key {
			if at >= 0 {
				return -1, -1, errNotEditable // set twice: not valid TOML anyway
			}
			at = i
		}
	}
	if table == "" && insertAfter < 0 {
		// No top-level key yet: before the first table and the comments
		// that introduce it, or at the end of a file without tables.
		insertAfter = len(d.lines) - 1
		if firstHeader >= 0 {
			insertAfter = firstHeader - 1
			for insertAfter >= 0 && strings.HasPrefix(strings.TrimSpace(d.lines[insertAfter]), "#") {
				insertAfter--
			}
		}
	}
	return at, insertAfter, nil
}

// set writes key = value in table: in place of the existing line (keeping
// its indentation and trailing comment), or as a new line at the end of
// the table, or in a new table at the end of the file.
func (d *tomlDoc) set(table, key, value string) error {
	at, after, err := d.find(table, key)
	if err != nil {
		return err
	}
	if at >= 0 {
		line := d.lines[at]
		eq := strings.Index(line, "=")
		rest := line[eq+1:]
		start := len(rest) - len(strings.TrimLeft(rest, " \t"))
		end, err := valueEnd(rest[start:])
		if err != nil {
			return err
		}
		d.lines[at] = line[:eq+1] + rest[:start] + value + rest[start+end:]
		return nil
	}
	kv := key + " = " + value
	if after < 0 && table != "" {
		// A new table at the end, after a blank line.
		for len(d.lines) > 0 && strings.TrimSpace(d.lines[len(d.lines)-1]) == "" {
			d.lines = d.lines[:len(d.lines)-1]
		}
		d.lines = append(d.lines, "", "["+table+"]", kv, "")
		return nil
	}
	d.lines = slices.Insert(d.lines, after+1, kv)
	return nil
}

// remove deletes the line setting key in table, if there is one.
func (d *tomlDoc) remove(table, key string) error {
	at, _, err := d.find(table, key)
	if err != nil || at < 0 {
		return err
	}
	d.lines = slices.Delete(d.lines, at, at+1)
	return nil
}

// valueEnd returns the length of the single-line TOML value at the start
// of s (what follows is spaces and perhaps a comment).
func valueEnd(s string) (int, error) {
	switch {
	case strings.HasPrefix(s, `"""`), strings.HasPrefix(s, "'''"), strings.HasPrefix(s, "["), strings.HasPrefix(s, "{"):
		return 0, errNotEditable
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
		return 0, errNotEditable
	case strings.HasPrefix(s, "'"):
		if i := strings.IndexByte(s[1:], '\''); i >= 0 {
			return i + 2, nil
		}
		return 0, errNotEditable
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return len(strings.TrimRight(s[:i], " \t")), nil
	}
	return len(strings.TrimRight(s, " \t\r")), nil
}

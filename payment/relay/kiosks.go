package relay

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"saoma/payment/wxpayv3"
)

// Kiosk is one kiosk the relay serves: the id in its callback URLs, the hash
// of its websocket token, and optionally the merchant it belongs to.
type Kiosk struct {
	// ID names the kiosk in /wxpay/notify/{ID} and
	// /wxpay/native-callback/{ID}: 1–64 characters of [A-Za-z0-9_-].
	ID string
	// TokenHash is HashToken of the kiosk's bearer token ("sha256:<hex>").
	// The token itself is never stored by the relay.
	TokenHash string
	// AppID and MchID, when set, must match every notification and
	// callback addressed to this kiosk; anything else is rejected early.
	AppID, MchID string
	// Key is the merchant API key. Optional: when set the relay verifies
	// the signature of notifications and mode-1 callbacks before storing or
	// forwarding them, and can sign the FAIL reply it gives WeChat when the
	// kiosk is offline. The kiosk verifies again in any case.
	Key string
	// WechatPayPublicKey and WechatPayPublicKeyID ("PUB_KEY_ID_…") are
	// WeChat Pay's public key for the kiosk's merchant (WeChat Pay API v3,
	// public-key mode). When set, the relay accepts API v3 notifications
	// for the kiosk and verifies each one (signature, 5-minute freshness,
	// replay) before storing it; without them API v3 notifications are
	// refused. Set both or neither. The relay needs no merchant secret for
	// this: not the APIv3 key, not the merchant's private key.
	WechatPayPublicKey   *rsa.PublicKey
	WechatPayPublicKeyID string
}

// acceptsV3 reports whether the relay takes API v3 notifications for k.
func (k *Kiosk) acceptsV3() bool { return k.WechatPayPublicKey != nil }

// tokenHashPrefix names the hash algorithm in Kiosk.TokenHash.
const tokenHashPrefix = "sha256:"

// kioskIDPattern is what a kiosk id may look like: it travels in URL paths.
var kioskIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// HashToken returns the value to store as a kiosk's token_hash:
// "sha256:" followed by the hex SHA-256 of token. Tokens are random secrets
// of at least 128 bits (openssl rand -hex 16), so a fast hash suffices: a
// leaked kiosks file does not reveal them.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return tokenHashPrefix + hex.EncodeToString(sum[:])
}

// parseTokenHash decodes a "sha256:<hex>" value.
func parseTokenHash(s string) ([sha256.Size]byte, error) {
	var out [sha256.Size]byte
	h, ok := strings.CutPrefix(s, tokenHashPrefix)
	if !ok {
		return out, fmt.Errorf("must start with %q (use saoma-relay -hash-token)", tokenHashPrefix)
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return out, errors.New("must be 64 hex digits after \"sha256:\"")
	}
	copy(out[:], b)
	return out, nil
}

// kioskFile is the TOML layout of a kiosks file.
type kioskFile struct {
	Kiosk []kioskEntry `toml:"kiosk"`
}

// kioskEntry is one [[kiosk]] table.
type kioskEntry struct {
	ID        string `toml:"id"`
	TokenHash string `toml:"token_hash"`
	AppID     string `toml:"appid"`
	MchID     string `toml:"mch_id"`
	Key       string `toml:"key"`
	Token     string `toml:"token"` // refused: only the hash may be stored
	// API is "v2" (the default) or "v3"; "v3" requires the public key.
	API           string `toml:"api"`
	PublicKeyFile string `toml:"wechatpay_public_key_file"`
	PublicKeyID   string `toml:"wechatpay_public_key_id"`
}

// LoadKiosks reads a kiosks file (TOML, one [[kiosk]] table per kiosk; see
// docs/kiosks.example.toml). Syntax errors name the line; a bad or missing
// field names the file, the line of its [[kiosk]] table and the key; unknown
// keys (typos) and duplicate ids or token hashes are errors. A kiosk's
// wechatpay_public_key_file (PEM, relative paths from the kiosks file's
// directory) is read now, so a bad key fails at startup.
func LoadKiosks(path string) ([]Kiosk, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kiosks file: %w", err)
	}
	return parseKiosks(path, data)
}

// parseKiosks is LoadKiosks on bytes already read; name is used in errors.
func parseKiosks(name string, data []byte) ([]Kiosk, error) {
	var f kioskFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("kiosks file %s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("kiosks file %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("kiosks file %s: unknown key %q", name, und[0].String())
	}
	lines := tableLines(data, "kiosk")
	where := func(i int) string {
		if i < len(lines) {
			return fmt.Sprintf("%s:%d: kiosk #%d", name, lines[i], i+1)
		}
		return fmt.Sprintf("%s: kiosk #%d", name, i+1)
	}
	if len(f.Kiosk) == 0 {
		return nil, fmt.Errorf("kiosks file %s: no [[kiosk]] table", name)
	}
	ids := make(map[string]int, len(f.Kiosk))
	hashes := make(map[[sha256.Size]byte]int, len(f.Kiosk))
	out := make([]Kiosk, 0, len(f.Kiosk))
	for i, e := range f.Kiosk {
		if e.Token != "" {
			return nil, fmt.Errorf("%s: key \"token\": store token_hash instead (saoma-relay -hash-token)", where(i))
		}
		if !kioskIDPattern.MatchString(e.ID) {
			return nil, fmt.Errorf("%s: key \"id\": %q is not 1–64 characters of [A-Za-z0-9_-]", where(i), e.ID)
		}
		if j, dup := ids[e.ID]; dup {
			return nil, fmt.Errorf("%s: key \"id\": %q already used by kiosk #%d", where(i), e.ID, j+1)
		}
		ids[e.ID] = i
		h, err := parseTokenHash(e.TokenHash)
		if err != nil {
			return nil, fmt.Errorf("%s (id %q): key \"token_hash\": %w", where(i), e.ID, err)
		}
		if j, dup := hashes[h]; dup {
			return nil, fmt.Errorf("%s (id %q): key \"token_hash\": same token as kiosk #%d; every kiosk needs its own", where(i), e.ID, j+1)
		}
		hashes[h] = i
		if e.Key != "" && len(e.Key) != 32 {
			return nil, fmt.Errorf("%s (id %q): key \"key\": a WeChat Pay v2 API key is 32 bytes", where(i), e.ID)
		}
		k := Kiosk{ID: e.ID, TokenHash: e.TokenHash, AppID: e.AppID, MchID: e.MchID, Key: e.Key}
		if err := loadPublicKey(&k, e, filepath.Dir(name)); err != nil {
			return nil, fmt.Errorf("%s (id %q): %w", where(i), e.ID, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// loadPublicKey fills k's API v3 verification material from e, reading the
// key file relative to dir.
func loadPublicKey(k *Kiosk, e kioskEntry, dir string) error {
	switch e.API {
	case "", "v2", "v3":
	default:
		return fmt.Errorf("key \"api\": %q is neither \"v2\" nor \"v3\"", e.API)
	}
	hasKey := e.PublicKeyFile != "" || e.PublicKeyID != ""
	switch {
	case e.API == "v3" && !hasKey:
		return errors.New("api = \"v3\" needs wechatpay_public_key_file and wechatpay_public_key_id (WeChat Pay's public key; the relay holds no merchant secret)")
	case e.API == "v2" && hasKey:
		return errors.New("wechatpay_public_key_* are for API v3: remove them or set api = \"v3\"")
	case !hasKey:
		return nil
	case e.PublicKeyFile == "":
		return errors.New("key \"wechatpay_public_key_file\": missing (wechatpay_public_key_id is set)")
	case e.PublicKeyID == "":
		return errors.New("key \"wechatpay_public_key_id\": missing (the PUB_KEY_ID_… shown with the key in the merchant portal)")
	}
	path := e.PublicKeyFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	pub, err := wxpayv3.LoadPublicKey(path)
	if err != nil {
		return fmt.Errorf("key \"wechatpay_public_key_file\": %w", err)
	}
	k.WechatPayPublicKey, k.WechatPayPublicKeyID = pub, e.PublicKeyID
	return nil
}

// tableLines returns the 1-based line numbers of every [[name]] header, in
// order, so validation errors can point at the table they are about.
func tableLines(data []byte, name string) []int {
	var lines []int
	header := "[[" + name + "]]"
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l, _, _ = strings.Cut(l, "#"); strings.ReplaceAll(l, " ", "") == header {
			lines = append(lines, n)
		}
	}
	return lines
}

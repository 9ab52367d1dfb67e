package relay

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestExampleKiosksFileLoads(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "kiosks.example.toml")
	ks, err := LoadKiosks(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 || ks[0].ID != "k1" || ks[0].TokenHash != HashToken("demo-token-k1") {
		t.Fatalf("example kiosks = %+v, want the demo kiosk k1 with token demo-token-k1", ks)
	}
	s, err := NewServer(ServerConfig{DataDir: t.TempDir(), Kiosks: ks})
	if err != nil {
		t.Fatalf("the relay does not start with the example file: %v", err)
	}
	_ = s.Shutdown(t.Context())
}

func TestLoadKiosksErrors(t *testing.T) {
	hash := HashToken("t1")
	tests := []struct {
		name, file string
		want       []string // substrings of the error
	}{
		{"syntax error names the line", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \n", []string{":3:"}},
		{"unknown key is a typo", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + hash + "\"\nmchid = \"1\"\n", []string{`unknown key "kiosk.mchid"`}},
		{"plaintext token is refused", "[[kiosk]]\nid = \"k1\"\ntoken = \"t1\"\n", []string{":1:", `"token"`, "token_hash"}},
		{"bad id", "[[kiosk]]\nid = \"k 1\"\ntoken_hash = \"" + hash + "\"\n", []string{":1:", `"id"`}},
		{"missing hash names the table", "# c\n\n[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + hash + "\"\n\n[[kiosk]]\nid = \"k2\"\n", []string{":7:", "kiosk #2", `"token_hash"`}},
		{"malformed hash", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \"sha256:zz\"\n", []string{"64 hex"}},
		{"duplicate id", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + hash + "\"\n[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + HashToken("t2") + "\"\n", []string{":4:", "already used"}},
		{"shared token", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + hash + "\"\n[[kiosk]]\nid = \"k2\"\ntoken_hash = \"" + hash + "\"\n", []string{"same token"}},
		{"short API key", "[[kiosk]]\nid = \"k1\"\ntoken_hash = \"" + hash + "\"\nkey = \"short\"\n", []string{`"key"`, "32 bytes"}},
		{"no kiosk", "# nothing\n", []string{"no [[kiosk]]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseKiosks("kiosks.toml", []byte(tc.file))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "t1\"") && strings.Contains(tc.file, "token = ") {
				t.Errorf("error echoes the plaintext token: %q", err)
			}
		})
	}
}

func TestBackoffIsFullJitterUnderTheCap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		attempt int
		ceil    time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{3, 4 * time.Second},
		{6, 30 * time.Second},
		{200, 30 * time.Second}, // no overflow
	}
	for _, tc := range tests {
		var maxSeen time.Duration
		for range 2000 {
			d := backoff(tc.attempt, 500*time.Millisecond, 30*time.Second, r.Int64N)
			if d < 0 || d >= tc.ceil {
				t.Fatalf("attempt %d: %v outside [0, %v)", tc.attempt, d, tc.ceil)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < tc.ceil*9/10 {
			t.Errorf("attempt %d: largest delay %v, want close to %v (full jitter)", tc.attempt, maxSeen, tc.ceil)
		}
	}
}

func TestNewClientChecksConfig(t *testing.T) {
	ok := func(c *ClientConfig) {}
	tests := []struct {
		name   string
		mutate func(*ClientConfig)
		want   string // the ws URL, or "" for an error
	}{
		{"http becomes ws", ok, "ws://relay.example:8080/ws"},
		{"https becomes wss", func(c *ClientConfig) { c.URL = "https://relay.example/" }, "wss://relay.example/ws"},
		{"a path prefix is kept", func(c *ClientConfig) { c.URL = "https://relay.example/saoma" }, "wss://relay.example/saoma/ws"},
		{"no token", func(c *ClientConfig) { c.Token = "" }, ""},
		{"no handler", func(c *ClientConfig) { c.OnNotification = nil }, ""},
		{"bad scheme", func(c *ClientConfig) { c.URL = "ftp://relay.example" }, ""},
		{"no host", func(c *ClientConfig) { c.URL = "http://" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ClientConfig{
				URL: "http://relay.example:8080", Token: "t",
				OnNotification: func(context.Context, Notification) error { return nil },
			}
			tc.mutate(&cfg)
			c, err := NewClient(cfg)
			switch {
			case tc.want == "" && err == nil:
				t.Fatal("accepted")
			case tc.want != "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && c.wsURL != tc.want:
				t.Errorf("dials %s, want %s", c.wsURL, tc.want)
			}
		})
	}
}

func TestKiosksFileV3Entries(t *testing.T) {
	key := newRSAKey(t)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pub_key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	head := "[[kiosk]]\nid = \"k3\"\ntoken_hash = \"" + HashToken("t3") + "\"\n"
	tests := []struct {
		name, entry string
		wantErr     []string // substrings of the error; none: loads with the key
	}{
		{"api v3 with the public key, relative to the file", "api = \"v3\"\nwechatpay_public_key_file = \"pub_key.pem\"\nwechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", nil},
		{"public key without api", "wechatpay_public_key_file = \"" + filepath.Join(dir, "pub_key.pem") + "\"\nwechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", nil},
		{"api v3 without the key", "api = \"v3\"\n", []string{":1:", "wechatpay_public_key_file"}},
		{"key id without the file", "wechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", []string{`"wechatpay_public_key_file"`}},
		{"file without the key id", "wechatpay_public_key_file = \"pub_key.pem\"\n", []string{`"wechatpay_public_key_id"`}},
		{"api v2 with a public key", "api = \"v2\"\nwechatpay_public_key_file = \"pub_key.pem\"\nwechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", []string{"for API v3"}},
		{"unknown api", "api = \"v4\"\n", []string{`"api"`, "v4"}},
		{"unreadable key file", "api = \"v3\"\nwechatpay_public_key_file = \"junk.pem\"\nwechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", []string{`"wechatpay_public_key_file"`}},
		{"missing key file", "api = \"v3\"\nwechatpay_public_key_file = \"gone.pem\"\nwechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", []string{"gone.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "kiosks.toml")
			if err := os.WriteFile(path, []byte(head+tc.entry), 0o600); err != nil {
				t.Fatal(err)
			}
			ks, err := LoadKiosks(path)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if ks[0].WechatPayPublicKeyID != "PUB_KEY_ID_01" || !ks[0].WechatPayPublicKey.Equal(&key.PublicKey) {
					t.Errorf("kiosk %+v does not hold the public key", ks[0])
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestNewServerWantsBothPartsOfThePublicKey(t *testing.T) {
	key := newRSAKey(t)
	for _, k := range []Kiosk{
		{ID: "k3", TokenHash: HashToken("t3"), WechatPayPublicKey: &key.PublicKey},
		{ID: "k3", TokenHash: HashToken("t3"), WechatPayPublicKeyID: "PUB_KEY_ID_01"},
	} {
		if s, err := NewServer(ServerConfig{DataDir: t.TempDir(), Kiosks: []Kiosk{k}}); err == nil {
			_ = s.Shutdown(t.Context())
			t.Errorf("relay started with kiosk %+v", k)
		}
	}
}

package wxpay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewClientValidatesConfig(t *testing.T) {
	base := Config{AppID: testAppID, MchID: testMchID, APIKey: testKey}
	tests := []struct {
		name string
		edit func(c *Config)
	}{
		{"a missing AppID is refused", func(c *Config) { c.AppID = "" }},
		{"a missing MchID is refused", func(c *Config) { c.MchID = "" }},
		{"a missing APIKey is refused", func(c *Config) { c.APIKey = "" }},
		{"an unknown sign type is refused", func(c *Config) { c.SignType = "SHA1" }},
		{"a relative BaseURL is refused", func(c *Config) { c.BaseURL = "api.mch.weixin.qq.com" }},
		{"an ftp BaseURL is refused", func(c *Config) { c.BaseURL = "ftp://api.mch.weixin.qq.com" }},
		{"a certificate that is not PKCS#12 is refused", func(c *Config) { c.CertP12 = []byte("not a p12") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			if _, err := NewClient(cfg); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
		})
	}
	t.Run("defaults are MD5 and the production host", func(t *testing.T) {
		c, err := NewClient(base)
		if err != nil {
			t.Fatal(err)
		}
		if c.SignType() != SignMD5 || c.baseURL != DefaultBaseURL || c.hc.Timeout != DefaultTimeout {
			t.Errorf("defaults: sign %s, base %s, timeout %v", c.SignType(), c.baseURL, c.hc.Timeout)
		}
		if c.AppID() != testAppID || c.MchID() != testMchID {
			t.Errorf("AppID/MchID = %s/%s", c.AppID(), c.MchID())
		}
	})
}

// Every API shares the reply checks; they are exercised here through
// CloseOrder and UnifiedOrder, the simplest calls.
func TestRepliesAreCheckedInLayers(t *testing.T) {
	tests := []struct {
		name   string
		answer Params
		check  func(t *testing.T, err error)
	}{
		{"a protocol FAIL without sign is an *Error matching ErrProtocol",
			Params{"return_code": "FAIL", "return_msg": "签名失败"},
			func(t *testing.T, err error) {
				var we *Error
				if !errors.As(err, &we) || we.ReturnMsg != "签名失败" || !errors.Is(err, ErrProtocol) {
					t.Errorf("error = %v", err)
				}
				if IsRetryable(err) {
					t.Error("签名失败 must not be retryable")
				}
			}},
		{"a SUCCESS reply with a forged sign is ErrSignature",
			Params{"sign": "9A0A8659F005D6984697E2CA0A9CF3B7"},
			wantIs(ErrSignature)},
		{"a SUCCESS reply without sign is ErrSignature",
			Params{"sign": signOmit},
			wantIs(ErrSignature)},
		{"a SUCCESS reply signed with another key is ErrSignature",
			Params{"sign": signWrongK},
			wantIs(ErrSignature)},
		{"a business FAIL with a forged sign is ErrSignature, not the business error",
			Params{"result_code": "FAIL", "err_code": "ORDERPAID", "sign": signWrongK},
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrSignature) || errors.Is(err, ErrOrderPaid) {
					t.Errorf("error = %v", err)
				}
			}},
		{"a reply for another appid is ErrBadMessage",
			Params{"appid": "wx0000000000000000"},
			wantIs(ErrBadMessage)},
		{"a reply for another mch_id is ErrBadMessage",
			Params{"mch_id": "1900000109"},
			wantIs(ErrBadMessage)},
		{"an unknown return_code is ErrBadMessage",
			Params{"return_code": "MAYBE"},
			wantIs(ErrBadMessage)},
		{"a missing result_code is ErrBadMessage",
			Params{"result_code": ""},
			wantIs(ErrBadMessage)},
		{"a SUCCESS reply closes the order",
			Params{},
			func(t *testing.T, err error) {
				if err != nil {
					t.Errorf("error = %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newFake(t, SignMD5, func(string, Params) Params { return tt.answer })
			tt.check(t, c.CloseOrder(context.Background(), "K1-0007"))
		})
	}
}

func wantIs(target error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("error = %v, want %v", err, target)
		}
	}
}

func TestHMACClientRefusesAnMD5SignedReply(t *testing.T) {
	c, _ := newFake(t, SignHMACSHA256, nil)
	// A server that signs its replies with MD5 while the request was HMAC.
	md5Server := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		p := Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": testAppID, "mch_id": testMchID, "nonce_str": "n"}
		p["sign"] = p.Sign(testKey, SignMD5)
		_, _ = w.Write(p.EncodeXML())
	})
	c.baseURL = md5Server.baseURL
	if err := c.CloseOrder(context.Background(), "K1-0007"); !errors.Is(err, ErrSignature) {
		t.Fatalf("error = %v, want ErrSignature", err)
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("HTTP 500 is ErrTransport naming the status", func(t *testing.T) {
		c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			http.Error(w, "upstream exploded", http.StatusInternalServerError)
		})
		err := c.CloseOrder(context.Background(), "K1-0007")
		if !errors.Is(err, ErrTransport) || !strings.Contains(err.Error(), "500") {
			t.Fatalf("error = %v", err)
		}
		if strings.Contains(err.Error(), "exploded") {
			t.Error("the error must not carry the body")
		}
	})
	t.Run("an oversized reply is ErrTooLarge", func(t *testing.T) {
		c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			_, _ = w.Write([]byte("<xml><return_msg>" + strings.Repeat("A", MaxBodySize) + "</return_msg></xml>"))
		})
		if err := c.CloseOrder(context.Background(), "K1-0007"); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an HTML reply is ErrMalformed", func(t *testing.T) {
		c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			_, _ = w.Write([]byte("<html><body>gateway</body></html>"))
		})
		if err := c.CloseOrder(context.Background(), "K1-0007"); !errors.Is(err, ErrMalformed) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a reply with a DOCTYPE is ErrDoctype", func(t *testing.T) {
		c := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			drain(r)
			_, _ = w.Write([]byte(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><return_code>&x;</return_code></xml>`))
		})
		if err := c.CloseOrder(context.Background(), "K1-0007"); !errors.Is(err, ErrDoctype) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a refused connection is ErrTransport", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CloseOrder(context.Background(), "K1-0007"); !errors.Is(err, ErrTransport) {
			t.Fatalf("error = %v", err)
		}
	})
}

// blockingServer answers nothing until the test ends; entered receives one
// value per request that reached the handler.
func blockingServer(t *testing.T) (url string, entered <-chan struct{}) {
	t.Helper()
	in := make(chan struct{}, 8)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		in <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL, in
}

func TestTimeoutsAreHonoured(t *testing.T) {
	t.Run("a context deadline ends a blocked call with DeadlineExceeded", func(t *testing.T) {
		url, _ := blockingServer(t)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = c.UnifiedOrder(ctx, goodOrder())
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTransport) {
			t.Fatalf("error = %v, want DeadlineExceeded and ErrTransport", err)
		}
	})
	t.Run("cancelling the context ends a call the server is holding", func(t *testing.T) {
		url, entered := blockingServer(t)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-entered; cancel() }()
		_, err = c.OrderQuery(ctx, OrderQueryRequest{OutTradeNo: "K1-0007"})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTransport) {
			t.Fatalf("error = %v, want Canceled and ErrTransport", err)
		}
	})
	t.Run("the HTTP client timeout ends a blocked call as a timeout", func(t *testing.T) {
		url, _ := blockingServer(t)
		c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: url,
			HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.CloseOrder(context.Background(), "K1-0007")
		var ne net.Error
		if !errors.Is(err, ErrTransport) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("error = %v, want a timeout wrapped in ErrTransport", err)
		}
	})
}

func TestErrorTextIsBounded(t *testing.T) {
	c, _ := newFake(t, SignMD5, func(string, Params) Params {
		return Params{"return_code": "FAIL", "return_msg": strings.Repeat("长", 5000)}
	})
	err := c.CloseOrder(context.Background(), "K1-0007")
	if err == nil || len(err.Error()) > 600 {
		t.Fatalf("error length = %d", len(err.Error()))
	}
}

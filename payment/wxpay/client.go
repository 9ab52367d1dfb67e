package wxpay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// DefaultBaseURL is WeChat Pay's primary API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds one API call when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// Config says which merchant the Client acts for and how it reaches WeChat.
type Config struct {
	// AppID is the public-account / app id bound to the merchant. Required.
	AppID string
	// MchID is the merchant number. Required.
	MchID string
	// APIKey is the 32-byte merchant API key used for every signature.
	// Required. It is never logged or put in an error.
	APIKey string
	// SignType is the request signature algorithm; default SignMD5. With
	// SignHMACSHA256 every request carries sign_type and replies are
	// verified with HMAC-SHA256 too.
	SignType SignType
	// BaseURL is the API host, default DefaultBaseURL. Tests and demo mode
	// point it at the simulator (http or https).
	BaseURL string
	// HTTPClient sends the requests; default an http.Client with
	// DefaultTimeout. Refunds use a copy of its *http.Transport with the
	// merchant certificate added.
	HTTPClient *http.Client
	// CertP12 is the merchant API certificate (PKCS#12, apiclient_cert.p12)
	// presented over mutual TLS to /secapi/pay/refund and
	// /secapi/pay/reverse. Without it Refund and Reverse fail with
	// ErrNoCertificate; the other APIs do not need it.
	CertP12 []byte
	// CertPassword unlocks CertP12; default MchID, as WeChat issues it.
	CertPassword string
	// RootCAs, if set, is the only set of roots trusted for the server's
	// TLS certificate (a test or simulator server). Default: system roots.
	// It applies to the default client and to the refund client.
	RootCAs *x509.CertPool
	// Now returns the current time; default time.Now. It is only used to
	// check a unified order's time_expire when TimeStart is not given.
	Now func() time.Time
}

// Client calls WeChat Pay v2 APIs for one merchant. It is safe for
// concurrent use.
type Client struct {
	appID, mchID, key string
	signType          SignType
	baseURL           string
	hc                *http.Client
	certClient        *http.Client // nil when no certificate is configured
	now               func() time.Time
}

// NewClient checks cfg, applies defaults and loads the refund certificate
// if one is given. A certificate that cannot be decoded is an error here,
// not at the first refund.
func NewClient(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.MchID == "" || cfg.APIKey == "" {
		return nil, fmt.Errorf("wxpay: new client: %w: AppID, MchID and APIKey are required", ErrInvalidInput)
	}
	st := cfg.SignType
	if st == "" {
		st = SignMD5
	}
	if !st.Valid() {
		return nil, fmt.Errorf("wxpay: new client: %w: unsupported sign type %q", ErrInvalidInput, string(st))
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("wxpay: new client: %w: BaseURL must be an absolute http(s) URL without query", ErrInvalidInput)
	}
	c := &Client{
		appID:    cfg.AppID,
		mchID:    cfg.MchID,
		key:      cfg.APIKey,
		signType: st,
		baseURL:  strings.TrimRight(base, "/"),
		hc:       cfg.HTTPClient,
		now:      cfg.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
		if cfg.RootCAs != nil {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
			c.hc.Transport = tr
		}
	}
	if len(cfg.CertP12) > 0 {
		pw := cfg.CertPassword
		if pw == "" {
			pw = cfg.MchID
		}
		cc, err := certClient(c.hc, cfg.CertP12, pw, cfg.RootCAs)
		if err != nil {
			return nil, fmt.Errorf("wxpay: new client: %w", err)
		}
		c.certClient = cc
	}
	return c, nil
}

// certClient derives from base an http.Client that presents the merchant
// certificate decoded from p12.
func certClient(base *http.Client, p12 []byte, password string, roots *x509.CertPool) (*http.Client, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(p12, password)
	if err != nil {
		// The library's message names no secret; keep it for diagnosis.
		return nil, fmt.Errorf("%w: decode merchant certificate (PKCS#12): %v", ErrInvalidInput, err)
	}
	cert := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, ca := range chain {
		cert.Certificate = append(cert.Certificate, ca.Raw)
	}
	var tr *http.Transport
	switch t := base.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fmt.Errorf("%w: HTTPClient.Transport is %T; a client certificate needs an *http.Transport", ErrInvalidInput, t)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if tr.TLSClientConfig != nil {
		tc = tr.TLSClientConfig.Clone()
	}
	tc.Certificates = []tls.Certificate{cert}
	if roots != nil {
		tc.RootCAs = roots
	}
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr, Timeout: base.Timeout, Jar: base.Jar, CheckRedirect: base.CheckRedirect}, nil
}

// AppID returns the configured appid.
func (c *Client) AppID() string { return c.appID }

// MchID returns the configured merchant number.
func (c *Client) MchID() string { return c.mchID }

// SignType returns the algorithm used to sign requests.
func (c *Client) SignType() SignType { return c.signType }

// sign completes p with the common fields (appid, mch_id, nonce_str,
// sign_type when not MD5) and its signature.
func (c *Client) sign(p Params) Params {
	p["appid"] = c.appID
	p["mch_id"] = c.mchID
	p["nonce_str"] = NonceStr()
	if c.signType != SignMD5 {
		p["sign_type"] = string(c.signType)
	}
	p["sign"] = p.Sign(c.key, c.signType)
	return p
}

// post signs p, sends it to api and returns the raw reply body, read up to
// limit bytes. It handles transport failures and HTTP status.
func (c *Client) post(ctx context.Context, hc *http.Client, api string, p Params, limit int64) ([]byte, error) {
	for k, v := range p {
		if !ValidValue(v) {
			return nil, fmt.Errorf("wxpay %s: %w: %s holds characters XML cannot carry", api, ErrInvalidInput, k)
		}
	}
	body := c.sign(p).EncodeXML()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+api, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: build request: %w", api, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w: %w", api, ErrTransport, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("wxpay %s: %w: HTTP status %d", api, ErrTransport, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: %w: read reply: %w", api, ErrTransport, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("wxpay %s: reply: %w", api, ErrTooLarge)
	}
	return data, nil
}

// call performs one XML API call and checks the reply's first two layers:
// return_code, then the signature (with the request's sign type), then
// result_code. It returns the verified reply fields on business success.
func (c *Client) call(ctx context.Context, hc *http.Client, api string, p Params) (Params, error) {
	data, err := c.post(ctx, hc, api, p, MaxBodySize)
	if err != nil {
		return nil, err
	}
	r, err := ParseXML(data)
	if err != nil {
		return nil, fmt.Errorf("wxpay %s: reply: %w", api, err)
	}
	return c.check(api, r)
}

// check applies the layered result rules to a decoded reply.
func (c *Client) check(api string, r Params) (Params, error) {
	switch r["return_code"] {
	case "SUCCESS":
	case "FAIL":
		// A protocol-layer FAIL carries no signature; it reports that
		// WeChat did not process the request.
		return nil, errorFrom(api, r)
	default:
		return nil, fmt.Errorf("wxpay %s: reply: %w: return_code %q", api, ErrBadMessage, clip(r["return_code"]))
	}
	if err := r.Verify(c.key, c.signType); err != nil {
		return nil, fmt.Errorf("wxpay %s: reply: %w", api, err)
	}
	if v := r["appid"]; v != "" && v != c.appID {
		return nil, fmt.Errorf("wxpay %s: reply: %w: appid is not ours", api, ErrBadMessage)
	}
	if v := r["mch_id"]; v != "" && v != c.mchID {
		return nil, fmt.Errorf("wxpay %s: reply: %w: mch_id is not ours", api, ErrBadMessage)
	}
	switch r["result_code"] {
	case "SUCCESS":
		return r, nil
	case "FAIL":
		return nil, errorFrom(api, r)
	default:
		return nil, fmt.Errorf("wxpay %s: reply: %w: result_code %q", api, ErrBadMessage, clip(r["result_code"]))
	}
}

// require returns an ErrBadMessage error naming the first of names that is
// missing or empty in r.
func require(api string, r Params, names ...string) error {
	for _, n := range names {
		if r[n] == "" {
			return fmt.Errorf("wxpay %s: reply: %w: %s missing", api, ErrBadMessage, n)
		}
	}
	return nil
}

// replyInt parses an integer field of a verified reply; a missing optional
// field is 0, a malformed or negative one is ErrBadMessage.
func replyInt(api string, r Params, name string, required bool) (int64, error) {
	if r[name] == "" && !required {
		return 0, nil
	}
	v, err := r.Int(name)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("wxpay %s: reply: %w: %s is not a non-negative integer", api, ErrBadMessage, name)
	}
	return v, nil
}

// invalid wraps ErrInvalidInput with the API name and detail.
func invalid(api, format string, args ...any) error {
	return fmt.Errorf("wxpay %s: %w: %s", api, ErrInvalidInput, fmt.Sprintf(format, args...))
}

package wxpayv3

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat Pay's primary API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds one API call when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// DefaultUserAgent is sent when Config.UserAgent is empty. WeChat asks
// for a User-Agent on every request.
const DefaultUserAgent = "saoma-wxpayv3/1"

// MaxReplySize caps an API reply body (not a bill file); larger replies
// are ErrTooLarge.
const MaxReplySize = 1 << 20

// maxErrorBody caps how much of a non-2xx reply is read for its code.
const maxErrorBody = 8 << 10

// Config says which merchant the Client acts for and how it reaches WeChat.
type Config struct {
	// MchID is the merchant number. Required.
	MchID string
	// AppID is the appid bound to the merchant. Required.
	AppID string
	// MchSerial is the serial of the merchant API certificate whose key is
	// PrivateKey (CertificateSerial of apiclient_cert.pem). Required.
	MchSerial string
	// PrivateKey is the merchant API private key (apiclient_key.pem) that
	// signs every request. Required; never logged.
	PrivateKey *rsa.PrivateKey
	// APIv3Key is the 32-byte APIv3 key that decrypts notifications.
	// Required; never logged.
	APIv3Key string
	// Verifier checks WeChat's signatures on replies and notifications.
	// Required: NewPublicKeyVerifier for new merchants.
	Verifier Verifier
	// BaseURL is the API host, default DefaultBaseURL. Tests and demo mode
	// point it at a simulator. Bill downloads are only fetched from it.
	BaseURL string
	// HTTPClient sends the requests; default an http.Client with
	// DefaultTimeout. Its timeout bounds a bill download too.
	HTTPClient *http.Client
	// Now returns the current time; default time.Now. It stamps requests
	// and judges the freshness of replies and notifications.
	Now func() time.Time
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string
}

// Client calls WeChat Pay API v3 for one merchant and parses its
// notifications. It is safe for concurrent use.
type Client struct {
	mchID, appID, serial string
	key                  *rsa.PrivateKey
	verifier             Verifier
	notifier             *Notifier
	base                 *url.URL
	baseURL              string
	hc                   *http.Client
	now                  func() time.Time
	ua                   string
}

// NewClient checks cfg and applies defaults. Missing credentials, an
// APIv3 key that is not 32 bytes, or a malformed BaseURL are
// ErrInvalidInput.
func NewClient(cfg Config) (*Client, error) {
	if cfg.MchID == "" || cfg.AppID == "" || cfg.MchSerial == "" || cfg.PrivateKey == nil || cfg.Verifier == nil {
		return nil, fmt.Errorf("wxpayv3: new client: %w: MchID, AppID, MchSerial, PrivateKey and Verifier are required", ErrInvalidInput)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("wxpayv3: new client: %w: BaseURL must be an absolute http(s) URL without query", ErrInvalidInput)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	n, err := NewNotifier(cfg.Verifier, cfg.APIv3Key, now)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: new client: %w", err)
	}
	c := &Client{
		mchID: cfg.MchID, appID: cfg.AppID, serial: cfg.MchSerial, key: cfg.PrivateKey,
		verifier: cfg.Verifier, notifier: n, base: u, baseURL: u.String(),
		hc: cfg.HTTPClient, now: now, ua: cfg.UserAgent,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	return c, nil
}

// MchID returns the configured merchant number.
func (c *Client) MchID() string { return c.mchID }

// AppID returns the configured appid.
func (c *Client) AppID() string { return c.appID }

// newRequest builds a signed request for method and the absolute URL u,
// with a JSON body when in is not nil.
func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, in any) (*http.Request, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	auth, err := SignRequest(c.mchID, c.serial, c.key, method, u.RequestURI(), body, c.now())
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set(HeaderSerial, c.verifier.Serial())
	return req, nil
}

// apiURL joins the base URL, path (unescaped; url.URL escapes it, and the
// signature covers the escaped form actually sent) and query.
func (c *Client) apiURL(path string, q url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return &u
}

// call sends a signed request to path and checks the reply in layers:
// transport (ErrTransport), HTTP status (non-2xx: *Error), size
// (ErrTooLarge), WeChat's signature and freshness (ErrSignature, ErrStale),
// then decodes a JSON body into out when out is not nil (ErrBadMessage).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	api := method + " " + path
	req, err := c.newRequest(ctx, method, c.apiURL(path, q), in)
	if err != nil {
		return fmt.Errorf("wxpayv3 %s: %w", api, err)
	}
	body, err := c.do(api, req, MaxReplySize, true)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("wxpayv3 %s: reply: %w", api, asBadMessage(err))
	}
	return nil
}

// do sends req and returns its 2xx body, read up to limit, verified when
// signed is true. Errors never carry the body.
func (c *Client) do(api string, req *http.Request, limit int64, signed bool) ([]byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wxpayv3 %s: %w: %w", api, ErrTransport, transportCause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, errorFrom(api, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("wxpayv3 %s: %w: read reply: %w", api, ErrTransport, transportCause(err))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("wxpayv3 %s: reply: %w", api, ErrTooLarge)
	}
	if signed {
		if err := verifySigned(c.verifier, resp.Header, body, c.now()); err != nil {
			return nil, fmt.Errorf("wxpayv3 %s: reply: %w", api, err)
		}
	}
	return body, nil
}

// errorFrom builds the *Error of a non-2xx reply, reading at most
// maxErrorBody of it for WeChat's code and message.
func errorFrom(api string, resp *http.Response) *Error {
	e := &Error{API: api, StatusCode: resp.StatusCode, RequestID: clip(resp.Header.Get(HeaderRequestID))}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var w struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &w) == nil {
		e.Code, e.Message = clip(w.Code), clip(w.Message)
	}
	return e
}

// asBadMessage keeps errors that already wrap ErrBadMessage and wraps the
// others (json syntax errors), without quoting the body.
func asBadMessage(err error) error {
	if errors.Is(err, ErrBadMessage) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrBadMessage, err)
}

// transportCause reduces a net/http failure to a cause safe to log: the
// context's error (still visible to errors.Is), a network operation error
// (addresses only), a TLS certificate failure, or a timeout. Anything else
// is replaced by a generic sentence, because net/http quotes a malformed
// reply's first bytes in its error text.
func transportCause(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return cert
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errTimeout
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return errMalformed
}

// Causes of transport failures whose own text is not safe to keep.
var (
	errTimeout   = errors.New("timeout")
	errMalformed = errors.New("connection failed or reply malformed")
)

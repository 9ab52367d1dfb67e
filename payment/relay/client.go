package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of ClientConfig.
const (
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// Client-side limits.
const (
	clientHandshakeTimeout = 10 * time.Second
	clientWriteTimeout     = 10 * time.Second
	welcomeTimeout         = 30 * time.Second
	maxClientCallbacks     = 16        // mode-1 callbacks handled at once
	clientReadLimit        = 256 << 10 // a notify frame: ≤ 64 KiB of XML or JSON, escaped, and headers
)

// Notification is one payment notification as WeChat sent it to the relay.
type Notification struct {
	// Body is the request body byte for byte: XML for WeChat Pay API v2,
	// JSON for API v3.
	Body []byte
	// Header holds the signature headers of an API v3 notification
	// (Wechatpay-Signature, -Timestamp, -Nonce, -Serial and
	// -Signature-Type, those WeChat sent), exactly as the relay stored
	// them: pass it with Body to wxpayv3.Notifier.Parse. It is nil for an
	// API v2 notification.
	Header http.Header
}

// V3 reports whether n is a WeChat Pay API v3 notification (it carries
// signature headers).
func (n Notification) V3() bool { return len(n.Header) > 0 }

// ClientConfig configures the kiosk side of the relay link.
type ClientConfig struct {
	// URL is the relay's base URL, http(s)://host[:port][/prefix]; the
	// client dials URL+"/ws" as ws(s). Required.
	URL string
	// Token is this kiosk's bearer token. Required. It is sent only in
	// the Authorization header and never logged.
	Token string
	// KioskID, when set, makes the relay refuse the connection unless the
	// token belongs to this kiosk: a configuration mix-up fails loudly
	// instead of delivering another kiosk's messages.
	KioskID string
	// OnNotification receives each payment notification, its body exactly
	// as WeChat sent it and, for API v3, its signature headers, in
	// sequence order, one at a time. It must verify the signature itself
	// (the relay is not trusted: wxpay.ParseNotification for v2,
	// wxpayv3.Notifier.Parse with n.Header for v3) and commit the result;
	// the client acknowledges the message only when it returns nil. Return
	// nil as well for a message rejected for good (bad signature, unknown
	// order): an error means "try again" and the message is offered again
	// (with backoff, and again after a reconnect), holding back later ones.
	// The same notification may arrive more than once: commit idempotently.
	// Required.
	OnNotification func(ctx context.Context, n Notification) error
	// OnNativeCallback answers a mode-1 callback body with the signed reply
	// XML for WeChat (wxpay.NativeCallbackReply or NativeCallbackFail). ctx
	// carries the relay's deadline. Nil, or a nil reply, leaves the relay to
	// answer FAIL when its deadline passes.
	OnNativeCallback func(ctx context.Context, body []byte) []byte
	// OnLink, if set, is called with true when the link is up (the relay
	// welcomed the kiosk) and false when it drops, on every change.
	OnLink func(up bool)
	// Logger receives connection events; default discard.
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the reconnect delay: attempt n waits
	// a random duration in [0, min(MaxBackoff, MinBackoff·2ⁿ)) ("full
	// jitter"), and the first dial waits a random duration below
	// MinBackoff, so a fleet restarted together spreads out. Defaults
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// StatePath, if set, is a file remembering the relay epoch and the last
	// acknowledged sequence across restarts, so a restarted kiosk resumes
	// exactly where it stopped. Without it the relay's own record is used,
	// which may repeat a few messages (harmless: delivery is idempotent).
	StatePath string
	// TLSConfig configures wss connections; default the system roots.
	TLSConfig *tls.Config
	// NetDialContext, if set, opens the TCP connection to the relay
	// instead of net.Dialer (addr is the URL's host:port): for a custom
	// route to the relay, or a load tool spreading connections over
	// instances as a load balancer would. TLS, when the URL is https, runs
	// on top of it.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// CAFile, if set, is a PEM bundle of CA certificates trusted for the
	// relay in addition to the system roots (and to TLSConfig.RootCAs if
	// set): for a relay whose certificate a private CA issued, or a shop
	// network that inspects TLS. Default none. Adding a CA trusts it for
	// this link only, not for the kiosk's calls to WeChat.
	CAFile string
	// OnTLSFailure, if set, is called when connecting fails because the
	// relay's certificate is not accepted (not trusted, expired, issued for
	// another name) or the TLS handshake fails otherwise. It is called once
	// per kind of failure: again only when the kind changes or after the
	// link was up in between, so a kiosk can show "relay certificate not
	// trusted or expired" until OnLink(true) says otherwise. The client
	// keeps retrying meanwhile (the certificate may be renewed).
	OnTLSFailure func(err *TLSError)
}

// TLSProblem is why the relay's TLS handshake failed.
type TLSProblem int

// The TLS problems a TLSError reports.
const (
	// TLSUntrusted: the certificate's issuer is not among the trusted
	// roots (system roots plus CAFile), or the chain is invalid.
	TLSUntrusted TLSProblem = iota + 1
	// TLSExpired: the certificate (or one in its chain) is expired or
	// not yet valid; a kiosk clock far off causes this too.
	TLSExpired
	// TLSHostname: the certificate is valid for other names than the
	// relay URL's host.
	TLSHostname
	// TLSHandshake: the handshake failed for another reason (the relay
	// does not speak TLS on that port, no common protocol version, an
	// alert from the relay).
	TLSHandshake
)

// String returns "not trusted", "expired", "wrong host name" or
// "handshake failed".
func (p TLSProblem) String() string {
	switch p {
	case TLSUntrusted:
		return "not trusted"
	case TLSExpired:
		return "expired"
	case TLSHostname:
		return "wrong host name"
	case TLSHandshake:
		return "handshake failed"
	}
	return "TLSProblem(" + strconv.Itoa(int(p)) + ")"
}

// TLSError is returned (wrapped) by a connection attempt that failed in
// the TLS handshake, and passed to ClientConfig.OnTLSFailure.
type TLSError struct {
	Problem TLSProblem
	// NotAfter is the expiry of the certificate that failed, when the
	// failure names one (an expired certificate); zero otherwise.
	NotAfter time.Time
	// Err is the crypto/tls or crypto/x509 error.
	Err error
}

func (e *TLSError) Error() string {
	return "TLS failure: relay certificate " + e.Problem.String() + ": " + e.Err.Error()
}

// Unwrap returns the underlying crypto/tls or crypto/x509 error.
func (e *TLSError) Unwrap() error { return e.Err }

// classifyTLS returns err as a *TLSError when it is a TLS handshake
// failure, else nil.
func classifyTLS(err error) *TLSError {
	if err == nil {
		return nil
	}
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	switch {
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			te := &TLSError{Problem: TLSExpired, Err: err}
			if invalid.Cert != nil {
				te.NotAfter = invalid.Cert.NotAfter
			}
			return te
		}
		return &TLSError{Problem: TLSUntrusted, Err: err}
	case errors.As(err, &hostname):
		return &TLSError{Problem: TLSHostname, Err: err}
	case errors.As(err, &unknown), errors.As(err, &verify):
		// A platform verifier (macOS, Windows) reports its own errors
		// inside CertificateVerificationError: not trusted, for want of
		// a finer reason.
		return &TLSError{Problem: TLSUntrusted, Err: err}
	case errors.As(err, &record), errors.As(err, &alert):
		return &TLSError{Problem: TLSHandshake, Err: err}
	}
	return nil
}

// relayTLSConfig returns the TLS configuration for dialing the relay:
// base (or a fresh one) with CAFile's certificates added to the roots and
// record called with the leaf certificate of every verified handshake.
func relayTLSConfig(base *tls.Config, caFile string, record func(leaf *x509.Certificate)) (*tls.Config, error) {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("relay client: CA file: %w", err)
		}
		pool := cfg.RootCAs
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil {
				pool = x509.NewCertPool() // no system roots here: the CA file alone
			}
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("relay client: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	next := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if next != nil {
			if err := next(cs); err != nil {
				return err
			}
		}
		if len(cs.PeerCertificates) > 0 {
			record(cs.PeerCertificates[0])
		}
		return nil
	}
	return cfg, nil
}

// Client keeps a kiosk's websocket to the relay up and delivers what comes
// over it. Create it with NewClient and call Run.
type Client struct {
	cfg     ClientConfig
	log     *slog.Logger
	wsURL   string
	dialer  *websocket.Dialer
	up      atomic.Bool
	running atomic.Bool

	mu      sync.Mutex
	epoch   string
	lastSeq uint64
	// certExpiry is the NotAfter of the relay's certificate on the last
	// verified handshake.
	certExpiry time.Time
}

// clientState is the StatePath file.
type clientState struct {
	Epoch   string `json:"epoch"`
	LastSeq uint64 `json:"last_seq"`
}

// NewClient checks cfg and loads the saved state, if any. A state file that
// cannot be parsed is ignored with a warning: it only saves redeliveries.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("relay client: Token is required")
	}
	if cfg.OnNotification == nil {
		return nil, errors.New("relay client: OnNotification is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("relay client: URL: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("relay client: URL %q: scheme must be http or https", cfg.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("relay client: URL %q has no host", cfg.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
	u.RawQuery, u.Fragment = "", ""
	setDefault(&cfg.MinBackoff, DefaultMinBackoff)
	setDefault(&cfg.MaxBackoff, DefaultMaxBackoff)
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg:   cfg,
		log:   cfg.Logger,
		wsURL: u.String(),
	}
	tlsCfg, err := relayTLSConfig(cfg.TLSConfig, cfg.CAFile, c.recordCert)
	if err != nil {
		return nil, err
	}
	c.dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: clientHandshakeTimeout,
		TLSClientConfig:  tlsCfg,
		ReadBufferSize:   2048,
		WriteBufferSize:  1024,
		NetDialContext:   cfg.NetDialContext,
	}
	if cfg.StatePath != "" {
		data, err := os.ReadFile(cfg.StatePath)
		var st clientState
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("relay client: read state: %w", err)
		case json.Unmarshal(data, &st) != nil:
			c.log.Warn("relay state file unreadable; starting from the relay's record", "path", cfg.StatePath)
		default:
			c.epoch, c.lastSeq = st.Epoch, st.LastSeq
		}
	}
	return c, nil
}

// Connected reports whether the link is up: connected and welcomed.
func (c *Client) Connected() bool { return c.up.Load() }

// CertExpiry is when the relay's certificate expires (the NotAfter of the
// leaf certificate seen on the last verified TLS handshake), for Settings
// to show; zero before the first handshake and for a plain ws:// relay.
func (c *Client) CertExpiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.certExpiry
}

// recordCert remembers the expiry of a verified relay certificate.
func (c *Client) recordCert(leaf *x509.Certificate) {
	c.mu.Lock()
	c.certExpiry = leaf.NotAfter
	c.mu.Unlock()
}

// state returns the epoch and last acknowledged sequence.
func (c *Client) state() (string, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch, c.lastSeq
}

// setState records an acknowledged position and saves it to StatePath.
func (c *Client) setState(epoch string, seq uint64) {
	c.mu.Lock()
	c.epoch, c.lastSeq = epoch, seq
	c.mu.Unlock()
	if c.cfg.StatePath == "" {
		return
	}
	if err := writeState(c.cfg.StatePath, clientState{Epoch: epoch, LastSeq: seq}); err != nil {
		c.log.Warn("saving relay state failed", "path", c.cfg.StatePath, "err", err)
	}
}

// writeState replaces the state file atomically (write, then rename).
func writeState(path string, st clientState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".relay-state-*")
	if err != nil {
		return fmt.Errorf("create temp: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write temp: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temp: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// setLink reports a link change to OnLink.
func (c *Client) setLink(up bool) {
	if c.up.Swap(up) != up && c.cfg.OnLink != nil {
		c.cfg.OnLink(up)
	}
}

// backoff is the full-jitter delay before reconnect attempt n (0-based):
// uniform in [0, min(maxD, minD·2ⁿ)). randN returns a value in [0, n).
func backoff(n int, minD, maxD time.Duration, randN func(int64) int64) time.Duration {
	ceil := maxD
	if n < 62 {
		if d := minD << n; d > 0 && d < maxD {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(randN(int64(ceil)))
}

// sleepCtx waits d or until ctx ends; false if ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run keeps the link up until ctx is done, then returns nil. It waits a
// random initial delay (below MinBackoff), connects, delivers, and after
// any failure reconnects with exponential backoff and full jitter; the
// backoff restarts after every successful welcome. A refused token is
// retried too (at MaxBackoff pace), since the relay's kiosks file may be
// fixed meanwhile; it is logged as an error.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("relay client: Run is already running")
	}
	defer c.running.Store(false)
	if !sleepCtx(ctx, backoff(0, c.cfg.MinBackoff, c.cfg.MaxBackoff, rand.Int64N)) {
		return nil
	}
	attempt := 0
	var reported TLSProblem // the TLS failure last passed to OnTLSFailure
	for {
		welcomed, err := c.connect(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if welcomed {
			attempt = 0
			reported = 0
		}
		d := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff, rand.Int64N)
		var se *statusError
		var te *TLSError
		switch {
		case errors.As(err, &se) && (se.status == http.StatusUnauthorized || se.status == http.StatusForbidden):
			c.log.Error("relay refused this kiosk's credentials; check [relay] token and the relay's kiosks file", "status", se.status)
			d = c.cfg.MaxBackoff/2 + backoff(attempt, c.cfg.MaxBackoff/2, c.cfg.MaxBackoff/2, rand.Int64N)
		case errors.As(err, &te):
			c.log.Warn("relay certificate not accepted; check the relay's certificate and [relay] ca_file",
				"problem", te.Problem.String(), "err", err, "in", d.Round(time.Millisecond))
			if te.Problem != reported && c.cfg.OnTLSFailure != nil {
				c.cfg.OnTLSFailure(te)
			}
			reported = te.Problem
		default:
			c.log.Info("relay link down; reconnecting", "err", err, "in", d.Round(time.Millisecond))
		}
		attempt++
		if !sleepCtx(ctx, d) {
			return nil
		}
	}
}

// statusError is a refused websocket handshake.
type statusError struct{ status int }

func (e *statusError) Error() string {
	return fmt.Sprintf("relay answered HTTP %d", e.status)
}

// connect runs one connection: dial, welcome, deliver until it fails. It
// reports whether the relay welcomed the kiosk.
func (c *Client) connect(ctx context.Context) (welcomed bool, err error) {
	epoch, lastSeq := c.state()
	q := url.Values{"v": {strconv.Itoa(ProtocolVersion)}}
	if epoch != "" {
		q.Set("epoch", epoch)
		q.Set("last_seq", strconv.FormatUint(lastSeq, 10))
	}
	if c.cfg.KioskID != "" {
		q.Set("kiosk", c.cfg.KioskID)
	}
	hdr := http.Header{"Authorization": {"Bearer " + c.cfg.Token}}
	conn, resp, err := c.dialer.DialContext(ctx, c.wsURL+"?"+q.Encode(), hdr)
	if err != nil {
		if resp != nil {
			return false, fmt.Errorf("relay client: dial: %w", &statusError{resp.StatusCode})
		}
		if te := classifyTLS(err); te != nil {
			return false, fmt.Errorf("relay client: dial: %w", te)
		}
		return false, fmt.Errorf("relay client: dial: %w", err)
	}
	defer conn.Close()
	conn.SetReadLimit(clientReadLimit)
	_ = conn.SetReadDeadline(time.Now().Add(welcomeTimeout))
	_, data, err := conn.ReadMessage()
	if err != nil {
		return false, fmt.Errorf("relay client: read welcome: %w", err)
	}
	w, err := decodeFrame(data)
	if err != nil {
		return false, err
	}
	if w.Type != typeWelcome || w.Epoch == "" {
		return false, fmt.Errorf("relay client: expected a welcome, got %q", clip(w.Type))
	}
	if w.Epoch != epoch {
		if epoch != "" {
			c.log.Warn("relay epoch changed: its store was recreated; unconfirmed orders are settled by querying WeChat", "old", epoch, "new", w.Epoch)
		}
		c.setState(w.Epoch, 0)
	}
	pingWait := 2*time.Duration(w.PingMS)*time.Millisecond + 10*time.Second
	c.log.Info("relay link up", "kiosk", w.Kiosk, "resume_after", w.ResumeAfter)
	c.setLink(true)
	defer c.setLink(false)

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan []byte, 64)
	notes := make(chan *frame, max(w.Window, 1)+16)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // closer: unblocks the reader when the session ends
		defer wg.Done()
		<-sctx.Done()
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.Close()
	}()
	go func() { // writer: the only goroutine writing data frames
		defer wg.Done()
		defer cancel()
		for {
			select {
			case <-sctx.Done():
				return
			case b := <-out:
				_ = conn.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
				if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
					return
				}
			}
		}
	}()
	go func() { // worker: commits notifications in order, then acks
		defer wg.Done()
		c.deliver(sctx, w.Epoch, notes, out)
	}()

	var calls sync.WaitGroup
	sem := make(chan struct{}, maxClientCallbacks)
	_ = conn.SetReadDeadline(time.Now().Add(pingWait))
	conn.SetPingHandler(func(msg string) error {
		_ = conn.SetReadDeadline(time.Now().Add(pingWait))
		err := conn.WriteControl(websocket.PongMessage, []byte(msg), time.Now().Add(clientWriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		_, data, err = conn.ReadMessage()
		if err != nil {
			err = fmt.Errorf("relay client: read: %w", err)
			break
		}
		_ = conn.SetReadDeadline(time.Now().Add(pingWait))
		f, derr := decodeFrame(data)
		if derr != nil {
			err = derr
			break
		}
		if f.Type == typeNotify {
			select {
			case notes <- f:
				continue
			default:
				err = errors.New("relay client: relay exceeded its window")
			}
			break
		}
		if f.Type == typeCallback {
			if c.cfg.OnNativeCallback == nil {
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				c.log.Warn("too many mode-1 callbacks at once; one left to time out")
				continue
			}
			calls.Add(1)
			go func() {
				defer calls.Done()
				defer func() { <-sem }()
				c.answer(sctx, f, out)
			}()
		}
	}
	cancel()
	calls.Wait()
	wg.Wait()
	return true, err
}

// deliver hands notifications to OnNotification in order, retrying with
// backoff while it fails, and acknowledges each after it succeeded.
func (c *Client) deliver(ctx context.Context, epoch string, notes <-chan *frame, out chan<- []byte) {
	for {
		var f *frame
		select {
		case <-ctx.Done():
			return
		case f = <-notes:
		}
		for attempt := 0; ; attempt++ {
			err := c.cfg.OnNotification(ctx, f.notification())
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			d := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff, rand.Int64N)
			c.log.Warn("kiosk could not commit a notification; retrying", "seq", f.Seq, "err", err, "in", d.Round(time.Millisecond))
			if !sleepCtx(ctx, d) {
				return
			}
		}
		c.setState(epoch, f.Seq)
		ack := frame{Type: typeAck, Seq: f.Seq, Epoch: epoch}
		select {
		case out <- ack.encode():
		case <-ctx.Done():
			return
		}
	}
}

// notification is the Notification a notify frame carries.
func (f *frame) notification() Notification {
	n := Notification{Body: []byte(f.Body)}
	if len(f.Headers) > 0 {
		n.Header = make(http.Header, len(f.Headers))
		for name, v := range f.Headers {
			n.Header.Set(name, v)
		}
	}
	return n
}

// answer runs OnNativeCallback within the relay's deadline and sends the
// reply.
func (c *Client) answer(ctx context.Context, f *frame, out chan<- []byte) {
	deadline := time.Duration(f.DeadlineMS) * time.Millisecond
	if deadline <= 0 {
		deadline = DefaultCallbackTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	reply := c.cfg.OnNativeCallback(cctx, []byte(f.Body))
	if reply == nil {
		return
	}
	r := frame{Type: typeCallbackReply, ID: f.ID, Body: string(reply)}
	select {
	case out <- r.encode():
	case <-ctx.Done():
	}
}

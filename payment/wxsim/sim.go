package wxsim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"saoma/payment/wxpay"
)

// Sim is a WeChat Pay v2 server for one merchant. It is an http.Handler
// serving WeChat's API paths plus the customer-phone pages under /sim/ and
// /; Start wraps it in loopback HTTP and HTTPS listeners. Its methods are
// safe for concurrent use.
type Sim struct {
	cfg   Config
	clock Clock
	log   *slog.Logger
	st    *store
	pki   *pki

	v3mu   sync.Mutex
	v3keys *v3pki // generated on first use, see v3
	mux    *http.ServeMux
	page   *template.Template

	ctx    context.Context // cancelled by Close: stops notifiers and callbacks
	cancel context.CancelFunc
	wg     sync.WaitGroup

	rngMu sync.Mutex
	rng   *rand.Rand

	mu        sync.Mutex
	orders    map[string]*Order   // by out_trade_no
	byPrepay  map[string]string   // prepay_id → out_trade_no
	byCode    map[string]string   // code_url → out_trade_no
	byTxn     map[string]string   // transaction_id → out_trade_no
	short     map[string]string   // short link → long URL
	shortOf   map[string]string   // long URL → short link
	notifying map[notifyKey]bool  // notifications with a running delivery loop
	paycodes  map[string]*payCode // 付款码 auth_code → its payer and outcome (memory only)
	wake      chan struct{}       // closed and replaced when due times move earlier
	closed    bool

	// onNotify, when set (tests), is called after every notification
	// attempt has been recorded.
	onNotify func(NotifyEvent)
}

// NotifyEvent describes one finished notification attempt.
type NotifyEvent struct {
	OutTradeNo  string
	OutRefundNo string // set for a refund result notification
	Attempt     int    // 1 for the first delivery
	Acked       bool   // the merchant answered SUCCESS
	Dropped     bool   // the attempt was lost on purpose (DropNotifyRate)
	Final       bool   // no further attempt will be made
}

// New returns a simulator for cfg (see Config for defaults). With
// cfg.DataDir it reopens the previous state and resumes pending
// notifications. Close releases it.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Key) != 32 {
		return nil, fmt.Errorf("wxsim: API key must be 32 bytes, got %d", len(cfg.Key))
	}
	if len(cfg.APIv3Key) != 32 {
		return nil, fmt.Errorf("wxsim: APIv3 key must be 32 bytes, got %d", len(cfg.APIv3Key))
	}
	if cfg.MerchantSerial != "" {
		if _, err := parseMerchantSerial(cfg.MerchantSerial); err != nil {
			return nil, err
		}
	}
	for _, r := range []float64{cfg.SystemErrorRate, cfg.FrequencyLimitRate, cfg.DuplicateNotifyRate, cfg.DropNotifyRate} {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("wxsim: fault rate %v outside 0..1", r)
		}
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Sim{
		cfg:       cfg,
		clock:     cfg.Clock,
		log:       cfg.Logger,
		st:        st,
		rng:       rand.New(rand.NewPCG(seed, seed^0x5a0a)),
		orders:    map[string]*Order{},
		byPrepay:  map[string]string{},
		byCode:    map[string]string{},
		byTxn:     map[string]string{},
		short:     map[string]string{},
		shortOf:   map[string]string{},
		notifying: map[notifyKey]bool{},
		paycodes:  map[string]*payCode{},
		wake:      make(chan struct{}),
	}
	s.pki, err = newPKI(st.getMeta(pkiMetaKey), cfg.MchID, s.clock.Now())
	if err == nil {
		err = st.putMeta(pkiMetaKey, s.pki.encode())
	}
	if err == nil {
		err = st.load(s.indexLocked, func(sh, l string) { s.short[sh], s.shortOf[l] = l, sh })
	}
	if err != nil {
		_ = st.close()
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	s.page = pageTemplate()
	for no, o := range s.orders {
		if o.Notify.Pending {
			s.startNotifierLocked(notifyKey{outTradeNo: no})
		}
		for _, r := range o.Refunds {
			if r.Notify.Pending {
				s.startNotifierLocked(notifyKey{outTradeNo: no, refund: r.OutRefundNo})
			}
		}
	}
	return s, nil
}

func (s *Sim) indexLocked(o *Order) {
	s.orders[o.OutTradeNo] = o
	if o.PrepayID != "" { // 付款码 orders have neither
		s.byPrepay[o.PrepayID] = o.OutTradeNo
		s.byCode[o.CodeURL] = o.OutTradeNo
	}
	if o.TransID != "" {
		s.byTxn[o.TransID] = o.OutTradeNo
	}
}

// Close stops notification delivery, waits for in-flight attempts and
// closes the store. Pending notifications stay recorded and resume when a
// simulator is opened on the same DataDir.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.st.close()
}

// ServeHTTP serves WeChat Pay's v2 paths, /sim/* and the customer page.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// AppID returns the merchant appid the simulator accepts.
func (s *Sim) AppID() string { return s.cfg.AppID }

// MchID returns the merchant number the simulator accepts.
func (s *Sim) MchID() string { return s.cfg.MchID }

// Key returns the merchant API key (32 bytes). Demo and tests configure
// their client with it.
func (s *Sim) Key() string { return s.cfg.Key }

// MerchantP12 returns the merchant API certificate and key as PKCS#12
// (apiclient_cert.p12), encrypted with P12Password, as WeChat hands it to
// merchants. The refund endpoint accepts only this certificate.
func (s *Sim) MerchantP12() []byte { return slices.Clone(s.pki.p12) }

// P12Password returns the password of MerchantP12: the merchant id, as at
// WeChat.
func (s *Sim) P12Password() string { return s.cfg.MchID }

// MerchantCertificate returns the merchant client certificate ready for a
// tls.Config.
func (s *Sim) MerchantCertificate() tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{s.pki.clientCert.Raw},
		PrivateKey:  s.pki.clientKey,
		Leaf:        s.pki.clientCert,
	}
}

// MerchantPEM returns the merchant client certificate followed by its
// PKCS#8 private key, PEM-encoded (apiclient_cert.pem + apiclient_key.pem).
func (s *Sim) MerchantPEM() []byte { return slices.Clone(s.pki.clientPEM) }

// RootCAs returns a pool holding the simulator's CA, which signed the HTTPS
// server certificate: a client trusts the simulator with it.
func (s *Sim) RootCAs() *x509.CertPool { return s.pki.pool() }

// CACertPEM returns the simulator CA certificate in PEM form.
func (s *Sim) CACertPEM() []byte { return slices.Clone(s.pki.caPEM) }

// ServerTLSConfig returns the TLS configuration for an HTTPS listener in
// front of the simulator: server certificate signed by RootCAs, client
// certificates requested and verified when sent.
func (s *Sim) ServerTLSConfig() *tls.Config { return s.pki.serverTLS() }

// Orders returns a snapshot of every order, oldest first.
func (s *Sim) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		s.settleRefundsLocked(o)
		out = append(out, copyOrder(o))
	}
	slices.SortFunc(out, func(a, b Order) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.OutTradeNo, b.OutTradeNo)
	})
	return out
}

// Order returns a snapshot of one order.
func (s *Sim) Order(outTradeNo string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return Order{}, false
	}
	s.settleRefundsLocked(o)
	return copyOrder(o), true
}

// SettleRefunds completes every refund still PROCESSING at once and returns
// how many it completed.
func (s *Sim) SettleRefunds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	n := 0
	for _, o := range s.orders {
		changed := false
		for i := range o.Refunds {
			if r := &o.Refunds[i]; r.Status == RefundProcessing {
				r.Status, r.SuccessAt = RefundSuccess, now
				if r.Notify.Pending && r.Notify.Attempts == 0 {
					r.Notify.NextAt = now
				}
				changed = true
				n++
			}
		}
		if changed {
			s.saveLocked(o)
		}
	}
	if n > 0 {
		close(s.wake) // refund notifications waiting for the delay go now
		s.wake = make(chan struct{})
	}
	return n
}

func copyOrder(o *Order) Order {
	c := *o
	c.Refunds = slices.Clone(o.Refunds)
	c.Request = wxpay.Params(o.Request).Clone()
	return c
}

// scaled shortens a protocol duration by TimeScale.
func (s *Sim) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.TimeScale)
}

// chance draws from the seeded fault generator.
func (s *Sim) chance(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < rate
}

func (s *Sim) saveLocked(o *Order) {
	if err := s.st.putOrder(o); err != nil {
		s.log.Error("wxsim: persist order", "out_trade_no", o.OutTradeNo, "err", err)
	}
}

// settleRefundsLocked turns refunds whose delay has passed into SUCCESS
// (and first lets a 付款码 order's pending password arrive).
func (s *Sim) settleRefundsLocked(o *Order) {
	s.settlePasswordLocked(o)
	now := s.clock.Now()
	changed := false
	for i := range o.Refunds {
		r := &o.Refunds[i]
		if r.Status != RefundProcessing {
			continue
		}
		if due := r.Created.Add(s.scaled(s.cfg.RefundDelay)); !now.Before(due) {
			r.Status, r.SuccessAt = RefundSuccess, due
			changed = true
		}
	}
	if changed {
		s.saveLocked(o)
	}
}

// ---- the API request pipeline ----

// apiError is a refusal in one of WeChat's two layers: protocol (return_code
// FAIL + return_msg, unsigned) or business (result_code FAIL + err_code +
// err_code_des, signed).
type apiError struct {
	protocol bool
	code     string // err_code (business) or return_msg (protocol)
	msg      string // err_code_des (business)
}

func protoFail(msg string) *apiError { return &apiError{protocol: true, code: msg} }

func bizFail(code, des string) *apiError { return &apiError{code: code, msg: des} }

// request is one authenticated API call.
type request struct {
	v3       bool // an API v3 call translated to v2 parameters
	http     *http.Request
	p        wxpay.Params
	signType wxpay.SignType
}

// reply is what a handler answers: business fields on success, an error, or
// (downloadbill) a raw non-XML body.
type reply struct {
	fields wxpay.Params
	err    *apiError
	raw    []byte
	gzip   bool
}

type handler func(*request) reply

// Protocol-layer messages (return_msg).
const (
	msgPost       = "请使用post方法"
	msgEmpty      = "post数据为空"
	msgNotUTF8    = "编码格式错误，请使用UTF-8编码"
	msgXML        = "XML格式错误"
	msgSign       = "签名错误"
	msgCert       = "证书验证失败：请使用商户API证书"
	msgSystem     = "SYSTEMERROR"
	descSystem    = "系统超时，请用相同参数重新调用"
	descTooShort  = "time_expire时间过短，刷卡至少1分钟，其他5分钟"
	descDuplicate = "201 商户订单号重复"
)

// api wraps a handler with WeChat's common request checks.
func (s *Sim) api(path string, needCert bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Latency > 0 {
			select {
			case <-s.clock.After(s.cfg.Latency):
			case <-r.Context().Done():
				return
			}
		}
		req, failure := s.authenticate(r, needCert)
		if failure != nil {
			s.log.Info("wxsim: refused", "path", path, "return_msg", failure.code)
			writeXML(w, wxpay.Params{"return_code": "FAIL", "return_msg": failure.code})
			return
		}
		var rep reply
		switch {
		case s.chance(s.cfg.SystemErrorRate):
			if path == "/pay/downloadbill" {
				rep.err = protoFail(msgSystem)
			} else {
				rep.err = bizFail("SYSTEMERROR", descSystem)
			}
			if path == "/secapi/pay/reverse" {
				rep.fields = wxpay.Params{"recall": "Y"} // nothing was done: call again
			}
		case req.p["appid"] == "":
			rep.err = bizFail("LACK_PARAMS", "缺少参数appid")
		case req.p["appid"] != s.cfg.AppID:
			rep.err = appidError(req.p["appid"])
		default:
			rep = h(req)
		}
		if path == "/pay/downloadbill" && rep.err != nil && !rep.err.protocol {
			// downloadbill has no business layer: every failure is return_msg.
			rep.err = protoFail(rep.err.msg)
		}
		s.respond(w, path, req, rep)
	}
}

// appidError tells an appid that does not exist from one that exists but
// is bound to another merchant. The simulator models "exists" as having
// WeChat's shape: "wx" followed by 16 lowercase hex digits.
func appidError(appid string) *apiError {
	if looksLikeAppID(appid) {
		return bizFail("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	}
	return bizFail("APPID_NOT_EXIST", "appid不存在")
}

func looksLikeAppID(id string) bool {
	if len(id) != 18 || !strings.HasPrefix(id, "wx") {
		return false
	}
	for _, c := range id[2:] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

func (s *Sim) authenticate(r *http.Request, needCert bool) (*request, *apiError) {
	if r.Method != http.MethodPost {
		return nil, protoFail(msgPost)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wxpay.MaxBodySize+1))
	if err != nil {
		return nil, protoFail(msgXML)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, protoFail(msgEmpty)
	}
	if len(body) > wxpay.MaxBodySize {
		return nil, protoFail(msgXML)
	}
	if !utf8.Valid(body) {
		return nil, protoFail(msgNotUTF8)
	}
	p, err := wxpay.ParseXML(body)
	if err != nil || !wellFormed(body) {
		return nil, protoFail(msgXML)
	}
	if needCert && !s.hasMerchantCert(r, p["mch_id"]) {
		return nil, protoFail(msgCert)
	}
	switch mch := p["mch_id"]; {
	case mch == "":
		return nil, protoFail("缺少参数mch_id")
	case mch != s.cfg.MchID:
		return nil, protoFail("商户号mch_id不存在")
	}
	st, err := p.SignType()
	if err != nil {
		return nil, protoFail("sign_type参数格式错误")
	}
	if p["sign"] == "" {
		return nil, protoFail("缺少参数sign")
	}
	if p.Verify(s.cfg.Key, st) != nil && !s.verifyShortURLEncoded(r.URL.Path, p, st) {
		return nil, protoFail(msgSign)
	}
	switch n := p["nonce_str"]; {
	case n == "":
		return nil, protoFail("缺少参数nonce_str")
	case len(n) > 32:
		return nil, protoFail("nonce_str参数长度有误")
	}
	return &request{http: r, p: p, signType: st}, nil
}

// wellFormed reports whether body is well-formed XML (every end tag
// matching its start tag). wxpay.ParseXML tokenizes with RawToken, which
// does not check tag pairing, and WeChat refuses such a body.
func wellFormed(body []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// verifyShortURLEncoded accepts a shorturl request signed, as the document
// literally says, over the raw long_url but sent URL-encoded.
func (s *Sim) verifyShortURLEncoded(path string, p wxpay.Params, st wxpay.SignType) bool {
	if path != "/tools/shorturl" {
		return false
	}
	raw, ok := unescapeLongURL(p["long_url"])
	if !ok {
		return false
	}
	q := p.Clone()
	q["long_url"] = raw
	return q.Verify(s.cfg.Key, st) == nil
}

// hasMerchantCert reports whether the request arrived over TLS with a
// verified client certificate issued to mchID.
func (s *Sim) hasMerchantCert(r *http.Request, mchID string) bool {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return false
	}
	leaf := r.TLS.VerifiedChains[0][0]
	return mchID != "" && leaf.Subject.CommonName == mchID && mchID == s.cfg.MchID
}

func (s *Sim) respond(w http.ResponseWriter, path string, req *request, rep reply) {
	if rep.raw != nil && rep.err == nil {
		s.log.Info("wxsim: bill", "path", path, "bytes", len(rep.raw))
		if rep.gzip {
			w.Header().Set("Content-Type", "application/x-gzip")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		_, _ = w.Write(rep.raw)
		return
	}
	if rep.err != nil && rep.err.protocol {
		s.log.Info("wxsim: reply", "path", path, "return_code", "FAIL", "return_msg", rep.err.code)
		writeXML(w, wxpay.Params{"return_code": "FAIL", "return_msg": rep.err.code})
		return
	}
	out := wxpay.Params{
		"return_code": "SUCCESS",
		"return_msg":  "OK",
		"appid":       s.cfg.AppID,
		"mch_id":      s.cfg.MchID,
		"nonce_str":   wxpay.NonceStr(),
		"result_code": "SUCCESS",
	}
	if d := req.p["device_info"]; d != "" {
		out["device_info"] = d
	}
	for k, v := range rep.fields {
		out[k] = v // on a business failure: extra fields such as reverse's recall
	}
	if rep.err != nil {
		out["result_code"] = "FAIL"
		out["err_code"] = rep.err.code
		out["err_code_des"] = rep.err.msg
	}
	out["sign"] = out.Sign(s.cfg.Key, req.signType)
	s.log.Info("wxsim: reply", "path", path, "result_code", out["result_code"], "err_code", out["err_code"])
	writeXML(w, out)
}

func writeXML(w http.ResponseWriter, p wxpay.Params) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(p.EncodeXML())
}

func (s *Sim) routes() {
	m := http.NewServeMux()
	m.Handle("/pay/unifiedorder", s.api("/pay/unifiedorder", false, s.unifiedOrder))
	m.Handle("/pay/orderquery", s.api("/pay/orderquery", false, s.orderQuery))
	m.Handle("/pay/closeorder", s.api("/pay/closeorder", false, s.closeOrder))
	m.Handle("/tools/shorturl", s.api("/tools/shorturl", false, s.shortURL))
	m.Handle("/secapi/pay/refund", s.api("/secapi/pay/refund", true, s.refund))
	m.Handle("/pay/refundquery", s.api("/pay/refundquery", false, s.refundQuery))
	m.Handle("/pay/micropay", s.api("/pay/micropay", false, s.micropay))
	m.Handle("/secapi/pay/reverse", s.api("/secapi/pay/reverse", true, s.reverse))
	m.Handle("/pay/downloadbill", s.api("/pay/downloadbill", false, s.downloadBill))
	s.routesV3(m)
	m.HandleFunc("/sim/scan", s.handleScan)
	m.HandleFunc("/sim/orders", s.handleOrders)
	m.HandleFunc("/sim/paycode", s.handlePayCode)
	m.HandleFunc("/{$}", s.handlePage)
	s.mux = m
}

// ErrClosed is returned by Scan once the simulator has been closed.
var ErrClosed = errors.New("wxsim: simulator closed")

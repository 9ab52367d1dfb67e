package relay

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

// rejection is why an inbound request was refused.
type rejection struct {
	reason string
	status int
	err    error
}

// classify maps a wxpay parsing error to a rejection.
func classify(err error) *rejection {
	switch {
	case errors.Is(err, wxpay.ErrTooLarge):
		return &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, err}
	case errors.Is(err, wxpay.ErrDoctype):
		return &rejection{reasonDoctype, http.StatusBadRequest, err}
	case errors.Is(err, wxpay.ErrMalformed):
		return &rejection{reasonMalformed, http.StatusBadRequest, err}
	case errors.Is(err, wxpay.ErrSignature):
		return &rejection{reasonSignature, http.StatusForbidden, err}
	default:
		return &rejection{reasonBadMessage, http.StatusBadRequest, err}
	}
}

// readBody reads a capped request body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *rejection) {
	if r.ContentLength > s.cfg.MaxBody {
		return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, fmt.Errorf("content-length %d over %d", r.ContentLength, s.cfg.MaxBody)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", s.cfg.MaxBody)}
		}
		return nil, &rejection{reasonBadRequest, http.StatusBadRequest, fmt.Errorf("read body: %w", err)}
	}
	return body, nil
}

// checkMerchant compares a message's appid and mch_id with the kiosk's.
func checkMerchant(k *kioskConf, appID, mchID string) *rejection {
	if (k.AppID != "" && appID != k.AppID) || (k.MchID != "" && mchID != k.MchID) {
		return &rejection{reasonWrongMerchant, http.StatusBadRequest, errors.New("appid/mch_id is not this kiosk's merchant")}
	}
	return nil
}

// checkNotification validates a notification body for kiosk k and returns
// the key that identifies its duplicates. With the merchant key the
// signature is verified and duplicates are found by transaction_id; without
// it the body is only checked for shape and its digest is the key, so an
// unauthenticated sender can never shadow a real notification by reusing
// its transaction_id. verified says which of the two happened.
func checkNotification(k *kioskConf, body []byte) (dedupe string, verified bool, rej *rejection) {
	digest := func() string {
		sum := sha256.Sum256(body)
		return "b:" + hex.EncodeToString(sum[:])
	}
	if k.Key != "" {
		n, err := wxpay.ParseNotification(body, k.Key)
		if err != nil {
			return "", false, classify(err)
		}
		if rej := checkMerchant(k, n.AppID, n.MchID); rej != nil {
			return "", false, rej
		}
		if n.TransactionID != "" {
			return "t:" + n.TransactionID, true, nil
		}
		return digest(), true, nil
	}
	p, err := wxpay.ParseXML(body)
	if err != nil {
		return "", false, classify(err)
	}
	for _, f := range []string{"return_code", "appid", "mch_id", "out_trade_no", "sign"} {
		if p.Get(f) == "" {
			return "", false, &rejection{reasonBadMessage, http.StatusBadRequest, fmt.Errorf("%s missing", f)}
		}
	}
	if p.Get("return_code") != "SUCCESS" {
		return "", false, &rejection{reasonBadMessage, http.StatusBadRequest, errors.New("return_code is not SUCCESS")}
	}
	if rej := checkMerchant(k, p.Get("appid"), p.Get("mch_id")); rej != nil {
		return "", false, rej
	}
	return digest(), false, nil
}

// reject answers a refused WeChat request with a FAIL body, counts and logs it.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, kioskID string, rej *rejection, reply []byte) {
	s.refused(r, kioskID, rej)
	if reply == nil {
		reply = wxpay.NotifyReply(false, rej.reason)
	}
	writeXML(w, rej.status, reply)
}

// rejectV3 answers a refused API v3 notification as WeChat Pay v3 expects
// (rej.status with {"code":"FAIL","message":reason}), counts and logs it.
func (s *Server) rejectV3(w http.ResponseWriter, r *http.Request, kioskID string, rej *rejection) {
	s.refused(r, kioskID, rej)
	wxpayv3.WriteNotifyFail(w, rej.status, rej.reason)
}

// refused counts and logs a refused WeChat request.
func (s *Server) refused(r *http.Request, kioskID string, rej *rejection) {
	s.m.rejected.inc(rej.reason)
	s.log.Warn("request refused", "path", r.URL.Path, "kiosk", clip(kioskID), "reason", rej.reason, "remote", r.RemoteAddr, "err", rej.err)
}

// isV3 tells an API v3 notification from an API v2 one: WeChat Pay v3
// signs its notifications in the Wechatpay-Signature header (and sends a
// JSON body); v2 notifications carry no such header (and an XML body).
// A request with the header is answered in the v3 format whatever its
// body; one whose body is not a JSON object is then refused.
func isV3(h http.Header) bool { return h.Get(wxpayv3.HeaderSignature) != "" }

// checkV3 validates an API v3 notification for kiosk k at time now: the
// kiosk takes v3, the signature verifies with WeChat Pay's public key, the
// timestamp is within 5 minutes, and the body is a JSON object with a
// notification id. It returns the op to store (done and at unset). Its
// dedupe keys are the notification id (WeChat's retries of a notification
// share it) and the nonce+signature (a replay of the same request), so a
// replay is answered success and stored once. The encrypted resource is
// not (cannot be) read: the relay has no APIv3 key.
func checkV3(k *kiosk, kc *kioskConf, h http.Header, body []byte, now time.Time) (*ingestOp, *rejection) {
	if kc.v3 == nil {
		return nil, &rejection{reasonV3Unconfigured, http.StatusBadRequest, errors.New("API v3 notification for a kiosk without wechatpay_public_key_*")}
	}
	if err := wxpayv3.VerifyNotification(kc.v3, h, body, now); err != nil {
		switch {
		case errors.Is(err, wxpayv3.ErrTooLarge):
			return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, err}
		case errors.Is(err, wxpayv3.ErrStale):
			return nil, &rejection{reasonStale, http.StatusBadRequest, err}
		case errors.Is(err, wxpayv3.ErrSignature):
			return nil, &rejection{reasonSignature, http.StatusUnauthorized, err}
		default:
			return nil, &rejection{reasonBadMessage, http.StatusBadRequest, err}
		}
	}
	var env struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &rejection{reasonMalformed, http.StatusBadRequest, fmt.Errorf("body is not a JSON object: %w", err)}
	}
	if env.ID == "" || env.EventType == "" {
		return nil, &rejection{reasonBadMessage, http.StatusBadRequest, errors.New("id or event_type missing")}
	}
	header := make(map[string]string, len(v3Headers))
	for _, name := range v3Headers {
		if v := h.Get(name); v != "" {
			header[name] = v
		}
	}
	sig := sha256.Sum256([]byte(h.Get(wxpayv3.HeaderNonce) + "\n" + h.Get(wxpayv3.HeaderSignature)))
	return &ingestOp{
		k: k, dedupe: "n:" + env.ID, alsoDedupe: []string{"s:" + hex.EncodeToString(sig[:])},
		verified: true, body: body, header: header,
	}, nil
}

// writeXML writes an XML answer.
func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// clip shortens attacker-controlled strings before they are logged.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// handleNotify is WeChat's notify_url: validate, store durably, then
// answer, in the format of the notification's API version (isV3): v2 XML,
// or v3 204 / FAIL JSON.
func (s *Server) handleNotify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("kiosk")
	v3 := isV3(r.Header)
	reject := func(rej *rejection) {
		if v3 {
			s.rejectV3(w, r, id, rej)
			return
		}
		s.reject(w, r, id, rej, nil)
	}
	k := s.lookup(id)
	if k == nil {
		reject(&rejection{reasonUnknownKiosk, http.StatusNotFound, errors.New("no such kiosk")})
		return
	}
	if !s.enter() {
		reject(&rejection{reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down")})
		return
	}
	defer s.leave()
	body, rej := s.readBody(w, r)
	if rej != nil {
		reject(rej)
		return
	}
	var op *ingestOp
	if kc := k.conf.Load(); v3 {
		op, rej = checkV3(k, kc, r.Header, body, s.cfg.Now())
	} else {
		var dedupe string
		var verified bool
		dedupe, verified, rej = checkNotification(kc, body)
		op = &ingestOp{k: k, dedupe: dedupe, verified: verified, body: body}
	}
	if rej != nil {
		reject(rej)
		return
	}
	op.at, op.done = s.cfg.Now().UnixNano(), make(chan ingestResult, 1)
	s.ingestCh <- op
	res := <-op.done // the commit goroutine answers every op, even on failure
	switch {
	case errors.Is(res.err, errQueueFull):
		reject(&rejection{reasonQueueFull, http.StatusServiceUnavailable, res.err})
		return
	case errors.Is(res.err, errUnverifiedFull):
		reject(&rejection{reasonUnverifiedFull, http.StatusServiceUnavailable, res.err})
		return
	case res.err != nil:
		reject(&rejection{reasonStorage, http.StatusInternalServerError, res.err})
		return
	case res.dup:
		s.log.Debug("duplicate notification", "kiosk", id, "v3", v3)
	default:
		s.log.Debug("notification stored", "kiosk", id, "seq", res.seq, "v3", v3)
	}
	if v3 {
		wxpayv3.WriteNotifyOK(w)
		return
	}
	writeXML(w, http.StatusOK, wxpay.NotifyReply(true, "OK"))
}

// handleCallback is the merchant's mode-1 callback URL: forward to the
// kiosk and return its signed reply, or a FAIL within CallbackTimeout.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("kiosk")
	k := s.lookup(id)
	unsigned := func(msg string) []byte {
		return wxpay.Params{"return_code": "FAIL", "return_msg": msg}.EncodeXML()
	}
	if k == nil {
		s.reject(w, r, id, &rejection{reasonUnknownKiosk, http.StatusNotFound, errors.New("no such kiosk")}, unsigned(reasonUnknownKiosk))
		return
	}
	if !s.enter() {
		s.reject(w, r, id, &rejection{reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down")}, unsigned(reasonShutdown))
		return
	}
	defer s.leave()
	body, rej := s.readBody(w, r)
	if rej != nil {
		s.reject(w, r, id, rej, unsigned(rej.reason))
		return
	}
	kc := k.conf.Load()
	var appID, mchID string
	if kc.Key != "" {
		cb, err := wxpay.ParseNativeCallback(body, kc.Key)
		if err != nil {
			rej := classify(err)
			s.reject(w, r, id, rej, unsigned(rej.reason))
			return
		}
		appID, mchID = cb.AppID, cb.MchID
	} else {
		p, err := wxpay.ParseXML(body)
		if err != nil {
			rej := classify(err)
			s.reject(w, r, id, rej, unsigned(rej.reason))
			return
		}
		for _, f := range []string{"appid", "mch_id", "product_id", "sign"} {
			if p.Get(f) == "" {
				s.reject(w, r, id, &rejection{reasonBadMessage, http.StatusBadRequest, fmt.Errorf("%s missing", f)}, unsigned(reasonBadMessage))
				return
			}
		}
		appID, mchID = p.Get("appid"), p.Get("mch_id")
	}
	if rej := checkMerchant(kc, appID, mchID); rej != nil {
		s.reject(w, r, id, rej, unsigned(rej.reason))
		return
	}
	fail := func(result string) {
		s.m.callbacks.inc(result)
		s.log.Warn("mode-1 callback failed", "kiosk", id, "result", result)
		if kc.Key != "" {
			writeXML(w, http.StatusOK, wxpay.NativeCallbackFail(appID, mchID, kc.Key, customerRetryMsg))
			return
		}
		writeXML(w, http.StatusOK, unsigned(customerRetryMsg))
	}
	var reply []byte
	var result string
	switch ss := k.session(); {
	case ss != nil:
		reply, result = ss.call(r.Context(), body, s.cfg.CallbackTimeout)
	case s.shared != nil:
		// The kiosk may be connected to another instance.
		reply, result = s.shared.forwardCallback(r.Context(), id, body, s.cfg.CallbackTimeout)
	default:
		result = callbackOffline
	}
	if result != callbackOK {
		fail(result)
		return
	}
	p, err := wxpay.ParseXML(reply)
	if err == nil && kc.Key != "" {
		err = p.VerifySelf(kc.Key)
	}
	if err != nil {
		s.log.Warn("kiosk sent an unusable mode-1 reply", "kiosk", id, "err", err)
		fail(callbackBadReply)
		return
	}
	s.m.callbacks.inc(callbackOK)
	writeXML(w, http.StatusOK, reply)
}

// handleHealth answers 200 while the relay can read its store.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	if err := s.q.check(); err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// handleMetrics serves the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.m.write(w, len(s.kiosks.Load().byID))
}

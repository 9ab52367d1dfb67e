package wxsim

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

// notifyKey names one notification: an order's payment notification
// (refund == "") or the result notification of one of its refunds.
type notifyKey struct {
	outTradeNo string
	refund     string // out_refund_no
}

// payLocked records a successful payment by openid and schedules its
// notification (delivery starts at once unless startNotifier is false).
func (s *Sim) payLocked(o *Order, openid string, startNotifier bool) {
	now := s.clock.Now()
	o.State = StateSuccess
	o.PaidAt = now
	o.OpenID = openid
	o.BankType = "OTHERS"
	o.TransID = newTransactionID(now)
	s.byTxn[o.TransID] = o.OutTradeNo
	o.Notify = NotifyState{Pending: true, NextAt: now, Nonce: wxpay.NonceStr()}
	s.saveLocked(o)
	if startNotifier {
		s.startNotifierLocked(notifyKey{outTradeNo: o.OutTradeNo})
	}
}

// payBeforeReply is NotifyBeforeReply: a simulated customer pays the new
// order at once and the first notification is delivered synchronously, so
// it reaches the merchant before the unified-order reply does.
func (s *Sim) payBeforeReply(outTradeNo string) {
	k := notifyKey{outTradeNo: outTradeNo}
	s.mu.Lock()
	o := s.orders[outTradeNo]
	if o == nil || o.State != StateNotPay || s.closed {
		s.mu.Unlock()
		return
	}
	s.payLocked(o, newOpenID(), false)
	s.wg.Add(1) // the attempt below must finish before Close returns
	s.mu.Unlock()
	s.attemptNotify(k)
	s.wg.Done()
	s.mu.Lock()
	s.startNotifierLocked(k)
	s.mu.Unlock()
}

// stateLocked returns the delivery state of k, nil when it does not exist.
func (s *Sim) stateLocked(k notifyKey) *NotifyState {
	o := s.orders[k.outTradeNo]
	if o == nil {
		return nil
	}
	if k.refund == "" {
		return &o.Notify
	}
	for i := range o.Refunds {
		if o.Refunds[i].OutRefundNo == k.refund {
			return &o.Refunds[i].Notify
		}
	}
	return nil
}

// startNotifierLocked runs the delivery loop of one notification unless
// one is running already.
func (s *Sim) startNotifierLocked(k notifyKey) {
	if s.notifying[k] || s.closed {
		return
	}
	s.notifying[k] = true
	s.wg.Add(1)
	go s.runNotifier(k)
}

func (s *Sim) runNotifier(k notifyKey) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.notifying, k)
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		st := s.stateLocked(k)
		if st == nil || !st.Pending {
			s.mu.Unlock()
			return
		}
		next, wake := st.NextAt, s.wake
		s.mu.Unlock()
		if wait := next.Sub(s.clock.Now()); wait > 0 {
			select {
			case <-s.clock.After(wait):
			case <-wake: // SettleRefunds moved a refund notification forward
				continue
			case <-s.ctx.Done():
				return
			}
		}
		if s.ctx.Err() != nil {
			return
		}
		s.attemptNotify(k)
	}
}

// paymentBodyLocked builds the signed payment notification of WXPAY_V2.md
// §5, with the sign type of the unified order (sign_type present when not
// MD5).
func (s *Sim) paymentBodyLocked(o *Order) []byte {
	p := paidFields(o)
	p["return_code"] = "SUCCESS"
	p["return_msg"] = "OK"
	p["appid"] = s.cfg.AppID
	p["mch_id"] = s.cfg.MchID
	p["nonce_str"] = o.Notify.Nonce
	p["result_code"] = "SUCCESS"
	st := wxpay.SignType(o.SignType)
	if st == wxpay.SignHMACSHA256 {
		p["sign_type"] = string(st)
	}
	p["sign"] = p.Sign(s.cfg.Key, st)
	return p.EncodeXML()
}

// refundBodyLocked builds a refund result notification (WXPAY_V2.md §4.5):
// appid, mch_id, nonce_str and req_info, the refund's fields as <root> XML
// encrypted with AES-256-ECB (PKCS#7) under the lower-case hex MD5 of the
// API key, Base64-encoded. It carries no sign.
func (s *Sim) refundBodyLocked(o *Order, r *Refund) []byte {
	in := wxpay.Params{
		"transaction_id":        o.TransID,
		"out_trade_no":          o.OutTradeNo,
		"refund_id":             r.RefundID,
		"out_refund_no":         r.OutRefundNo,
		"refund_status":         r.Status,
		"success_time":          billTime(r.SuccessAt),
		"refund_recv_accout":    "支付用户的零钱",
		"refund_account":        "REFUND_SOURCE_UNSETTLED_FUNDS",
		"refund_request_source": "API",
	}
	in.SetInt("total_fee", o.TotalFee)
	in.SetInt("settlement_total_fee", o.TotalFee)
	in.SetInt("refund_fee", r.RefundFee)
	in.SetInt("settlement_refund_fee", r.RefundFee)
	x := string(in.EncodeXML())
	x = "<root>" + strings.TrimSuffix(strings.TrimPrefix(x, "<xml>"), "</xml>") + "</root>"
	outer := wxpay.Params{
		"return_code": "SUCCESS",
		"appid":       s.cfg.AppID,
		"mch_id":      s.cfg.MchID,
		"nonce_str":   r.Notify.Nonce,
		"req_info":    encryptReqInfo([]byte(x), s.cfg.Key),
	}
	return outer.EncodeXML()
}

func encryptReqInfo(plain []byte, key string) string {
	sum := md5.Sum([]byte(key))
	aesKey := []byte(hex.EncodeToString(sum[:]))
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		panic("wxsim: AES-256 key: " + err.Error()) // 32 bytes by construction
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// attemptNotify makes one delivery attempt and records its outcome and the
// next due time per WeChat's schedule.
func (s *Sim) attemptNotify(k notifyKey) {
	s.mu.Lock()
	o := s.orders[k.outTradeNo]
	st := s.stateLocked(k)
	if st == nil || !st.Pending {
		s.mu.Unlock()
		return
	}
	start := s.clock.Now()
	var (
		body   []byte
		target string
		v3     bool
	)
	if k.refund == "" {
		body, target, v3 = s.paymentBodyLocked(o), o.NotifyURL, o.V3
	} else {
		s.settleRefundsLocked(o)
		r := s.refundLocked(o, k.refund)
		if r.Status != RefundSuccess { // settled later than planned: wait for it
			st.NextAt = r.Created.Add(s.scaled(s.cfg.RefundDelay))
			s.mu.Unlock()
			return
		}
		body, target, v3 = s.refundBodyLocked(o, r), r.NotifyURL, r.V3
	}
	var v3tx *wxpayv3.Transaction
	var v3rf *wxpayv3.Refund
	if v3 {
		if k.refund == "" {
			tx := s.transactionV3(o)
			v3tx = &tx
		} else {
			rf := refundV3(o, s.refundLocked(o, k.refund))
			rf.MchID = s.cfg.MchID
			v3rf = &rf
		}
	}
	nonce := st.Nonce
	s.mu.Unlock()
	send := func() error { return s.deliver(target, body) }
	if v3 {
		send = func() error { return s.deliverV3(target, notifyID(nonce), v3tx, v3rf) }
	}

	dropped := s.chance(s.cfg.DropNotifyRate)
	var err error
	if dropped {
		err = fmt.Errorf("dropped (fault injection)")
	} else {
		err = send()
		if s.chance(s.cfg.DuplicateNotifyRate) {
			if derr := send(); err != nil && derr == nil {
				err = nil
			}
		}
	}
	if err != nil && s.ctx.Err() != nil {
		return // aborted by Close: not an attempt; it is made again after a restart
	}

	s.mu.Lock()
	n := s.stateLocked(k)
	if n == nil || !n.Pending { // a concurrent attempt already finished it
		s.mu.Unlock()
		return
	}
	n.Attempts++
	ev := NotifyEvent{OutTradeNo: k.outTradeNo, OutRefundNo: k.refund, Attempt: n.Attempts, Dropped: dropped}
	if err == nil {
		n.Pending, n.Acked, n.LastErr, n.NextAt = false, true, "", start
		ev.Acked, ev.Final = true, true
	} else {
		n.LastErr = err.Error()
		if d, ok := retryDelay(n.Attempts); ok {
			n.NextAt = start.Add(s.scaled(d))
		} else {
			n.Pending, n.GaveUp = false, true
			ev.Final = true
		}
	}
	s.saveLocked(o)
	hook := s.onNotify
	s.mu.Unlock()
	s.log.Info("wxsim: notify", "out_trade_no", k.outTradeNo, "out_refund_no", k.refund, "attempt", ev.Attempt, "acked", ev.Acked, "dropped", dropped, "err", err)
	if hook != nil {
		hook(ev)
	}
}

func (s *Sim) refundLocked(o *Order, outRefundNo string) *Refund {
	for i := range o.Refunds {
		if o.Refunds[i].OutRefundNo == outRefundNo {
			return &o.Refunds[i]
		}
	}
	return nil
}

// deliver POSTs one notification and reports whether the merchant answered
// HTTP 200 with return_code SUCCESS. The reply is decoded with the hardened
// XML decoder; anything else (FAIL, timeout, non-XML) is a failure.
func (s *Sim) deliver(target string, body []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.NotifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("notify post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, wxpay.MaxBodySize))
		return fmt.Errorf("notify reply: HTTP %d", resp.StatusCode)
	}
	p, err := wxpay.DecodeXML(resp.Body, wxpay.MaxBodySize)
	if err != nil {
		return fmt.Errorf("notify reply: %w", err)
	}
	if p["return_code"] != "SUCCESS" {
		return fmt.Errorf("notify reply: return_code=%q return_msg=%q", p["return_code"], p["return_msg"])
	}
	return nil
}

// notifyID turns a notification's nonce into its v3 id, the same for
// every copy of one notification (WeChat's ids are UUIDs).
func notifyID(nonce string) string {
	sum := md5.Sum([]byte(nonce))
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// deliverV3 POSTs one v3 notification (a payment when tx is set, else a
// refund result), encrypted under the APIv3 key and signed now, and
// reports whether the merchant answered 200 or 204; the body of the answer
// is not examined.
func (s *Sim) deliverV3(target, id string, tx *wxpayv3.Transaction, rf *wxpayv3.Refund) error {
	var (
		h    http.Header
		body []byte
		err  error
	)
	if tx != nil {
		h, body, err = s.platform().TransactionNotification(s.cfg.APIv3Key, id, *tx, s.clock.Now())
	} else {
		h, body, err = s.platform().RefundNotification(s.cfg.APIv3Key, id, *rf, s.clock.Now())
	}
	if err != nil {
		return fmt.Errorf("notify build: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.NotifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify request: %w", err)
	}
	maps.Copy(req.Header, h)
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("notify post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, wxpay.MaxBodySize))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("notify reply: HTTP %d", resp.StatusCode)
	}
	return nil
}

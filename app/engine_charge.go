package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ChargeError is a unified order that did not get a QR. The order is durable
// in state created; the cashier can Retry (same out_trade_no and
// parameters) or Cancel it.
type ChargeError struct {
	OutTradeNo string
	Err        error
}

func (e *ChargeError) Error() string {
	return fmt.Sprintf("order %s: WeChat Pay did not issue a QR: %v", e.OutTradeNo, e.Err)
}

func (e *ChargeError) Unwrap() error { return e.Err }

// Charge turns the cart's lines into an order and asks WeChat for its
// payment QR. The order is stored before any network call. On success the
// order is awaiting payment and becomes the current order.
func (e *Engine) Charge(ctx context.Context, lines []Line) (Order, error) {
	return e.charge(ctx, lines, false)
}

func (e *Engine) charge(ctx context.Context, lines []Line, retried bool) (Order, error) {
	e.mu.Lock()
	ready, cur := e.ready, e.current
	e.mu.Unlock()
	if !ready {
		return Order{}, ErrNotReady
	}
	if cur != "" {
		if o, err := e.cfg.Orders.Get(cur); err == nil && o.State.Open() {
			return Order{}, fmt.Errorf("%w: %s", ErrBusy, cur)
		}
	}
	o, err := e.newOrder(lines, 2)
	if err != nil {
		return Order{}, err
	}
	no := o.OutTradeNo
	e.mu.Lock()
	e.current = no
	e.mu.Unlock()
	e.publishOrder(o, nil)
	got, err := e.place(ctx, no, "")
	if errors.Is(err, ErrNumberUsed) && !retried {
		e.Done(no)
		return e.charge(ctx, lines, true)
	}
	return got, err
}

// Retry asks WeChat again for the QR of an order whose unified order
// failed, with the same out_trade_no and parameters.
func (e *Engine) Retry(ctx context.Context, outTradeNo string) (Order, error) {
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		return Order{}, err
	}
	if o.State != StateCreated {
		return o, nil
	}
	return e.place(ctx, outTradeNo, "")
}

// place sends the order's unified order, retrying transient failures with
// backoff and identical parameters, and records the QR. openID is the payer
// for mode-1 orders.
func (e *Engine) place(ctx context.Context, no, openID string) (Order, error) {
	unlock := e.lock(no)
	o, qr, err := e.unifiedOrder(ctx, no, openID)
	if err == nil {
		o, err = e.cfg.Orders.Update(no, func(o *Order) error {
			now := e.clock.Now()
			o.PrepayID, o.CodeURL = qr.PrepayID, qr.CodeURL
			o.CodeURLExpires = now.Add(CodeURLLife)
			if o.QRIssuedAt.IsZero() {
				o.QRIssuedAt = now
			}
			if o.State == StateCreated {
				return o.Move(StateAwaiting, SourceUnifiedOrder, now, "QR issued")
			}
			o.Note(SourceUnifiedOrder, now, "QR issued")
			return nil
		})
	}
	unlock()
	switch {
	case (errors.Is(err, ErrPayAlreadyPaid) || errors.Is(err, ErrPayNumberUsed)) && !o.HasQR():
		// WeChat knows this number from before, and nobody can have paid
		// an order the kiosk never had a QR for: the number was used
		// (a restored backup, a copied kiosk_id). Never a sale.
		return e.collided(no, err)
	case errors.Is(err, ErrPayAlreadyPaid):
		// A re-entry found it paid: learn the transaction.
		o, err = e.settle(ctx, no, SourceUnifiedOrder)
	case err != nil:
		e.log.Warn("unified order failed", "out_trade_no", no, "err", err)
		if o.OutTradeNo == "" {
			o, _ = e.cfg.Orders.Get(no)
		}
		cerr := &ChargeError{OutTradeNo: no, Err: err}
		e.publishOrder(o, cerr)
		e.watch(no)
		return o, cerr
	}
	if err != nil {
		return o, err
	}
	e.publishOrder(o, nil)
	e.watch(no)
	return o, nil
}

// ErrNumberUsed is returned (inside a ChargeError) when WeChat already has
// the order's out_trade_no from an earlier sale. The order is closed and
// flagged, never confirmed; Charge retries once with a new number.
var ErrNumberUsed = errors.New("order number already used at WeChat Pay")

// collided closes an order whose number WeChat already had, flagged for the
// owner.
func (e *Engine) collided(no string, cause error) (Order, error) {
	e.log.Error("order number already used at WeChat Pay", "out_trade_no", no, "err", cause)
	o, err := e.cfg.Orders.Update(no, func(o *Order) error {
		if !o.State.Open() {
			return nil
		}
		o.Flag = FlagNumberCollision
		return o.Move(StateClosed, SourceUnifiedOrder, e.clock.Now(), "ALERT: WeChat Pay already has this order number ("+cause.Error()+"); closed, not a sale")
	})
	if err != nil {
		return o, err
	}
	cerr := &ChargeError{OutTradeNo: no, Err: fmt.Errorf("%w: %w", ErrNumberUsed, cause)}
	e.publishOrder(o, cerr)
	return o, cerr
}

func (e *Engine) unifiedOrder(ctx context.Context, no, openID string) (Order, QR, error) {
	o, err := e.cfg.Orders.Get(no)
	if err != nil {
		return o, QR{}, err
	}
	req := QROrder{
		OutTradeNo:  o.OutTradeNo,
		Total:       o.Total,
		Description: o.Body,
		ProductID:   o.ProductID,
		Attach:      o.KioskID,
		TimeStart:   o.TimeStart,
		TimeExpire:  o.TimeExpire,
		NotifyURL:   o.NotifyURL,
		PayerOpenID: openID,
	}
	backoff := e.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		qr, err := e.cfg.Payments.PlaceQR(ctx, req)
		if err == nil {
			return o, qr, nil
		}
		if !isTransient(err) || attempt >= e.cfg.Attempts || ctx.Err() != nil {
			return o, QR{}, err
		}
		e.log.Info("unified order retry", "out_trade_no", no, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return o, QR{}, ctx.Err()
		case <-e.clock.After(backoff):
		}
		backoff *= 2
	}
}

// RefreshQR gives the customer a fresh QR when the old one ran out. If the
// order can still be paid, its unified order is sent again with identical
// parameters (WeChat issues a new code_url); if its time_expire has passed,
// the old order is closed and a new order with the same lines is charged.
func (e *Engine) RefreshQR(ctx context.Context, outTradeNo string) (Order, error) {
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		return Order{}, err
	}
	if o.State.Paid() {
		return o, nil
	}
	if o.State == StateAwaiting && e.clock.Now().Add(minExpire).Before(o.TimeExpire) {
		return e.place(ctx, outTradeNo, "")
	}
	if o.State.Open() {
		if o, err = e.cancel(ctx, outTradeNo, SourceCashier); err != nil {
			return o, err
		}
		if o.State.Paid() {
			return o, nil
		}
	}
	e.Done(outTradeNo)
	return e.Charge(ctx, o.Lines)
}

// Cancel takes an order off the Pay screen and closes it with WeChat. It
// queries first: an order already paid becomes paid, not cancelled. Inside
// WeChat's first 5 minutes the close is scheduled for when it is allowed;
// the QR is gone from the screen at once either way. A payment that still
// lands is recorded as paid after cancel and flagged.
func (e *Engine) Cancel(ctx context.Context, outTradeNo string) (Order, error) {
	o, err := e.cancel(ctx, outTradeNo, SourceCashier)
	if err == nil || o.State == StateCancelPending {
		// Pending: the close is retried in the background.
		err = nil
	}
	return o, err
}

func (e *Engine) cancel(ctx context.Context, no string, src Source) (Order, error) {
	if o, err := e.cfg.Orders.Get(no); err == nil && o.Mode == ModePayCode {
		return e.cancelCode(no, src)
	}
	o, err := e.settle(ctx, no, src)
	if err != nil && !isTransient(err) {
		return o, err
	}
	if !o.State.Open() {
		return o, nil
	}
	if o.State != StateCancelPending {
		o, err = e.cfg.Orders.Update(no, func(o *Order) error {
			if o.State == StateCancelPending || !o.State.Open() {
				return nil
			}
			return o.Move(StateCancelPending, src, e.clock.Now(), "cancelled")
		})
		if err != nil {
			return o, err
		}
		e.publishOrder(o, nil)
	}
	o, err = e.tryClose(ctx, no)
	e.watch(no)
	return o, err
}

// tryClose closes a cancel-pending order if WeChat allows it yet.
func (e *Engine) tryClose(ctx context.Context, no string) (Order, error) {
	unlock := e.lock(no)
	defer unlock()
	o, err := e.cfg.Orders.Get(no)
	if err != nil || o.State != StateCancelPending {
		return o, err
	}
	now := e.clock.Now()
	if o.CodeURL == "" && o.PrepayID == "" {
		// Never reached WeChat as far as we know; close only if WeChat
		// agrees it does not exist.
		if _, qerr := e.cfg.Payments.Query(ctx, no); errors.Is(qerr, ErrPayNotFound) {
			return e.finish(no, StateClosed, SourceClose, "closed: never reached WeChat Pay")
		}
	}
	if now.Before(closeAllowedAt(o)) {
		return o, nil // the watcher closes it when allowed
	}
	err = e.cfg.Payments.Close(ctx, no)
	switch {
	case err == nil, errors.Is(err, ErrPayClosed), errors.Is(err, ErrPayNotFound):
		to := StateClosed
		if !now.Before(o.TimeExpire) {
			to = StateExpired
		}
		return e.finish(no, to, SourceClose, "closed with WeChat Pay")
	case errors.Is(err, ErrPayAlreadyPaid):
		// Paid after all: learn the transaction (lock already held).
		return e.settleLocked(ctx, no, SourceClose, false)
	default:
		e.log.Warn("close order", "out_trade_no", no, "err", err)
		return o, fmt.Errorf("closing %s: %w", no, err)
	}
}

// closeAllowedAt is when WeChat lets an order be closed: 5 minutes after
// it created the order (at the first QR, or at the kiosk's creation if none
// came back), with a margin.
func closeAllowedAt(o Order) time.Time {
	base := o.CreatedAt
	if o.QRIssuedAt.After(base) {
		base = o.QRIssuedAt
	}
	return base.Add(closeDelay)
}

// finish moves an order to a final unpaid state.
func (e *Engine) finish(no string, to State, src Source, note string) (Order, error) {
	o, err := e.cfg.Orders.Update(no, func(o *Order) error {
		if o.State == to || !o.State.Open() {
			return nil
		}
		return o.Move(to, src, e.clock.Now(), note)
	})
	if err == nil {
		e.publishOrder(o, nil)
	}
	return o, err
}

// settle queries one order and applies WeChat's answer.
func (e *Engine) settle(ctx context.Context, no string, src Source) (Order, error) {
	unlock := e.lock(no)
	defer unlock()
	return e.settleLocked(ctx, no, src, true)
}

func (e *Engine) settleLocked(ctx context.Context, no string, src Source, openOnly bool) (Order, error) {
	o, err := e.cfg.Orders.Get(no)
	if err != nil || (openOnly && !o.State.Open()) {
		return o, err
	}
	q, err := e.cfg.Payments.Query(ctx, no)
	switch {
	case errors.Is(err, ErrPayNotFound):
		if o.State == StateCreated && src == SourceStartup {
			return e.finish(no, StateClosed, src, "closed: never reached WeChat Pay")
		}
		return o, nil
	case err != nil:
		return o, fmt.Errorf("query %s: %w", no, err)
	}
	now := e.clock.Now()
	switch q.State {
	case PayPaid, PayRefunded:
		csrc := SourceQuery
		if src == SourceStartup {
			csrc = SourceStartup
		}
		var out ConfirmOutcome
		o, out, err = e.confirm(Confirmation{OutTradeNo: no, TransactionID: q.TransactionID, TotalFee: q.Total,
			TimeEnd: q.PaidAt, OpenID: q.Payer, Source: csrc})
		if err == nil && out == NumberCollision || (out == AlreadyPaid && o.Flag == FlagNumberCollision && o.State.Open()) {
			// WeChat's payment under this number is another order's:
			// this one can never be paid.
			return e.finish(no, StateClosed, SourceQuery, "closed: WeChat Pay's payment under this number is an earlier order's")
		}
		return o, err
	case PayClosed, PayRevoked:
		to := StateClosed
		switch {
		case o.State == StateAwaiting:
			to = StateExpired
		case o.State == StateCancelPending && !now.Before(o.TimeExpire):
			to = StateExpired
		}
		return e.finish(no, to, SourceQuery, "WeChat Pay reports "+string(q.State))
	}
	// NOTPAY, USERPAYING, PAYERROR, ACCEPT: still open — the customer can
	// still pay the QR, so the order is never final before WeChat says
	// closed or a close succeeds. Expire an awaiting order whose time is up
	// (the watcher then closes it).
	if o.State == StateAwaiting && !now.Before(o.TimeExpire) {
		o, err = e.cfg.Orders.Update(no, func(o *Order) error {
			if o.State != StateAwaiting {
				return nil
			}
			return o.Move(StateCancelPending, SourceSystem, now, "QR expired unpaid")
		})
		if err == nil {
			e.publishOrder(o, nil)
		}
	}
	return o, err
}

// pollInterval is how long a watcher waits before the next order query:
// every 2 s in the first minute, then backing off to 30 s; never more than
// 5 s while the relay link is down, since no notification will come.
func pollInterval(age time.Duration, link LinkState) time.Duration {
	var d time.Duration
	switch {
	case age < time.Minute:
		d = 2 * time.Second
	case age < 5*time.Minute:
		d = 5 * time.Second
	case age < 30*time.Minute:
		d = 15 * time.Second
	default:
		d = 30 * time.Second
	}
	if link != LinkConnected {
		d = min(d, 5*time.Second)
	}
	return d
}

// watch starts (once) the goroutine that settles an open order: polling,
// expiry, scheduled closes (or, for a payment code, query and reverse). It
// stops when the order is final.
func (e *Engine) watch(no string) {
	e.startWatcher(no, func(ctx context.Context, wake <-chan struct{}) {
		defer e.forget(no)
		if o, err := e.cfg.Orders.Get(no); err == nil && o.Mode == ModePayCode {
			e.watchCode(ctx, no, wake)
			return
		}
		e.watchLoop(ctx, no, wake)
	})
}

// startWatcher runs loop once per key in its own goroutine, with a wake
// channel (SetLink and wake use it to make it ask WeChat now), until loop
// returns or Start's context ends.
func (e *Engine) startWatcher(key string, loop func(ctx context.Context, wake <-chan struct{})) {
	e.mu.Lock()
	if _, ok := e.watchers[key]; ok {
		e.mu.Unlock()
		return
	}
	wake := make(chan struct{}, 1)
	e.watchers[key] = wake
	ctx := e.ctx
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer func() {
			e.mu.Lock()
			delete(e.watchers, key)
			e.mu.Unlock()
		}()
		loop(ctx, wake)
	}()
}

func (e *Engine) watchLoop(ctx context.Context, no string, wake <-chan struct{}) {
	for {
		o, err := e.cfg.Orders.Get(no)
		if err != nil || !o.State.Open() {
			return
		}
		e.mu.Lock()
		link := e.link
		e.mu.Unlock()
		now := e.clock.Now()
		wait := pollInterval(now.Sub(o.CreatedAt), link)
		switch o.State {
		case StateCancelPending:
			if at := closeAllowedAt(o); now.Before(at) {
				wait = min(wait, at.Sub(now))
			}
		case StateAwaiting:
			if left := o.TimeExpire.Sub(now); left > 0 {
				wait = min(wait, left)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-e.clock.After(wait):
		}
		o, err = e.settle(ctx, no, SourceQuery)
		if err != nil {
			e.log.Debug("poll", "out_trade_no", no, "err", err)
			continue
		}
		if o.State == StateCancelPending {
			if _, err := e.tryClose(ctx, no); err != nil {
				e.log.Debug("close", "out_trade_no", no, "err", err)
			}
		}
	}
}

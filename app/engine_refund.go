package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrRefundPending is returned when a new refund is asked for an order
// that has a refund whose outcome WeChat has not told yet: the kiosk checks
// (and if needed resends) that refund first, so money never goes back twice.
var ErrRefundPending = errors.New("an earlier refund is still waiting for WeChat Pay's answer")

// ErrRefundUnknown is returned when a refund was sent but WeChat's answer
// was lost (timeout, network, SYSTEMERROR). The refund is kept pending with
// its out_refund_no; the engine asks WeChat and resends the same request
// until it has an answer. It is never a reason to refund again.
var ErrRefundUnknown = errors.New("refund sent, WeChat Pay's answer not received yet")

// Refund returns amount of a paid order to the payer. The refund intent is
// stored (pending, with its own out_refund_no) before WeChat is asked; if
// the answer is lost the same out_refund_no and amount are resent later, and
// WeChat refunds one out_refund_no once. A refund counts as money returned
// only when WeChat reports it succeeded.
func (e *Engine) Refund(ctx context.Context, outTradeNo string, amount Fen, reason string) (Order, error) {
	unlock := e.lock(outTradeNo)
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		unlock()
		return o, err
	}
	for _, r := range o.Refunds {
		if r.State == RefundPending {
			unlock()
			return o, fmt.Errorf("refund %s of %s: %w", r.OutRefundNo, r.Amount, ErrRefundPending)
		}
	}
	if !o.State.Paid() {
		unlock()
		return o, fmt.Errorf("refund %s: %w", outTradeNo, ErrNotPaid)
	}
	if amount <= 0 || amount > o.Refundable() {
		unlock()
		return o, fmt.Errorf("refund %s of %s (refundable %s): %w", outTradeNo, amount, o.Refundable(), ErrRefundTooLarge)
	}
	r := Refund{OutRefundNo: fmt.Sprintf("%s-R%d", outTradeNo, len(o.Refunds)+1), Amount: amount,
		Reason: truncate(reason, 80), State: RefundPending}
	o, err = e.cfg.Orders.Update(outTradeNo, func(o *Order) error { return o.AddRefund(r, e.clock.Now()) })
	if err != nil {
		unlock()
		return o, err
	}
	e.publishOrder(o, nil)
	o, err = e.sendRefundLocked(ctx, outTradeNo, r.OutRefundNo)
	unlock()
	e.followRefunds(outTradeNo)
	return o, err
}

// RetryRefund asks WeChat about a refund whose answer was lost and resends
// it unchanged (same out_refund_no and amount) if WeChat never got it. It
// is what the owner's "check with WeChat" does; the engine does the same on
// its own schedule.
func (e *Engine) RetryRefund(ctx context.Context, outTradeNo string) (Order, error) {
	o, err := e.RefreshRefunds(ctx, outTradeNo)
	if err == nil {
		e.followRefunds(outTradeNo)
	}
	return o, err
}

// sendRefundLocked sends the stored refund outRefundNo with its stored
// parameters and records the answer. The order's lock is held.
func (e *Engine) sendRefundLocked(ctx context.Context, no, outRefundNo string) (Order, error) {
	o, err := e.cfg.Orders.Get(no)
	if err != nil {
		return o, err
	}
	r, ok := o.refund(outRefundNo)
	if !ok {
		return o, fmt.Errorf("order %s has no refund %s", no, outRefundNo)
	}
	if r.State != RefundPending {
		return o, nil
	}
	res, err := e.cfg.Payments.Refund(ctx, RefundRequest{OutTradeNo: no, TransactionID: o.TransactionID,
		OutRefundNo: r.OutRefundNo, Total: o.Total, Amount: r.Amount, Reason: r.Reason, NotifyURL: o.NotifyURL})
	switch {
	case err == nil:
		st := res.State
		if st == "" || st == RefundPending {
			st = RefundProcessing
		}
		return e.setRefund(no, outRefundNo, res.RefundID, st, "accepted by WeChat Pay")
	case isTransient(err):
		e.log.Warn("refund answer lost", "out_refund_no", outRefundNo, "err", err)
		return o, fmt.Errorf("refund %s: %w: %w", outRefundNo, ErrRefundUnknown, err)
	}
	// A definite refusal. It may still be the answer to a resend of a
	// refund WeChat accepted before (its reply lost): only WeChat's word
	// that the refund does not exist makes it failed.
	got, qerr := e.cfg.Payments.RefundStatus(ctx, no, outRefundNo)
	switch {
	case errors.Is(qerr, ErrPayRefundNotFound):
		o, uerr := e.setRefund(no, outRefundNo, "", RefundFailed, "refused by WeChat Pay: "+err.Error())
		if uerr != nil {
			return o, uerr
		}
		return o, fmt.Errorf("refund %s: %w", outRefundNo, err)
	case qerr != nil:
		return o, fmt.Errorf("refund %s refused (%w), and checking it failed: %w", outRefundNo, err, ErrRefundUnknown)
	}
	return e.setRefund(no, outRefundNo, got.RefundID, got.State, "WeChat Pay reports "+string(got.State))
}

// setRefund records a refund's new state durably and tells the screens.
func (e *Engine) setRefund(no, outRefundNo, refundID string, st RefundState, note string) (Order, error) {
	o, err := e.cfg.Orders.Update(no, func(o *Order) error {
		err := o.SetRefundState(outRefundNo, refundID, st, e.clock.Now())
		if errors.Is(err, ErrRefundFinal) {
			o.Note(SourceRefund, e.clock.Now(), fmt.Sprintf("ALERT: refund %s: %s after a final outcome", outRefundNo, note))
			return nil
		}
		return err
	})
	if err != nil {
		return o, fmt.Errorf("refund %s: %w", outRefundNo, err)
	}
	e.publishOrder(o, nil)
	return o, nil
}

// refund finds a refund by out_refund_no.
func (o *Order) refund(outRefundNo string) (Refund, bool) {
	for _, r := range o.Refunds {
		if r.OutRefundNo == outRefundNo {
			return r, true
		}
	}
	return Refund{}, false
}

// refundFollowUp is how long the engine waits before asking WeChat again
// about a refund without a final outcome: soon at first (a lost answer is
// resent within seconds), then backing off; bank cards can take days.
func refundFollowUp(attempt int) time.Duration {
	steps := []time.Duration{5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
		5 * time.Minute, 15 * time.Minute, time.Hour}
	if attempt < len(steps) {
		return steps[attempt]
	}
	return 6 * time.Hour
}

// followRefunds starts (once per order) the goroutine that asks WeChat
// about the order's unsettled refunds until every one is final, resending a
// refund WeChat never received.
func (e *Engine) followRefunds(no string) {
	e.startWatcher("refund:"+no, func(ctx context.Context, wake <-chan struct{}) {
		for attempt := 0; ; attempt++ {
			o, err := e.cfg.Orders.Get(no)
			if err != nil || !o.refundsUnsettled() {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-e.clock.After(refundFollowUp(attempt)):
			}
			if _, err := e.RefreshRefunds(ctx, no); err != nil {
				e.log.Debug("refund follow-up", "out_trade_no", no, "err", err)
			}
		}
	})
}

// refundsUnsettled reports whether a refund of o still needs WeChat's word.
func (o *Order) refundsUnsettled() bool {
	for _, r := range o.Refunds {
		if r.State == RefundPending || r.State == RefundProcessing {
			return true
		}
	}
	return false
}

// RefreshRefunds asks WeChat how an order's refunds went and records it: a
// refund WeChat never received is sent again unchanged, and a refund WeChat
// has that the ledger lacks (a ledger restored from a backup) is added.
func (e *Engine) RefreshRefunds(ctx context.Context, outTradeNo string) (Order, error) {
	unlock := e.lock(outTradeNo)
	defer unlock()
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		return o, err
	}
	known, err := e.cfg.Payments.Refunds(ctx, outTradeNo)
	switch {
	case errors.Is(err, ErrPayRefundNotFound):
		// WeChat has no refund of this order: every pending one is resent.
	case errors.Is(err, ErrPayUnsupported):
		// No list per order (API v3): ask about each unsettled refund.
		known = nil
		for _, r := range o.Refunds {
			if r.State != RefundPending && r.State != RefundProcessing {
				continue
			}
			res, err := e.cfg.Payments.RefundStatus(ctx, outTradeNo, r.OutRefundNo)
			switch {
			case errors.Is(err, ErrPayRefundNotFound):
				continue // never received: resent below if pending
			case err != nil:
				return o, fmt.Errorf("refund query %s: %w", r.OutRefundNo, err)
			}
			known = append(known, res)
		}
	case err != nil:
		return o, fmt.Errorf("refund query %s: %w", outTradeNo, err)
	}
	listed := map[string]bool{}
	if len(known) > 0 {
		now := e.clock.Now()
		o, err = e.cfg.Orders.Update(outTradeNo, func(o *Order) error {
			for _, ri := range known {
				listed[ri.OutRefundNo] = true
				if _, ok := o.refund(ri.OutRefundNo); !ok {
					o.Refunds = append(o.Refunds, Refund{OutRefundNo: ri.OutRefundNo, RefundID: ri.RefundID,
						Amount: ri.Amount, State: RefundProcessing, CreatedAt: now, UpdatedAt: now})
					o.Note(SourceRefund, now, fmt.Sprintf("refund %s of %s found at WeChat Pay, missing from the ledger",
						ri.OutRefundNo, ri.Amount))
				}
				if err := o.SetRefundState(ri.OutRefundNo, ri.RefundID, ri.State, now); err != nil && !errors.Is(err, ErrRefundFinal) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return o, fmt.Errorf("refund query %s: %w", outTradeNo, err)
		}
		e.publishOrder(o, nil)
	}
	var firstErr error
	for _, r := range o.Refunds {
		if r.State == RefundPending && !listed[r.OutRefundNo] {
			if o, err = e.sendRefundLocked(ctx, outTradeNo, r.OutRefundNo); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	return o, firstErr
}

// applyRefundEvent records a verified refund notification.
func (e *Engine) applyRefundEvent(n RefundEvent) (Order, error) {
	o, err := e.cfg.Orders.Get(n.OutTradeNo)
	if errors.Is(err, ErrNotFound) {
		return o, fmt.Errorf("%w: refund notification for unknown order %s", ErrRejected, n.OutTradeNo)
	} else if err != nil {
		return o, err
	}
	r, ok := o.refund(n.OutRefundNo)
	if !ok {
		// Not ours to add from a notification alone: the follow-up's
		// refund query records refunds missing from the ledger.
		return o, fmt.Errorf("%w: refund notification for unknown refund %s", ErrRejected, n.OutRefundNo)
	}
	if n.Amount != r.Amount {
		return o, fmt.Errorf("%w: refund notification %s for %s, ledger has %s", ErrRejected, n.OutRefundNo, n.Amount, r.Amount)
	}
	return e.setRefund(n.OutTradeNo, n.OutRefundNo, n.RefundID, n.State, "refund notification")
}

// Resolve records the owner's word on an order needing attention — goods
// handed over to a customer who paid after cancel, an alert explained — and
// clears its flag. The note is kept in the order's history.
func (e *Engine) Resolve(outTradeNo, note string) (Order, error) {
	o, err := e.cfg.Orders.Update(outTradeNo, func(o *Order) error {
		return o.Resolve(SourceCashier, e.clock.Now(), note)
	})
	if err != nil {
		return o, fmt.Errorf("resolve %s: %w", outTradeNo, err)
	}
	e.publishOrder(o, nil)
	return o, nil
}

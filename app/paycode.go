package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ModePayCode is the Order.Mode of a sale paid with the customer's payment
// code (付款码, WeChat's micropay): the cashier scans the code from the
// customer's phone.
const ModePayCode = 3

// CodePay is 付款码 checkout: the cashier scans the customer's payment code.
// WeChat's payment-code API is v2 only (v3 merchants use it with their v2
// key). Query and Reverse go through the same API as the payment.
type CodePay interface {
	// PayCode charges an order with the customer's code. nil means paid.
	// ErrPayUserPaying: the customer is entering the password; ask Query.
	// ErrPayUnknown: the outcome is unknown; ask Query, never assume. A
	// *CodeRefusedError is a definite refusal: no money moved.
	PayCode(ctx context.Context, o CodeOrder) (Payment, error)
	// QueryCode reports a payment-code order's state.
	QueryCode(ctx context.Context, outTradeNo string) (Payment, error)
	// Reverse cancels a payment-code order, returning the money if it was
	// taken. recall means WeChat asks to call again.
	Reverse(ctx context.Context, outTradeNo string) (recall bool, err error)
}

// CodeOrder is a payment-code charge.
type CodeOrder struct {
	OutTradeNo  string
	Total       Fen
	Description string
	Attach      string
	AuthCode    string // the 18 digits scanned from the customer's phone
}

// ErrPayUserPaying is returned (wrapped) by CodePay.PayCode while the
// customer enters the password.
var ErrPayUserPaying = errors.New("customer is entering the payment password")

// ErrBadPayCode is returned when a scanned code is not a WeChat payment
// code (18 digits starting 10–15).
var ErrBadPayCode = errors.New("not a WeChat payment code")

// CodeRefusedError is WeChat's definite refusal of a payment code: the
// code is invalid or expired, the balance is short, the card unsupported.
// No money moved; the cashier can scan again or take another payment.
type CodeRefusedError struct {
	// Code is WeChat's err_code: AUTH_CODE_INVALID, AUTHCODEEXPIRE,
	// NOTENOUGH, NOTSUPORTCARD, BUYER_MISMATCH, … The screens translate it.
	Code string
	Err  error
}

func (e *CodeRefusedError) Error() string {
	return fmt.Sprintf("payment code refused (%s): %v", e.Code, e.Err)
}

func (e *CodeRefusedError) Unwrap() error { return e.Err }

// IsPayCode reports whether s looks like a WeChat payment code: 18 digits
// starting 10–15.
func IsPayCode(s string) bool {
	if len(s) != 18 || s[0] != '1' || s[1] < '0' || s[1] > '5' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// payCodeWait is how long the kiosk waits for a customer entering the
// password before it gives up and reverses (WeChat suggests about 30 s).
const payCodeWait = 30 * time.Second

// payCodePoll is how often a payment-code order is asked about while the
// customer enters the password.
const payCodePoll = 3 * time.Second

// ChargeCode charges the cart's lines with the customer's payment code.
// The order is durable before WeChat is asked. On a definite refusal the
// order is closed and a *CodeRefusedError returned (the cart is the
// cashier's to keep). While the customer enters the password the order
// waits (awaiting) and is followed in the background: paid, or at the end
// of the wait reversed so the customer is never charged for a sale the
// kiosk abandoned. An open QR order on the Pay screen is cancelled first:
// the customer pays one way.
func (e *Engine) ChargeCode(ctx context.Context, lines []Line, authCode string) (Order, error) {
	if e.cfg.CodePay == nil {
		return Order{}, fmt.Errorf("payment code: %w", ErrPayUnsupported)
	}
	if !IsPayCode(authCode) {
		return Order{}, ErrBadPayCode
	}
	e.mu.Lock()
	ready, cur := e.ready, e.current
	e.mu.Unlock()
	if !ready {
		return Order{}, ErrNotReady
	}
	if cur != "" {
		o, err := e.cfg.Orders.Get(cur)
		switch {
		case err == nil && o.State.Open() && o.Mode == ModePayCode:
			return Order{}, fmt.Errorf("%w: %s", ErrBusy, cur)
		case err == nil && o.State.Open():
			// The customer pays by code instead of the QR on screen.
			if o, err = e.cancel(ctx, cur, SourceCashier); err != nil && o.State != StateCancelPending {
				return o, fmt.Errorf("closing the QR order %s: %w", cur, err)
			}
			if o.State.Paid() {
				return o, fmt.Errorf("%w: the QR order %s was paid", ErrBusy, cur)
			}
			e.Done(cur)
		}
	}
	o, err := e.newOrder(lines, ModePayCode)
	if err != nil {
		return Order{}, err
	}
	no := o.OutTradeNo
	e.mu.Lock()
	e.current = no
	e.mu.Unlock()
	e.publishOrder(o, nil)

	unlock := e.lock(no)
	p, err := e.cfg.CodePay.PayCode(ctx, CodeOrder{OutTradeNo: no, Total: o.Total, Description: o.Body,
		Attach: o.KioskID, AuthCode: authCode})
	unlock()
	var refused *CodeRefusedError
	switch {
	case err == nil:
		o, _, err = e.confirm(Confirmation{OutTradeNo: no, TransactionID: p.TransactionID, TotalFee: p.Total,
			TimeEnd: p.PaidAt, OpenID: p.Payer, Source: SourcePayCode})
		return o, err
	case errors.As(err, &refused):
		o, ferr := e.finish(no, StateClosed, SourcePayCode, "payment code refused: "+refused.Code)
		if ferr != nil {
			return o, ferr
		}
		e.publishOrder(o, err)
		return o, err
	}
	// USERPAYING, SYSTEMERROR, BANKERROR or a lost answer: WeChat decides;
	// the kiosk asks until it knows, and reverses if the wait runs out.
	note := "outcome unknown: " + err.Error()
	if errors.Is(err, ErrPayUserPaying) {
		note = "customer entering the password"
	}
	o, uerr := e.cfg.Orders.Update(no, func(o *Order) error {
		if o.State != StateCreated {
			return nil
		}
		return o.Move(StateAwaiting, SourcePayCode, e.clock.Now(), note)
	})
	if uerr != nil {
		return o, uerr
	}
	e.publishOrder(o, nil)
	e.watch(no)
	return o, nil
}

// newOrder stores a new order of lines (state created) before any network
// call.
func (e *Engine) newOrder(lines []Line, mode int) (Order, error) {
	if len(lines) == 0 {
		return Order{}, ErrEmptyCart
	}
	for _, l := range lines {
		if l.Qty <= 0 || l.Qty > MaxLineQty || l.UnitPrice <= 0 {
			return Order{}, fmt.Errorf("line %s: %w", l.ProductID, ErrBadAmount)
		}
	}
	total := LinesTotal(lines)
	if total <= 0 || total > maxFee {
		return Order{}, fmt.Errorf("total %s: %w", total, ErrBadAmount)
	}
	now := e.clock.Now()
	no, err := e.cfg.Orders.NextOutTradeNo(e.cfg.KioskID, now)
	if err != nil {
		return Order{}, fmt.Errorf("charge: %w", err)
	}
	o := Order{
		OutTradeNo: no,
		KioskID:    e.cfg.KioskID,
		Lines:      append([]Line(nil), lines...),
		Total:      total,
		Body:       orderBody(e.cfg.Shop, lines),
		ProductID:  no,
		Mode:       mode,
		State:      StateCreated,
		CreatedAt:  now,
		TimeStart:  now.Truncate(time.Second),
		TimeExpire: now.Truncate(time.Second).Add(e.cfg.QRLifetime),
		NotifyURL:  e.cfg.NotifyURL,
	}
	o.Note(SourceCashier, now, fmt.Sprintf("charged %s for %d lines", total, len(lines)))
	if err := e.cfg.Orders.Create(o); err != nil {
		return Order{}, fmt.Errorf("charge: storing order: %w", err)
	}
	return o, nil
}

// watchCode follows a payment-code order to a final state: asked about
// every few seconds while the customer enters the password; paid, or —
// refused, failed, or still undecided when the wait runs out — reversed
// until WeChat confirms the reversal.
func (e *Engine) watchCode(ctx context.Context, no string, wake <-chan struct{}) {
	backoff := payCodePoll
	for {
		o, err := e.cfg.Orders.Get(no)
		if err != nil || !o.State.Open() {
			return
		}
		wait := payCodePoll
		if o.State == StateCancelPending {
			wait = backoff
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-e.clock.After(wait):
		}
		if _, err := e.settleCode(ctx, no); err != nil {
			e.log.Debug("payment code", "out_trade_no", no, "err", err)
			backoff = min(backoff*2, time.Minute)
			continue
		}
		backoff = payCodePoll
	}
}

// settleCode asks WeChat about a payment-code order once and acts: paid →
// confirmed; refused or out of time → reversal started (cancel_pending);
// a reversal in progress → reverse again.
func (e *Engine) settleCode(ctx context.Context, no string) (Order, error) {
	unlock := e.lock(no)
	defer unlock()
	o, err := e.cfg.Orders.Get(no)
	if err != nil || !o.State.Open() {
		return o, err
	}
	p, err := e.cfg.CodePay.QueryCode(ctx, no)
	switch {
	case errors.Is(err, ErrPayNotFound):
		p = Payment{State: PayClosed} // never reached WeChat: reverse to be sure, then closed
	case err != nil && o.State != StateCancelPending:
		if e.clock.Now().Before(o.CreatedAt.Add(payCodeWait)) {
			return o, fmt.Errorf("query %s: %w", no, err)
		}
		p = Payment{State: PayOpen} // out of time, still unknown: reverse
	case err != nil:
		p = Payment{State: PayOpen}
	}
	switch p.State {
	case PayPaid, PayRefunded:
		o, _, err = e.confirm(Confirmation{OutTradeNo: no, TransactionID: p.TransactionID, TotalFee: p.Total,
			TimeEnd: p.PaidAt, OpenID: p.Payer, Source: SourceQuery})
		return o, err
	case PayPaying, PayOpen:
		if o.State == StateAwaiting && e.clock.Now().Before(o.CreatedAt.Add(payCodeWait)) {
			return o, nil // the customer is still entering the password
		}
	}
	// Failed, closed, revoked or out of time: reverse, so the customer is
	// never charged for a sale the kiosk gave up.
	if o.State != StateCancelPending {
		o, err = e.cfg.Orders.Update(no, func(o *Order) error {
			if o.State == StateCancelPending || !o.State.Open() {
				return nil
			}
			return o.Move(StateCancelPending, SourcePayCode, e.clock.Now(), "payment code "+string(p.State)+": reversing")
		})
		if err != nil {
			return o, err
		}
		e.publishOrder(o, nil)
	}
	recall, err := e.cfg.CodePay.Reverse(ctx, no)
	switch {
	case errors.Is(err, ErrPayNotFound):
	case err != nil:
		return o, fmt.Errorf("reverse %s: %w", no, err)
	case recall:
		e.log.Info("reverse: WeChat asks to call again", "out_trade_no", no)
		return o, nil // still cancel_pending: the watcher calls again soon
	}
	return e.finish(no, StateClosed, SourcePayCode, "reversed with WeChat Pay")
}

// cancelCode gives up a payment-code order: it is reversed with WeChat in
// the background (the customer gets any money back), or confirmed if it
// turns out paid first.
func (e *Engine) cancelCode(no string, src Source) (Order, error) {
	o, err := e.cfg.Orders.Update(no, func(o *Order) error {
		if !o.State.Open() || o.State == StateCancelPending {
			return nil
		}
		return o.Move(StateCancelPending, src, e.clock.Now(), "cancelled: reversing the payment code")
	})
	if err != nil {
		return o, err
	}
	e.publishOrder(o, nil)
	e.watch(no)
	e.wake(no)
	return o, nil
}

package app

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// State is where an order is in its life.
//
//	created ──► awaiting ──► paid ──► partially_refunded ──► refunded
//	   │            │  ▲(refresh)
//	   └──► cancel_pending ──► closed | expired
//	                 │            │
//	                 └────────────┴──► paid_after_cancel (flagged for refund)
//
// An order also goes straight from created or awaiting to paid, from
// awaiting to expired when WeChat reports it closed after its time_expire,
// and from created or awaiting to closed when WeChat reports the number as an
// earlier order's (a number collision, never a sale).
type State string

// The order states. Created, Awaiting and CancelPending are open: the engine
// keeps settling them, at start-up too. The others are final for payment
// (refunds still move paid orders along).
const (
	StateCreated           State = "created"
	StateAwaiting          State = "awaiting"
	StatePaid              State = "paid"
	StateCancelPending     State = "cancel_pending"
	StateClosed            State = "closed"
	StateExpired           State = "expired"
	StatePaidAfterCancel   State = "paid_after_cancel"
	StatePartiallyRefunded State = "partially_refunded"
	StateRefunded          State = "refunded"
)

// Open reports whether s still needs settling with WeChat.
func (s State) Open() bool {
	return s == StateCreated || s == StateAwaiting || s == StateCancelPending
}

// Paid reports whether money was received for an order in state s (whether
// or not it was later refunded).
func (s State) Paid() bool {
	switch s {
	case StatePaid, StatePaidAfterCancel, StatePartiallyRefunded, StateRefunded:
		return true
	}
	return false
}

var transitions = map[State][]State{
	StateCreated:           {StateAwaiting, StatePaid, StateCancelPending, StateClosed},
	StateAwaiting:          {StateAwaiting, StatePaid, StateCancelPending, StateExpired, StateClosed},
	StateCancelPending:     {StateClosed, StateExpired, StatePaidAfterCancel},
	StateClosed:            {StatePaidAfterCancel},
	StateExpired:           {StatePaidAfterCancel},
	StatePaid:              {StatePartiallyRefunded, StateRefunded},
	StatePaidAfterCancel:   {StatePartiallyRefunded, StateRefunded},
	StatePartiallyRefunded: {StatePartiallyRefunded, StateRefunded},
}

// CanTransition reports whether from → to is a legal move.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Source says where a piece of news about an order came from.
type Source string

// The sources of order events.
const (
	SourceCashier      Source = "cashier"
	SourceNotification Source = "notification"
	SourceQuery        Source = "query"
	SourceClose        Source = "close"
	SourceUnifiedOrder Source = "unifiedorder"
	SourceStartup      Source = "startup"
	SourceSystem       Source = "system"
	SourceRefund       Source = "refund"
	SourcePayCode      Source = "paycode"
)

// Flag marks an order the owner must look at.
type Flag string

// The flags an order can carry.
const (
	FlagNone Flag = ""
	// FlagPaidAfterCancel: the customer paid after the cashier cancelled or
	// the QR expired; the money is in and should be refunded or honoured.
	FlagPaidAfterCancel Flag = "paid_after_cancel"
	// FlagAmountMismatch: a confirmation reported a different amount than
	// the order's total; it was not recorded as a sale.
	FlagAmountMismatch Flag = "amount_mismatch"
	// FlagConflictingPayment: a second, different transaction_id was
	// reported for an order already paid.
	FlagConflictingPayment Flag = "conflicting_payment"
	// FlagNumberCollision: WeChat reported a payment for an order the kiosk
	// never showed a QR for, or one made before the order existed: the
	// out_trade_no was used before (a restored backup, a copied config).
	// It is not a sale of this order.
	FlagNumberCollision Flag = "number_collision"
	// FlagRefundAbnormal: WeChat reports a refund as abnormal (the
	// customer's card refused it); the owner handles it in the merchant
	// platform.
	FlagRefundAbnormal Flag = "refund_abnormal"
)

// ConfirmSkew is how far before the order's creation WeChat's time_end may
// lie (clock differences between the kiosk and WeChat) before the
// confirmation is taken for another order's payment.
const ConfirmSkew = 2 * time.Minute

// Event is one entry of an order's append-only history.
type Event struct {
	At     time.Time
	Source Source
	From   State
	To     State  // equal to From when the event records news without a move
	Note   string // what happened, for people; never secrets
}

// Order is one sale attempt: the cart's lines, the amount, and everything
// WeChat said about it.
type Order struct {
	OutTradeNo string // unique per kiosk, ≤ 32 chars
	KioskID    string
	Lines      []Line
	Total      Fen
	Body       string // unified-order body, e.g. "小店-2件商品"
	ProductID  string // unified-order product_id (NATIVE requires one)
	Mode       int    // 2: dynamic QR charged at the counter; 1: a static product QR; 3: the customer's payment code
	State      State
	Flag       Flag
	CreatedAt  time.Time

	// Unified-order parameters fixed at creation so every re-entry sends
	// them identically.
	TimeStart  time.Time
	TimeExpire time.Time
	NotifyURL  string

	PrepayID       string
	CodeURL        string
	CodeURLExpires time.Time // the code_url/prepay_id's own 2-hour life
	QRIssuedAt     time.Time // when WeChat first issued the QR (zero: never)

	TransactionID string
	PaidAt        time.Time // WeChat's time_end
	PayerOpenID   string

	Refunds []Refund
	Events  []Event
}

// Refunded sums the refunds WeChat reports as succeeded: money that went
// back to the customer.
func (o *Order) Refunded() Fen {
	var t Fen
	for _, r := range o.Refunds {
		if r.State == RefundSucceeded {
			t += r.Amount
		}
	}
	return t
}

// RefundPending sums the refunds asked for whose outcome WeChat has not
// reported as final (pending, processing or abnormal): not yet money
// returned, but no longer refundable either.
func (o *Order) RefundPending() Fen {
	var t Fen
	for _, r := range o.Refunds {
		if !r.State.Final() || r.State == RefundChange {
			t += r.Amount
		}
	}
	return t
}

// Refundable is what may still be refunded: the total less every refund
// that has not failed.
func (o *Order) Refundable() Fen { return o.Total - o.Refunded() - o.RefundPending() }

// Unsettled reports whether the engine must still ask WeChat about o: its
// payment is open, or one of its refunds has no final outcome.
func (o *Order) Unsettled() bool {
	if o.State.Open() {
		return true
	}
	for _, r := range o.Refunds {
		if !r.State.Final() && r.State != RefundChange {
			return true
		}
	}
	return false
}

// HasQR reports whether WeChat ever issued this order a payment QR (or a
// prepay_id), or the kiosk sent it the customer's payment code: only then
// can a customer have paid it.
func (o *Order) HasQR() bool { return o.CodeURL != "" || o.PrepayID != "" || o.Mode == ModePayCode }

// ErrIllegalTransition is returned when a state change is not allowed from
// the order's current state.
var ErrIllegalTransition = errors.New("illegal order state transition")

// ErrOrderMismatch is returned when news about one order is applied to
// another.
var ErrOrderMismatch = errors.New("confirmation is for another order")

// Move changes the order's state, appending an event. It returns an error
// wrapping ErrIllegalTransition (and changes nothing) when the move is not
// legal.
func (o *Order) Move(to State, src Source, at time.Time, note string) error {
	if !CanTransition(o.State, to) {
		return fmt.Errorf("order %s: %s → %s: %w", o.OutTradeNo, o.State, to, ErrIllegalTransition)
	}
	o.Events = append(o.Events, Event{At: at, Source: src, From: o.State, To: to, Note: note})
	o.State = to
	return nil
}

// Note appends an event that records news without changing state.
func (o *Order) Note(src Source, at time.Time, note string) {
	o.Events = append(o.Events, Event{At: at, Source: src, From: o.State, To: o.State, Note: note})
}

// Confirmation is WeChat's word that an order was paid, from a verified
// notification or an order query.
type Confirmation struct {
	OutTradeNo    string
	TransactionID string
	TotalFee      Fen
	TimeEnd       time.Time
	OpenID        string
	Source        Source
}

// ConfirmOutcome says what applying a Confirmation did.
type ConfirmOutcome int

// The outcomes of Order.Confirm.
const (
	// Confirmed: the order is now paid.
	Confirmed ConfirmOutcome = iota + 1
	// ConfirmedAfterCancel: money arrived for a cancelled/closed/expired
	// order; it is recorded and flagged for the owner.
	ConfirmedAfterCancel
	// AlreadyPaid: the same transaction was applied before; nothing changed.
	AlreadyPaid
	// AmountMismatch: the confirmation's amount differs from the order's
	// total; refused, recorded as an alert, not a sale.
	AmountMismatch
	// ConflictingPayment: the order is paid under another transaction_id;
	// recorded as an alert.
	ConflictingPayment
	// NumberCollision: the payment cannot be this order's (no QR was ever
	// issued for it, or it was paid before the order existed); recorded as
	// an alert, not a sale.
	NumberCollision
)

func (c ConfirmOutcome) String() string {
	switch c {
	case Confirmed:
		return "confirmed"
	case ConfirmedAfterCancel:
		return "confirmed after cancel"
	case AlreadyPaid:
		return "already paid"
	case AmountMismatch:
		return "amount mismatch"
	case ConflictingPayment:
		return "conflicting payment"
	case NumberCollision:
		return "number collision"
	}
	return "unknown"
}

// Changed reports whether the outcome modified the order (and so must be
// saved). AlreadyPaid is the only outcome that leaves it untouched (an alert
// already recorded for the same transaction is AlreadyPaid too, so a poll
// does not add it again).
func (c ConfirmOutcome) Changed() bool { return c != AlreadyPaid }

// noted reports whether an alert about transaction tx is already in the
// order's history.
func (o *Order) noted(tx string) bool {
	if tx == "" {
		return false
	}
	for i := len(o.Events) - 1; i >= 0; i-- {
		if strings.HasPrefix(o.Events[i].Note, "ALERT:") && strings.Contains(o.Events[i].Note, tx) {
			return true
		}
	}
	return false
}

// Confirm applies a payment confirmation. It is idempotent: the same
// transaction applied twice reports AlreadyPaid and changes nothing. A
// mismatched amount or a second transaction never makes a sale; it flags the
// order and records an event. The only error is ErrOrderMismatch.
func (o *Order) Confirm(c Confirmation, at time.Time) (ConfirmOutcome, error) {
	if c.OutTradeNo != o.OutTradeNo {
		return 0, fmt.Errorf("order %s: got %s: %w", o.OutTradeNo, c.OutTradeNo, ErrOrderMismatch)
	}
	if o.Flag == FlagNumberCollision && o.noted(c.TransactionID) {
		return AlreadyPaid, nil // an earlier order's payment, already recorded as such
	}
	if o.State.Paid() {
		if o.TransactionID == c.TransactionID {
			return AlreadyPaid, nil
		}
		if o.Flag == FlagConflictingPayment && o.noted(c.TransactionID) {
			return AlreadyPaid, nil
		}
		o.Flag = FlagConflictingPayment
		o.Note(c.Source, at, fmt.Sprintf("ALERT: second transaction %s reported for an order paid by %s", c.TransactionID, o.TransactionID))
		return ConflictingPayment, nil
	}
	if !o.HasQR() || (!c.TimeEnd.IsZero() && !o.CreatedAt.IsZero() && c.TimeEnd.Before(o.CreatedAt.Add(-ConfirmSkew))) {
		// Nobody can have paid this order: the number was used before.
		o.Flag = FlagNumberCollision
		o.Note(c.Source, at, fmt.Sprintf("ALERT: transaction %s paid at %s belongs to an earlier order with this number; not recorded as a sale",
			c.TransactionID, c.TimeEnd.Format(time.DateTime)))
		return NumberCollision, nil
	}
	if c.TotalFee != o.Total {
		if o.Flag == FlagAmountMismatch && o.noted(c.TransactionID) {
			return AlreadyPaid, nil
		}
		o.Flag = FlagAmountMismatch
		o.Note(c.Source, at, fmt.Sprintf("ALERT: confirmation %s for %s does not match order total %s; not recorded as a sale",
			c.TransactionID, c.TotalFee, o.Total))
		return AmountMismatch, nil
	}
	to, outcome := StatePaid, Confirmed
	if o.State == StateCancelPending || o.State == StateClosed || o.State == StateExpired {
		to, outcome = StatePaidAfterCancel, ConfirmedAfterCancel
	}
	if err := o.Move(to, c.Source, at, "paid, transaction "+c.TransactionID); err != nil {
		return 0, err
	}
	if outcome == ConfirmedAfterCancel {
		o.Flag = FlagPaidAfterCancel
	} else if o.Flag == FlagAmountMismatch {
		o.Flag = FlagNone // a correct confirmation settles an earlier bogus one
	}
	o.TransactionID = c.TransactionID
	o.PaidAt = c.TimeEnd
	o.PayerOpenID = c.OpenID
	return outcome, nil
}

// RefundState is where a refund is.
type RefundState string

// The refund states, following refundquery's refund_status. Only
// RefundSucceeded is money returned; only RefundSucceeded and RefundFailed
// are final. A pending refund is resent with its own out_refund_no (WeChat
// refunds one out_refund_no once) until WeChat answers.
const (
	RefundPending    RefundState = "pending"    // recorded; WeChat's answer not known yet
	RefundProcessing RefundState = "processing" // accepted; money on its way
	RefundSucceeded  RefundState = "success"
	RefundFailed     RefundState = "failed" // REFUNDCLOSE / rejected; does not count
	RefundChange     RefundState = "change" // abnormal; handle in the merchant platform
)

// Final reports whether WeChat's word on a refund in state s is final:
// succeeded or failed.
func (s RefundState) Final() bool { return s == RefundSucceeded || s == RefundFailed }

// Refund is money returned against a paid order.
type Refund struct {
	OutRefundNo string
	RefundID    string // WeChat's refund_id, once known
	Amount      Fen
	Reason      string
	State       RefundState
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ErrRefundTooLarge is returned when a refund would take the order's
// refunded total above what was paid.
var ErrRefundTooLarge = errors.New("refund exceeds the amount paid")

// ErrNotPaid is returned when refunding an order that holds no money.
var ErrNotPaid = errors.New("order is not paid")

// AddRefund records a new refund against a paid order. Adding a refund with
// an out_refund_no already present is a no-op (the same refund once). The
// order's state moves to partially_refunded or refunded.
func (o *Order) AddRefund(r Refund, at time.Time) error {
	if !o.State.Paid() {
		return fmt.Errorf("refund %s on order %s (%s): %w", r.OutRefundNo, o.OutTradeNo, o.State, ErrNotPaid)
	}
	for _, x := range o.Refunds {
		if x.OutRefundNo == r.OutRefundNo {
			return nil
		}
	}
	if r.Amount <= 0 {
		return fmt.Errorf("refund %s: amount must be positive", r.OutRefundNo)
	}
	if r.Amount > o.Refundable() {
		return fmt.Errorf("refund %s of %s on order %s (paid %s, refunded %s, pending %s): %w",
			r.OutRefundNo, r.Amount, o.OutTradeNo, o.Total, o.Refunded(), o.RefundPending(), ErrRefundTooLarge)
	}
	if r.State == "" {
		r.State = RefundPending
	}
	r.CreatedAt, r.UpdatedAt = at, at
	o.Refunds = append(o.Refunds, r)
	return o.settleRefundState(at, "refund "+r.OutRefundNo+" of "+r.Amount.String())
}

// ErrRefundFinal is returned when news would change a refund WeChat
// already reported as succeeded or failed.
var ErrRefundFinal = errors.New("refund outcome already final")

// SetRefundState records WeChat's news about a refund. Only a succeeded
// refund moves the order (to partially_refunded or refunded); a failed one
// no longer counts against the paid amount and leaves the order as it was.
// A final outcome never changes again (ErrRefundFinal); news that repeats
// the current state changes nothing.
func (o *Order) SetRefundState(outRefundNo, refundID string, s RefundState, at time.Time) error {
	for i := range o.Refunds {
		r := &o.Refunds[i]
		if r.OutRefundNo != outRefundNo {
			continue
		}
		if r.State == s && (refundID == "" || r.RefundID == refundID) {
			return nil
		}
		if r.State.Final() && r.State != s {
			return fmt.Errorf("refund %s is %s, not %s: %w", outRefundNo, r.State, s, ErrRefundFinal)
		}
		r.State, r.UpdatedAt = s, at
		if refundID != "" {
			r.RefundID = refundID
		}
		if s == RefundChange {
			o.Flag = FlagRefundAbnormal
		} else if o.Flag == FlagRefundAbnormal && s.Final() {
			o.Flag = FlagNone
		}
		return o.settleRefundState(at, fmt.Sprintf("refund %s is %s", outRefundNo, s))
	}
	return fmt.Errorf("order %s has no refund %s", o.OutTradeNo, outRefundNo)
}

// ErrNoFlag is returned when resolving an order that carries no flag.
var ErrNoFlag = errors.New("order needs no attention")

// Resolve records that the owner dealt with the order's flag (goods handed
// over for a payment after cancel, an alert explained) and clears it.
func (o *Order) Resolve(src Source, at time.Time, note string) error {
	if o.Flag == FlagNone {
		return fmt.Errorf("order %s: %w", o.OutTradeNo, ErrNoFlag)
	}
	o.Note(src, at, fmt.Sprintf("resolved %s: %s", o.Flag, note))
	o.Flag = FlagNone
	return nil
}

func (o *Order) settleRefundState(at time.Time, note string) error {
	to := o.State
	switch refunded := o.Refunded(); {
	case refunded == 0:
		// Nothing returned yet: the order stays as it was.
	case refunded >= o.Total:
		to = StateRefunded
	default:
		to = StatePartiallyRefunded
	}
	if to == o.State {
		o.Note(SourceRefund, at, note)
		return nil
	}
	if err := o.Move(to, SourceRefund, at, note); err != nil {
		return err
	}
	if o.Flag == FlagPaidAfterCancel && to == StateRefunded {
		o.Flag = FlagNone
	}
	return nil
}

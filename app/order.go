package app

import (
	"errors"
	"fmt"
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
// An order also goes straight from created or awaiting to paid (a
// notification may beat the unified-order reply), and from awaiting to
// expired when its time_expire passes unpaid.
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
	StateAwaiting:          {StateAwaiting, StatePaid, StateCancelPending, StateExpired},
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
)

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
	Mode       int    // 2: dynamic QR charged at the counter; 1: a static product QR
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

	TransactionID string
	PaidAt        time.Time // WeChat's time_end
	PayerOpenID   string

	Refunds []Refund
	Events  []Event
}

// Refunded sums the amounts of refunds that were not closed or failed.
func (o *Order) Refunded() Fen {
	var t Fen
	for _, r := range o.Refunds {
		if r.State != RefundFailed {
			t += r.Amount
		}
	}
	return t
}

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
	}
	return "unknown"
}

// Changed reports whether the outcome modified the order (and so must be
// saved). AlreadyPaid is the only outcome that leaves it untouched.
func (c ConfirmOutcome) Changed() bool { return c != AlreadyPaid }

// Confirm applies a payment confirmation. It is idempotent: the same
// transaction applied twice reports AlreadyPaid and changes nothing. A
// mismatched amount or a second transaction never makes a sale; it flags the
// order and records an event. The only error is ErrOrderMismatch.
func (o *Order) Confirm(c Confirmation, at time.Time) (ConfirmOutcome, error) {
	if c.OutTradeNo != o.OutTradeNo {
		return 0, fmt.Errorf("order %s: got %s: %w", o.OutTradeNo, c.OutTradeNo, ErrOrderMismatch)
	}
	if o.State.Paid() {
		if o.TransactionID == c.TransactionID {
			return AlreadyPaid, nil
		}
		o.Flag = FlagConflictingPayment
		o.Note(c.Source, at, fmt.Sprintf("ALERT: second transaction %s reported for an order paid by %s", c.TransactionID, o.TransactionID))
		return ConflictingPayment, nil
	}
	if c.TotalFee != o.Total {
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

// The refund states, following refundquery's refund_status.
const (
	RefundPending    RefundState = "pending"    // recorded, not yet accepted by WeChat
	RefundProcessing RefundState = "processing" // accepted; money on its way
	RefundSucceeded  RefundState = "success"
	RefundFailed     RefundState = "failed" // REFUNDCLOSE / rejected; does not count
	RefundChange     RefundState = "change" // abnormal; handle in the merchant platform
)

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
	if o.Refunded()+r.Amount > o.Total {
		return fmt.Errorf("refund %s of %s on order %s (paid %s, refunded %s): %w",
			r.OutRefundNo, r.Amount, o.OutTradeNo, o.Total, o.Refunded(), ErrRefundTooLarge)
	}
	if r.State == "" {
		r.State = RefundPending
	}
	r.CreatedAt, r.UpdatedAt = at, at
	o.Refunds = append(o.Refunds, r)
	return o.settleRefundState(at, "refund "+r.OutRefundNo+" of "+r.Amount.String())
}

// SetRefundState records WeChat's news about a refund. A failed refund no
// longer counts against the paid amount.
func (o *Order) SetRefundState(outRefundNo, refundID string, s RefundState, at time.Time) error {
	for i := range o.Refunds {
		r := &o.Refunds[i]
		if r.OutRefundNo != outRefundNo {
			continue
		}
		if r.State == s && (refundID == "" || r.RefundID == refundID) {
			return nil
		}
		r.State, r.UpdatedAt = s, at
		if refundID != "" {
			r.RefundID = refundID
		}
		return o.settleRefundState(at, fmt.Sprintf("refund %s is %s", outRefundNo, s))
	}
	return fmt.Errorf("order %s has no refund %s", o.OutTradeNo, outRefundNo)
}

func (o *Order) settleRefundState(at time.Time, note string) error {
	to := o.State
	switch refunded := o.Refunded(); {
	case refunded == 0:
		// Every refund failed: nothing to move; the note records it.
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

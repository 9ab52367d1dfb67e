package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Daily reconciliation: WeChat publishes each Beijing calendar day's trade
// bill from 10:00 the next day. Reconcile matches it against the ledger,
// order by order and refund by refund, and totals what reaches the bank;
// the Reconciler fetches every day's bill on its own, fixes what the
// ledger provably missed (flagged, never silently) and stores the result.

// BillState is a bill row's trade state.
type BillState string

// The trade states a bill row carries.
const (
	BillPaid     BillState = "paid"     // SUCCESS: a payment
	BillRefund   BillState = "refund"   // REFUND: a refund of an earlier payment
	BillReversed BillState = "reversed" // REVOKED: a payment reversed whole (付款码)
)

// BillRow is one line of WeChat's daily trade bill, in the shop's terms.
type BillRow struct {
	OutTradeNo    string
	TransactionID string
	TradeTime     time.Time // the payment's time (refund rows too)
	State         BillState
	Amount        Fen // the order amount on a payment row; 0 on refund rows

	// Refund rows (BillRefund, BillReversed).
	OutRefundNo  string
	RefundID     string
	RefundAmount Fen
	RefundState  RefundState

	// Fee is WeChat's processing fee (手续费): positive on a payment,
	// negative on a refund (the fee returned).
	Fee Fen
	// FeeRate is the rate as WeChat prints it, e.g. "0.60%".
	FeeRate string
}

// Bills fetches WeChat's trade bill of one Beijing calendar day.
type Bills interface {
	// Bill returns every row of day's bill. ErrNoBill: the day had no
	// trade. ErrBillNotReady: not published yet; ask again later.
	Bill(ctx context.Context, day Day) ([]BillRow, error)
}

// The errors of Bills.
var (
	// ErrNoBill is returned by Bills when WeChat has no bill for the day
	// because nothing was traded: the day reconciles with zero rows.
	ErrNoBill = errors.New("no bill: no trade that day")
	// ErrBillNotReady is returned by Bills when the day's bill is not
	// published yet (WeChat generates it after 10:00 the next day).
	ErrBillNotReady = errors.New("the bill is not published yet")
)

// FlagFoundByReconciliation marks a sale the ledger learned of only from
// WeChat's bill: the payment's notification and queries were lost, or the
// order was missing from the ledger. The owner checks the goods were given.
const FlagFoundByReconciliation Flag = "found_by_reconciliation"

// SourceReconciliation is news about an order from WeChat's daily bill.
const SourceReconciliation Source = "reconciliation"

// ReconcileState is a day's reconciliation state.
type ReconcileState string

// The reconciliation states of a day.
const (
	// Unreconciled (未对账): no bill matched yet.
	Unreconciled ReconcileState = "unreconciled"
	// Reconciled (已对账): the ledger and the bill agree, or every
	// difference was explained.
	Reconciled ReconcileState = "reconciled"
	// Differences (N 处差异): some differences are not explained yet.
	Differences ReconcileState = "differences"
)

// DiffKind says how the ledger and the bill differ about one order or
// refund.
type DiffKind string

// The kinds of difference.
const (
	// DiffOnlyAtWeChat: paid at WeChat, no such order in the ledger.
	DiffOnlyAtWeChat DiffKind = "only_at_wechat"
	// DiffUnpaidInLedger: paid at WeChat, the ledger's order is not paid.
	DiffUnpaidInLedger DiffKind = "unpaid_in_ledger"
	// DiffOnlyInLedger: paid in the ledger, not in WeChat's bill.
	DiffOnlyInLedger DiffKind = "only_in_ledger"
	// DiffAmount: the bill's amount is not the ledger's.
	DiffAmount DiffKind = "amount"
	// DiffTransaction: WeChat's payment is another transaction than the
	// ledger's, or was reversed while the ledger has it paid.
	DiffTransaction DiffKind = "transaction"
	// DiffRefundOnlyAtWeChat: a refund the ledger does not have (made in
	// the merchant platform, or its record was lost).
	DiffRefundOnlyAtWeChat DiffKind = "refund_only_at_wechat"
	// DiffRefundOnlyInLedger: a refund in the ledger that WeChat's bill
	// does not have.
	DiffRefundOnlyInLedger DiffKind = "refund_only_in_ledger"
	// DiffRefundAmount: a refund's amount differs.
	DiffRefundAmount DiffKind = "refund_amount"
	// DiffRefundState: WeChat and the ledger disagree on whether a refund
	// failed.
	DiffRefundState DiffKind = "refund_state"
)

// DiffAction is what to do about a difference: a code the screens
// translate.
type DiffAction string

// The actions.
const (
	// ActionAddSale: add the sale to the ledger (the Reconciler does).
	ActionAddSale DiffAction = "add_sale"
	// ActionConfirmSale: record the ledger's order as paid (the
	// Reconciler does).
	ActionConfirmSale DiffAction = "confirm_sale"
	// ActionAdded: the sale was added to the ledger, flagged; check the
	// goods were handed over.
	ActionAdded DiffAction = "added"
	// ActionConfirmed: the order was recorded as paid, flagged; check the
	// goods were handed over.
	ActionConfirmed DiffAction = "confirmed"
	// ActionCheckPlatform: look the order up in the merchant platform
	// (pay.weixin.qq.com) and explain the difference.
	ActionCheckPlatform DiffAction = "check_platform"
	// ActionCheckRefund: look the refund up in the merchant platform; a
	// refund made there is not in the ledger.
	ActionCheckRefund DiffAction = "check_refund"
)

// Diff is one difference between the ledger and WeChat's bill.
type Diff struct {
	Kind          DiffKind
	OutTradeNo    string
	OutRefundNo   string // refund differences
	TransactionID string // WeChat's, when the bill has the row
	Ledger        Fen    // the ledger's amount (0: none)
	WeChat        Fen    // the bill's amount (0: none)
	Action        DiffAction
	// Explained is the owner's note once they marked it explained; empty
	// until then.
	Explained   string
	ExplainedAt time.Time
}

// Reconciliation is one Beijing calendar day matched against WeChat's
// bill, with what reaches the bank.
type Reconciliation struct {
	Day   Day
	State ReconcileState
	Diffs []Diff

	Gross   Fen // payments in the bill
	Refunds Fen // refunds in the bill
	Fees    Fen // WeChat's fees, less fees returned with refunds
	Net     Fen // 结算金额: Gross − Refunds − Fees
	Orders  int // payments in the bill

	CheckedAt time.Time
}

// Open counts the differences not explained yet.
func (r *Reconciliation) Open() int {
	n := 0
	for _, d := range r.Diffs {
		if d.Explained == "" {
			n++
		}
	}
	return n
}

// ErrNoDiff is returned by Explain for a difference the day does not
// have.
var ErrNoDiff = errors.New("no such difference")

// Explain records the owner's explanation of difference i and updates the
// day's state.
func (r *Reconciliation) Explain(i int, note string, at time.Time) error {
	if i < 0 || i >= len(r.Diffs) {
		return fmt.Errorf("day %s difference %d: %w", r.Day, i, ErrNoDiff)
	}
	if note == "" {
		return fmt.Errorf("day %s difference %d: an explanation needs a note", r.Day, i)
	}
	r.Diffs[i].Explained, r.Diffs[i].ExplainedAt = note, at
	r.settle()
	return nil
}

func (r *Reconciliation) settle() {
	r.State = Reconciled
	if r.Open() > 0 {
		r.State = Differences
	}
}

// beijing is WeChat's time zone for bills (China has no daylight saving).
func beijing() *time.Location { return time.FixedZone("CST", 8*3600) }

// BillWindow is the span of Beijing time day's bill covers.
func BillWindow(day Day) (from, to time.Time) {
	from = day.Time(beijing())
	return from, from.AddDate(0, 0, 1)
}

// billPublishHour is when WeChat publishes the previous day's bill, Beijing.
const billPublishHour = 10

// LatestBillDay is the newest day whose bill WeChat publishes by now:
// yesterday from 10:00 Beijing, the day before until then.
func LatestBillDay(now time.Time) Day {
	t := now.In(beijing())
	d := Day(t.Format(DayLayout)).Add(-1)
	if t.Hour() < billPublishHour {
		d = d.Add(-1)
	}
	return d
}

// NextBillAt is the first time after now at which another day's bill is
// published (the next 10:00 Beijing).
func NextBillAt(now time.Time) time.Time {
	t := now.In(beijing())
	next := time.Date(t.Year(), t.Month(), t.Day(), billPublishHour, 0, 0, 0, beijing())
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Reconcile matches day's bill against the ledger: ledger holds the
// orders whose payment or refunds may fall on that day (neighbouring days
// too; only payments and refunds inside the day's Beijing window count as
// missing from the bill). It is pure: the Reconciler acts on the result.
func Reconcile(day Day, ledger []Order, bill []BillRow) Reconciliation {
	from, to := BillWindow(day)
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	rec := Reconciliation{Day: day}

	orders := make(map[string]*Order, len(ledger))
	type ledgerRefund struct {
		o *Order
		r *Refund
	}
	refunds := map[string]ledgerRefund{}
	for i := range ledger {
		o := &ledger[i]
		orders[o.OutTradeNo] = o
		for j := range o.Refunds {
			refunds[o.Refunds[j].OutRefundNo] = ledgerRefund{o, &o.Refunds[j]}
		}
	}

	paid := map[string]bool{}     // out_trade_no with a payment row
	billed := map[string]bool{}   // out_refund_no with a refund row
	reversed := map[string]bool{} // out_trade_no reversed whole
	for _, b := range bill {
		if b.State == BillReversed {
			reversed[b.OutTradeNo] = true
		}
	}
	for _, b := range bill {
		rec.Fees += b.Fee
		switch b.State {
		case BillPaid:
			rec.Gross += b.Amount
			rec.Orders++
			paid[b.OutTradeNo] = true
			if d, ok := payDiff(orders[b.OutTradeNo], b, reversed[b.OutTradeNo]); ok {
				rec.Diffs = append(rec.Diffs, d)
			}
		case BillRefund, BillReversed:
			rec.Refunds += b.RefundAmount
			billed[b.OutRefundNo] = true
			lr, ok := refunds[b.OutRefundNo]
			if b.State == BillReversed {
				if o := orders[b.OutTradeNo]; o == nil || !o.State.Paid() {
					continue // never a sale in the ledger either
				}
			}
			d := Diff{OutTradeNo: b.OutTradeNo, OutRefundNo: b.OutRefundNo, TransactionID: b.TransactionID,
				WeChat: b.RefundAmount, Action: ActionCheckRefund}
			switch {
			case !ok && b.State == BillReversed:
				d.Kind, d.Action = DiffTransaction, ActionCheckPlatform
				d.Ledger = orders[b.OutTradeNo].Total
			case !ok:
				d.Kind = DiffRefundOnlyAtWeChat
			case lr.r.Amount != b.RefundAmount:
				d.Kind, d.Ledger = DiffRefundAmount, lr.r.Amount
			case (lr.r.State == RefundFailed) != (b.RefundState == RefundFailed):
				d.Kind, d.Ledger = DiffRefundState, lr.r.Amount
			default:
				continue
			}
			rec.Diffs = append(rec.Diffs, d)
		}
	}
	for i := range ledger {
		o := &ledger[i]
		if o.State.Paid() && in(o.PaidAt) && !paid[o.OutTradeNo] {
			rec.Diffs = append(rec.Diffs, Diff{Kind: DiffOnlyInLedger, OutTradeNo: o.OutTradeNo, TransactionID: o.TransactionID,
				Ledger: o.Total, Action: ActionCheckPlatform})
		}
		for j := range o.Refunds {
			r := &o.Refunds[j]
			if r.State != RefundFailed && o.State.Paid() && in(r.CreatedAt) && !billed[r.OutRefundNo] {
				rec.Diffs = append(rec.Diffs, Diff{Kind: DiffRefundOnlyInLedger, OutTradeNo: o.OutTradeNo, OutRefundNo: r.OutRefundNo,
					Ledger: r.Amount, Action: ActionCheckRefund})
			}
		}
	}
	slices.SortFunc(rec.Diffs, func(a, b Diff) int {
		return cmp.Or(cmp.Compare(a.OutTradeNo, b.OutTradeNo), cmp.Compare(a.OutRefundNo, b.OutRefundNo), cmp.Compare(a.Kind, b.Kind))
	})
	rec.Net = rec.Gross - rec.Refunds - rec.Fees
	rec.settle()
	return rec
}

// payDiff compares a payment row with the ledger's order (nil: none).
func payDiff(o *Order, b BillRow, reversed bool) (Diff, bool) {
	d := Diff{OutTradeNo: b.OutTradeNo, TransactionID: b.TransactionID, WeChat: b.Amount}
	switch {
	case reversed && (o == nil || !o.State.Paid()):
		return d, false // paid and reversed: no sale, none in the ledger
	case o == nil:
		d.Kind, d.Action = DiffOnlyAtWeChat, ActionAddSale
	case !o.State.Paid() && o.Total != b.Amount:
		d.Kind, d.Ledger, d.Action = DiffAmount, o.Total, ActionCheckPlatform
	case !o.State.Paid():
		d.Kind, d.Ledger, d.Action = DiffUnpaidInLedger, o.Total, ActionConfirmSale
	case o.TransactionID != b.TransactionID:
		d.Kind, d.Ledger, d.Action = DiffTransaction, o.Total, ActionCheckPlatform
	case o.Total != b.Amount:
		d.Kind, d.Ledger, d.Action = DiffAmount, o.Total, ActionCheckPlatform
	default:
		return d, false
	}
	return d, true
}

// ReconcileLedger is what the Reconciler needs of the ledger. Every
// method that changes something is one atomic, durable transaction.
type ReconcileLedger interface {
	// BillOrders lists the orders whose payment or refunds may fall on
	// day's bill (Beijing calendar day), neighbouring days included.
	BillOrders(day Day) ([]Order, error)
	// OldestDay is the oldest business day with ledger activity; "" when
	// the ledger has none.
	OldestDay() (Day, error)
	// AddFound stores a paid order found only in WeChat's bill, in one
	// transaction; an error wrapping ErrExists-like failures when the
	// out_trade_no is taken.
	AddFound(o Order) error
	// Update changes one order atomically (see Orders.Update).
	Update(outTradeNo string, fn func(o *Order) error) (Order, error)
	// SaveReconciliation stores a day's result, replacing an earlier one.
	SaveReconciliation(r Reconciliation) error
	// Reconciliation returns a day's stored result; ErrNotFound if none.
	Reconciliation(day Day) (Reconciliation, error)
}

// MaxCatchUpDays is how far back the Reconciler catches up: WeChat keeps
// bills for three months.
const MaxCatchUpDays = 90

// ReconcilerConfig wires a Reconciler.
type ReconcilerConfig struct {
	Bills  Bills
	Ledger ReconcileLedger
	Clock  Clock // default: the real clock
	Logger *slog.Logger
	// FirstDay is the oldest day to reconcile (e.g. the day the kiosk went
	// live). Default: the ledger's oldest day with activity. Either way no
	// further back than MaxCatchUpDays.
	FirstDay Day
	// Backoff is the first wait before asking again after a failure or a
	// bill not published yet; it doubles up to MaxBackoff. Defaults 5 min
	// and 1 h: WeChat's bill is usually there within the hour.
	Backoff, MaxBackoff time.Duration
	// OnResult is told of every stored result (refresh the Sales screen,
	// the attention count); optional and must not block.
	OnResult func(Reconciliation)
}

// Reconciler reconciles every published day on its own, in its own
// goroutine (Run), never holding up a sale.
type Reconciler struct {
	cfg ReconcilerConfig
	log *slog.Logger
}

// NewReconciler checks cfg.
func NewReconciler(cfg ReconcilerConfig) (*Reconciler, error) {
	if cfg.Bills == nil || cfg.Ledger == nil {
		return nil, errors.New("reconciler: Bills and Ledger are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Minute
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = max(time.Hour, cfg.Backoff)
	}
	return &Reconciler{cfg: cfg, log: cfg.Logger}, nil
}

// Run reconciles every day whose bill is published and not reconciled
// yet, oldest first, then waits for the next bill (10:00 Beijing) and does
// it again, until ctx ends. A failure or a bill not ready is retried with
// backoff. Run it in its own goroutine.
func (rc *Reconciler) Run(ctx context.Context) error {
	backoff := rc.cfg.Backoff
	for {
		err := rc.CatchUp(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := NextBillAt(rc.cfg.Clock.Now()).Sub(rc.cfg.Clock.Now())
		if err != nil {
			rc.log.Warn("reconciliation", "err", err, "retry_in", backoff)
			wait = backoff
			backoff = min(backoff*2, rc.cfg.MaxBackoff)
		} else {
			backoff = rc.cfg.Backoff
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-rc.cfg.Clock.After(wait):
		}
	}
}

// CatchUp reconciles every published day not reconciled yet, from the
// first day (FirstDay, else the ledger's oldest, at most MaxCatchUpDays
// back) to the latest bill. A day that fails does not stop the later
// ones; the first error is returned (ErrBillNotReady among them).
func (rc *Reconciler) CatchUp(ctx context.Context) error {
	latest := LatestBillDay(rc.cfg.Clock.Now())
	first := rc.cfg.FirstDay
	if first == "" {
		oldest, err := rc.cfg.Ledger.OldestDay()
		if err != nil {
			return fmt.Errorf("reconcile: oldest ledger day: %w", err)
		}
		if oldest == "" {
			return nil // nothing sold yet, nothing to check
		}
		first = oldest
	}
	first = max(first, latest.Add(1-MaxCatchUpDays))
	var firstErr error
	for d := first; d <= latest; d = d.Add(1) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if prev, err := rc.cfg.Ledger.Reconciliation(d); err == nil && prev.State != Unreconciled {
			continue
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			firstErr = cmp.Or(firstErr, fmt.Errorf("reconcile %s: %w", d, err))
			continue
		}
		if _, err := rc.Day(ctx, d); err != nil {
			firstErr = cmp.Or(firstErr, err)
		}
	}
	return firstErr
}

// Day fetches day's bill, reconciles it against the ledger, adds or
// confirms (flagged) the sales the ledger missed, records refund outcomes
// the bill settles, and stores the result. A day without a bill
// (ErrNoBill) reconciles with zero rows; ErrBillNotReady is returned
// wrapped and nothing is stored.
func (rc *Reconciler) Day(ctx context.Context, day Day) (Reconciliation, error) {
	rows, err := rc.cfg.Bills.Bill(ctx, day)
	if err != nil && !errors.Is(err, ErrNoBill) {
		return Reconciliation{}, fmt.Errorf("reconcile %s: bill: %w", day, err)
	}
	ledger, err := rc.cfg.Ledger.BillOrders(day)
	if err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: ledger: %w", day, err)
	}
	now := rc.cfg.Clock.Now()
	rec := Reconcile(day, ledger, rows)
	rec.CheckedAt = now
	byNo := make(map[string]BillRow, len(rows))
	for _, b := range rows {
		if b.State == BillPaid {
			byNo[b.OutTradeNo] = b
		}
	}
	for i := range rec.Diffs {
		d := &rec.Diffs[i]
		b := byNo[d.OutTradeNo]
		switch d.Action {
		case ActionAddSale:
			if err := rc.addFound(b, now); err != nil {
				rc.log.Error("reconcile: adding a sale found in the bill", "out_trade_no", d.OutTradeNo, "err", err)
				continue
			}
			d.Action = ActionAdded
		case ActionConfirmSale:
			ok, err := rc.confirm(b, now)
			if err != nil {
				rc.log.Error("reconcile: confirming a sale found in the bill", "out_trade_no", d.OutTradeNo, "err", err)
				continue
			}
			if ok {
				d.Action = ActionConfirmed
			} else {
				d.Action = ActionCheckPlatform
			}
		}
	}
	rc.settleRefunds(ledger, rows, now)
	if prev, err := rc.cfg.Ledger.Reconciliation(day); err == nil {
		keepExplanations(&rec, prev)
	}
	if err := rc.cfg.Ledger.SaveReconciliation(rec); err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: save: %w", day, err)
	}
	rc.log.Info("reconciled", "day", day, "state", rec.State, "diffs", len(rec.Diffs), "net", rec.Net)
	if rc.cfg.OnResult != nil {
		rc.cfg.OnResult(rec)
	}
	return rec, nil
}

// keepExplanations carries the owner's notes over when a day is done again.
func keepExplanations(rec *Reconciliation, prev Reconciliation) {
	for _, p := range prev.Diffs {
		if p.Explained == "" {
			continue
		}
		for i := range rec.Diffs {
			d := &rec.Diffs[i]
			if d.Kind == p.Kind && d.OutTradeNo == p.OutTradeNo && d.OutRefundNo == p.OutRefundNo {
				d.Explained, d.ExplainedAt = p.Explained, p.ExplainedAt
			}
		}
	}
	rec.settle()
}

// addFound adds a sale the ledger never had, paid and flagged.
func (rc *Reconciler) addFound(b BillRow, now time.Time) error {
	o := Order{
		OutTradeNo: b.OutTradeNo, Total: b.Amount, State: StatePaid, Flag: FlagFoundByReconciliation,
		CreatedAt: b.TradeTime, TransactionID: b.TransactionID, PaidAt: b.TradeTime, Mode: 2,
		Events: []Event{{At: now, Source: SourceReconciliation, From: StateCreated, To: StatePaid,
			Note: fmt.Sprintf("ALERT: paid at WeChat (transaction %s, %s) but missing from the ledger: added from the bill of %s",
				b.TransactionID, b.Amount, BillDayOf(b.TradeTime))}},
	}
	if err := rc.cfg.Ledger.AddFound(o); err != nil {
		return fmt.Errorf("add found sale %s: %w", b.OutTradeNo, err)
	}
	return nil
}

// BillDayOf is the bill day (Beijing calendar day) t falls on.
func BillDayOf(t time.Time) Day { return Day(t.In(beijing()).Format(DayLayout)) }

// confirm records an unpaid ledger order as paid from its bill row,
// flagged. It reports false when the payment cannot be this order's (see
// Order.Confirm); that is recorded on the order as an alert.
func (rc *Reconciler) confirm(b BillRow, now time.Time) (bool, error) {
	var outcome ConfirmOutcome
	_, err := rc.cfg.Ledger.Update(b.OutTradeNo, func(o *Order) error {
		var err error
		outcome, err = o.Confirm(Confirmation{OutTradeNo: b.OutTradeNo, TransactionID: b.TransactionID, TotalFee: b.Amount,
			TimeEnd: b.TradeTime, Source: SourceReconciliation}, now)
		if err != nil {
			return err
		}
		if outcome == Confirmed {
			o.Flag = FlagFoundByReconciliation
			o.Note(SourceReconciliation, now, fmt.Sprintf("ALERT: payment %s found only in WeChat's bill of %s", b.TransactionID, BillDayOf(b.TradeTime)))
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("confirm %s from the bill: %w", b.OutTradeNo, err)
	}
	return outcome == Confirmed || outcome == ConfirmedAfterCancel || outcome == AlreadyPaid, nil
}

// settleRefunds records the outcome of refunds the ledger still waits on
// when the bill says they succeeded (the engine would learn it later).
func (rc *Reconciler) settleRefunds(ledger []Order, rows []BillRow, now time.Time) {
	pending := map[string]string{} // out_refund_no → out_trade_no
	for _, o := range ledger {
		for _, r := range o.Refunds {
			if !r.State.Final() && r.State != RefundChange {
				pending[r.OutRefundNo] = o.OutTradeNo
			}
		}
	}
	for _, b := range rows {
		no, ok := pending[b.OutRefundNo]
		if b.State != BillRefund || b.RefundState != RefundSucceeded || !ok || no != b.OutTradeNo {
			continue
		}
		_, err := rc.cfg.Ledger.Update(no, func(o *Order) error {
			return o.SetRefundState(b.OutRefundNo, b.RefundID, RefundSucceeded, now)
		})
		if err != nil {
			rc.log.Warn("reconcile: recording a refund's outcome from the bill", "out_refund_no", b.OutRefundNo, "err", err)
		}
	}
}

// Books is the owner's record of reconciliations (the ledger satisfies it).
type Books interface {
	// Reconciliations lists the stored results of days from..to, oldest
	// first; days never reconciled are missing.
	Reconciliations(from, to Day) ([]Reconciliation, error)
	// ExplainDifference records the owner's note on difference i of day.
	ExplainDifference(day Day, i int, note string, at time.Time) (Reconciliation, error)
}

// Reconciliations lists the days from..to matched against WeChat's bill.
func (e *Engine) Reconciliations(from, to Day) ([]Reconciliation, error) {
	if e.cfg.Books == nil {
		return nil, nil
	}
	return e.cfg.Books.Reconciliations(from, to)
}

// ExplainDifference records the owner's note on a difference with WeChat's
// bill (after the owner's PIN); it no longer counts for attention.
func (e *Engine) ExplainDifference(day Day, i int, note string) (Reconciliation, error) {
	if e.cfg.Books == nil {
		return Reconciliation{}, fmt.Errorf("explain %s: %w", day, ErrPayUnsupported)
	}
	r, err := e.cfg.Books.ExplainDifference(day, i, note, e.clock.Now())
	if err == nil {
		e.publish(Update{})
	}
	return r, err
}

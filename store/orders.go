package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

// MaxOutTradeNo is WeChat Pay's limit on out_trade_no.
const MaxOutTradeNo = 32

// MaxKioskID is the longest kiosk id NextOutTradeNo accepts, so that the
// kiosk id, the 6-digit date, the 4-character random part and the 4-digit
// sequence fit in 32 characters.
const MaxKioskID = MaxOutTradeNo - 6 - nonceLen - 4

// MaxLines bounds the lines of one order.
const MaxLines = 500

// maxSeq is the last sequence number under one random part of one day;
// past it NextOutTradeNo draws a new random part.
const maxSeq = 9999

// nonceLen is the length of an order number's random part.
const nonceLen = 4

// nonceChars are the characters of the random part: digits and capitals
// without I and O, which read like 1 and 0.
const nonceChars = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newNonce draws a random part for order numbers (34^4 ≈ 1.3 million).
func newNonce() string {
	b := make([]byte, nonceLen)
	for i := range b {
		b[i] = nonceChars[rand.IntN(len(nonceChars))]
	}
	return string(b)
}

// validIDChar reports whether c may appear in an out_trade_no or kiosk id
// (WeChat Pay: letters, digits, _ - | *).
func validIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		c == '_' || c == '-' || c == '|' || c == '*'
}

func checkID(what, s string, maxLen int) error {
	if s == "" || len(s) > maxLen {
		return fmt.Errorf("%s %q: want 1 to %d characters: %w", what, s, maxLen, ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if !validIDChar(s[i]) {
			return fmt.Errorf("%s %q: only letters, digits and _-|* allowed: %w", what, s, ErrInvalid)
		}
	}
	return nil
}

// CheckOutTradeNo reports whether s is a valid out_trade_no: 1 to 32 of
// [0-9A-Za-z_-|*]. The error wraps ErrInvalid.
func CheckOutTradeNo(s string) error { return checkID("out_trade_no", s, MaxOutTradeNo) }

// NextOutTradeNo reserves the next out_trade_no of kioskID: the kiosk id,
// now's date (yymmdd, in the shop's zone), a random part drawn each time
// the ledger is opened and a 4-digit sequence stored durably under it. A
// number is never handed out twice, and never repeats one WeChat already
// has: a ledger restored from a backup, a reinstall or a second till with a
// copied kiosk_id each open with a different random part. Past 9,999
// numbers in a day a new random part is drawn.
func (s *Store) NextOutTradeNo(kioskID string, now time.Time) (string, error) {
	if err := checkID("kiosk id", kioskID, MaxKioskID); err != nil {
		return "", fmt.Errorf("next out_trade_no: %w", err)
	}
	date := now.In(s.loc).Format("060102")
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	var no string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeq)
		for {
			key := []byte(kioskID + "/" + date + "/" + s.nonce)
			var n uint64
			if v := b.Get(key); len(v) == 8 {
				n = binary.BigEndian.Uint64(v)
			}
			if n >= maxSeq {
				s.nonce = newNonce()
				continue
			}
			n++
			no = fmt.Sprintf("%s%s%s%04d", kioskID, date, s.nonce, n)
			if tx.Bucket(bucketOrders).Get([]byte(no)) != nil {
				continue // taken (a random part drawn twice): the next one
			}
			return b.Put(key, u64(n))
		}
	})
	if err != nil {
		return "", fmt.Errorf("next out_trade_no for %s: %w", kioskID, err)
	}
	return no, nil
}

// validateNew checks an order before Create.
func validateNew(o *app.Order) error {
	if err := CheckOutTradeNo(o.OutTradeNo); err != nil {
		return err
	}
	if o.State != "" && o.State != app.StateCreated {
		return fmt.Errorf("order %s: new orders are %s, not %s: %w", o.OutTradeNo, app.StateCreated, o.State, ErrInvalid)
	}
	if len(o.Lines) > MaxLines {
		return fmt.Errorf("order %s: %d lines, at most %d: %w", o.OutTradeNo, len(o.Lines), MaxLines, ErrInvalid)
	}
	for _, l := range o.Lines {
		if l.Qty <= 0 || l.Qty > app.MaxLineQty || l.UnitPrice <= 0 {
			return fmt.Errorf("order %s: line %s has quantity %d at %s: %w", o.OutTradeNo, l.ProductID, l.Qty, l.UnitPrice, ErrInvalid)
		}
	}
	if o.Total <= 0 {
		return fmt.Errorf("order %s: total %s must be positive: %w", o.OutTradeNo, o.Total, ErrInvalid)
	}
	if len(o.Lines) > 0 && app.LinesTotal(o.Lines) != o.Total {
		return fmt.Errorf("order %s: total %s is not the lines' sum %s: %w", o.OutTradeNo, o.Total, app.LinesTotal(o.Lines), ErrInvalid)
	}
	if o.TransactionID != "" || len(o.Refunds) > 0 || o.Flag != app.FlagNone {
		return fmt.Errorf("order %s: a new order carries no payment, refund or flag: %w", o.OutTradeNo, ErrInvalid)
	}
	return nil
}

// validateChange checks what a caller's function did to an order: only
// legal state moves, an append-only history, and nothing that would rewrite
// a sale.
func validateChange(old, n *app.Order) error {
	switch {
	case n.OutTradeNo != old.OutTradeNo:
		return fmt.Errorf("order %s: out_trade_no cannot change to %q: %w", old.OutTradeNo, n.OutTradeNo, ErrInvalid)
	case !n.CreatedAt.Equal(old.CreatedAt):
		return fmt.Errorf("order %s: creation time cannot change: %w", old.OutTradeNo, ErrInvalid)
	case n.State != old.State && !app.CanTransition(old.State, n.State):
		return fmt.Errorf("order %s: %s → %s: %w", old.OutTradeNo, old.State, n.State, app.ErrIllegalTransition)
	case len(n.Events) < len(old.Events):
		return fmt.Errorf("order %s: history is append-only: %w", old.OutTradeNo, ErrInvalid)
	case n.Total <= 0:
		return fmt.Errorf("order %s: total %s must be positive: %w", old.OutTradeNo, n.Total, ErrInvalid)
	case old.State != app.StateCreated && n.Total != old.Total:
		return fmt.Errorf("order %s: total cannot change after the QR was requested: %w", old.OutTradeNo, ErrInvalid)
	case old.State.Paid() && n.TransactionID != old.TransactionID:
		return fmt.Errorf("order %s: transaction id of a paid order cannot change: %w", old.OutTradeNo, ErrInvalid)
	case n.State.Paid() && n.TransactionID == "":
		return fmt.Errorf("order %s: a paid order needs a transaction id: %w", old.OutTradeNo, ErrInvalid)
	case n.Refunded() > n.Total:
		return fmt.Errorf("order %s: refunded %s of %s: %w", old.OutTradeNo, n.Refunded(), n.Total, app.ErrRefundTooLarge)
	case len(n.Lines) > MaxLines:
		return fmt.Errorf("order %s: %d lines, at most %d: %w", old.OutTradeNo, len(n.Lines), MaxLines, ErrInvalid)
	}
	for i := range old.Events {
		if !n.Events[i].At.Equal(old.Events[i].At) || n.Events[i].To != old.Events[i].To || n.Events[i].Note != old.Events[i].Note {
			return fmt.Errorf("order %s: event %d was rewritten; history is append-only: %w", old.OutTradeNo, i, ErrInvalid)
		}
	}
	return nil
}

func encodeOrder(o *app.Order) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode order %s: %w", o.OutTradeNo, err)
	}
	return b, nil
}

// decodeOrder decodes a stored order; the result shares no memory with v.
func decodeOrder(key, v []byte) (app.Order, error) {
	var o app.Order
	if err := json.Unmarshal(v, &o); err != nil {
		return o, fmt.Errorf("order %s: %w: %w", key, ErrCorrupt, err)
	}
	if o.OutTradeNo != string(key) {
		return o, fmt.Errorf("order %s holds %q: %w", key, o.OutTradeNo, ErrCorrupt)
	}
	return o, nil
}

// getOrder loads one order inside tx.
func getOrder(tx *bolt.Tx, no string) (app.Order, error) {
	v := tx.Bucket(bucketOrders).Get([]byte(no))
	if v == nil {
		return app.Order{}, fmt.Errorf("order %s: %w", no, app.ErrNotFound)
	}
	return decodeOrder([]byte(no), v)
}

// saveOrder writes o and moves its index entries from what old had to what
// o has, in tx. old is nil for a new order.
func (s *Store) saveOrder(tx *bolt.Tx, old, o *app.Order) error {
	_, err := s.saveOrderBytes(tx, old, o)
	return err
}

// saveOrderBytes is saveOrder returning the stored encoding.
func (s *Store) saveOrderBytes(tx *bolt.Tx, old, o *app.Order) ([]byte, error) {
	v, err := encodeOrder(o)
	if err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketOrders).Put([]byte(o.OutTradeNo), v); err != nil {
		return nil, fmt.Errorf("save order %s: %w", o.OutTradeNo, err)
	}
	return v, s.putIndexes(tx, old, o)
}

// indexEntry is one key of an index bucket that an order owns.
type indexEntry struct {
	bucket []byte
	key    []byte
	value  []byte
}

// timeKey turns t into 8 big-endian bytes that sort like time (times before
// 1970 sort first).
func timeKey(t time.Time) []byte {
	if t.Before(time.Unix(0, 0)) {
		return u64(0)
	}
	return u64(uint64(t.UnixNano()))
}

// dayTime is when an order counts for the day index: its payment for paid
// orders, its creation otherwise.
func dayTime(o *app.Order) time.Time {
	if o.State.Paid() {
		if !o.PaidAt.IsZero() {
			return o.PaidAt
		}
		for i := len(o.Events) - 1; i >= 0; i-- {
			if o.Events[i].To.Paid() && !o.Events[i].From.Paid() {
				return o.Events[i].At
			}
		}
	}
	return o.CreatedAt
}

// inDays reports whether o belongs in the day index: its outcome matters to
// the owner.
func inDays(o *app.Order) bool {
	return o.State.Paid() || o.State == app.StateClosed || o.State == app.StateExpired || o.Flag != app.FlagNone
}

// row is the summary of an order kept as the value of its day-index key, so
// reports and exports never decode order histories.
type row struct {
	State         app.State `json:"s"`
	Flag          app.Flag  `json:"f,omitempty"`
	Total         app.Fen   `json:"t"`
	Refunded      app.Fen   `json:"r,omitempty"`  // refunds succeeded
	Pending       app.Fen   `json:"rp,omitempty"` // refunds not final yet
	TransactionID string    `json:"x,omitempty"`
	Mode          int       `json:"m,omitempty"` // how it was paid: app.Order.Mode
	Lines         []rowLine `json:"l,omitempty"`
}

type rowLine struct {
	ProductID string  `json:"i"`
	Name      string  `json:"n"`
	UnitPrice app.Fen `json:"p"`
	Qty       int     `json:"q"`
}

func rowOf(o *app.Order) row {
	r := row{State: o.State, Flag: o.Flag, Total: o.Total, TransactionID: o.TransactionID, Mode: o.Mode}
	if o.State.Paid() {
		r.Refunded = o.Refunded()
		r.Pending = o.RefundPending()
	}
	for _, l := range o.Lines {
		r.Lines = append(r.Lines, rowLine{ProductID: l.ProductID, Name: l.Name, UnitPrice: l.UnitPrice, Qty: l.Qty})
	}
	return r
}

// dayKey is yyyymmdd (8 bytes) + 8-byte time + out_trade_no.
func dayKey(d app.Day, at time.Time, no string) []byte {
	k := make([]byte, 0, 16+len(no))
	k = append(k, d[0:4]...)
	k = append(k, d[5:7]...)
	k = append(k, d[8:10]...)
	k = append(k, timeKey(at)...)
	return append(k, no...)
}

// dayPrefix is the 8-byte yyyymmdd prefix of d.
func dayPrefix(d app.Day) []byte {
	return []byte(string(d[0:4]) + string(d[5:7]) + string(d[8:10]))
}

// refundRow is the value of a refund-day key: enough to total refunds by
// the day they were asked for without decoding the order.
type refundRow struct {
	OutTradeNo string          `json:"o"`
	Amount     app.Fen         `json:"a"`
	State      app.RefundState `json:"s"`
}

// refundTime is when a refund counts in reports: when it was asked for
// (older records without that time fall back to its last change, then to
// the order's payment).
func refundTime(o *app.Order, r *app.Refund) time.Time {
	switch {
	case !r.CreatedAt.IsZero():
		return r.CreatedAt
	case !r.UpdatedAt.IsZero():
		return r.UpdatedAt
	}
	return dayTime(o)
}

// indexEntries lists the index keys o owns.
func (s *Store) indexEntries(o *app.Order) ([]indexEntry, error) {
	var es []indexEntry
	created := append(timeKey(o.CreatedAt), o.OutTradeNo...)
	if o.Unsettled() {
		es = append(es, indexEntry{bucket: bucketOpen, key: created})
	}
	if o.Flag != app.FlagNone {
		es = append(es, indexEntry{bucket: bucketFlagged, key: created})
	}
	if inDays(o) {
		at := dayTime(o)
		v, err := json.Marshal(rowOf(o))
		if err != nil {
			return nil, fmt.Errorf("encode day row of %s: %w", o.OutTradeNo, err)
		}
		d := app.BusinessDay(at, s.boundary, s.loc)
		es = append(es, indexEntry{bucket: bucketDays, key: dayKey(d, at, o.OutTradeNo), value: v})
	}
	for i := range o.Refunds {
		r := &o.Refunds[i]
		if r.State == app.RefundFailed || !o.State.Paid() {
			continue // returns nothing and holds nothing back
		}
		v, err := json.Marshal(refundRow{OutTradeNo: o.OutTradeNo, Amount: r.Amount, State: r.State})
		if err != nil {
			return nil, fmt.Errorf("encode refund row of %s: %w", r.OutRefundNo, err)
		}
		at := refundTime(o, r)
		d := app.BusinessDay(at, s.boundary, s.loc)
		es = append(es, indexEntry{bucket: bucketRefundDays, key: dayKey(d, at, r.OutRefundNo), value: v})
	}
	return es, nil
}

// putIndexes replaces old's index entries with o's inside tx.
func (s *Store) putIndexes(tx *bolt.Tx, old, o *app.Order) error {
	if old != nil {
		olds, err := s.indexEntries(old)
		if err != nil {
			return err
		}
		for _, e := range olds {
			if err := tx.Bucket(e.bucket).Delete(e.key); err != nil {
				return fmt.Errorf("index %s of %s: %w", e.bucket, old.OutTradeNo, err)
			}
		}
	}
	news, err := s.indexEntries(o)
	if err != nil {
		return err
	}
	for _, e := range news {
		v := e.value
		if v == nil {
			v = []byte{}
		}
		if err := tx.Bucket(e.bucket).Put(e.key, v); err != nil {
			return fmt.Errorf("index %s of %s: %w", e.bucket, o.OutTradeNo, err)
		}
	}
	return nil
}

// checkIndexes compares every index with what the orders say it should
// hold.
func (s *Store) checkIndexes(tx *bolt.Tx) []error {
	var errs []error
	want := map[string]map[string][]byte{}
	for _, b := range orderIndexBuckets() {
		want[string(b)] = map[string][]byte{}
	}
	err := tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		es, err := s.indexEntries(&o)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		for _, e := range es {
			want[string(e.bucket)][string(e.key)] = e.value
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	for name, keys := range want {
		err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
			w, ok := keys[string(k)]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("index %s has a stray key %q", name, k))
			case !bytes.Equal(w, v):
				errs = append(errs, fmt.Errorf("index %s key %q holds a stale value", name, k))
			}
			delete(keys, string(k))
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		for k := range keys {
			errs = append(errs, fmt.Errorf("index %s misses key %q", name, k))
		}
	}
	return errs
}

// Create stores a new order in state created, durably. It fails with an
// error wrapping ErrExists when the out_trade_no is taken and ErrInvalid
// when the order is malformed (bad out_trade_no, lines that do not add up
// to the total, a payment already on it). A zero CreatedAt is set to now.
func (s *Store) Create(o app.Order) error {
	o.State = app.StateCreated
	if err := validateNew(&o); err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.now()
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketOrders).Get([]byte(o.OutTradeNo)) != nil {
			return fmt.Errorf("order %s: %w", o.OutTradeNo, ErrExists)
		}
		return s.saveOrder(tx, nil, &o)
	})
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	return nil
}

// Get returns a copy of an order with its refunds and history, or an error
// wrapping app.ErrNotFound.
func (s *Store) Get(outTradeNo string) (app.Order, error) {
	if err := CheckOutTradeNo(outTradeNo); err != nil {
		return app.Order{}, fmt.Errorf("get order: %w", err)
	}
	var o app.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		o, err = getOrder(tx, outTradeNo)
		return err
	})
	if err != nil {
		return app.Order{}, fmt.Errorf("get order: %w", err)
	}
	return o, nil
}

// change runs fn on the stored order and saves it with its indexes in one
// transaction. fn returns whether it changed the order; on an error or no
// change nothing is written. The saved order is returned.
func (s *Store) change(outTradeNo string, fn func(o *app.Order) (bool, error)) (app.Order, error) {
	if err := CheckOutTradeNo(outTradeNo); err != nil {
		return app.Order{}, err
	}
	var saved app.Order
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getOrder(tx, outTradeNo)
		if err != nil {
			return err
		}
		// fn works on its own decoded copy so a failure leaves old intact.
		n, err := getOrder(tx, outTradeNo)
		if err != nil {
			return err
		}
		changed, err := fn(&n)
		if err != nil {
			return err
		}
		if !changed {
			saved = old
			return nil
		}
		if err := validateChange(&old, &n); err != nil {
			return err
		}
		v, err := s.saveOrderBytes(tx, &old, &n)
		if err != nil {
			return err
		}
		// Return exactly what Get will return (times as stored).
		saved, err = decodeOrder([]byte(outTradeNo), v)
		return err
	})
	if err != nil {
		return app.Order{}, err
	}
	return saved, nil
}

// Update loads the order, calls fn on it and saves the result with its
// indexes in the same transaction. If fn returns an error nothing is saved
// and the error is returned. The store refuses (with app.ErrIllegalTransition
// or ErrInvalid, saving nothing) a result that moved the state illegally,
// rewrote history, or changed the out_trade_no, creation time, a paid
// order's total or transaction id.
func (s *Store) Update(outTradeNo string, fn func(o *app.Order) error) (app.Order, error) {
	o, err := s.change(outTradeNo, func(o *app.Order) (bool, error) {
		return true, fn(o)
	})
	if err != nil {
		return app.Order{}, fmt.Errorf("update order %s: %w", outTradeNo, err)
	}
	return o, nil
}

// Confirm applies a payment confirmation in one transaction (see
// app.Order.Confirm) and returns the order as saved and the outcome. The
// same transaction twice reports app.AlreadyPaid and writes nothing; an
// amount mismatch or a second transaction id saves the alert and flag but
// makes no sale.
func (s *Store) Confirm(c app.Confirmation, at time.Time) (app.Order, app.ConfirmOutcome, error) {
	var outcome app.ConfirmOutcome
	o, err := s.change(c.OutTradeNo, func(o *app.Order) (bool, error) {
		var err error
		outcome, err = o.Confirm(c, at)
		if err != nil {
			return false, err
		}
		return outcome.Changed(), nil
	})
	if err != nil {
		return app.Order{}, 0, fmt.Errorf("confirm order %s: %w", c.OutTradeNo, err)
	}
	return o, outcome, nil
}

// AddRefund records a refund against a paid order in one transaction (see
// app.Order.AddRefund): the refunded total never exceeds what was paid
// (app.ErrRefundTooLarge), and the same out_refund_no twice is one refund.
func (s *Store) AddRefund(outTradeNo string, r app.Refund, at time.Time) (app.Order, error) {
	if err := checkID("out_refund_no", r.OutRefundNo, 64); err != nil {
		return app.Order{}, fmt.Errorf("refund order %s: %w", outTradeNo, err)
	}
	o, err := s.change(outTradeNo, func(o *app.Order) (bool, error) {
		n := len(o.Refunds)
		if err := o.AddRefund(r, at); err != nil {
			return false, err
		}
		return len(o.Refunds) != n, nil
	})
	if err != nil {
		return app.Order{}, fmt.Errorf("refund order %s: %w", outTradeNo, err)
	}
	return o, nil
}

// SetRefundState records WeChat's news about a refund in one transaction
// (see app.Order.SetRefundState).
func (s *Store) SetRefundState(outTradeNo, outRefundNo, refundID string, st app.RefundState, at time.Time) (app.Order, error) {
	switch st {
	case app.RefundPending, app.RefundProcessing, app.RefundSucceeded, app.RefundFailed, app.RefundChange:
	default:
		return app.Order{}, fmt.Errorf("refund %s of order %s: unknown state %q: %w", outRefundNo, outTradeNo, st, ErrInvalid)
	}
	o, err := s.change(outTradeNo, func(o *app.Order) (bool, error) {
		n := len(o.Events)
		if err := o.SetRefundState(outRefundNo, refundID, st, at); err != nil {
			return false, err
		}
		return len(o.Events) != n, nil
	})
	if err != nil {
		return app.Order{}, fmt.Errorf("refund %s of order %s: %w", outRefundNo, outTradeNo, err)
	}
	return o, nil
}

// OpenOrders returns every order the engine must still settle with WeChat
// (see app.Order.Unsettled: an open state, or a refund without a final
// outcome), oldest first, from the open index without scanning history.
func (s *Store) OpenOrders() ([]app.Order, error) {
	list, err := s.ordersFromIndex(bucketOpen, false)
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	return list, nil
}

// Flagged returns the orders carrying a Flag (paid after cancel, amount
// mismatch, conflicting payment) that the owner must look at, newest first.
func (s *Store) Flagged() ([]app.Order, error) {
	list, err := s.ordersFromIndex(bucketFlagged, true)
	if err != nil {
		return nil, fmt.Errorf("flagged orders: %w", err)
	}
	return list, nil
}

// ordersFromIndex loads the orders an index keyed time + out_trade_no
// names.
func (s *Store) ordersFromIndex(bucket []byte, newestFirst bool) ([]app.Order, error) {
	var out []app.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			if len(k) <= 8 {
				return fmt.Errorf("index %s key %q: %w", bucket, k, ErrCorrupt)
			}
			o, err := getOrder(tx, string(k[8:]))
			if err != nil {
				if errors.Is(err, app.ErrNotFound) {
					return fmt.Errorf("index %s names missing order %s: %w", bucket, k[8:], ErrCorrupt)
				}
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	if newestFirst {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, err
}

package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

var _ app.ReconcileLedger = (*Store)(nil)

// bucketReconciliations holds one app.Reconciliation per bill day, keyed
// yyyymmdd. It is created by the first SaveReconciliation, so ledgers
// written before it need no migration; readers treat it missing as empty.
var bucketReconciliations = []byte("reconciliations")

// SaveReconciliation stores a day's reconciliation, replacing the one
// stored before, in one transaction.
func (s *Store) SaveReconciliation(r app.Reconciliation) error {
	if _, err := app.ParseDay(string(r.Day)); err != nil {
		return fmt.Errorf("save reconciliation: %w: %w", err, ErrInvalid)
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save reconciliation %s: %w", r.Day, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketReconciliations)
		if err != nil {
			return err
		}
		return b.Put(dayPrefix(r.Day), v)
	})
	if err != nil {
		return fmt.Errorf("save reconciliation %s: %w", r.Day, err)
	}
	return nil
}

// Reconciliation returns day's stored reconciliation, or an error wrapping
// app.ErrNotFound when the day was never reconciled.
func (s *Store) Reconciliation(day app.Day) (app.Reconciliation, error) {
	if _, err := app.ParseDay(string(day)); err != nil {
		return app.Reconciliation{}, fmt.Errorf("reconciliation: %w: %w", err, ErrInvalid)
	}
	var r app.Reconciliation
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReconciliations)
		var v []byte
		if b != nil {
			v = b.Get(dayPrefix(day))
		}
		if v == nil {
			return app.ErrNotFound
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil
	})
	if err != nil {
		return app.Reconciliation{}, fmt.Errorf("reconciliation of %s: %w", day, err)
	}
	return r, nil
}

// Reconciliations lists the stored reconciliations of days from..to,
// oldest first. Days never reconciled are absent (app.Unreconciled).
func (s *Store) Reconciliations(from, to app.Day) ([]app.Reconciliation, error) {
	if _, err := checkRange(from, to); err != nil {
		return nil, fmt.Errorf("reconciliations: %w", err)
	}
	var out []app.Reconciliation
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReconciliations)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		hi := string(dayPrefix(to))
		for k, v := c.Seek(dayPrefix(from)); k != nil && string(k) <= hi; k, v = c.Next() {
			var r app.Reconciliation
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("reconciliation %s: %w: %w", k, ErrCorrupt, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reconciliations %s to %s: %w", from, to, err)
	}
	return out, nil
}

// ExplainDifference records the owner's explanation of difference i of
// day's reconciliation (see app.Reconciliation.Explain) in one transaction
// and returns the day as saved. The caller checks the owner's PIN and puts
// who explained it in note.
func (s *Store) ExplainDifference(day app.Day, i int, note string, at time.Time) (app.Reconciliation, error) {
	var r app.Reconciliation
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReconciliations)
		var v []byte
		if b != nil {
			v = b.Get(dayPrefix(day))
		}
		if v == nil {
			return app.ErrNotFound
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if err := r.Explain(i, note, at); err != nil {
			return err
		}
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(dayPrefix(day), nv)
	})
	if err != nil {
		return app.Reconciliation{}, fmt.Errorf("explain difference %d of %s: %w", i, day, err)
	}
	return r, nil
}

// BillOrders lists the orders whose payment or refunds may fall on day's
// bill (a Beijing calendar day): the orders of business days day−1 to
// day+1, the orders of the refunds asked for on those days and every
// order still open (a payment the kiosk never heard of leaves its order
// awaiting), each once. app.Reconcile picks what falls inside the day.
func (s *Store) BillOrders(day app.Day) ([]app.Order, error) {
	if _, err := app.ParseDay(string(day)); err != nil {
		return nil, fmt.Errorf("bill orders: %w: %w", err, ErrInvalid)
	}
	from, to := day.Add(-1), day.Add(1)
	out, err := s.DayOrders(from, to)
	if err != nil {
		return nil, fmt.Errorf("bill orders of %s: %w", day, err)
	}
	seen := make(map[string]bool, len(out))
	for _, o := range out {
		seen[o.OutTradeNo] = true
	}
	open, err := s.OpenOrders()
	if err != nil {
		return nil, fmt.Errorf("bill orders of %s: %w", day, err)
	}
	for _, o := range open {
		if !seen[o.OutTradeNo] {
			seen[o.OutTradeNo] = true
			out = append(out, o)
		}
	}
	var more []string
	err = s.scan(from, to, func(*dayRow) error { return nil }, func(r *refundDayRow) error {
		if !seen[r.OutTradeNo] {
			seen[r.OutTradeNo] = true
			more = append(more, r.OutTradeNo)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bill orders of %s: %w", day, err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, no := range more {
			o, err := getOrder(tx, no)
			if errors.Is(err, app.ErrNotFound) {
				return fmt.Errorf("refund-day index names missing order %s: %w", no, ErrCorrupt)
			}
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bill orders of %s: %w", day, err)
	}
	return out, nil
}

// OldestDay returns the oldest business day of the day index (an order
// paid, closed, expired or flagged); "" when the ledger has none.
func (s *Store) OldestDay() (app.Day, error) {
	var d app.Day
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketDays).Cursor().First()
		if k == nil {
			return nil
		}
		if len(k) < 8 {
			return fmt.Errorf("day index key %q: %w", k, ErrCorrupt)
		}
		d = app.Day(string(k[0:4]) + "-" + string(k[4:6]) + "-" + string(k[6:8]))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("oldest day: %w", err)
	}
	return d, nil
}

// AddFound stores a paid order that only WeChat's bill knew of, with its
// transaction and a flag, in one transaction. It fails with ErrExists when
// the out_trade_no is taken and ErrInvalid unless the order is paid, has a
// transaction id and a flag, and carries no refunds.
func (s *Store) AddFound(o app.Order) error {
	switch {
	case CheckOutTradeNo(o.OutTradeNo) != nil:
		return fmt.Errorf("add found order: %w", CheckOutTradeNo(o.OutTradeNo))
	case !o.State.Paid() || o.TransactionID == "" || o.Flag == app.FlagNone || o.Total <= 0 || len(o.Refunds) > 0:
		return fmt.Errorf("add found order %s: a found order is paid, flagged, with a transaction and no refunds: %w", o.OutTradeNo, ErrInvalid)
	case len(o.Lines) > 0 && app.LinesTotal(o.Lines) != o.Total:
		return fmt.Errorf("add found order %s: total is not the lines' sum: %w", o.OutTradeNo, ErrInvalid)
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
		return fmt.Errorf("add found order: %w", err)
	}
	return nil
}

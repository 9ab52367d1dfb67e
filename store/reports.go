package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

// MaxRangeDays bounds a report's range (about ten years).
const MaxRangeDays = 3660

// dayRow is one day-index entry decoded: the order's summary row, its
// business day, its out_trade_no and the time it counts at.
type dayRow struct {
	row
	Day        app.Day
	OutTradeNo string
	At         time.Time
}

// refundDayRow is one refund-day index entry decoded.
type refundDayRow struct {
	refundRow
	Day         app.Day
	OutRefundNo string
	At          time.Time
}

// checkRange validates a report's day range and returns its length.
func checkRange(from, to app.Day) (int, error) {
	f, err := time.Parse(app.DayLayout, string(from))
	if err != nil {
		return 0, fmt.Errorf("from %q: want YYYY-MM-DD: %w", from, ErrInvalid)
	}
	t, err := time.Parse(app.DayLayout, string(to))
	if err != nil {
		return 0, fmt.Errorf("to %q: want YYYY-MM-DD: %w", to, ErrInvalid)
	}
	if t.Before(f) {
		return 0, fmt.Errorf("range %s to %s ends before it starts: %w", from, to, ErrInvalid)
	}
	n := int(t.Sub(f).Hours()/24) + 1
	if n > MaxRangeDays {
		return 0, fmt.Errorf("range %s to %s is %d days, at most %d: %w", from, to, n, MaxRangeDays, ErrInvalid)
	}
	return n, nil
}

// eachRow calls fn for every day-index row of days from..to, oldest first,
// inside one short read transaction. fn must not keep references to the
// row's byte slices (it gets decoded copies only).
func (s *Store) eachRow(from, to app.Day, fn func(r *dayRow) error) error {
	return s.scan(from, to, fn, nil)
}

// scan calls onSale for every day-index row and then onRefund (if not nil)
// for every refund-day row of days from..to, each oldest first, inside one
// short read transaction so both agree.
func (s *Store) scan(from, to app.Day, onSale func(r *dayRow) error, onRefund func(r *refundDayRow) error) error {
	if _, err := checkRange(from, to); err != nil {
		return err
	}
	lo, hi := dayPrefix(from), dayPrefix(to.Add(1))
	return s.db.View(func(tx *bolt.Tx) error {
		if err := s.scanSales(tx, lo, hi, onSale); err != nil {
			return err
		}
		if onRefund == nil {
			return nil
		}
		return s.scanRefunds(tx, lo, hi, onRefund)
	})
}

// scanRefunds decodes the refund-day keys in [lo, hi).
func (s *Store) scanRefunds(tx *bolt.Tx, lo, hi []byte, fn func(r *refundDayRow) error) error {
	c := tx.Bucket(bucketRefundDays).Cursor()
	var r refundDayRow
	for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
		if len(k) <= 16 {
			return fmt.Errorf("refund-day index key %q: %w", k, ErrCorrupt)
		}
		r = refundDayRow{
			Day:         app.Day(string(k[0:4]) + "-" + string(k[4:6]) + "-" + string(k[6:8])),
			At:          time.Unix(0, int64(binary.BigEndian.Uint64(k[8:16]))).In(s.loc),
			OutRefundNo: string(k[16:]),
		}
		if err := json.Unmarshal(v, &r.refundRow); err != nil {
			return fmt.Errorf("refund-day row %s: %w: %w", k[16:], ErrCorrupt, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
}

// scanSales decodes the day-index keys in [lo, hi).
func (s *Store) scanSales(tx *bolt.Tx, lo, hi []byte, fn func(r *dayRow) error) error {
	c := tx.Bucket(bucketDays).Cursor()
	var r dayRow
	for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
		if len(k) <= 16 {
			return fmt.Errorf("day index key %q: %w", k, ErrCorrupt)
		}
		r = dayRow{
			Day:        app.Day(string(k[0:4]) + "-" + string(k[4:6]) + "-" + string(k[6:8])),
			At:         time.Unix(0, int64(binary.BigEndian.Uint64(k[8:16]))).In(s.loc),
			OutTradeNo: string(k[16:]),
		}
		if err := json.Unmarshal(v, &r.row); err != nil {
			return fmt.Errorf("day row %s: %w: %w", k[16:], ErrCorrupt, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
}

// Summary answers "what did we take?" for business days from..to
// inclusive: sales (paid orders, paid after cancel too), gross, refunds,
// pending refunds, net, by product, by hour of payment, orders by state, one
// total per day and the flagged count. It reads only those days' index
// entries. Sales count on the business day of their payment; refunds on the
// business day they were asked for, as money returned once WeChat reports
// them succeeded and as pending (not subtracted from net) until their
// outcome is final. A failed refund counts nowhere.
func (s *Store) Summary(from, to app.Day) (app.Summary, error) {
	n, err := checkRange(from, to)
	if err != nil {
		return app.Summary{}, fmt.Errorf("summary: %w", err)
	}
	acc := newSummer(from, n)
	if err := s.scan(from, to, acc.add, acc.addRefund); err != nil {
		return app.Summary{}, fmt.Errorf("summary %s to %s: %w", from, to, err)
	}
	return acc.finish(), nil
}

// summer accumulates day rows, oldest first, into an app.Summary.
type summer struct {
	sum       app.Summary
	byProduct map[string]*app.ProductTotal
	day       int
}

func newSummer(from app.Day, days int) *summer {
	a := &summer{
		sum:       app.Summary{From: from, To: from.Add(days - 1), ByState: map[app.State]int{}, Days: make([]app.DayTotal, days)},
		byProduct: map[string]*app.ProductTotal{},
	}
	for i := range a.sum.Days {
		a.sum.Days[i].Day = from.Add(i)
	}
	return a
}

func (a *summer) add(r *dayRow) error {
	sum := &a.sum
	for a.day < len(sum.Days)-1 && sum.Days[a.day].Day < r.Day {
		a.day++
	}
	sum.ByState[r.State]++
	if r.Flag != app.FlagNone {
		sum.Flagged++
	}
	if !r.State.Paid() {
		return nil
	}
	sum.Sales++
	sum.Gross += r.Total
	sum.ByHour[r.At.Hour()] += r.Total
	d := &sum.Days[a.day]
	d.Sales++
	d.Gross += r.Total
	d.Net += r.Total
	for _, l := range r.Lines {
		p := a.byProduct[l.ProductID]
		if p == nil {
			p = &app.ProductTotal{ProductID: l.ProductID, Name: l.Name}
			a.byProduct[l.ProductID] = p
		}
		p.Qty += l.Qty
		p.Amount += l.UnitPrice * app.Fen(l.Qty)
	}
	return nil
}

// addRefund adds a refund-day row; rows may come in any order after the
// sales.
func (a *summer) addRefund(r *refundDayRow) error {
	i, err := dayOffset(a.sum.From, r.Day)
	if err != nil || i < 0 || i >= len(a.sum.Days) {
		return fmt.Errorf("refund %s on day %s outside %s to %s: %w", r.OutRefundNo, r.Day, a.sum.From, a.sum.To, ErrCorrupt)
	}
	d := &a.sum.Days[i]
	switch {
	case r.State == app.RefundSucceeded:
		a.sum.Refunds += r.Amount
		d.Refunds += r.Amount
		d.Net -= r.Amount
	case r.State != app.RefundFailed:
		a.sum.RefundsPending += r.Amount
		d.RefundsPending += r.Amount
	}
	return nil
}

// dayOffset is how many days d lies after from.
func dayOffset(from, d app.Day) (int, error) {
	f, err := time.Parse(app.DayLayout, string(from))
	if err != nil {
		return 0, err
	}
	t, err := time.Parse(app.DayLayout, string(d))
	if err != nil {
		return 0, err
	}
	return int(t.Sub(f).Hours() / 24), nil
}

func (a *summer) finish() app.Summary {
	sum := a.sum
	sum.Net = sum.Gross - sum.Refunds
	for _, p := range a.byProduct {
		sum.ByProduct = append(sum.ByProduct, *p)
	}
	sort.Slice(sum.ByProduct, func(i, j int) bool {
		x, y := sum.ByProduct[i], sum.ByProduct[j]
		if x.Amount != y.Amount {
			return x.Amount > y.Amount
		}
		return x.ProductID < y.ProductID
	})
	return sum
}

// DayOrders lists the orders of business days from..to whose outcome
// matters to the owner (paid, refunded, flagged, closed, expired), newest
// first, each with its refunds and history.
func (s *Store) DayOrders(from, to app.Day) ([]app.Order, error) {
	var nos []string
	err := s.eachRow(from, to, func(r *dayRow) error {
		nos = append(nos, r.OutTradeNo)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders of %s to %s: %w", from, to, err)
	}
	out := make([]app.Order, 0, len(nos))
	// Separate short read transactions per batch keep a long day from
	// pinning old pages while the kiosk writes.
	const batch = 256
	for start := 0; start < len(nos); start += batch {
		end := min(start+batch, len(nos))
		err := s.db.View(func(tx *bolt.Tx) error {
			for i := len(nos) - 1 - start; i >= len(nos)-end; i-- {
				o, err := getOrder(tx, nos[i])
				if errors.Is(err, app.ErrNotFound) {
					return fmt.Errorf("day index names missing order %s: %w", nos[i], ErrCorrupt)
				}
				if err != nil {
					return err
				}
				out = append(out, o)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("orders of %s to %s: %w", from, to, err)
		}
	}
	return out, nil
}

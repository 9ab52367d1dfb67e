package store

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

// errRunning is the message a command gives when the kiosk holds the file.
func errRunning(path string) error {
	//lint:ignore ST1005 the message is shown to people as is and starts with the product name.
	return fmt.Errorf("Saoma is running and holds %s; close it or export from its Sales screen (☰ → 销售): %w", path, ErrLocked)
}

// ExportCommand implements `saoma export -data DIR (-date D | -from D -to D)
// -format csv|xlsx -o FILE`. It opens the ledger read-only, never creates
// one, and writes FILE atomically (stdout without -o).
func ExportCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", ".", "kiosk data directory holding "+LedgerFile)
	date := fs.String("date", "", "business day to export, YYYY-MM-DD")
	from := fs.String("from", "", "first business day of a range, YYYY-MM-DD")
	to := fs.String("to", "", "last business day of a range, YYYY-MM-DD")
	format := fs.String("format", "", "csv or xlsx (default: from -o's extension, else csv)")
	out := fs.String("o", "", "output file (default stdout)")
	lang := fs.String("lang", "", "zh or en (default: both, \"中文 English\")")
	byDay := fs.Bool("by-day", false, "CSV: one row per business day instead of one per order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *date != "" {
		if *from != "" || *to != "" {
			return fmt.Errorf("export: give -date or -from/-to, not both: %w", ErrInvalid)
		}
		*from, *to = *date, *date
	}
	if *from == "" || *to == "" {
		return fmt.Errorf("export: give -date YYYY-MM-DD or -from and -to: %w", ErrInvalid)
	}
	f := app.ExportFormat(strings.ToLower(*format))
	if f == "" {
		f = app.ExportCSV
		if strings.EqualFold(filepath.Ext(*out), ".xlsx") {
			f = app.ExportXLSX
		}
	}
	path := LedgerPath(*dir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		demo := LedgerPath(filepath.Join(*dir, "demo"))
		if _, derr := os.Stat(demo); derr != nil {
			return fmt.Errorf("no ledger in %s (%s does not exist); nothing to export", *dir, path)
		}
		fmt.Fprintf(stderr, "exporting the demo ledger %s (no live ledger in %s)\n", demo, *dir)
		path = demo
	}
	opts := app.ExportOptions{Format: f, Lang: *lang, ByDay: *byDay}
	s, err := Open(path, Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, ErrLocked) {
		return errRunning(path)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if *out == "" {
		return s.ExportWith(stdout, app.Day(*from), app.Day(*to), opts)
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error {
		return s.ExportWith(w, app.Day(*from), app.Day(*to), opts)
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %s to %s as %s to %s\n", *from, *to, f, *out)
	return nil
}

// SeedDemoCommand implements `saoma seed-demo -data DIR -days N -per-day M
// [-seed S] [-kiosk K]`: it fills the ledger (creating it) with the demo
// catalog and realistic demo trading ending today. The same seed gives the
// same orders.
func SeedDemoCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", ".", "kiosk data directory")
	days := fs.Int("days", 14, "days of trading, ending today")
	perDay := fs.Int("per-day", 60, "orders per day")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same orders")
	kiosk := fs.String("kiosk", "K1", "kiosk id in the out_trade_nos")
	boundary := fs.Duration("day-boundary", 4*time.Hour, "business day start after midnight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *days < 1 || *days > MaxRangeDays || *perDay < 1 || *perDay > 20000 {
		return fmt.Errorf("seed-demo: -days must be 1..%d and -per-day 1..20000: %w", MaxRangeDays, ErrInvalid)
	}
	if err := checkID("kiosk id", *kiosk, MaxKioskID); err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	path := LedgerPath(*dir)
	s, err := Open(path, Options{DayBoundary: *boundary})
	if errors.Is(err, ErrLocked) {
		return errRunning(path)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.seedDemo(*kiosk, *days, *perDay, *seed, time.Now())
	if err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	fmt.Fprintf(stdout, "seeded %d orders over %d days into %s\n", n, *days, path)
	return nil
}

// hourWeights is a café's day: a breakfast rush, a lunch peak, a quiet
// afternoon and an evening tail.
func hourWeights() [24]int {
	return [24]int{7: 4, 8: 10, 9: 7, 10: 4, 11: 8, 12: 12, 13: 8, 14: 4, 15: 4, 16: 4, 17: 5, 18: 5, 19: 3, 20: 2, 21: 1}
}

// seedDemo writes demo trading: one transaction per day, every order moved
// through app's state machine. It returns the number of orders written.
func (s *Store) seedDemo(kiosk string, days, perDay int, seed uint64, now time.Time) (int, error) {
	catalog := app.DemoCatalog()
	for _, p := range catalog {
		if err := s.PutProduct(p); err != nil {
			return 0, err
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5a0a))
	weights := hourWeights()
	total := 0
	for _, w := range weights {
		total += w
	}
	today := app.BusinessDay(now, s.boundary, s.loc)
	written := 0
	for d := days - 1; d >= 0; d-- {
		day := today.Add(-d)
		midnight := day.Time(s.loc)
		base, err := s.reserveSeq(kiosk, midnight, perDay)
		if err != nil {
			return written, err
		}
		var orders []app.Order
		for i := 0; i < perDay; i++ {
			pick := rng.IntN(total)
			hour := 0
			for pick >= weights[hour] {
				pick -= weights[hour]
				hour++
			}
			at := midnight.Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
			if at.After(now) {
				continue
			}
			orders = append(orders, demoOrder(rng, catalog, kiosk, at, base+i+1, i))
		}
		if err := s.putOrders(orders); err != nil {
			return written, err
		}
		written += len(orders)
	}
	return written, nil
}

// demoOrder builds one order of a demo day and plays its life through
// app's state machine.
func demoOrder(rng *rand.Rand, catalog []app.Product, kiosk string, at time.Time, seq, i int) app.Order {
	var cart app.Cart
	for n := 1 + rng.IntN(3); n > 0; n-- {
		cart.Add(catalog[rng.IntN(len(catalog))])
	}
	no := fmt.Sprintf("%s%s%06d", kiosk, at.Format("20060102"), seq)
	o := app.Order{OutTradeNo: no, KioskID: kiosk, Lines: cart.Lines(), Total: cart.Total(), Body: "小店-演示",
		ProductID: cart.Lines()[0].ProductID, Mode: 2, State: app.StateCreated, CreatedAt: at,
		TimeStart: at, TimeExpire: at.Add(2 * time.Hour),
		CodeURL: "weixin://wxpay/bizpayurl?pr=demo" + no, QRIssuedAt: at.Add(time.Second)}
	_ = o.Move(app.StateAwaiting, app.SourceUnifiedOrder, at.Add(time.Second), "QR shown")
	pay := func(after time.Duration) {
		_, _ = o.Confirm(app.Confirmation{OutTradeNo: no, TransactionID: fmt.Sprintf("4200%s%08d", at.Format("20060102"), seq),
			TotalFee: o.Total, TimeEnd: at.Add(after), OpenID: "demo-openid", Source: app.SourceNotification}, at.Add(after))
	}
	switch roll := rng.IntN(100); {
	case i == 3: // a customer who paid after the cashier gave up
		_ = o.Move(app.StateCancelPending, app.SourceCashier, at.Add(40*time.Second), "cancelled by cashier")
		_ = o.Move(app.StateClosed, app.SourceClose, at.Add(41*time.Second), "closed")
		pay(90 * time.Second)
	case roll < 5:
		_ = o.Move(app.StateCancelPending, app.SourceCashier, at.Add(30*time.Second), "cancelled by cashier")
		_ = o.Move(app.StateClosed, app.SourceClose, at.Add(31*time.Second), "closed")
	case roll < 7:
		_ = o.Move(app.StateExpired, app.SourceQuery, at.Add(2*time.Hour), "QR expired unpaid")
	case roll < 9:
		pay(20 * time.Second)
		_ = o.AddRefund(app.Refund{OutRefundNo: "R" + no, Amount: o.Lines[0].UnitPrice, Reason: "顾客退货", State: app.RefundSucceeded}, at.Add(10*time.Minute))
	default:
		pay(time.Duration(10+rng.IntN(50)) * time.Second)
	}
	return o
}

// reserveSeq takes n numbers of kiosk's sequence for date's calendar day
// and returns the last one used before them.
func (s *Store) reserveSeq(kiosk string, date time.Time, n int) (int, error) {
	var base uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeq)
		key := []byte(kiosk + "/" + date.In(s.loc).Format("20060102"))
		if v := b.Get(key); len(v) == 8 {
			base = binary.BigEndian.Uint64(v)
		}
		if base+uint64(n) > maxSeq {
			return fmt.Errorf("kiosk %s has no %d numbers left for %s: %w", kiosk, n, key, ErrInvalid)
		}
		return b.Put(key, u64(base+uint64(n)))
	})
	return int(base), err
}

// putOrders writes finished orders and their indexes in one transaction
// (demo seeding and benchmark fixtures). Existing out_trade_nos are
// skipped, so seeding twice adds nothing twice.
func (s *Store) putOrders(orders []app.Order) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrders)
		for i := range orders {
			if err := CheckOutTradeNo(orders[i].OutTradeNo); err != nil {
				return err
			}
			if b.Get([]byte(orders[i].OutTradeNo)) != nil {
				continue
			}
			if err := s.saveOrder(tx, nil, &orders[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"saoma/app"
)

// fixtures holds the benchmark ledgers built once per test process; the
// year of history takes seconds to build and every benchmark run reuses it.
// TestMain removes the files.
var fixtures struct {
	sync.Mutex
	dir  string
	year string // ≈200,000 sales over 365 days
	busy string // one day of 10,000 sales
}

func cleanupFixtures() {
	fixtures.Lock()
	defer fixtures.Unlock()
	if fixtures.dir != "" {
		_ = os.RemoveAll(fixtures.dir)
	}
}

// fixture returns the path of a ledger built by build, once per process.
func fixture(b *testing.B, slot *string, name string, build func(s *Store) error) string {
	b.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if *slot != "" {
		return *slot
	}
	if fixtures.dir == "" {
		d, err := os.MkdirTemp("", "saoma-bench")
		if err != nil {
			b.Fatal(err)
		}
		fixtures.dir = d
	}
	path := filepath.Join(fixtures.dir, name)
	s, err := Open(path, Options{DayBoundary: 4 * time.Hour, Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	if err := build(s); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	*slot = path
	return path
}

// salesOfDay makes n paid orders spread over a day's trading hours.
func salesOfDay(day time.Time, n int) []app.Order {
	catalog := app.DemoCatalog()
	out := make([]app.Order, n)
	for i := range out {
		when := day.Add(7*time.Hour + time.Duration(i)*(14*time.Hour)/time.Duration(n))
		p, q := catalog[i%len(catalog)], catalog[(i*7)%len(catalog)]
		lines := []app.Line{{ProductID: p.ID, Name: p.Name, UnitPrice: p.Price, Qty: 1 + i%3}, {ProductID: q.ID, Name: q.Name, UnitPrice: q.Price, Qty: 1}}
		no := fmt.Sprintf("K1%s%06d", day.Format("20060102"), i+1)
		o := app.Order{OutTradeNo: no, KioskID: "K1", Lines: lines, Total: app.LinesTotal(lines), Mode: 2,
			State: app.StateCreated, CreatedAt: when, TimeStart: when, TimeExpire: when.Add(2 * time.Hour)}
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=" + no
		_ = o.Move(app.StateAwaiting, app.SourceUnifiedOrder, when, "qr")
		_, _ = o.Confirm(app.Confirmation{OutTradeNo: no, TransactionID: "42" + no, TotalFee: o.Total, TimeEnd: when.Add(30 * time.Second)}, when.Add(30*time.Second))
		out[i] = o
	}
	return out
}

func yearLedger(b *testing.B) string {
	return fixture(b, &fixtures.year, "year.db", func(s *Store) error {
		start := time.Date(2025, 11, 23, 0, 0, 0, 0, shanghai)
		for d := 0; d < 365; d++ {
			if err := s.putOrders(salesOfDay(start.AddDate(0, 0, d), 548)); err != nil {
				return err
			}
		}
		return nil
	})
}

func busyDayLedger(b *testing.B) string {
	return fixture(b, &fixtures.busy, "busy.db", func(s *Store) error {
		orders := salesOfDay(time.Date(2026, 11, 22, 0, 0, 0, 0, shanghai), 10000)
		for i := 0; i < len(orders); i += 2000 {
			if err := s.putOrders(orders[i:min(i+2000, len(orders))]); err != nil {
				return err
			}
		}
		return nil
	})
}

func openFixture(b *testing.B, path string) *Store {
	b.Helper()
	s, err := Open(path, Options{DayBoundary: 4 * time.Hour, Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkRecordSale creates and confirms one order per op, each durably
// (two fsync'd transactions), and reports the p50 and p99 latency.
func BenchmarkRecordSale(b *testing.B) {
	s := mustOpenStore(b)
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		no, err := s.NextOutTradeNo("K1", start)
		if err != nil {
			b.Fatal(err)
		}
		o := newOrder(no, start)
		if err := s.Create(o); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Confirm(paidConfirmation(o, "TX"+no, start), start); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkDaySummary answers one day inside a year of ≈200,000 sales.
// Target: under 20 ms.
func BenchmarkDaySummary(b *testing.B) {
	s := openFixture(b, yearLedger(b))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := s.Summary("2026-06-15", "2026-06-15")
		if err != nil || sum.Sales != 548 {
			b.Fatalf("summary: %d sales, %v", sum.Sales, err)
		}
	}
}

// BenchmarkExportCSV exports a day of 10,000 sales. Target: under 150 ms.
func BenchmarkExportCSV(b *testing.B) {
	s := openFixture(b, busyDayLedger(b))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Export(io.Discard, "2026-11-22", "2026-11-22", app.ExportCSV); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportXLSX exports a day of 10,000 sales. Target: under 1.5 s.
func BenchmarkExportXLSX(b *testing.B) {
	s := openFixture(b, busyDayLedger(b))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Export(io.Discard, "2026-11-22", "2026-11-22", app.ExportXLSX); err != nil {
			b.Fatal(err)
		}
	}
}

package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// crashWriterEnv names the ledger the child writer of TestCrashKeepsEveryAcknowledgedSale
// writes to; when set, the test binary is that child and runs no tests.
const crashWriterEnv = "SAOMA_CRASH_WRITER_LEDGER"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashWriterEnv); path != "" {
		os.Exit(crashWriter(path))
	}
	code := m.Run()
	cleanupFixtures()
	os.Exit(code)
}

var shanghai = defaultLocation()

// at returns a Shanghai wall-clock time on 2026-11-22.
func at(hour, minute int) time.Time {
	return time.Date(2026, 11, 22, hour, minute, 0, 0, shanghai)
}

// mustOpenStore opens a fresh ledger in a temp dir with a 04:00 day
// boundary and closes it when the test ends.
func mustOpenStore(t testing.TB) *Store {
	t.Helper()
	return mustOpenPath(t, filepath.Join(t.TempDir(), LedgerFile))
}

func mustOpenPath(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{DayBoundary: 4 * time.Hour, Location: shanghai, Now: func() time.Time { return at(12, 0) }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newOrder is a created order of two coffees and a croissant.
func newOrder(no string, created time.Time) app.Order {
	lines := []app.Line{
		{ProductID: "1001", Name: "美式咖啡", UnitPrice: 1800, Qty: 2},
		{ProductID: "2001", Name: "牛角面包", UnitPrice: 1000, Qty: 1},
	}
	return app.Order{OutTradeNo: no, KioskID: "K1", Lines: lines, Total: app.LinesTotal(lines),
		Body: "小店-2件商品", ProductID: "1001", Mode: 2, CreatedAt: created,
		TimeStart: created, TimeExpire: created.Add(2 * time.Hour), CodeURL: "weixin://wxpay/bizpayurl?pr=" + no}
}

func mustCreate(t testing.TB, s *Store, o app.Order) {
	t.Helper()
	if err := s.Create(o); err != nil {
		t.Fatalf("create %s: %v", o.OutTradeNo, err)
	}
}

func paidConfirmation(o app.Order, tx string, when time.Time) app.Confirmation {
	return app.Confirmation{OutTradeNo: o.OutTradeNo, TransactionID: tx, TotalFee: o.Total, TimeEnd: when, Source: app.SourceNotification}
}

// mustPaid creates and confirms an order paid at when.
func mustPaid(t testing.TB, s *Store, no string, when time.Time) app.Order {
	t.Helper()
	o := newOrder(no, when.Add(-time.Minute))
	mustCreate(t, s, o)
	got, outcome, err := s.Confirm(paidConfirmation(o, "TX"+no, when), when)
	if err != nil || outcome != app.Confirmed {
		t.Fatalf("confirm %s: %v, %v", no, outcome, err)
	}
	return got
}

// dayIndexCount counts the day-index keys naming no.
func dayIndexCount(t testing.TB, s *Store, no string) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDays).ForEach(func(k, _ []byte) error {
			if string(k[16:]) == no {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	mustOpenPath(t, path)
	_, err := Open(path, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	_, err = Open(path, Options{Timeout: 100 * time.Millisecond, ReadOnly: true})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only open beside the kiosk: got %v, want ErrLocked", err)
	}
}

func TestOpenRefusesBadInput(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), LedgerFile), Options{DayBoundary: 25 * time.Hour})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	_, err = Open(filepath.Join(t.TempDir(), "missing.db"), Options{ReadOnly: true})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open of a missing file: got %v, want ErrNotExist", err)
	}
}

func TestSchemaTooNewIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	s := mustOpenPath(t, path)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+1))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("read-only %v: got %v, want ErrSchemaTooNew", ro, err)
		}
	}
}

func TestVersion0FileIsMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	// A version-0 ledger: products and orders, no meta, no indexes.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	paid := newOrder("K120261122000001", at(10, 0))
	paid.State = app.StateCreated
	if _, err := paid.Confirm(paidConfirmation(paid, "TX1", at(10, 1)), at(10, 1)); err != nil {
		t.Fatal(err)
	}
	if err := paid.AddRefund(app.Refund{OutRefundNo: "R1", Amount: 1000, State: app.RefundSucceeded}, at(10, 0).AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	open := newOrder("K120261122000002", at(11, 0))
	open.State = app.StateCreated
	err = db.Update(func(tx *bolt.Tx) error {
		ob, _ := tx.CreateBucket(bucketOrders)
		pb, _ := tx.CreateBucket(bucketProducts)
		for _, o := range []app.Order{paid, open} {
			v, _ := json.Marshal(o)
			if err := ob.Put([]byte(o.OutTradeNo), v); err != nil {
				return err
			}
		}
		v, _ := json.Marshal(app.DemoCatalog()[0])
		return pb.Put([]byte(app.DemoCatalog()[0].ID), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNeedsUpgrade) {
		t.Fatalf("read-only open of version 0: got %v, want ErrNeedsUpgrade", err)
	}
	s := mustOpenPath(t, path)
	mustCheck(t, s)
	opens, err := s.OpenOrders()
	if err != nil || len(opens) != 1 || opens[0].OutTradeNo != open.OutTradeNo {
		t.Fatalf("open orders after migration: %v, %v", opens, err)
	}
	sum, err := s.Summary("2026-11-22", "2026-11-22")
	if err != nil || sum.Sales != 1 || sum.Gross != paid.Total || sum.Refunds != 0 {
		t.Fatalf("summary after migration: %+v, %v", sum, err)
	}
	if next, err := s.Summary("2026-11-23", "2026-11-23"); err != nil || next.Refunds != 1000 {
		t.Fatalf("refund day after migration: %+v, %v", next, err)
	}
	if p, err := s.ProductByQRID("P1001"); err != nil || p.ID != "1001" {
		t.Fatalf("QR index after migration: %v, %v", p, err)
	}
	var v uint64
	_ = s.db.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	if v != SchemaVersion {
		t.Fatalf("schema after migration = %d, want %d", v, SchemaVersion)
	}
}

func TestOutTradeNoIsUniqueAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	seen := map[string]bool{}
	for round := 0; round < 3; round++ {
		s, err := Open(path, Options{Location: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			no, err := s.NextOutTradeNo("K1", at(9, 0))
			if err != nil {
				t.Fatal(err)
			}
			if seen[no] {
				t.Fatalf("round %d: %s handed out twice", round, no)
			}
			if err := CheckOutTradeNo(no); err != nil || len(no) > 32 {
				t.Fatalf("%s is not a valid out_trade_no: %v", no, err)
			}
			seen[no] = true
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// kiosk id + yymmdd + a random part per opening + a 4-digit sequence:
	// each opening (a restart, a restored backup) has its own random part.
	parts := map[string]bool{}
	for no := range seen {
		if len(no) != len("K1")+6+4+4 || !strings.HasPrefix(no, "K1261122") {
			t.Fatalf("%s: want K1 + 261122 + 4 random + 4 digits", no)
		}
		parts[no[8:12]] = true
	}
	if len(parts) != 3 {
		t.Errorf("3 openings used %d random parts: %v", len(parts), seen)
	}
}

func TestTwoTillsWithOneKioskIDNeverShareANumber(t *testing.T) {
	a, b := mustOpenStore(t), mustOpenStore(t)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		for _, s := range []*Store{a, b} {
			no, err := s.NextOutTradeNo("K1", at(9, 0))
			if err != nil {
				t.Fatal(err)
			}
			if seen[no] {
				t.Fatalf("%s handed out by both tills", no)
			}
			seen[no] = true
		}
	}
}

func TestNextOutTradeNoRefusesBadKioskIDs(t *testing.T) {
	s := mustOpenStore(t)
	for _, id := range []string{"", "K 1", "店1", "K1234567890123456789", "K1/2"} {
		t.Run(fmt.Sprintf("kiosk id %q is refused", id), func(t *testing.T) {
			if _, err := s.NextOutTradeNo(id, at(9, 0)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestCatalogAndSettings(t *testing.T) {
	s := mustOpenStore(t)
	for _, p := range app.DemoCatalog() {
		if err := s.PutProduct(p); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := s.Products()
	if err != nil || len(ps) != len(app.DemoCatalog()) {
		t.Fatalf("products: %d, %v", len(ps), err)
	}
	p, err := s.ProductByQRID("P2002")
	if err != nil || p.Name != "抹茶蛋糕" {
		t.Fatalf("by QR id: %+v, %v", p, err)
	}
	taken := app.Product{ID: "9", Name: "x", Price: 1, QRID: "P2002"}
	if err := s.PutProduct(taken); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate QR id: got %v, want ErrExists", err)
	}
	if err := s.PutProduct(app.Product{ID: "9", Name: "x", Price: 0}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zero price: got %v, want ErrInvalid", err)
	}
	p.QRID = "P9999"
	if err := s.PutProduct(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProductByQRID("P2002"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("old QR id still resolves: %v", err)
	}
	if _, err := s.Product("nope"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("missing product: %v", err)
	}

	if err := s.PutSetting("shop.name", "小店"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSetting("", "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty key: %v", err)
	}
	m, err := s.Settings()
	if err != nil || m["shop.name"] != "小店" || len(m) != 1 {
		t.Fatalf("settings: %v, %v", m, err)
	}
	if err := s.PutSetting("shop.name", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Setting("shop.name"); ok {
		t.Fatal("empty value did not delete the setting")
	}
}

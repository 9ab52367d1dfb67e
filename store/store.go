package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Compile-time checks that Store provides what the application needs.
var (
	_ app.Orders  = (*Store)(nil)
	_ app.Catalog = (*Store)(nil)
	_ app.Reports = (*Store)(nil)
)

// SchemaVersion is the version of the ledger layout this code writes.
// Version 2: the open index also holds paid orders with a refund whose
// outcome WeChat has not reported yet. Version 3: the refund-day index
// (refunds by the business day they were asked for) and day rows carrying
// pending refunds.
// Version 4: day rows carry the payment method (QR, shelf QR, payment code).
const SchemaVersion = 4

// LedgerFile is the name of the ledger inside the kiosk's data directory.
const LedgerFile = "ledger.db"

// LedgerPath returns the path of the ledger file in the data directory dir.
func LedgerPath(dir string) string { return filepath.Join(dir, LedgerFile) }

// ErrLocked is returned (wrapped) by Open when another process, or another
// Open in this process, holds the ledger file.
//
//lint:ignore ST1005 the message is shown to people as is and starts with the product name.
var ErrLocked = errors.New("Saoma is already running (the ledger file is locked)")

// ErrSchemaTooNew is returned (wrapped) by Open when the file was written by
// a newer Saoma whose layout this code does not understand.
var ErrSchemaTooNew = errors.New("the ledger was written by a newer version of Saoma")

// ErrNeedsUpgrade is returned (wrapped) by Open with Options.ReadOnly when
// the file still has an older layout; opening it once for writing (the
// kiosk does) migrates it.
var ErrNeedsUpgrade = errors.New("the ledger has an older layout; start the kiosk once to upgrade it")

// ErrInvalid is returned (wrapped, with the reason) when an argument is
// malformed: a bad out_trade_no, kiosk id, date range, setting or order. The
// ledger is not changed.
var ErrInvalid = errors.New("invalid input")

// ErrExists is returned (wrapped) when creating an order whose out_trade_no
// is already stored, or putting a product whose QR id another product uses.
var ErrExists = errors.New("already exists")

// ErrCorrupt is returned (wrapped) when stored data cannot be decoded or an
// index disagrees with the orders.
var ErrCorrupt = errors.New("ledger is corrupt")

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// DefaultLocation is the shop's time zone unless Options.Location says
// otherwise.
const DefaultLocation = app.ShopZone

// Options configure Open. The zero value is usable.
type Options struct {
	// Timeout is how long Open waits for another holder of the file to let
	// go before returning ErrLocked. Default 1s. Longer makes a restart that
	// races the old process more forgiving; shorter reports a running kiosk
	// sooner.
	Timeout time.Duration
	// DayBoundary is when a business day starts after local midnight, e.g.
	// 4h so that a 02:00 sale counts toward the previous evening. Default 0
	// (midnight); must be in [0, 24h). Changing it rebuilds the day index at
	// the next Open.
	DayBoundary time.Duration
	// Location is the shop's time zone for business days, out_trade_no
	// dates and export times. Default Asia/Shanghai (UTC+8 when the zone
	// database is missing; China has no daylight saving).
	Location *time.Location
	// Now is the clock, used when an order is created without a CreatedAt.
	// Default time.Now.
	Now func() time.Time
	// ReadOnly opens the file for reading only (exports from the command
	// line). Several readers may share the file, but not with the kiosk.
	// The day boundary and time zone stored in the file are used and
	// DayBoundary/Location are ignored; the file is never created.
	ReadOnly bool
}

// Store is the ledger. Its methods are safe for concurrent use.
type Store struct {
	db       *bolt.DB
	path     string
	boundary time.Duration
	loc      *time.Location
	now      func() time.Time

	seqMu sync.Mutex
	nonce string // this Open's random part of new order numbers
}

var (
	bucketMeta     = []byte("meta")
	bucketProducts = []byte("products")
	bucketQRIDs    = []byte("qrids")
	bucketSettings = []byte("settings")
	bucketSeq      = []byte("seq")
	bucketOrders   = []byte("orders")
	bucketOpen     = []byte("open")
	bucketFlagged  = []byte("flagged")
	bucketDays     = []byte("days")
	// bucketRefundDays holds one key per refund that has not failed:
	// yyyymmdd + 8-byte time it was asked for + out_refund_no.
	bucketRefundDays = []byte("refunddays")

	keySchema   = []byte("schema")
	keyBoundary = []byte("day_boundary")
	keyLocation = []byte("location")
)

// allBuckets lists every bucket of the current schema version.
func allBuckets() [][]byte {
	return [][]byte{bucketMeta, bucketProducts, bucketQRIDs, bucketSettings, bucketSeq,
		bucketOrders, bucketOpen, bucketFlagged, bucketDays, bucketRefundDays}
}

// orderIndexBuckets lists the indexes derived from the orders.
func orderIndexBuckets() [][]byte {
	return [][]byte{bucketOpen, bucketFlagged, bucketDays, bucketRefundDays}
}

func defaultLocation() *time.Location { return app.ShopLocation() }

// Open opens the ledger at path, creating it unless opts.ReadOnly, and
// migrates an older layout. It returns an error wrapping ErrLocked when the
// file is held by someone else, and ErrSchemaTooNew for a newer layout.
func Open(path string, opts Options) (*Store, error) {
	if opts.DayBoundary < 0 || opts.DayBoundary >= 24*time.Hour {
		return nil, fmt.Errorf("open ledger %s: day boundary %s not in [0, 24h): %w", path, opts.DayBoundary, ErrInvalid)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Location == nil {
		opts.Location = defaultLocation()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadOnly {
		// bbolt would report a missing file only as a failed open; say it.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open ledger %s: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open ledger %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	s := &Store{db: db, path: path, boundary: opts.DayBoundary, loc: opts.Location, now: opts.Now, nonce: newNonce()}
	if opts.ReadOnly {
		err = s.loadReadOnly()
	} else {
		err = db.Update(s.prepare)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	return s, nil
}

// Close releases the file. Calls after the first return an error from bbolt
// only if closing failed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close ledger %s: %w", s.path, err)
	}
	return nil
}

// Path returns the ledger file's path.
func (s *Store) Path() string { return s.path }

// schemaOf reads the file's schema version: 0 for a file written before
// versioning, -1 for a brand-new empty file.
func schemaOf(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if tx.Bucket(bucketOrders) == nil && tx.Bucket(bucketProducts) == nil && tx.Bucket(bucketSettings) == nil {
			return -1, nil
		}
		return 0, nil
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0, fmt.Errorf("meta: schema version is %d bytes: %w", len(v), ErrCorrupt)
	}
	n := binary.BigEndian.Uint64(v)
	if n > 1<<30 {
		return 0, fmt.Errorf("schema version %d: %w", n, ErrSchemaTooNew)
	}
	return int(n), nil
}

// prepare creates, migrates and re-indexes the file inside Open's write
// transaction, so a crash leaves either the old file or the finished one.
func (s *Store) prepare(tx *bolt.Tx) error {
	v, err := schemaOf(tx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d, this Saoma understands %d: %w", v, SchemaVersion, ErrSchemaTooNew)
	}
	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	// 0 → 1: no indexes yet; 1 → 2: open index holds unsettled refunds;
	// 2 → 3: refund-day index, pending refunds in day rows.
	rebuild := v < 4
	if v == 0 {
		if err := rebuildQRIDs(tx); err != nil {
			return fmt.Errorf("migrate to schema 1: %w", err)
		}
	}
	if v >= 1 {
		b, l := meta.Get(keyBoundary), meta.Get(keyLocation)
		if len(b) != 8 || time.Duration(binary.BigEndian.Uint64(b)) != s.boundary || string(l) != s.loc.String() {
			rebuild = true
		}
	}
	if rebuild {
		if err := s.rebuildOrderIndexes(tx); err != nil {
			return fmt.Errorf("build indexes: %w", err)
		}
	}
	if err := meta.Put(keySchema, u64(SchemaVersion)); err != nil {
		return err
	}
	if err := meta.Put(keyBoundary, u64(uint64(s.boundary))); err != nil {
		return err
	}
	return meta.Put(keyLocation, []byte(s.loc.String()))
}

// loadReadOnly checks the version and takes the index's day boundary and
// time zone from the file.
func (s *Store) loadReadOnly() error {
	return s.db.View(func(tx *bolt.Tx) error {
		v, err := schemaOf(tx)
		if err != nil {
			return err
		}
		switch {
		case v > SchemaVersion:
			return fmt.Errorf("schema version %d, this Saoma understands %d: %w", v, SchemaVersion, ErrSchemaTooNew)
		case v < SchemaVersion:
			return fmt.Errorf("schema version %d: %w", v, ErrNeedsUpgrade)
		}
		meta := tx.Bucket(bucketMeta)
		if b := meta.Get(keyBoundary); len(b) == 8 {
			s.boundary = time.Duration(binary.BigEndian.Uint64(b))
		}
		if name := string(meta.Get(keyLocation)); name != "" {
			if loc, err := time.LoadLocation(name); err == nil {
				s.loc = loc
			}
		}
		return nil
	})
}

// rebuildQRIDs rebuilds the QR id index from the products.
func rebuildQRIDs(tx *bolt.Tx) error {
	if err := resetBucket(tx, bucketQRIDs); err != nil {
		return err
	}
	q := tx.Bucket(bucketQRIDs)
	return tx.Bucket(bucketProducts).ForEach(func(k, v []byte) error {
		p, err := decodeProduct(v)
		if err != nil {
			return err
		}
		if p.QRID == "" {
			return nil
		}
		return q.Put([]byte(p.QRID), []byte(p.ID))
	})
}

// rebuildOrderIndexes recomputes open, flagged, days and refunddays from
// the orders.
func (s *Store) rebuildOrderIndexes(tx *bolt.Tx) error {
	for _, name := range orderIndexBuckets() {
		if err := resetBucket(tx, name); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			return err
		}
		return s.putIndexes(tx, nil, &o)
	})
}

func resetBucket(tx *bolt.Tx, name []byte) error {
	if tx.Bucket(name) != nil {
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("reset bucket %s: %w", name, err)
		}
	}
	if _, err := tx.CreateBucket(name); err != nil {
		return fmt.Errorf("reset bucket %s: %w", name, err)
	}
	return nil
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// Backup writes a consistent copy of the whole ledger to w while the kiosk
// keeps running, and returns the number of bytes written. The copy is a
// valid ledger file; see the package documentation for how to restore it.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up ledger %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a backup to path atomically: a temporary file in the
// same directory (".NAME.tmp" and digits, see CleanTemp) is written,
// fsync'd and renamed, so path holds either the previous backup or the
// complete new one, and a failed backup leaves no temporary file. It
// refuses to overwrite the ledger itself.
func (s *Store) BackupFile(path string) error {
	if same, _ := sameFile(path, s.path); same {
		return fmt.Errorf("back up ledger to %s: that is the ledger itself: %w", path, ErrInvalid)
	}
	err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := s.Backup(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("back up ledger: %w", err)
	}
	return nil
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// syncDir makes a rename in dir durable. Some systems cannot fsync a
// directory; that is not an error worth failing a finished backup for.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

// Check verifies the ledger: bbolt's own consistency check of pages and
// freelist, then that every index agrees with the orders (each order is in
// the open, flagged and day indexes exactly when it should be, and nothing
// else is). It returns an error wrapping ErrCorrupt listing what is wrong.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) == 0 {
			errs = append(errs, s.checkIndexes(tx)...)
		}
		if len(errs) > 0 {
			if len(errs) > 20 {
				errs = append(errs[:20], fmt.Errorf("… and %d more", len(errs)-20))
			}
			return fmt.Errorf("check ledger %s: %w: %w", s.path, ErrCorrupt, errors.Join(errs...))
		}
		return nil
	})
}

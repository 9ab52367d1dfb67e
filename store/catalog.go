package store

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"saoma/app"

	bolt "go.etcd.io/bbolt"
)

// MaxSettingKey and MaxSettingValue bound a setting's key and value in
// bytes.
const (
	MaxSettingKey   = 200
	MaxSettingValue = 64 << 10
)

func decodeProduct(v []byte) (app.Product, error) {
	var p app.Product
	if err := json.Unmarshal(v, &p); err != nil {
		return p, fmt.Errorf("product: %w: %w", ErrCorrupt, err)
	}
	return p, nil
}

// Products returns the whole catalog, inactive products too, ordered by id.
func (s *Store) Products() ([]app.Product, error) {
	var ps []app.Product
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProducts).ForEach(func(_, v []byte) error {
			p, err := decodeProduct(v)
			if err != nil {
				return err
			}
			ps = append(ps, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return ps, nil
}

// Product returns one product, or an error wrapping app.ErrNotFound.
func (s *Store) Product(id string) (app.Product, error) {
	var p app.Product
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = getProduct(tx, id)
		return err
	})
	if err != nil {
		return app.Product{}, fmt.Errorf("product %q: %w", id, err)
	}
	return p, nil
}

func getProduct(tx *bolt.Tx, id string) (app.Product, error) {
	if id == "" {
		return app.Product{}, app.ErrNotFound
	}
	v := tx.Bucket(bucketProducts).Get([]byte(id))
	if v == nil {
		return app.Product{}, app.ErrNotFound
	}
	return decodeProduct(v)
}

// ProductByQRID finds the product a mode-1 QR's product_id names, or
// returns an error wrapping app.ErrNotFound.
func (s *Store) ProductByQRID(qrID string) (app.Product, error) {
	var p app.Product
	err := s.db.View(func(tx *bolt.Tx) error {
		if qrID == "" {
			return app.ErrNotFound
		}
		id := tx.Bucket(bucketQRIDs).Get([]byte(qrID))
		if id == nil {
			return app.ErrNotFound
		}
		var err error
		p, err = getProduct(tx, string(id))
		return err
	})
	if err != nil {
		return app.Product{}, fmt.Errorf("product with QR id %q: %w", qrID, err)
	}
	return p, nil
}

// PutProduct adds or replaces a product after app.Product.Validate. A QR id
// must be unique across the catalog (ErrExists otherwise).
func (s *Store) PutProduct(p app.Product) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("put product: %w: %w", ErrInvalid, err)
	}
	if len(p.ID) > 64 || !utf8.ValidString(p.Name) || len(p.Name) > 200 || len(p.Category) > 200 {
		return fmt.Errorf("put product %q: id, name or category too long or not UTF-8: %w", p.ID, ErrInvalid)
	}
	if p.QRID != "" {
		if err := checkID("QR id", p.QRID, 32); err != nil {
			return fmt.Errorf("put product %s: %w", p.ID, err)
		}
	}
	v, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("put product %s: %w", p.ID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		q := tx.Bucket(bucketQRIDs)
		if p.QRID != "" {
			if owner := q.Get([]byte(p.QRID)); owner != nil && string(owner) != p.ID {
				return fmt.Errorf("QR id %s belongs to product %s: %w", p.QRID, owner, ErrExists)
			}
		}
		if old, err := getProduct(tx, p.ID); err == nil && old.QRID != "" && old.QRID != p.QRID {
			if err := q.Delete([]byte(old.QRID)); err != nil {
				return err
			}
		}
		if p.QRID != "" {
			if err := q.Put([]byte(p.QRID), []byte(p.ID)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketProducts).Put([]byte(p.ID), v)
	})
	if err != nil {
		return fmt.Errorf("put product %s: %w", p.ID, err)
	}
	return nil
}

// Settings returns every stored setting.
func (s *Store) Settings() (map[string]string, error) {
	m := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).ForEach(func(k, v []byte) error {
			m[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return m, nil
}

// Setting returns one setting and whether it is set.
func (s *Store) Setting(key string) (string, bool, error) {
	var (
		val string
		ok  bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSettings).Get([]byte(key)); v != nil {
			val, ok = string(v), true
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("setting %q: %w", key, err)
	}
	return val, ok, nil
}

// PutSetting stores a setting durably; an empty value deletes it. Keys are
// 1 to 200 bytes and values at most 64 KiB of UTF-8. Secrets (API keys)
// do not belong here: they live in the 0600 config file and the ledger is
// backed up and copied around.
func (s *Store) PutSetting(key, value string) error {
	if key == "" || len(key) > MaxSettingKey || !utf8.ValidString(key) {
		return fmt.Errorf("put setting %q: key must be 1 to %d bytes of UTF-8: %w", key, MaxSettingKey, ErrInvalid)
	}
	if len(value) > MaxSettingValue || !utf8.ValidString(value) {
		return fmt.Errorf("put setting %q: value must be at most %d bytes of UTF-8: %w", key, MaxSettingValue, ErrInvalid)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if value == "" {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("put setting %q: %w", key, err)
	}
	return nil
}

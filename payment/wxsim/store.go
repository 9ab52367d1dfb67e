package wxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Trade states the simulator can reach (orderquery's trade_state).
const (
	StateNotPay     = "NOTPAY"
	StateSuccess    = "SUCCESS"
	StateClosed     = "CLOSED"
	StateRefund     = "REFUND"
	StatePayError   = "PAYERROR"
	StateUserPaying = "USERPAYING"
	StateRevoked    = "REVOKED" // a 付款码 order reversed
)

// Refund statuses (refundquery's refund_status_$n).
const (
	RefundProcessing = "PROCESSING"
	RefundSuccess    = "SUCCESS"
)

// Order is the simulator's record of one unified order, as listed by
// GET /sim/orders and Sim.Orders.
type Order struct {
	OutTradeNo string            `json:"out_trade_no"`
	Body       string            `json:"body"`
	Attach     string            `json:"attach,omitempty"`
	ProductID  string            `json:"product_id"`
	DeviceInfo string            `json:"device_info,omitempty"`
	TotalFee   int64             `json:"total_fee"`
	NotifyURL  string            `json:"notify_url"`
	TradeType  string            `json:"trade_type"`
	V3         bool              `json:"v3,omitempty"` // created through API v3: notified in v3 form
	Request    map[string]string `json:"-"`            // business parameters of the first call, for re-entry
	SignType   string            `json:"sign_type"`
	Created    time.Time         `json:"created"`
	TimeExpire time.Time         `json:"time_expire,omitzero"`

	PrepayID string    `json:"prepay_id"`
	CodeURL  string    `json:"code_url"`
	PrepayAt time.Time `json:"prepay_at"`
	State    string    `json:"trade_state"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	PaidAt   time.Time `json:"time_end,omitzero"`
	OpenID   string    `json:"openid,omitempty"`
	BankType string    `json:"bank_type,omitempty"`
	TransID  string    `json:"transaction_id,omitempty"`
	Refunds  []Refund  `json:"refunds,omitempty"`

	// 付款码 (MICROPAY) orders only.
	PasswordAt      time.Time `json:"password_at,omitzero"`        // a USERPAYING order settles then
	PasswordOK      bool      `json:"password_ok,omitempty"`       // … as SUCCESS (else PAYERROR)
	RevokedAt       time.Time `json:"revoked_at,omitzero"`         // reversed (trade_state REVOKED)
	ReverseRefundID string    `json:"reverse_refund_id,omitempty"` // a paid order reversed: its money returned

	Notify NotifyState `json:"notify"`
}

// Refund is one accepted refund of an order.
type Refund struct {
	OutRefundNo string      `json:"out_refund_no"`
	RefundID    string      `json:"refund_id"`
	RefundFee   int64       `json:"refund_fee"`
	Desc        string      `json:"refund_desc,omitempty"`
	Status      string      `json:"refund_status"`
	Created     time.Time   `json:"created"`
	SuccessAt   time.Time   `json:"success_time,omitzero"`
	NotifyURL   string      `json:"notify_url,omitempty"` // refund result notification target
	V3          bool        `json:"v3,omitempty"`         // requested through API v3: notified in v3 form
	Notify      NotifyState `json:"notify"`
}

// NotifyState tracks the payment notification of a paid order.
type NotifyState struct {
	Pending  bool      `json:"pending"`            // more attempts will be made
	Attempts int       `json:"attempts"`           // attempts made so far
	NextAt   time.Time `json:"next_at,omitzero"`   // when the next attempt is due
	Acked    bool      `json:"acked"`              // the merchant answered SUCCESS
	GaveUp   bool      `json:"gave_up,omitempty"`  // schedule exhausted without SUCCESS
	Nonce    string    `json:"nonce"`              // nonce_str of every copy of this notification
	LastErr  string    `json:"last_err,omitempty"` // why the last attempt failed
}

// orderRecord is Order plus the fields JSON hides from /sim/orders.
type orderRecord struct {
	Order
	Request map[string]string `json:"request"`
}

// Bucket names.
const (
	bucketOrders = "orders"
	bucketShort  = "shorturls"
	bucketMeta   = "meta"
)

// store persists the simulator's state in bbolt. A nil *store keeps
// everything in memory only.
type store struct {
	db *bolt.DB
}

func openStore(dir string) (*store, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("wxsim: data dir: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "wxsim.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("wxsim: open store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketOrders, bucketShort, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("wxsim: init store: %w", err)
	}
	return &store{db: db}, nil
}

func (st *store) close() error {
	if st == nil {
		return nil
	}
	return st.db.Close()
}

func (st *store) putOrder(o *Order) error {
	if st == nil {
		return nil
	}
	data, err := json.Marshal(orderRecord{Order: *o, Request: o.Request})
	if err != nil {
		return fmt.Errorf("wxsim: encode order %s: %w", o.OutTradeNo, err)
	}
	err = st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketOrders)).Put([]byte(o.OutTradeNo), data)
	})
	if err != nil {
		return fmt.Errorf("wxsim: save order %s: %w", o.OutTradeNo, err)
	}
	return nil
}

func (st *store) putShort(short, long string) error {
	if st == nil {
		return nil
	}
	err := st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketShort)).Put([]byte(short), []byte(long))
	})
	if err != nil {
		return fmt.Errorf("wxsim: save short url: %w", err)
	}
	return nil
}

func (st *store) getMeta(key string) []byte {
	if st == nil {
		return nil
	}
	var out []byte
	_ = st.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out
}

func (st *store) putMeta(key string, value []byte) error {
	if st == nil {
		return nil
	}
	err := st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("wxsim: save %s: %w", key, err)
	}
	return nil
}

// load calls fn for every stored order and short link.
func (st *store) load(order func(*Order), short func(s, l string)) error {
	if st == nil {
		return nil
	}
	return st.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket([]byte(bucketOrders)).ForEach(func(k, v []byte) error {
			var rec orderRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("wxsim: decode order %s: %w", k, err)
			}
			o := rec.Order
			o.Request = rec.Request
			if o.Request == nil {
				return errors.New("wxsim: stored order without request parameters")
			}
			order(&o)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketShort)).ForEach(func(k, v []byte) error {
			short(string(k), string(v))
			return nil
		})
	})
}

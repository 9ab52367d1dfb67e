package relay

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DBFile is the name of the relay's bbolt file inside ServerConfig.DataDir.
const DBFile = "relay.db"

// Bucket layout. Kiosk data lives in flat buckets keyed by kiosk id, so
// ten thousand kiosks cost no pages until they have traffic:
//
//	meta/epoch               random id of this store, fixed at creation
//	queue/<id>\x00<seq>      stored message (see encodeValue)
//	seen/<id>\x00<dedupe>    received-at (8 bytes), for duplicate detection
//	ack/<id>                 last acknowledged seq
//	seq/<id>                 last assigned seq
//
// Sequence numbers are 8-byte big-endian, so keys sort by seq; ids never
// contain \x00 (kioskIDPattern).
var (
	bucketMeta  = []byte("meta")
	bucketQueue = []byte("queue")
	bucketSeen  = []byte("seen")
	bucketAck   = []byte("ack")
	bucketSeq   = []byte("seq")
	keyEpoch    = []byte("epoch")
)

// errQueueFull is returned when a kiosk already has ServerConfig.MaxQueue
// unacknowledged messages: WeChat is answered FAIL and retries later.
var errQueueFull = errors.New("relay: kiosk queue full")

// errUnverifiedFull is returned when a message the relay could not verify
// would take a kiosk's queue beyond ServerConfig.MaxUnverified: WeChat is
// answered FAIL and retries later.
var errUnverifiedFull = errors.New("relay: kiosk queue holds too many unverified messages")

// queueLimit is how many unacknowledged messages a kiosk may have stored
// before a new one is refused, and the error refusing it.
type queueLimit struct {
	max int64
	err error
}

// store is the relay's durable queue: one bbolt file.
type store struct {
	db      *bolt.DB
	epochID string
}

// record is one stored message.
type record struct {
	seq    uint64
	at     int64 // Unix nanoseconds when the relay stored it
	body   []byte
	header map[string]string // API v3 signature headers; nil for API v2
}

// hasHeader marks, in the top bit of a stored value's received-at field,
// the layout with headers. Received-at is a positive Unix time in
// nanoseconds, so values written before headers existed never have it.
const hasHeader = uint64(1) << 63

// encodeValue renders a queue value. Without headers it is the original
// layout, received-at (8 bytes, big-endian Unix ns) + body, which every
// relay version reads. With headers the received-at field has its top bit
// (hasHeader) set and is followed by the headers' length (uvarint), the
// headers as a JSON object, then the body.
func encodeValue(at int64, header map[string]string, body []byte) ([]byte, error) {
	if len(header) == 0 {
		val := make([]byte, 8+len(body))
		binary.BigEndian.PutUint64(val, uint64(at))
		copy(val[8:], body)
		return val, nil
	}
	if at < 0 {
		return nil, fmt.Errorf("received-at %d before 1970", at)
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encode headers: %w", err)
	}
	val := binary.BigEndian.AppendUint64(make([]byte, 0, 8+binary.MaxVarintLen64+len(hj)+len(body)), uint64(at)|hasHeader)
	val = binary.AppendUvarint(val, uint64(len(hj)))
	val = append(val, hj...)
	return append(val, body...), nil
}

// decodeValue parses a queue value of either layout (encodeValue), copying
// the body out of v.
func decodeValue(v []byte) (at int64, header map[string]string, body []byte, err error) {
	if len(v) < 8 {
		return 0, nil, nil, errors.New("value shorter than 8 bytes")
	}
	raw := binary.BigEndian.Uint64(v[:8])
	if raw&hasHeader == 0 {
		return int64(raw), nil, bytes.Clone(v[8:]), nil
	}
	rest := v[8:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return 0, nil, nil, errors.New("bad header length")
	}
	if err := json.Unmarshal(rest[k:k+int(n)], &header); err != nil {
		return 0, nil, nil, fmt.Errorf("decode headers: %w", err)
	}
	return int64(raw &^ hasHeader), header, bytes.Clone(rest[k+int(n):]), nil
}

// kioskState is what the store knows of a kiosk at startup.
type kioskState struct {
	acked, last uint64
	queued      int
}

// openStore opens (creating if needed) dir/relay.db and creates the epoch
// on first use.
func openStore(dir string) (*store, error) {
	if dir == "" {
		return nil, errors.New("relay: DataDir is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: data dir: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("relay: open %s: locked by another process (is a relay already running on this data dir?): %w", path, err)
		}
		return nil, fmt.Errorf("relay: open %s: %w", path, err)
	}
	st := &store{db: db}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketQueue, bucketSeen, bucketAck, bucketSeq} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if e := meta.Get(keyEpoch); e != nil {
			st.epochID = string(e)
			return nil
		}
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		st.epochID = hex.EncodeToString(b[:])
		return meta.Put(keyEpoch, []byte(st.epochID))
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("relay: initialise %s: %w", path, err)
	}
	return st, nil
}

// close closes the bbolt file.
func (st *store) close() error { return st.db.Close() }

// epoch returns the random id of this store, fixed at creation.
func (st *store) epoch() string { return st.epochID }

// check opens a read transaction.
func (st *store) check() error {
	if err := st.db.View(func(tx *bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("relay: store unreadable: %w", err)
	}
	return nil
}

// commit applies gc in one bbolt transaction: acknowledgements (pruning
// their messages) first, so they make room for the batch, then the
// notifications, then dedupe expiry.
func (st *store) commit(gc *groupCommit) error {
	gc.results = make([]ingestResult, len(gc.msgs))
	gc.deleted = make(map[string]int64, len(gc.acks))
	added := make(map[string]int64)
	err := st.db.Update(func(tx *bolt.Tx) error {
		for id, want := range gc.acks {
			n, err := pruneAcked(tx, id, want)
			if err != nil {
				return fmt.Errorf("prune kiosk %s: %w", id, err)
			}
			gc.deleted[id] = int64(n)
		}
		for i, m := range gc.msgs {
			queued := m.queued + added[m.kiosk] - gc.deleted[m.kiosk]
			seq, dup, err := ingest(tx, m, queued)
			if err != nil && !errors.Is(err, errQueueFull) && !errors.Is(err, errUnverifiedFull) {
				return fmt.Errorf("store for kiosk %s: %w", m.kiosk, err)
			}
			gc.results[i] = ingestResult{seq: seq, dup: dup, err: err}
			if err == nil && !dup {
				added[m.kiosk]++
			}
		}
		if gc.expireSeen {
			if _, err := expireSeen(tx, gc.seenCutoff); err != nil {
				return fmt.Errorf("expire dedupe keys: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		clear(gc.deleted)
		clear(gc.results)
		return fmt.Errorf("relay: commit: %w", err)
	}
	return nil
}

// prefix is the key prefix of kiosk id in the queue and seen buckets.
func prefix(id string) []byte {
	return append([]byte(id), 0)
}

// queueKey is the key of message seq of kiosk id.
func queueKey(id string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(prefix(id), seq)
}

// getSeq reads an 8-byte sequence value, 0 when absent.
func getSeq(b *bolt.Bucket, key []byte) uint64 {
	if v := b.Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// putSeq writes an 8-byte sequence value.
func putSeq(b *bolt.Bucket, key []byte, seq uint64) error {
	return b.Put(key, binary.BigEndian.AppendUint64(nil, seq))
}

// states reads every kiosk's acknowledged and last sequence and queue
// length in one pass. Kiosks without a record get the zero state.
func (st *store) states() (map[string]kioskState, error) {
	out := make(map[string]kioskState)
	err := st.db.View(func(tx *bolt.Tx) error {
		ack, seq := tx.Bucket(bucketAck), tx.Bucket(bucketSeq)
		if err := seq.ForEach(func(k, v []byte) error {
			ks := out[string(k)]
			ks.last = binary.BigEndian.Uint64(v)
			ks.acked = getSeq(ack, k)
			out[string(k)] = ks
			return nil
		}); err != nil {
			return err
		}
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 || len(k)-i-1 != 8 {
				return fmt.Errorf("corrupt queue key %x", k)
			}
			ks := out[string(k[:i])]
			ks.queued++
			out[string(k[:i])] = ks
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("relay: read kiosk states: %w", err)
	}
	return out, nil
}

// readAfter returns up to max stored messages of kiosk id with a sequence
// above after, in order. The values are copied out of the transaction.
func (st *store) readAfter(id string, after uint64, max int) ([]record, error) {
	var out []record
	p := prefix(id)
	err := st.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.Seek(queueKey(id, after+1)); k != nil && bytes.HasPrefix(k, p) && len(out) < max; k, v = c.Next() {
			if len(k) != len(p)+8 {
				return fmt.Errorf("corrupt queue key %x", k)
			}
			at, header, body, err := decodeValue(v)
			if err != nil {
				return fmt.Errorf("corrupt queue entry %x: %w", k, err)
			}
			out = append(out, record{seq: binary.BigEndian.Uint64(k[len(p):]), at: at, body: body, header: header})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("relay: read queue of kiosk %s: %w", id, err)
	}
	return out, nil
}

// ingest runs inside the commit transaction: it stores m for its kiosk
// unless one of its dedupe keys was seen before. queued is the kiosk's
// queue length including earlier messages of this transaction; at
// m.limit.max or beyond the message is refused with m.limit.err (a
// duplicate is still recognised).
func ingest(tx *bolt.Tx, m pendingMsg, queued int64) (seq uint64, dup bool, err error) {
	id := m.kiosk
	seen := tx.Bucket(bucketSeen)
	keys := make([][]byte, 0, 1+len(m.alsoDedupe))
	for _, d := range append([]string{m.dedupe}, m.alsoDedupe...) {
		key := append(prefix(id), d...)
		if seen.Get(key) != nil {
			return 0, true, nil
		}
		keys = append(keys, key)
	}
	if queued >= m.limit.max {
		return 0, false, m.limit.err
	}
	val, err := encodeValue(m.at, m.header, m.body)
	if err != nil {
		return 0, false, err
	}
	seqs := tx.Bucket(bucketSeq)
	seq = getSeq(seqs, []byte(id)) + 1
	if err := putSeq(seqs, []byte(id), seq); err != nil {
		return 0, false, err
	}
	if err := tx.Bucket(bucketQueue).Put(queueKey(id, seq), val); err != nil {
		return 0, false, err
	}
	seenAt := binary.BigEndian.AppendUint64(nil, uint64(m.at))
	for _, key := range keys {
		if err := seen.Put(key, seenAt); err != nil {
			return 0, false, err
		}
	}
	return seq, false, nil
}

// pruneAcked runs inside the commit transaction: it records acked as the
// kiosk's acknowledged sequence and deletes every message up to it. It
// returns how many messages it deleted.
func pruneAcked(tx *bolt.Tx, id string, acked uint64) (int, error) {
	if err := putSeq(tx.Bucket(bucketAck), []byte(id), acked); err != nil {
		return 0, err
	}
	q := tx.Bucket(bucketQueue)
	p := prefix(id)
	// Collect first: deleting while iterating can skip keys.
	var keys [][]byte
	c := q.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && binary.BigEndian.Uint64(k[len(p):]) <= acked; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := q.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// expireSeen runs inside the commit transaction: it forgets dedupe keys
// recorded before cutoff (Unix ns) and returns how many it removed.
func expireSeen(tx *bolt.Tx, cutoff int64) (int, error) {
	seen := tx.Bucket(bucketSeen)
	var keys [][]byte
	c := seen.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff {
			keys = append(keys, bytes.Clone(k))
		}
	}
	for _, k := range keys {
		if err := seen.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

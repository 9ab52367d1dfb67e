package relay

// queue is the relay's durable store: one ordered queue of notifications
// per kiosk, the kiosks' acknowledged and last sequences, and the dedupe
// keys. The Server's HTTP handlers and sessions reach storage only through
// it; store (bbolt) is the one implementation.
//
// Methods may be called concurrently, but commit has a single caller, the
// Server's commit goroutine: it is the only writer, which is what makes a
// kiosk's in-memory queue length (pendingMsg.queued) exact.
type queue interface {
	// epoch identifies the store. It changes only when the store is
	// recreated (its data lost), which tells kiosks that sequence numbers
	// restarted.
	epoch() string
	// states reads every kiosk's acknowledged and last sequence and queue
	// length, for the Server's in-memory state at startup.
	states() (map[string]kioskState, error)
	// readAfter returns up to max stored messages of kiosk id with a
	// sequence above after, in order, copied out of the store.
	readAfter(id string, after uint64, max int) ([]record, error)
	// commit applies gc in one durable transaction (fsync included): all of
	// it, or with an error none of it. It fills gc's outputs.
	commit(gc *groupCommit) error
	// check reports an error when the store cannot be read (health).
	check() error
	// close closes the store.
	close() error
}

var _ queue = (*store)(nil)

// groupCommit is one transaction of the queue: acknowledgements to apply,
// notifications to store, dedupe keys to expire. The Server fills the
// inputs; queue.commit fills the outputs.
type groupCommit struct {
	// acks maps a kiosk id to its new acknowledged sequence: its messages
	// up to that sequence are deleted.
	acks map[string]uint64
	// msgs are the notifications to store, in order.
	msgs []pendingMsg
	// expireSeen asks to forget dedupe keys recorded before seenCutoff
	// (Unix ns).
	expireSeen bool
	seenCutoff int64

	// deleted counts, per kiosk id, the messages deleted by acks.
	deleted map[string]int64
	// results answers msgs one for one: a sequence, a duplicate, or
	// errQueueFull / errUnverifiedFull.
	results []ingestResult
}

// pendingMsg is one notification for queue.commit.
type pendingMsg struct {
	kiosk  string
	dedupe string // key that identifies its duplicates
	// alsoDedupe are further keys: a message matching any of them is a
	// duplicate too (API v3: the notification id and the signature).
	alsoDedupe []string
	body       []byte
	// header holds an API v3 notification's signature headers, stored and
	// delivered with body; nil for API v2.
	header map[string]string
	at     int64 // Unix ns when the relay received it
	// queued is the kiosk's queue length before this commit; messages
	// stored and deleted earlier in the same commit are added by commit.
	queued int64
	limit  queueLimit
}

package relay

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

// Defaults of ServerConfig.
const (
	DefaultCallbackTimeout = 4 * time.Second
	DefaultMaxBody         = wxpay.MaxBodySize
	DefaultSendQueue       = 8
	DefaultWindow          = 64
	DefaultMaxQueue        = 100_000
	DefaultMaxUnverified   = 1000
	DefaultPingInterval    = 25 * time.Second
	DefaultPongWait        = 60 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultAckTimeout      = 60 * time.Second
	DefaultDedupeTTL       = 7 * 24 * time.Hour
	DefaultMaxBatch        = 1000
)

// customerRetryMsg is what WeChat shows the customer when a mode-1 callback
// cannot be answered: "the till is temporarily unavailable, please try again".
const customerRetryMsg = "收银台暂时无法接单，请稍后再试"

// ServerConfig configures a relay server. Zero fields take the defaults
// named in their comments.
type ServerConfig struct {
	// DataDir holds the relay's bbolt file (DBFile). Required unless NATS
	// is set. Back it up like any database: it holds notifications WeChat
	// was told are safe.
	DataDir string
	// NATS, when set, stores notifications in a NATS JetStream stream
	// instead of DataDir, shared by every relay instance configured with
	// the same stream: WeChat may post to any instance and a kiosk may
	// connect to any (docs/relay-cluster.md). Nil: the bbolt file, one
	// process, no other service.
	NATS *NATSConfig
	// Kiosks are the kiosks served (LoadKiosks). At least one.
	Kiosks []Kiosk
	// Logger receives structured logs; default discard. Tokens, keys and
	// message bodies are never logged.
	Logger *slog.Logger
	// CallbackTimeout is how long a mode-1 callback waits for the kiosk's
	// reply before WeChat gets a FAIL; default DefaultCallbackTimeout,
	// below WeChat's own ~5 s.
	CallbackTimeout time.Duration
	// MaxBody caps the body of an inbound WeChat request; default
	// DefaultMaxBody (64 KiB). Larger bodies are refused unread.
	MaxBody int64
	// SendQueue bounds the frames (mode-1 callbacks) waiting for a
	// connection's writer; default DefaultSendQueue. Notifications do not
	// queue here: the writer reads them from the store, Window at a time.
	// A kiosk whose queue is full is slow and is disconnected, never waited
	// on.
	SendQueue int
	// Window is how many notifications may be in flight to a kiosk without
	// acknowledgement; default DefaultWindow. Larger windows help a kiosk
	// far away; memory per connection stays bounded either way.
	Window int
	// MaxQueue caps the unacknowledged notifications stored per kiosk;
	// default DefaultMaxQueue. Beyond it WeChat is answered FAIL and retries
	// later (for up to 24 hours), so a flood cannot fill the disk.
	MaxQueue int
	// MaxUnverified caps the unacknowledged notifications stored per kiosk
	// that the relay could not verify (API v2 notifications for a kiosk
	// configured without the merchant key); default DefaultMaxUnverified. Anyone can
	// post something shaped like a notification, so without this cap a
	// forger could fill an offline kiosk's MaxQueue and have real
	// notifications refused for a day. Beyond it WeChat is answered FAIL
	// (503) and retries later, and the kiosk polls WeChat meanwhile, so a
	// refusal delays a confirmation but loses none. Verified notifications
	// (API v2 for kiosks with Kiosk.Key, API v3 for kiosks with
	// Kiosk.WechatPayPublicKey) are only subject to MaxQueue; for an
	// unverified one the kiosk's whole queue counts. Set it to MaxQueue to
	// treat both alike.
	MaxUnverified int
	// PingInterval is how often the relay pings each kiosk; default
	// DefaultPingInterval.
	PingInterval time.Duration
	// PongWait is how long a connection may stay silent (no frame, no pong)
	// before it is dropped; default DefaultPongWait. Must exceed
	// PingInterval.
	PongWait time.Duration
	// WriteTimeout bounds every write to a kiosk; default
	// DefaultWriteTimeout. A kiosk that cannot take a frame in time is
	// disconnected.
	WriteTimeout time.Duration
	// AckTimeout is how long in-flight notifications may stay
	// unacknowledged before the kiosk is considered stuck and disconnected
	// (it reconnects and gets them again); default DefaultAckTimeout.
	AckTimeout time.Duration
	// DedupeTTL is how long a transaction id is remembered to drop
	// duplicates; default DefaultDedupeTTL (WeChat retries for 24 h 4 min).
	DedupeTTL time.Duration
	// MaxBatch caps the notifications stored by one group commit; default
	// DefaultMaxBatch.
	MaxBatch int
	// Now returns the current wall-clock time, for stored timestamps,
	// delivery latency and dedupe expiry; default time.Now. Silence, pings
	// and acknowledgement timeouts are measured on the monotonic clock
	// instead, so a step of the wall clock (NTP, an operator) neither drops
	// every kiosk nor hides a dead one.
	Now func() time.Time

	// clock gives the monotonic readings and every timer of the relay;
	// default realClock. Tests set a fake one to move time without
	// sleeping.
	clock clock
}

// Server is a relay: it takes WeChat's notifications and mode-1 callbacks
// over HTTP(S) and hands them to the right kiosk over its websocket. Create
// it with NewServer, serve Handler, stop it with Shutdown.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	q      queue
	shared sharedQueue // q when several instances share it, else nil
	epoch  string      // q.epoch(), fixed while the store is open
	// kiosks is the table served, swapped whole by SetKiosks.
	kiosks atomic.Pointer[kioskTable]
	// reloadMu serialises SetKiosks; all holds every kiosk ever
	// configured or found in the store, configured or not, under it.
	reloadMu sync.Mutex
	all      map[string]*kiosk
	m        *metrics
	upgrader websocket.Upgrader
	mux      *http.ServeMux
	handler  http.Handler  // mux behind cleanPaths
	tick     time.Duration // how often tickLoop checks the connections

	ingestCh   chan *ingestOp
	commitWake chan struct{}
	stopCommit chan struct{}
	commitDone chan struct{}
	stopTick   chan struct{}
	tickDone   chan struct{}
	ackMu      sync.Mutex
	ackDirty   map[*kiosk]struct{}

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup // HTTP handlers between enter and leave
	sessions sync.WaitGroup // reader and writer goroutines
	shutOnce sync.Once
	shutErr  error

	// ackHook, if set before serving, sees every acknowledgement (tests).
	ackHook func(kiosk string, seq uint64)
}

// kiosk is the relay's live state for one kiosk id. It outlives a reload
// of the kiosks file (SetKiosks): its sequences and queue length are the
// store's, whatever the file says, and a kiosk removed and added back
// finds them again.
type kiosk struct {
	id       string
	conf     atomic.Pointer[kioskConf] // the configuration in force; never nil once served
	acked    atomic.Uint64             // highest sequence acknowledged (in memory)
	last     atomic.Uint64             // highest sequence committed
	queued   atomic.Int64              // stored and not yet pruned
	savedAck uint64                    // acked as last committed; commit goroutine only

	mu   sync.Mutex
	sess *session
}

// kioskConf is one kiosk's configuration as served: the Kiosk with its
// token hash decoded and its API v3 verifier built. It is immutable; a
// reload replaces it whole.
type kioskConf struct {
	Kiosk
	hash [sha256.Size]byte
	// v3 verifies the kiosk's API v3 notifications with WeChat Pay's
	// public key; nil when the kiosk takes none.
	v3 wxpayv3.Verifier
}

// unverifiedOnly reports whether the relay can verify none of the
// kiosk's notifications (no merchant key, no WeChat Pay public key): its
// whole queue counts as unverified in the metrics.
func (kc *kioskConf) unverifiedOnly() bool { return kc.Key == "" && kc.v3 == nil }

// unverifiedOnly is k's current configuration's unverifiedOnly.
func (k *kiosk) unverifiedOnly() bool { return k.conf.Load().unverifiedOnly() }

// session returns the kiosk's live connection, or nil.
func (k *kiosk) session() *session {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sess
}

// attach makes ss the kiosk's connection and returns the one it replaces.
func (k *kiosk) attach(ss *session) *session {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.sess
	k.sess = ss
	return old
}

// detach forgets ss if it is still the kiosk's connection.
func (k *kiosk) detach(ss *session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.sess == ss {
		k.sess = nil
	}
}

// wakeSession tells the kiosk's writer that new messages were committed.
func (k *kiosk) wakeSession() {
	if ss := k.session(); ss != nil {
		ss.poke()
	}
}

// ackTo raises the acknowledged sequence to seq and reports whether it moved.
func (k *kiosk) ackTo(seq uint64) bool {
	for {
		cur := k.acked.Load()
		if seq <= cur {
			return false
		}
		if k.acked.CompareAndSwap(cur, seq) {
			return true
		}
	}
}

// ingestOp is one notification waiting for the group commit.
type ingestOp struct {
	k        *kiosk
	dedupe   string
	verified bool // the relay checked its signature (merchant key or WeChat Pay public key)
	// alsoDedupe are further duplicate keys (API v3).
	alsoDedupe []string
	body       []byte
	// header holds an API v3 notification's signature headers; nil for v2.
	header map[string]string
	at     int64
	done   chan ingestResult
}

// ingestResult is the commit's answer to an ingestOp.
type ingestResult struct {
	seq uint64
	dup bool
	err error
}

// NewServer opens the relay's store in cfg.DataDir and prepares the
// handlers. Kiosks with the same id or token are refused.
func NewServer(cfg ServerConfig) (*Server, error) {
	if len(cfg.Kiosks) == 0 {
		return nil, errors.New("relay: no kiosks configured")
	}
	setDefault(&cfg.CallbackTimeout, DefaultCallbackTimeout)
	setDefault(&cfg.MaxBody, DefaultMaxBody)
	setDefault(&cfg.SendQueue, DefaultSendQueue)
	setDefault(&cfg.Window, DefaultWindow)
	setDefault(&cfg.MaxQueue, DefaultMaxQueue)
	setDefault(&cfg.MaxUnverified, DefaultMaxUnverified)
	setDefault(&cfg.PingInterval, DefaultPingInterval)
	setDefault(&cfg.PongWait, DefaultPongWait)
	setDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	setDefault(&cfg.AckTimeout, DefaultAckTimeout)
	setDefault(&cfg.DedupeTTL, DefaultDedupeTTL)
	setDefault(&cfg.MaxBatch, DefaultMaxBatch)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.clock == nil {
		cfg.clock = realClock{start: time.Now()}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PongWait <= cfg.PingInterval {
		return nil, fmt.Errorf("relay: PongWait %v must exceed PingInterval %v", cfg.PongWait, cfg.PingInterval)
	}
	confs, err := newConfs(cfg.Kiosks)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		all:        make(map[string]*kiosk, len(cfg.Kiosks)),
		m:          newMetrics(),
		ingestCh:   make(chan *ingestOp, cfg.MaxBatch),
		commitWake: make(chan struct{}, 1),
		stopCommit: make(chan struct{}),
		commitDone: make(chan struct{}),
		stopTick:   make(chan struct{}),
		tickDone:   make(chan struct{}),
		ackDirty:   make(map[*kiosk]struct{}),
		tick:       max(min(cfg.PingInterval/2, cfg.AckTimeout/2, (cfg.PongWait-cfg.PingInterval)/2), time.Millisecond),
	}
	var st queue
	if cfg.NATS != nil {
		jq, err := openJetStream(*cfg.NATS, cfg.MaxQueue, cfg.Logger)
		if err != nil {
			return nil, err
		}
		st, s.shared = jq, jq
	} else {
		bq, err := openStore(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		st = bq
	}
	s.q, s.epoch = st, st.epoch()
	states, err := st.states()
	if err != nil {
		_ = st.close()
		return nil, err
	}
	// Every kiosk of the store gets its state now, configured or not, so
	// a kiosk added later by SetKiosks starts from what the store holds.
	for id, ks := range states {
		k := &kiosk{id: id}
		k.acked.Store(ks.acked)
		k.savedAck = ks.acked
		k.last.Store(ks.last)
		k.queued.Store(int64(ks.queued))
		s.all[id] = k
	}
	tab, queued, unverified := s.table(confs)
	for id, k := range s.all {
		if tab.byID[id] == nil && k.queued.Load() > 0 {
			s.log.Warn("stored messages for a kiosk no longer configured are kept, not delivered", "kiosk", id, "queued", k.queued.Load())
		}
	}
	s.kiosks.Store(tab)
	s.m.queued.Store(queued)
	s.m.unverified.Store(unverified)
	if s.shared != nil {
		if err := s.shared.follow(s.fed); err != nil {
			_ = st.close()
			return nil, err
		}
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   512, // kiosks send small frames: acks, callback replies
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
		// Kiosks are programs, not browsers: they send no Origin. Refusing
		// browser origins keeps web pages from opening relay sockets.
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+notifyPath+"{kiosk}", s.handleNotify)
	s.mux.HandleFunc("POST "+callbackPath+"{kiosk}", s.handleCallback)
	s.mux.HandleFunc("GET /ws", s.handleWS)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.handler = cleanPaths(s.mux)
	// The tickers exist before NewServer returns, so time moved by a test
	// (a fake clock) after it is never missed.
	prune, stopPrune := cfg.clock.newTicker(pruneInterval(cfg.DedupeTTL))
	tick, stopTick := cfg.clock.newTicker(s.tick)
	go s.commitLoop(prune, stopPrune)
	go s.tickLoop(tick, stopTick)
	s.log.Info("relay store open", "dir", cfg.DataDir, "nats", cfg.NATS != nil, "epoch", s.epoch, "kiosks", len(tab.byID), "queued", queued)
	return s, nil
}

// fed is called, in stream order, for every notification any instance
// stored in a shared queue: the kiosk's connection here, if any, delivers
// it.
func (s *Server) fed(id string, rec record) {
	k := s.lookup(id)
	if k == nil {
		return
	}
	raise(&k.last, rec.seq)
	if ss := k.session(); ss != nil {
		ss.feed(rec)
	}
}

// raise sets v to seq unless it already holds more.
func raise(v *atomic.Uint64, seq uint64) {
	for cur := v.Load(); seq > cur && !v.CompareAndSwap(cur, seq); cur = v.Load() {
	}
}

// setDefault replaces a zero or negative *v with def.
func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Epoch returns the identifier of the relay's store. It changes only when
// the store is recreated (its data lost), which tells kiosks that
// sequence numbers restarted.
func (s *Server) Epoch() string { return s.epoch }

// Handler returns the relay's HTTP handler: POST /wxpay/notify/{kiosk},
// POST /wxpay/native-callback/{kiosk}, GET /ws, GET /healthz and
// GET /metrics. Paths are cleaned before routing ("//wxpay/notify/k1" is
// served as "/wxpay/notify/k1"): the relay never answers WeChat with a
// redirect, which WeChat would not follow.
func (s *Server) Handler() http.Handler { return s.handler }

// enter registers an HTTP handler that may touch the store; false once the
// server is shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

// leave ends what enter started.
func (s *Server) leave() { s.inflight.Done() }

// Shutdown stops the relay gracefully: new requests are refused (503),
// requests in flight finish, every kiosk connection is closed with "going
// away" (kiosks reconnect elsewhere or later), pending acknowledgements are
// committed and the store is closed. The caller stops its http.Server
// first. If ctx ends early Shutdown still closes everything, returning
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		var errs []error
		if err := waitCtx(ctx, &s.inflight); err != nil {
			errs = append(errs, fmt.Errorf("relay: waiting for requests: %w", err))
		}
		s.reloadMu.Lock()
		for _, k := range s.all {
			if ss := k.session(); ss != nil {
				ss.close(dropShutdown)
			}
		}
		s.reloadMu.Unlock()
		if err := waitCtx(ctx, &s.sessions); err != nil {
			errs = append(errs, fmt.Errorf("relay: waiting for connections: %w", err))
		}
		close(s.stopTick)
		<-s.tickDone
		close(s.stopCommit)
		<-s.commitDone
		if err := s.q.close(); err != nil {
			errs = append(errs, fmt.Errorf("relay: close store: %w", err))
		}
		s.log.Info("relay stopped")
		s.shutErr = errors.Join(errs...)
	})
	return s.shutErr
}

// waitCtx waits for wg or ctx, whichever comes first.
func waitCtx(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop is the single writer of the store. It gathers every
// notification waiting (up to MaxBatch) plus pending acknowledgements into
// one transaction: one fsync answers many WeChat requests (group commit),
// and each request is answered only after its transaction committed.
func (s *Server) commitLoop(prune <-chan time.Time, stopPrune func()) {
	defer close(s.commitDone)
	defer stopPrune()
	var batch []*ingestOp
	for {
		batch = batch[:0]
		pruneSeen := false
		select {
		case op := <-s.ingestCh:
			batch = append(batch, op)
		case <-s.commitWake:
		case <-prune:
			pruneSeen = true
		case <-s.stopCommit:
			// No handler is in flight any more; persist the last acks.
		drain:
			for {
				select {
				case op := <-s.ingestCh:
					batch = append(batch, op)
				default:
					break drain
				}
			}
			s.commit(batch, false)
			return
		}
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case op := <-s.ingestCh:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		s.commit(batch, pruneSeen)
	}
}

// pingWorkers is how many goroutines write pings for the whole relay.
const pingWorkers = 8

// tickLoop watches every connection from one goroutine instead of a timer
// per connection: it drops kiosks silent for PongWait or stuck on
// unacknowledged messages for AckTimeout, and hands due pings to a few ping
// workers, so an idle connection's own goroutines never wake up.
func (s *Server) tickLoop(tick <-chan time.Time, stopTick func()) {
	pings := make(chan *session, 1024)
	var workers sync.WaitGroup
	for range pingWorkers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for ss := range pings {
				ss.ping()
			}
		}()
	}
	defer func() {
		close(pings)
		workers.Wait()
		close(s.tickDone)
	}()
	defer stopTick()
	for {
		select {
		case <-s.stopTick:
			return
		case <-tick:
		}
		s.sweep(s.cfg.clock.monotonic(), pings)
	}
}

// sweep is one round of tickLoop at monotonic time now: it drops silent
// and stuck kiosks and queues due pings. Only tickLoop calls it (tests call
// it instead, on a fake clock that holds its ticker).
func (s *Server) sweep(now time.Duration, pings chan<- *session) {
	for _, k := range s.kiosks.Load().byID {
		ss := k.session()
		if ss == nil {
			continue
		}
		switch {
		case now-time.Duration(ss.lastSeen.Load()) > s.cfg.PongWait:
			ss.close(dropSilent)
		case ss.ackOverdue(now):
			ss.close(dropAck)
		case s.shared != nil && ss.stalled():
			s.log.Warn("stream feed brought nothing for a kiosk with stored notifications; reading the queue", "kiosk", k.id)
			ss.resync.Store(true)
			ss.poke()
		case now-ss.lastPing >= s.cfg.PingInterval-s.tick/2:
			select {
			case pings <- ss:
				ss.lastPing = now
			default: // workers busy: ping on the next tick
			}
		}
	}
}

// pruneInterval is how often expired dedupe keys are removed.
func pruneInterval(ttl time.Duration) time.Duration {
	return max(min(ttl/24, time.Hour), time.Second)
}

// markAck schedules k's acknowledged sequence for the next commit.
func (s *Server) markAck(k *kiosk) {
	s.ackMu.Lock()
	s.ackDirty[k] = struct{}{}
	s.ackMu.Unlock()
	select {
	case s.commitWake <- struct{}{}:
	default:
	}
}

// commit runs one group commit: prune acknowledged messages, store the
// batch, optionally expire dedupe keys; then answers every op.
func (s *Server) commit(batch []*ingestOp, pruneSeen bool) {
	s.ackMu.Lock()
	acks := make(map[*kiosk]uint64, len(s.ackDirty))
	for k := range s.ackDirty {
		if want := k.acked.Load(); want > k.savedAck {
			acks[k] = want
		}
	}
	clear(s.ackDirty)
	s.ackMu.Unlock()
	if len(batch) == 0 && len(acks) == 0 && !pruneSeen {
		return
	}

	gc := &groupCommit{acks: make(map[string]uint64, len(acks)), msgs: make([]pendingMsg, len(batch)), expireSeen: pruneSeen}
	for k, want := range acks {
		gc.acks[k.id] = want
	}
	for i, op := range batch {
		gc.msgs[i] = pendingMsg{
			kiosk: op.k.id, dedupe: op.dedupe, alsoDedupe: op.alsoDedupe, body: op.body, header: op.header,
			at: op.at, queued: op.k.queued.Load(), limit: s.limit(op),
		}
	}
	if pruneSeen {
		gc.seenCutoff = s.cfg.Now().Add(-s.cfg.DedupeTTL).UnixNano()
	}
	start := time.Now()
	err := s.q.commit(gc)
	s.m.commit.observe(time.Since(start))
	if err != nil {
		s.log.Error("relay store commit failed", "err", err, "notifications", len(batch))
		for _, op := range batch {
			op.done <- ingestResult{err: err}
		}
		if len(acks) > 0 {
			s.ackMu.Lock()
			for k := range acks {
				s.ackDirty[k] = struct{}{}
			}
			s.ackMu.Unlock()
		}
		return
	}
	s.m.commits.Add(1)
	results := gc.results
	added := make(map[*kiosk]int64)
	for i, r := range results {
		if r.err == nil && !r.dup {
			added[batch[i].k]++
		}
	}
	deleted := make(map[*kiosk]int64, len(gc.deleted))
	for k := range acks {
		deleted[k] = gc.deleted[k.id]
	}
	var delta, unverified int64
	for k, want := range acks {
		k.savedAck = want
	}
	for k, n := range deleted {
		k.queued.Add(-n)
		delta -= n
		if k.unverifiedOnly() {
			unverified -= n
		}
	}
	for k, n := range added {
		k.queued.Add(n)
		delta += n
		if k.unverifiedOnly() {
			unverified += n
		}
	}
	s.m.queued.Add(delta)
	s.m.unverified.Add(unverified)
	woken := make(map[*kiosk]bool, len(added))
	for i, op := range batch {
		r := results[i]
		switch {
		case r.err != nil:
		case r.dup:
			s.m.duplicates.Add(1)
		default:
			s.m.accepted.Add(1)
			for cur := op.k.last.Load(); r.seq > cur && !op.k.last.CompareAndSwap(cur, r.seq); cur = op.k.last.Load() {
			}
			woken[op.k] = true
		}
		op.done <- r
	}
	for k := range woken {
		k.wakeSession()
	}
}

// limit is how many unacknowledged messages op's kiosk may have stored for
// op to be stored too. For an unverified message the kiosk's whole queue
// counts against MaxUnverified: usually a kiosk's messages are all
// unverified (no merchant key) or all verified, and for a kiosk verified
// for API v3 only, counting its verified v3 messages too errs on the safe
// side for its (unverified) v2 ones.
func (s *Server) limit(op *ingestOp) queueLimit {
	if !op.verified && s.cfg.MaxUnverified < s.cfg.MaxQueue {
		return queueLimit{max: int64(s.cfg.MaxUnverified), err: errUnverifiedFull}
	}
	return queueLimit{max: int64(s.cfg.MaxQueue), err: errQueueFull}
}

// rejection is why an inbound request was refused.
type rejection struct {
	reason string
	status int
	err    error
}

// classify maps a wxpay parsing error to a rejection.
func classify(err error) *rejection {
	switch {
	case errors.Is(err, wxpay.ErrTooLarge):
		return &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, err}
	case errors.Is(err, wxpay.ErrDoctype):
		return &rejection{reasonDoctype, http.StatusBadRequest, err}
	case errors.Is(err, wxpay.ErrMalformed):
		return &rejection{reasonMalformed, http.StatusBadRequest, err}
	case errors.Is(err, wxpay.ErrSignature):
		return &rejection{reasonSignature, http.StatusForbidden, err}
	default:
		return &rejection{reasonBadMessage, http.StatusBadRequest, err}
	}
}

// readBody reads a capped request body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *rejection) {
	if r.ContentLength > s.cfg.MaxBody {
		return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, fmt.Errorf("content-length %d over %d", r.ContentLength, s.cfg.MaxBody)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", s.cfg.MaxBody)}
		}
		return nil, &rejection{reasonBadRequest, http.StatusBadRequest, fmt.Errorf("read body: %w", err)}
	}
	return body, nil
}

// checkMerchant compares a message's appid and mch_id with the kiosk's.
func checkMerchant(k *kioskConf, appID, mchID string) *rejection {
	if (k.AppID != "" && appID != k.AppID) || (k.MchID != "" && mchID != k.MchID) {
		return &rejection{reasonWrongMerchant, http.StatusBadRequest, errors.New("appid/mch_id is not this kiosk's merchant")}
	}
	return nil
}

// checkNotification validates a notification body for kiosk k and returns
// the key that identifies its duplicates. With the merchant key the
// signature is verified and duplicates are found by transaction_id; without
// it the body is only checked for shape and its digest is the key, so an
// unauthenticated sender can never shadow a real notification by reusing
// its transaction_id. verified says which of the two happened.
func checkNotification(k *kioskConf, body []byte) (dedupe string, verified bool, rej *rejection) {
	digest := func() string {
		sum := sha256.Sum256(body)
		return "b:" + hex.EncodeToString(sum[:])
	}
	if k.Key != "" {
		n, err := wxpay.ParseNotification(body, k.Key)
		if err != nil {
			return "", false, classify(err)
		}
		if rej := checkMerchant(k, n.AppID, n.MchID); rej != nil {
			return "", false, rej
		}
		if n.TransactionID != "" {
			return "t:" + n.TransactionID, true, nil
		}
		return digest(), true, nil
	}
	p, err := wxpay.ParseXML(body)
	if err != nil {
		return "", false, classify(err)
	}
	for _, f := range []string{"return_code", "appid", "mch_id", "out_trade_no", "sign"} {
		if p.Get(f) == "" {
			return "", false, &rejection{reasonBadMessage, http.StatusBadRequest, fmt.Errorf("%s missing", f)}
		}
	}
	if p.Get("return_code") != "SUCCESS" {
		return "", false, &rejection{reasonBadMessage, http.StatusBadRequest, errors.New("return_code is not SUCCESS")}
	}
	if rej := checkMerchant(k, p.Get("appid"), p.Get("mch_id")); rej != nil {
		return "", false, rej
	}
	return digest(), false, nil
}

// reject answers a refused WeChat request with a FAIL body, counts and logs it.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, kioskID string, rej *rejection, reply []byte) {
	s.refused(r, kioskID, rej)
	if reply == nil {
		reply = wxpay.NotifyReply(false, rej.reason)
	}
	writeXML(w, rej.status, reply)
}

// rejectV3 answers a refused API v3 notification as WeChat Pay v3 expects
// (rej.status with {"code":"FAIL","message":reason}), counts and logs it.
func (s *Server) rejectV3(w http.ResponseWriter, r *http.Request, kioskID string, rej *rejection) {
	s.refused(r, kioskID, rej)
	wxpayv3.WriteNotifyFail(w, rej.status, rej.reason)
}

// refused counts and logs a refused WeChat request.
func (s *Server) refused(r *http.Request, kioskID string, rej *rejection) {
	s.m.rejected.inc(rej.reason)
	s.log.Warn("request refused", "path", r.URL.Path, "kiosk", clip(kioskID), "reason", rej.reason, "remote", r.RemoteAddr, "err", rej.err)
}

// isV3 tells an API v3 notification from an API v2 one: WeChat Pay v3
// signs its notifications in the Wechatpay-Signature header (and sends a
// JSON body); v2 notifications carry no such header (and an XML body).
// A request with the header is answered in the v3 format whatever its
// body; one whose body is not a JSON object is then refused.
func isV3(h http.Header) bool { return h.Get(wxpayv3.HeaderSignature) != "" }

// checkV3 validates an API v3 notification for kiosk k at time now: the
// kiosk takes v3, the signature verifies with WeChat Pay's public key, the
// timestamp is within 5 minutes, and the body is a JSON object with a
// notification id. It returns the op to store (done and at unset). Its
// dedupe keys are the notification id (WeChat's retries of a notification
// share it) and the nonce+signature (a replay of the same request), so a
// replay is answered success and stored once. The encrypted resource is
// not (cannot be) read: the relay has no APIv3 key.
func checkV3(k *kiosk, kc *kioskConf, h http.Header, body []byte, now time.Time) (*ingestOp, *rejection) {
	if kc.v3 == nil {
		return nil, &rejection{reasonV3Unconfigured, http.StatusBadRequest, errors.New("API v3 notification for a kiosk without wechatpay_public_key_*")}
	}
	if err := wxpayv3.VerifyNotification(kc.v3, h, body, now); err != nil {
		switch {
		case errors.Is(err, wxpayv3.ErrTooLarge):
			return nil, &rejection{reasonTooLarge, http.StatusRequestEntityTooLarge, err}
		case errors.Is(err, wxpayv3.ErrStale):
			return nil, &rejection{reasonStale, http.StatusBadRequest, err}
		case errors.Is(err, wxpayv3.ErrSignature):
			return nil, &rejection{reasonSignature, http.StatusUnauthorized, err}
		default:
			return nil, &rejection{reasonBadMessage, http.StatusBadRequest, err}
		}
	}
	var env struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &rejection{reasonMalformed, http.StatusBadRequest, fmt.Errorf("body is not a JSON object: %w", err)}
	}
	if env.ID == "" || env.EventType == "" {
		return nil, &rejection{reasonBadMessage, http.StatusBadRequest, errors.New("id or event_type missing")}
	}
	header := make(map[string]string, len(v3Headers))
	for _, name := range v3Headers {
		if v := h.Get(name); v != "" {
			header[name] = v
		}
	}
	sig := sha256.Sum256([]byte(h.Get(wxpayv3.HeaderNonce) + "\n" + h.Get(wxpayv3.HeaderSignature)))
	return &ingestOp{
		k: k, dedupe: "n:" + env.ID, alsoDedupe: []string{"s:" + hex.EncodeToString(sig[:])},
		verified: true, body: body, header: header,
	}, nil
}

// writeXML writes an XML answer.
func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// clip shortens attacker-controlled strings before they are logged.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// handleNotify is WeChat's notify_url: validate, store durably, then
// answer, in the format of the notification's API version (isV3): v2 XML,
// or v3 204 / FAIL JSON.
func (s *Server) handleNotify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("kiosk")
	v3 := isV3(r.Header)
	reject := func(rej *rejection) {
		if v3 {
			s.rejectV3(w, r, id, rej)
			return
		}
		s.reject(w, r, id, rej, nil)
	}
	k := s.lookup(id)
	if k == nil {
		reject(&rejection{reasonUnknownKiosk, http.StatusNotFound, errors.New("no such kiosk")})
		return
	}
	if !s.enter() {
		reject(&rejection{reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down")})
		return
	}
	defer s.leave()
	body, rej := s.readBody(w, r)
	if rej != nil {
		reject(rej)
		return
	}
	var op *ingestOp
	if kc := k.conf.Load(); v3 {
		op, rej = checkV3(k, kc, r.Header, body, s.cfg.Now())
	} else {
		var dedupe string
		var verified bool
		dedupe, verified, rej = checkNotification(kc, body)
		op = &ingestOp{k: k, dedupe: dedupe, verified: verified, body: body}
	}
	if rej != nil {
		reject(rej)
		return
	}
	op.at, op.done = s.cfg.Now().UnixNano(), make(chan ingestResult, 1)
	s.ingestCh <- op
	res := <-op.done // the commit goroutine answers every op, even on failure
	switch {
	case errors.Is(res.err, errQueueFull):
		reject(&rejection{reasonQueueFull, http.StatusServiceUnavailable, res.err})
		return
	case errors.Is(res.err, errUnverifiedFull):
		reject(&rejection{reasonUnverifiedFull, http.StatusServiceUnavailable, res.err})
		return
	case res.err != nil:
		reject(&rejection{reasonStorage, http.StatusInternalServerError, res.err})
		return
	case res.dup:
		s.log.Debug("duplicate notification", "kiosk", id, "v3", v3)
	default:
		s.log.Debug("notification stored", "kiosk", id, "seq", res.seq, "v3", v3)
	}
	if v3 {
		wxpayv3.WriteNotifyOK(w)
		return
	}
	writeXML(w, http.StatusOK, wxpay.NotifyReply(true, "OK"))
}

// handleCallback is the merchant's mode-1 callback URL: forward to the
// kiosk and return its signed reply, or a FAIL within CallbackTimeout.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("kiosk")
	k := s.lookup(id)
	unsigned := func(msg string) []byte {
		return wxpay.Params{"return_code": "FAIL", "return_msg": msg}.EncodeXML()
	}
	if k == nil {
		s.reject(w, r, id, &rejection{reasonUnknownKiosk, http.StatusNotFound, errors.New("no such kiosk")}, unsigned(reasonUnknownKiosk))
		return
	}
	if !s.enter() {
		s.reject(w, r, id, &rejection{reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down")}, unsigned(reasonShutdown))
		return
	}
	defer s.leave()
	body, rej := s.readBody(w, r)
	if rej != nil {
		s.reject(w, r, id, rej, unsigned(rej.reason))
		return
	}
	kc := k.conf.Load()
	var appID, mchID string
	if kc.Key != "" {
		cb, err := wxpay.ParseNativeCallback(body, kc.Key)
		if err != nil {
			rej := classify(err)
			s.reject(w, r, id, rej, unsigned(rej.reason))
			return
		}
		appID, mchID = cb.AppID, cb.MchID
	} else {
		p, err := wxpay.ParseXML(body)
		if err != nil {
			rej := classify(err)
			s.reject(w, r, id, rej, unsigned(rej.reason))
			return
		}
		for _, f := range []string{"appid", "mch_id", "product_id", "sign"} {
			if p.Get(f) == "" {
				s.reject(w, r, id, &rejection{reasonBadMessage, http.StatusBadRequest, fmt.Errorf("%s missing", f)}, unsigned(reasonBadMessage))
				return
			}
		}
		appID, mchID = p.Get("appid"), p.Get("mch_id")
	}
	if rej := checkMerchant(kc, appID, mchID); rej != nil {
		s.reject(w, r, id, rej, unsigned(rej.reason))
		return
	}
	fail := func(result string) {
		s.m.callbacks.inc(result)
		s.log.Warn("mode-1 callback failed", "kiosk", id, "result", result)
		if kc.Key != "" {
			writeXML(w, http.StatusOK, wxpay.NativeCallbackFail(appID, mchID, kc.Key, customerRetryMsg))
			return
		}
		writeXML(w, http.StatusOK, unsigned(customerRetryMsg))
	}
	var reply []byte
	var result string
	switch ss := k.session(); {
	case ss != nil:
		reply, result = ss.call(r.Context(), body, s.cfg.CallbackTimeout)
	case s.shared != nil:
		// The kiosk may be connected to another instance.
		reply, result = s.shared.forwardCallback(r.Context(), id, body, s.cfg.CallbackTimeout)
	default:
		result = callbackOffline
	}
	if result != callbackOK {
		fail(result)
		return
	}
	p, err := wxpay.ParseXML(reply)
	if err == nil && kc.Key != "" {
		err = p.VerifySelf(kc.Key)
	}
	if err != nil {
		s.log.Warn("kiosk sent an unusable mode-1 reply", "kiosk", id, "err", err)
		fail(callbackBadReply)
		return
	}
	s.m.callbacks.inc(callbackOK)
	writeXML(w, http.StatusOK, reply)
}

// handleHealth answers 200 while the relay can read its store.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	if err := s.q.check(); err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// handleMetrics serves the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.m.write(w, len(s.kiosks.Load().byID))
}

// handleWS authenticates a kiosk and upgrades to its websocket.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	refuse := func(reason string, status int, err error) {
		s.m.rejected.inc(reason)
		s.log.Warn("kiosk connection refused", "reason", reason, "remote", r.RemoteAddr, "err", err)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="saoma-relay"`)
		}
		http.Error(w, http.StatusText(status), status)
	}
	if !s.enter() {
		refuse(reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down"))
		return
	}
	defer s.leave()
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		refuse(reasonNoToken, http.StatusUnauthorized, errors.New("no bearer token"))
		return
	}
	// The map is keyed by a SHA-256 digest, so its lookup time tells an
	// attacker nothing about any token; the final comparison is constant
	// time as well.
	h := sha256.Sum256([]byte(token))
	k := s.kiosks.Load().byHash[h]
	if k == nil {
		refuse(reasonBadToken, http.StatusUnauthorized, errors.New("unknown token"))
		return
	}
	// A reload may have rotated the token since the table was read.
	if kh := k.conf.Load().hash; subtle.ConstantTimeCompare(kh[:], h[:]) != 1 {
		refuse(reasonBadToken, http.StatusUnauthorized, errors.New("unknown token"))
		return
	}
	q := r.URL.Query()
	if want := q.Get("kiosk"); want != "" && want != k.id {
		refuse(reasonWrongKiosk, http.StatusForbidden, fmt.Errorf("kiosk %s asked for kiosk %q", k.id, clip(want)))
		return
	}
	version := minProtocolVersion // a kiosk stating no version is taken as the oldest
	if v := q.Get("v"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minProtocolVersion || n > ProtocolVersion {
			refuse(reasonBadRequest, http.StatusBadRequest, fmt.Errorf("protocol version %q", clip(v)))
			return
		}
		version = n
	}
	var lastSeq uint64
	if v := q.Get("last_seq"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			refuse(reasonBadRequest, http.StatusBadRequest, fmt.Errorf("last_seq %q", clip(v)))
			return
		}
		lastSeq = n
	}
	epoch := q.Get("epoch")
	// known is the newest sequence the kiosk may have seen. In a shared
	// queue other instances stored messages too: ask the stream.
	known := k.last.Load()
	if s.shared != nil {
		kl, sl, err := s.shared.lastSeq(k.id)
		if err != nil {
			refuse(reasonStorage, http.StatusServiceUnavailable, err)
			return
		}
		raise(&k.last, kl)
		known = max(known, kl, sl)
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.m.rejected.inc(reasonBadRequest)
		s.log.Warn("websocket upgrade failed", "kiosk", k.id, "remote", r.RemoteAddr, "err", err)
		return
	}
	// Resume: the kiosk's own record of its last commit counts when it
	// refers to this store (same epoch) and to messages that exist.
	if epoch == s.epoch && lastSeq > 0 {
		if lastSeq <= known {
			if k.ackTo(lastSeq) {
				s.markAck(k)
			}
		} else {
			s.log.Warn("kiosk is ahead of the relay's store (restored from a backup?); resuming from the relay's record",
				"kiosk", k.id, "kiosk_last_seq", lastSeq, "relay_last_seq", known)
		}
	} else if epoch != "" && epoch != s.epoch {
		s.log.Info("kiosk knew another relay epoch; delivering everything unacknowledged", "kiosk", k.id, "kiosk_epoch", clip(epoch))
	}
	ss := newSession(s, k, conn, r.RemoteAddr, version)
	s.m.connected.Add(1)
	s.m.connects.Add(1)
	if old := k.attach(ss); old != nil {
		old.close(dropReplaced)
	}
	// SetKiosks swaps the table, then closes the sessions of removed and
	// rotated kiosks: a session attached after that finds the new table
	// here.
	if tab := s.kiosks.Load(); tab.byHash[h] != k {
		reason := dropRemoved
		if tab.byID[k.id] == k {
			reason = dropRotated
		}
		ss.close(reason)
		return
	}
	// Callbacks for the kiosk are routed here before it hears the welcome:
	// once it is linked, no instance finds it offline.
	if s.shared != nil {
		stop, err := s.shared.serveCallbacks(k.id, s.cfg.CallbackTimeout, func(ctx context.Context, body []byte) ([]byte, string) {
			return ss.call(ctx, body, s.cfg.CallbackTimeout)
		})
		if err != nil {
			s.log.Error("routing callbacks to this instance failed", "kiosk", k.id, "err", err)
			ss.close(dropStorage)
			return
		}
		ss.setUnroute(stop)
	}
	// The welcome goes out from this (already deep) handler goroutine, before
	// the writer exists, so idle writers never grow their stacks.
	_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, ss.welcome()); err != nil {
		ss.close(dropWrite)
		return
	}
	s.log.Info("kiosk connected", "kiosk", k.id, "remote", r.RemoteAddr, "resume_after", ss.sent)
	s.sessions.Add(2)
	go ss.readLoop()
	go ss.writeLoop()
}

// disconnect closes kiosk id's connection, if any (operator action, tests).
func (s *Server) disconnect(id string) {
	if k := s.lookup(id); k != nil {
		if ss := k.session(); ss != nil {
			ss.close(dropKickedOff)
		}
	}
}

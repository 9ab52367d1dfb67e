package relay

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

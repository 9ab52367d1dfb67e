package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of NATSConfig.
const (
	DefaultStream       = "SAOMA_NOTIFY"
	DefaultDedupeWindow = 24*time.Hour + 10*time.Minute // WeChat retries for 24 h 4 min
	DefaultNATSTimeout  = 5 * time.Second
)

// Subjects. Notifications of kiosk <id> are stored on subjectNotify+<id>
// (the stream's only subjects); every instance follows the whole stream
// with an ordered consumer, so the instance holding the kiosk's websocket
// delivers a notification stored by any instance at once; mode-1 callbacks
// for a kiosk connected elsewhere are requests on subjectCallback+<id>,
// answered by the instance holding its websocket.
const (
	subjectNotify   = "saoma.k."
	subjectCallback = "saoma.cb."
)

// Message headers of the stream and of routed callbacks.
const (
	headerAt       = "Saoma-At"         // Unix ns when the relay received the notification
	headerV3       = "Saoma-V3-Headers" // JSON object of an API v3 notification's signature headers
	headerCBResult = "Saoma-Result"     // outcome of a routed mode-1 callback
)

// errStoreFailed is JetStream's error code for a store refused by a limit
// (here: MaxMsgsPerSubject with DiscardNewPerSubject).
const errStoreFailed = 10077

// NATSConfig selects the NATS JetStream queue instead of the bbolt file:
// several relay instances share one stream and serve any kiosk.
type NATSConfig struct {
	// URLs lists the NATS servers, comma-separated
	// ("nats://n1:4222,nats://n2:4222"). Required.
	URLs string
	// Options are further nats.go options: credentials
	// (nats.UserCredentials), TLS (nats.RootCAs, nats.ClientCert,
	// nats.Secure), a connection name.
	Options []nats.Option
	// Stream is the JetStream stream's name; default DefaultStream.
	Stream string
	// Replicas is the stream's replica count when this relay creates it:
	// 3 on a three-node cluster (a publish is acknowledged once two nodes
	// hold it), 1 on a single node; default 1. An existing stream keeps its
	// own.
	Replicas int
	// DedupeWindow is how long JetStream remembers a notification's
	// identity to store its duplicates once; default DefaultDedupeWindow,
	// WeChat's whole retry span. The servers keep every id of the window in
	// memory (about 100 bytes each).
	DedupeWindow time.Duration
	// Timeout bounds every JetStream request and publish acknowledgement;
	// default DefaultNATSTimeout.
	Timeout time.Duration
}

// jsQueue is the queue on a JetStream stream. Sequence numbers are the
// stream's: increasing per kiosk, with gaps (other kiosks' messages). A
// kiosk's acknowledgement purges its subject up to the acknowledged
// sequence, so what remains of a subject is exactly the kiosk's
// unacknowledged backlog, readable by any instance.
type jsQueue struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	st       jetstream.Stream
	name     string
	epochID  string
	timeout  time.Duration
	maxQueue int64

	log *slog.Logger

	mu   sync.Mutex
	subs []*nats.Subscription
	feed jetstream.ConsumeContext // the stream feed, once following

	// Acknowledged sequences waiting for purgeLoop, by kiosk.
	purgeMu      sync.Mutex
	purgeWant    map[string]uint64
	purgeWake    chan struct{}
	purgeStop    chan struct{}
	purgeStopped chan struct{}
}

var _ queue = (*jsQueue)(nil)
var _ sharedQueue = (*jsQueue)(nil)

// sharedQueue is what a queue shared by several relay instances adds: the
// instances learn of each other's stores and route mode-1 callbacks.
type sharedQueue interface {
	// lastSeq returns the newest stored sequence of kiosk id (0 when its
	// backlog is empty) and the newest sequence of the whole store.
	lastSeq(id string) (kiosk, store uint64, err error)
	// follow calls fed, from one goroutine and in stream order, with every
	// notification any instance stores from now on. A message purged
	// before it was read may be missing (it was acknowledged); no other
	// is.
	follow(fed func(id string, rec record)) error
	// serveCallbacks answers callbacks routed to kiosk id with call until
	// stop is called.
	serveCallbacks(id string, timeout time.Duration, call func(ctx context.Context, body []byte) ([]byte, string)) (stop func(), err error)
	// forwardCallback asks the instance holding kiosk id's websocket to
	// forward a callback; it returns the reply and callbackOK, or nil and
	// the failure's outcome.
	forwardCallback(ctx context.Context, id string, body []byte, timeout time.Duration) ([]byte, string)
}

// openJetStream connects to NATS and opens (creating if needed) the
// stream. maxQueue becomes the stream's per-kiosk limit when it creates it.
func openJetStream(cfg NATSConfig, maxQueue int, log *slog.Logger) (*jsQueue, error) {
	if cfg.URLs == "" {
		return nil, errors.New("relay: NATS URLs are required")
	}
	setDefault(&cfg.Replicas, 1)
	setDefault(&cfg.DedupeWindow, DefaultDedupeWindow)
	setDefault(&cfg.Timeout, DefaultNATSTimeout)
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	opts := append([]nats.Option{nats.MaxReconnects(-1), nats.Name("saoma-relay")}, cfg.Options...)
	nc, err := nats.Connect(cfg.URLs, opts...)
	if err != nil {
		return nil, fmt.Errorf("relay: connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(cfg.Timeout), jetstream.WithPublishAsyncMaxPending(4*DefaultMaxBatch))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("relay: JetStream: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	st, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:                 cfg.Stream,
			Description:          "saoma relay: WeChat Pay notifications per kiosk",
			Subjects:             []string{subjectNotify + "*"},
			Storage:              jetstream.FileStorage,
			Replicas:             cfg.Replicas,
			Discard:              jetstream.DiscardNew,
			DiscardNewPerSubject: true,
			MaxMsgsPerSubject:    int64(maxQueue),
			Duplicates:           cfg.DedupeWindow,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, cfg.Stream) // another instance created it meanwhile
		}
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("relay: open stream %s: %w", cfg.Stream, err)
	}
	info := st.CachedInfo()
	sum := sha256.Sum256([]byte(cfg.Stream + "\x00" + strconv.FormatInt(info.Created.UnixNano(), 10)))
	q := &jsQueue{
		nc: nc, js: js, st: st, name: cfg.Stream, timeout: cfg.Timeout,
		epochID:      hex.EncodeToString(sum[:8]),
		maxQueue:     info.Config.MaxMsgsPerSubject,
		log:          log,
		purgeWant:    make(map[string]uint64),
		purgeWake:    make(chan struct{}, 1),
		purgeStop:    make(chan struct{}),
		purgeStopped: make(chan struct{}),
	}
	go q.purgeLoop()
	return q, nil
}

// epoch is derived from the stream's name and creation time: every
// instance computes the same, and it changes when the stream is recreated.
func (q *jsQueue) epoch() string { return q.epochID }

// states is empty: a kiosk's state lives in the stream and is read when it
// connects (lastSeq).
func (q *jsQueue) states() (map[string]kioskState, error) { return nil, nil }

// ctx returns a context bounded by the request timeout.
func (q *jsQueue) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), q.timeout)
}

// readAfter reads the kiosk's subject message by message from the stream
// leader (not a possibly lagging replica).
func (q *jsQueue) readAfter(id string, after uint64, max int) ([]record, error) {
	ctx, cancel := q.ctx()
	defer cancel()
	var out []record
	for len(out) < max {
		m, err := q.st.GetMsg(ctx, after+1, jetstream.WithGetMsgSubject(subjectNotify+id))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("relay: read queue of kiosk %s: %w", id, err)
		}
		rec, err := decodeMsg(m)
		if err != nil {
			return nil, fmt.Errorf("relay: corrupt message %d of kiosk %s: %w", m.Sequence, id, err)
		}
		out = append(out, rec)
		after = m.Sequence
	}
	return out, nil
}

// decodeMsg turns a stream message into a record.
func decodeMsg(m *jetstream.RawStreamMsg) (record, error) {
	return decodeRecord(m.Sequence, m.Data, m.Header, m.Time)
}

// decodeRecord turns a stream message's parts into a record.
func decodeRecord(seq uint64, data []byte, h nats.Header, stored time.Time) (record, error) {
	rec := record{seq: seq, body: data, at: stored.UnixNano()}
	if v := h.Get(headerAt); v != "" {
		at, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return record{}, fmt.Errorf("header %s: %w", headerAt, err)
		}
		rec.at = at
	}
	if v := h.Get(headerV3); v != "" {
		if err := json.Unmarshal([]byte(v), &rec.header); err != nil {
			return record{}, fmt.Errorf("header %s: %w", headerV3, err)
		}
	}
	return rec, nil
}

// maxPurges bounds the purge requests in flight during one commit.
const maxPurges = 64

// commit hands acknowledged sequences to purgeLoop, then publishes the
// notifications asynchronously and waits for every PubAck (a publish is
// acknowledged once the stream's quorum holds it). Duplicates are
// recognised by JetStream's message-id window (the kiosk id and the
// notification's primary dedupe key); the per-kiosk limit is the stream's
// MaxMsgsPerSubject, and MaxUnverified is checked against the subject's
// count before publishing. A failed publish fails its own notification.
// Purging is not on this path: WeChat's answer waits for the publish
// acknowledgements only, and an acknowledged message that outlives its
// purge a little is never delivered again (every instance resumes a kiosk
// after its acknowledged sequence).
func (q *jsQueue) commit(gc *groupCommit) error {
	gc.results = make([]ingestResult, len(gc.msgs))
	gc.deleted = make(map[string]int64, len(gc.acks))
	q.schedulePurge(gc.acks)
	counts := make(map[string]int64) // subject counts for limited (unverified) messages
	futures := make([]jetstream.PubAckFuture, len(gc.msgs))
	for i, m := range gc.msgs {
		if m.limit.max < q.maxQueue || q.maxQueue <= 0 {
			n, ok := counts[m.kiosk]
			if !ok {
				var err error
				if n, err = q.count(m.kiosk); err != nil {
					gc.results[i] = ingestResult{err: err}
					continue
				}
			}
			if n >= m.limit.max {
				gc.results[i] = ingestResult{err: m.limit.err}
				counts[m.kiosk] = n
				continue
			}
			counts[m.kiosk] = n + 1
		}
		msg := nats.NewMsg(subjectNotify + m.kiosk)
		msg.Data = m.body
		msg.Header.Set(headerAt, strconv.FormatInt(m.at, 10))
		if len(m.header) > 0 {
			hj, err := json.Marshal(m.header)
			if err != nil {
				gc.results[i] = ingestResult{err: fmt.Errorf("encode headers: %w", err)}
				continue
			}
			msg.Header.Set(headerV3, string(hj))
		}
		f, err := q.js.PublishMsgAsync(msg, jetstream.WithMsgID(m.kiosk+"/"+m.dedupe), jetstream.WithExpectStream(q.name))
		if err != nil {
			gc.results[i] = ingestResult{err: fmt.Errorf("publish for kiosk %s: %w", m.kiosk, err)}
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			gc.results[i] = ingestResult{seq: ack.Sequence, dup: ack.Duplicate}
		case err := <-f.Err():
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode == errStoreFailed {
				err = fmt.Errorf("%w (%s)", errQueueFull, apiErr.Description)
			} else {
				err = fmt.Errorf("publish for kiosk %s: %w", gc.msgs[i].kiosk, err)
			}
			gc.results[i] = ingestResult{err: err}
		}
	}
	return nil
}

// schedulePurge records acknowledged sequences for purgeLoop.
func (q *jsQueue) schedulePurge(acks map[string]uint64) {
	if len(acks) == 0 {
		return
	}
	q.purgeMu.Lock()
	for id, seq := range acks {
		if seq > q.purgeWant[id] {
			q.purgeWant[id] = seq
		}
	}
	q.purgeMu.Unlock()
	select {
	case q.purgeWake <- struct{}{}:
	default:
	}
}

// purgeLoop purges acknowledged messages in rounds: each round takes every
// kiosk's newest acknowledged sequence and purges them together, so acks
// that arrive during a round are merged into one purge per kiosk. A failed
// purge is retried with the next round (or at close).
func (q *jsQueue) purgeLoop() {
	defer close(q.purgeStopped)
	for {
		select {
		case <-q.purgeWake:
		case <-q.purgeStop:
			q.purgeRound() // the last acks, best effort
			return
		}
		q.purgeRound()
	}
}

// purgeRound purges what is scheduled; failures are scheduled again.
func (q *jsQueue) purgeRound() {
	q.purgeMu.Lock()
	want := q.purgeWant
	q.purgeWant = make(map[string]uint64, len(want))
	q.purgeMu.Unlock()
	failed, err := q.purge(want)
	if err == nil {
		return
	}
	q.log.Warn("purging acknowledged notifications failed; retrying with the next acknowledgement", "err", err)
	q.purgeMu.Lock()
	for id, seq := range failed {
		if seq > q.purgeWant[id] {
			q.purgeWant[id] = seq
		}
	}
	q.purgeMu.Unlock()
}

// purge deletes each kiosk's messages up to its acknowledged sequence, a
// few requests at a time. It returns the acks it could not purge.
func (q *jsQueue) purge(acks map[string]uint64) (failed map[string]uint64, err error) {
	if len(acks) == 0 {
		return nil, nil
	}
	failed = make(map[string]uint64)
	ctx, cancel := q.ctx()
	defer cancel()
	sem := make(chan struct{}, maxPurges)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for id, seq := range acks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := q.st.Purge(ctx, jetstream.WithPurgeSubject(subjectNotify+id), jetstream.WithPurgeSequence(seq+1)); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("purge kiosk %s up to %d: %w", id, seq, err))
				failed[id] = seq
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed, errors.Join(errs...)
}

// count returns how many messages kiosk id has stored.
func (q *jsQueue) count(id string) (int64, error) {
	ctx, cancel := q.ctx()
	defer cancel()
	info, err := q.st.Info(ctx, jetstream.WithSubjectFilter(subjectNotify+id))
	if err != nil {
		return 0, fmt.Errorf("relay: count queue of kiosk %s: %w", id, err)
	}
	return int64(info.State.Subjects[subjectNotify+id]), nil
}

// check asks the stream's leader for its state: it fails while NATS is
// unreachable or the stream has no leader (no quorum).
func (q *jsQueue) check() error {
	if !q.nc.IsConnected() {
		return fmt.Errorf("relay: NATS %s", q.nc.Status())
	}
	ctx, cancel := q.ctx()
	defer cancel()
	if _, err := q.st.Info(ctx); err != nil {
		return fmt.Errorf("relay: stream %s: %w", q.name, err)
	}
	return nil
}

// close stops the feed, purges the last acknowledgements, unsubscribes
// and closes the NATS connection (after flushing).
func (q *jsQueue) close() error {
	q.mu.Lock()
	subs, feed := q.subs, q.feed
	q.subs, q.feed = nil, nil
	q.mu.Unlock()
	if feed != nil {
		feed.Stop()
	}
	close(q.purgeStop)
	<-q.purgeStopped
	for _, s := range subs {
		_ = s.Unsubscribe()
	}
	_ = q.nc.FlushTimeout(q.timeout)
	q.nc.Close()
	return nil
}

// lastSeq reads the kiosk subject's last message and the stream's last
// sequence.
func (q *jsQueue) lastSeq(id string) (kiosk, store uint64, err error) {
	ctx, cancel := q.ctx()
	defer cancel()
	m, err := q.st.GetLastMsgForSubject(ctx, subjectNotify+id)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return 0, 0, fmt.Errorf("relay: last message of kiosk %s: %w", id, err)
	default:
		kiosk = m.Sequence
	}
	info, err := q.st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("relay: stream %s: %w", q.name, err)
	}
	return kiosk, max(kiosk, info.State.LastSeq), nil
}

// follow consumes the whole stream from its current end with an ordered
// consumer (an ephemeral consumer that nats.go recreates from the last
// delivered sequence after any gap, a lost heartbeat or a reconnect), and
// calls fed with every message in stream order.
func (q *jsQueue) follow(fed func(id string, rec record)) error {
	ctx, cancel := q.ctx()
	defer cancel()
	info, err := q.st.Info(ctx)
	if err != nil {
		return fmt.Errorf("relay: stream %s: %w", q.name, err)
	}
	cons, err := q.st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subjectNotify + "*"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		return fmt.Errorf("relay: follow stream %s: %w", q.name, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			q.log.Error("stream feed: message without metadata", "subject", m.Subject(), "err", err)
			return
		}
		rec, err := decodeRecord(md.Sequence.Stream, m.Data(), m.Headers(), md.Timestamp)
		if err != nil {
			q.log.Error("stream feed: corrupt message", "seq", md.Sequence.Stream, "err", err)
			return
		}
		fed(strings.TrimPrefix(m.Subject(), subjectNotify), rec)
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		q.log.Warn("stream feed", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("relay: follow stream %s: %w", q.name, err)
	}
	q.mu.Lock()
	q.feed = cc
	q.mu.Unlock()
	return nil
}

// serveCallbacks subscribes to kiosk id's routed callbacks. A callback
// this instance cannot forward (the session just closed) gets no answer,
// so that another instance holding the kiosk answers first.
func (q *jsQueue) serveCallbacks(id string, timeout time.Duration, call func(ctx context.Context, body []byte) ([]byte, string)) (func(), error) {
	sub, err := q.nc.Subscribe(subjectCallback+id, func(m *nats.Msg) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			reply, result := call(ctx, m.Data)
			if result == callbackOffline {
				return
			}
			r := nats.NewMsg(m.Reply)
			r.Header.Set(headerCBResult, result)
			r.Data = reply
			_ = m.RespondMsg(r)
		}()
	})
	if err != nil {
		return nil, fmt.Errorf("relay: subscribe to callbacks of kiosk %s: %w", id, err)
	}
	// The server knows the subscription when this returns.
	if err := q.nc.FlushTimeout(q.timeout); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("relay: subscribe to callbacks of kiosk %s: %w", id, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// forwardCallback sends a callback to the instance holding kiosk id.
func (q *jsQueue) forwardCallback(ctx context.Context, id string, body []byte, timeout time.Duration) ([]byte, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := q.nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: subjectCallback + id, Data: body})
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, callbackOffline
	case err != nil:
		return nil, callbackTimeout
	}
	result := r.Header.Get(headerCBResult)
	if result != callbackOK {
		if result == "" {
			result = callbackBadReply
		}
		return nil, result
	}
	return r.Data, callbackOK
}

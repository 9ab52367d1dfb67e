package relay

import (
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// Reasons a request or connection is rejected, the label values of
// saoma_relay_rejected_total.
const (
	reasonUnknownKiosk  = "unknown_kiosk"
	reasonTooLarge      = "too_large"
	reasonDoctype       = "doctype"
	reasonMalformed     = "malformed"
	reasonSignature     = "signature"
	reasonBadMessage    = "bad_message"
	reasonWrongMerchant = "wrong_merchant"
	reasonQueueFull     = "queue_full"
	// reasonUnverifiedFull: a notification the relay could not verify was
	// refused because its kiosk already holds MaxUnverified of them.
	reasonUnverifiedFull = "unverified_full"
	reasonStorage        = "storage"
	reasonShutdown       = "shutting_down"
	reasonNoToken        = "missing_token"
	reasonBadToken       = "bad_token"
	reasonWrongKiosk     = "wrong_kiosk"
	reasonBadRequest     = "bad_request"
	// reasonStale: an API v3 notification's Wechatpay-Timestamp is 5
	// minutes or more away from the relay's clock.
	reasonStale = "stale"
	// reasonV3Unconfigured: an API v3 notification for a kiosk configured
	// without WeChat Pay's public key.
	reasonV3Unconfigured = "v3_not_configured"
)

// rejectReasons lists every reason, so each series exists from the start.
var rejectReasons = []string{
	reasonUnknownKiosk, reasonTooLarge, reasonDoctype, reasonMalformed,
	reasonSignature, reasonBadMessage, reasonWrongMerchant, reasonQueueFull, reasonUnverifiedFull,
	reasonStorage, reasonShutdown, reasonNoToken, reasonBadToken,
	reasonWrongKiosk, reasonBadRequest, reasonStale, reasonV3Unconfigured,
}

// Outcomes of a mode-1 callback, the label values of
// saoma_relay_callbacks_total.
const (
	callbackOK       = "ok"
	callbackOffline  = "offline"
	callbackTimeout  = "timeout"
	callbackSlow     = "slow_kiosk"
	callbackBadReply = "bad_reply"
)

var callbackResults = []string{callbackOK, callbackOffline, callbackTimeout, callbackSlow, callbackBadReply}

// Reasons a kiosk connection is closed by the relay, the label values of
// saoma_relay_disconnects_total.
const (
	dropPeer      = "peer"          // read error: the kiosk went away
	dropSilent    = "silent"        // no frame or pong for PongWait
	dropWrite     = "write_error"   // write failed or timed out
	dropQueue     = "send_queue"    // the outbound queue was full
	dropAck       = "ack_timeout"   // in-flight messages were not acknowledged in time
	dropProtocol  = "protocol"      // the kiosk broke the protocol
	dropReplaced  = "replaced"      // the kiosk connected again
	dropShutdown  = "shutdown"      // the relay is stopping
	dropStorage   = "storage"       // the queue could not be read
	dropKickedOff = "kicked"        // closed by the operator or a test
	dropRemoved   = "removed"       // the kiosk was removed from the kiosks file
	dropRotated   = "token_rotated" // the kiosk's token was replaced in the kiosks file
)

var dropReasons = []string{dropPeer, dropSilent, dropWrite, dropQueue, dropAck, dropProtocol, dropReplaced, dropShutdown, dropStorage, dropKickedOff, dropRemoved, dropRotated}

// counterSet is a fixed set of labelled counters.
type counterSet map[string]*atomic.Uint64

func newCounterSet(labels []string) counterSet {
	c := make(counterSet, len(labels))
	for _, l := range labels {
		c[l] = new(atomic.Uint64)
	}
	return c
}

func (c counterSet) inc(label string) {
	if n, ok := c[label]; ok {
		n.Add(1)
	}
}

// histogram is a Prometheus histogram with fixed buckets (seconds).
type histogram struct {
	bounds []float64
	counts []atomic.Uint64 // one per bound, plus +Inf
	sumNS  atomic.Uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s := d.Seconds()
	i := 0
	for i < len(h.bounds) && s > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNS.Add(uint64(d))
}

// write renders h in the text exposition format.
func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n", name, cum)
	fmt.Fprintf(w, "%s_sum %s\n", name, strconv.FormatFloat(float64(h.sumNS.Load())/1e9, 'g', -1, 64))
	fmt.Fprintf(w, "%s_count %d\n", name, cum)
}

// metrics holds every number /metrics exposes. All fields are safe for
// concurrent use.
type metrics struct {
	connected   atomic.Int64
	queued      atomic.Int64
	unverified  atomic.Int64 // queued for kiosks the relay verifies nothing for
	accepted    atomic.Uint64
	duplicates  atomic.Uint64
	sent        atomic.Uint64
	delivered   atomic.Uint64
	connects    atomic.Uint64
	commits     atomic.Uint64
	rejected    counterSet
	callbacks   counterSet
	disconnects counterSet
	delivery    *histogram // stored → acknowledged
	commit      *histogram // one group commit (fsync included)
}

func newMetrics() *metrics {
	return &metrics{
		rejected:    newCounterSet(rejectReasons),
		callbacks:   newCounterSet(callbackResults),
		disconnects: newCounterSet(dropReasons),
		delivery:    newHistogram(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400),
		commit:      newHistogram(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1),
	}
}

// write renders every metric in the Prometheus text format (version 0.0.4).
func (m *metrics) write(w io.Writer, configured int) {
	gauge := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	labelled := func(name, help, label string, c counterSet, order []string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for _, l := range order {
			fmt.Fprintf(w, "%s{%s=%q} %d\n", name, label, l, c[l].Load())
		}
	}
	gauge("saoma_relay_kiosks_configured", "Kiosks in the kiosks file.", int64(configured))
	gauge("saoma_relay_kiosks_connected", "Kiosks with an open websocket.", m.connected.Load())
	gauge("saoma_relay_messages_queued", "Stored notifications not yet acknowledged by their kiosk.", m.queued.Load())
	gauge("saoma_relay_messages_queued_unverified", "Of those, notifications the relay could not verify (kiosks without the merchant key or WeChat Pay public key).", m.unverified.Load())
	counter("saoma_relay_notifications_accepted_total", "Notifications stored and answered SUCCESS.", m.accepted.Load())
	counter("saoma_relay_notifications_duplicate_total", "Notifications already stored (same transaction or v3 notification), answered success again.", m.duplicates.Load())
	counter("saoma_relay_messages_sent_total", "Notification frames written to kiosks (counted as each write starts), redeliveries included.", m.sent.Load())
	counter("saoma_relay_messages_delivered_total", "Notifications acknowledged by their kiosk.", m.delivered.Load())
	counter("saoma_relay_connections_total", "Authenticated kiosk connections accepted.", m.connects.Load())
	counter("saoma_relay_commits_total", "Group commits of the queue (one fsync each).", m.commits.Load())
	labelled("saoma_relay_rejected_total", "Requests and connections refused, by reason.", "reason", m.rejected, rejectReasons)
	labelled("saoma_relay_callbacks_total", "Mode-1 callbacks by outcome.", "result", m.callbacks, callbackResults)
	labelled("saoma_relay_disconnects_total", "Kiosk connections closed, by reason.", "reason", m.disconnects, dropReasons)
	m.delivery.write(w, "saoma_relay_delivery_seconds", "Time from storing a notification to its acknowledgement by the kiosk.")
	m.commit.write(w, "saoma_relay_commit_seconds", "Duration of one group commit.")
}

// Command relay-load measures saoma-relay against the performance targets
// of issue 6, with the relay as its own process on loopback:
//
//   - conns: N kiosks connected at once (default 10,000), relay RSS < 150 MB;
//
//   - idle: an idle kiosk's notification-to-delivery latency, p99 < 5 ms
//     (measured while the N kiosks stay connected);
//
//   - throughput: 2,000 notifications/s accepted durably (every SUCCESS
//     after its fsync'd commit) with delivery p99 < 50 ms.
//
//     go run ./cmd/relay-load                        # everything, about a minute
//     go run ./cmd/relay-load -conns 2000 -duration 5s
//
// It builds cmd/saoma-relay (or runs -relay-bin), starts it on 127.0.0.1
// with a throwaway data directory and kiosks file, drives it over loopback
// only, prints the figures and stops the relay. It never contacts another
// host.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"saoma/payment/relay"
	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// Targets of issue 6.
const (
	targetRSSMB       = 150
	targetRate        = 2000
	targetBusyP99     = 50 * time.Millisecond
	targetIdleP99     = 5 * time.Millisecond
	connectTimeout    = 3 * time.Minute
	deliveryDrainTime = 30 * time.Second
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relay-load:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	relayBin    string
	conns       int
	busy        int
	rate        int
	duration    time.Duration
	idleSamples int
	workers     int
	phases      string
	keep        bool
	settle      time.Duration
	instances   int
	queue       string
	profile     string
	kill        bool
	backoff     time.Duration
	replicas    int
	run         int // random, in every transaction id of the run
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("relay-load", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.relayBin, "relay-bin", "", "saoma-relay binary (default: build ./cmd/saoma-relay into a temp dir)")
	fs.IntVar(&o.conns, "conns", 10000, "kiosks connected at once")
	fs.IntVar(&o.busy, "busy-kiosks", 100, "kiosks receiving the throughput load (among -conns)")
	fs.IntVar(&o.rate, "rate", targetRate, "notifications per second in the throughput phase")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of the throughput phase")
	fs.IntVar(&o.idleSamples, "idle-samples", 300, "notifications sent one at a time in the idle phase")
	fs.IntVar(&o.workers, "workers", 256, "concurrent WeChat connections in the throughput phase")
	fs.StringVar(&o.phases, "phases", "conns,idle,throughput", "phases to run, comma-separated")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp directory (relay data, kiosks file)")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "how long the connected kiosks idle (pings included) before RSS is read")
	fs.IntVar(&o.instances, "instances", 1, "relay processes; kiosks and notifications are spread over them (more than 1 needs -queue nats://… or embedded)")
	fs.StringVar(&o.queue, "queue", "bbolt", `relay queue: "bbolt", "nats://host:4222,…" (JetStream servers), or "embedded" (a single-node JetStream server inside this process, sync_interval default)`)
	fs.DurationVar(&o.backoff, "backoff", 3*time.Second, "the kiosks' MinBackoff: first dials and reconnects wait a random time below it (kiosks default to 500ms; 3s spreads a 10,000-kiosk start)")
	fs.IntVar(&o.replicas, "replicas", 1, "with -queue nats://…: the stream's replicas when the first relay creates it (3 on a three-node cluster)")
	fs.BoolVar(&o.kill, "kill", false, "SIGKILL the last relay instance half way through the throughput phase; kiosks connect through a round-robin balancer and WeChat retries a failed POST on another instance (needs -instances 2 or more)")
	fs.StringVar(&o.profile, "profile", "", "write CPU profiles of the throughput phase into this directory: relay-load.pprof and relay-N.pprof (from each relay's -admin /debug/pprof/)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.run = mathrand.IntN(1_000_000)
	o.instances = max(o.instances, 1)
	if o.instances > 1 && o.queue == "bbolt" {
		return errors.New("-instances > 1 needs -queue nats://… or -queue embedded")
	}
	if o.kill && o.instances < 2 {
		return errors.New("-kill needs -instances 2 or more (a second instance takes over)")
	}
	o.conns = max(o.conns, 1)
	o.busy = min(max(o.busy, 1), o.conns)
	raiseFileLimit(out)

	dir, err := os.MkdirTemp("", "relay-load-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	if o.relayBin == "" {
		o.relayBin = filepath.Join(dir, "saoma-relay")
		fmt.Fprintln(out, "building saoma-relay …")
		b := exec.Command("go", "build", "-o", o.relayBin, "saoma/cmd/saoma-relay")
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := b.CombinedOutput(); err != nil {
			return fmt.Errorf("build relay: %v\n%s", err, msg)
		}
	}
	tokens, err := writeKiosks(filepath.Join(dir, "kiosks.toml"), o.conns)
	if err != nil {
		return err
	}
	queueURL := o.queue
	if o.queue == "embedded" {
		ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: filepath.Join(dir, "nats"), NoLog: true, NoSigs: true})
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		ns.Start()
		defer ns.Shutdown()
		if !ns.ReadyForConnections(10 * time.Second) {
			return errors.New("embedded NATS did not start")
		}
		queueURL = ns.ClientURL()
	}
	var relays []*relayProc
	for i := range o.instances {
		args := []string{"-data", filepath.Join(dir, fmt.Sprintf("data%d", i))}
		if queueURL != "bbolt" {
			args = []string{"-queue", queueURL, "-nats-replicas", strconv.Itoa(o.replicas)}
		}
		if o.profile != "" {
			args = append(args, "-admin", "127.0.0.1:0")
		}
		rp, err := startRelay(o.relayBin, dir, args...)
		if err != nil {
			return err
		}
		defer rp.stop()
		relays = append(relays, rp)
		fmt.Fprintf(out, "relay pid %d at %s (queue %s); %d kiosks configured\n", rp.cmd.Process.Pid, rp.base, o.queue, o.conns)
	}
	rp := relays[0]
	bases := make([]string, len(relays))
	for i, r := range relays {
		bases[i] = r.base
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fleet := newFleet(bases, tokens)
	fleet.backoff = o.backoff
	if o.kill {
		// Kiosks reach the instances as in production: through one address
		// that sends each connection to a live instance.
		hosts := make([]string, len(bases))
		for i, b := range bases {
			hosts[i] = strings.TrimPrefix(b, "http://")
		}
		fleet.bases, fleet.dial = bases[:1], (&spreader{backends: hosts}).dial
		fmt.Fprintln(out, "kiosks connect through one address, each connection to the next live instance")
	}
	defer fleet.stop()
	var report []string
	phases := strings.Split(o.phases, ",")

	// All phases need connected kiosks; conns measures them.
	n := o.busy
	if slices.Contains(phases, "conns") {
		n = o.conns
	}
	start := time.Now()
	if err := fleet.connect(ctx, n, connectTimeout); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d kiosks connected in %v\n", n, time.Since(start).Round(time.Millisecond))
	if slices.Contains(phases, "conns") {
		time.Sleep(o.settle) // steady state: pings exchanged, GC and scavenger settled
		for i, rp := range relays {
			connected, _ := rp.metric("saoma_relay_kiosks_connected")
			rss, hwm := rp.memory()
			verdict := pass(rss < targetRSSMB<<20)
			report = append(report, fmt.Sprintf("conns       instance %d: %d kiosks connected in all (this relay reports %s), after %v idle: RSS %.1f MB (peak %.1f MB), target < %d MB: %s",
				i, n, connected, o.settle, mb(rss), mb(hwm), targetRSSMB, verdict))
			fmt.Fprintln(out, report[len(report)-1])
		}
	}
	if slices.Contains(phases, "idle") {
		r, err := idlePhase(bases[len(bases)-1], fleet, o.idleSamples, o.run) // kiosk 0 is on the first instance
		if err != nil {
			return err
		}
		report = append(report, fmt.Sprintf("idle        %d notifications one at a time, %d kiosks connected: delivery p50 %v p99 %v max %v (WeChat answered p99 %v), target p99 < %v: %s",
			o.idleSamples, n, r.p(50), r.p(99), r.p(100), r.http.p(99), targetIdleP99, pass(r.p(99) < targetIdleP99)))
		fmt.Fprintln(out, report[len(report)-1])
	}
	if slices.Contains(phases, "throughput") {
		stopProfiles, err := startProfiles(o.profile, relays, o.duration)
		if err != nil {
			return err
		}
		r, err := throughputPhase(bases, relays, fleet, o)
		if perr := stopProfiles(); perr != nil {
			fmt.Fprintln(out, "profiles:", perr)
		}
		if err != nil {
			return err
		}
		rss, hwm := rp.memory()
		ok := r.rate >= float64(o.rate)*0.98 && r.failed == 0 && r.lost == 0 && r.p(99) < targetBusyP99
		report = append(report, fmt.Sprintf("throughput  %d notifications to %d kiosks at %d/s for %v: accepted %.0f/s durably, %d failed, %d lost; delivery p50 %v p99 %v max %v; WeChat answered p50 %v p99 %v; relay RSS %.1f MB (peak %.1f MB); target %d/s with p99 < %v: %s",
			r.sent, o.busy, o.rate, o.duration, r.rate, r.failed, r.lost, r.p(50), r.p(99), r.p(100), r.http.p(50), r.http.p(99), mb(rss), mb(hwm), o.rate, targetBusyP99, pass(ok)))
		fmt.Fprintln(out, report[len(report)-1])
		if k := r.kill; k != nil {
			gap := "not all within " + deliveryDrainTime.String()
			if k.gap > 0 {
				gap = k.gap.Round(time.Millisecond).String()
			}
			report = append(report, fmt.Sprintf("kill        instance %d SIGKILLed at %v holding %s kiosks: all %d kiosks linked again after %s; %d POSTs failed and were retried on another instance (%d failed everywhere); delivery of notifications sent in the second after the kill p50 %v p99 %v max %v; %d lost, %d duplicated deliveries: %s",
				len(relays)-1, k.at.Round(time.Millisecond), k.held, n, gap, r.retried, r.failed, k.after.p(50), k.after.p(99), k.after.p(100), r.lost, r.dups, pass(r.lost == 0 && r.dups == 0 && r.failed == 0)))
			fmt.Fprintln(out, report[len(report)-1])
		}
	}
	commits, _ := rp.metric("saoma_relay_commits_total")
	accepted, _ := rp.metric("saoma_relay_notifications_accepted_total")
	fmt.Fprintf(out, "\nsummary (relay: %s notifications accepted in %s group commits)\n", accepted, commits)
	for _, l := range report {
		fmt.Fprintln(out, "  "+l)
	}
	return nil
}

func pass(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit: 10,000 sockets need
// more than the usual 1,024.
func raiseFileLimit(out io.Writer) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintf(out, "cannot raise the open-file limit: %v\n", err)
	}
}

// writeKiosks writes a kiosks file of n kiosks for the demo merchant (the
// relay verifies every signature, the expensive path) and returns their
// tokens.
func writeKiosks(path string, n int) ([]string, error) {
	var b strings.Builder
	tokens := make([]string, n)
	for i := range n {
		tokens[i] = fmt.Sprintf("load-token-%06d-%s", i, wxpay.NonceStr())
		fmt.Fprintf(&b, "[[kiosk]]\nid = %q\ntoken_hash = %q\nappid = %q\nmch_id = %q\nkey = %q\n\n",
			kioskID(i), relay.HashToken(tokens[i]), wxsim.DemoAppID, wxsim.DemoMchID, wxsim.DemoKey)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("write kiosks file: %w", err)
	}
	return tokens, nil
}

func kioskID(i int) string { return fmt.Sprintf("k%06d", i) }

// relayProc is the relay under test.
type relayProc struct {
	cmd    *exec.Cmd
	base   string
	admin  string // admin endpoint's host:port, when started with -admin
	exited chan error
	client *http.Client
}

// startRelay runs the relay on 127.0.0.1:0 and waits for its address.
func startRelay(bin, dir string, queueArgs ...string) (*relayProc, error) {
	args := append([]string{"-listen", "127.0.0.1:0", "-kiosks", filepath.Join(dir, "kiosks.toml"), "-log-level", "error"}, queueArgs...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start relay: %w", err)
	}
	rp := &relayProc{cmd: cmd, exited: make(chan error, 1)}
	go func() { rp.exited <- cmd.Wait() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(time.Minute)
	for rp.base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil, errors.New("relay exited before listening")
			}
			rp.base, _ = strings.CutPrefix(l, "listening on ")
			if slices.Contains(args, "-admin") && rp.base != "" {
				// "admin on …" follows "listening on …".
				if a, ok := strings.CutPrefix(<-lines, "admin on "); ok {
					rp.admin = a
				}
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			return nil, errors.New("relay did not start within a minute")
		}
	}
	go func() {
		for range lines {
		}
	}()
	u, err := url.Parse(rp.base)
	if err != nil || !isLoopback(u.Hostname()) {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("relay address %q is not loopback; refusing to load it", rp.base)
	}
	rp.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: 30 * time.Second}
	return rp, nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// stop ends the relay with SIGTERM (SIGKILL after 30 s).
func (rp *relayProc) stop() {
	_ = rp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-rp.exited:
	case <-time.After(30 * time.Second):
		_ = rp.cmd.Process.Kill()
		<-rp.exited
	}
}

// memory returns the relay's resident set size and its peak, in bytes.
func (rp *relayProc) memory() (rss, hwm int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", rp.cmd.Process.Pid))
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// metric reads one unlabelled sample from /metrics.
func (rp *relayProc) metric(name string) (string, error) {
	resp, err := rp.client.Get(rp.base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no metric %s", name)
}

// fleet is the simulated kiosks: relay.Client instances in this process.
type fleet struct {
	bases   []string      // relay instances; kiosk i connects to bases[i mod len]
	backoff time.Duration // the kiosks' MinBackoff
	// dial, if set, opens every kiosk's connection (a load balancer).
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	tokens []string
	up     atomic.Int64
	upCh   chan struct{}
	// deliveries receives "kioskIndex out_trade_no" with the arrival time.
	deliveries chan delivery
	cancels    []context.CancelFunc
	wg         sync.WaitGroup
}

// delivery is one notification a simulated kiosk received.
type delivery struct {
	outTradeNo string
	at         time.Time
}

func newFleet(bases []string, tokens []string) *fleet {
	return &fleet{bases: bases, tokens: tokens, upCh: make(chan struct{}, 1), deliveries: make(chan delivery, 1<<16)}
}

// connect starts n clients and waits until all report the link up.
func (f *fleet) connect(ctx context.Context, n int, timeout time.Duration) error {
	quiet := slog.New(slog.DiscardHandler)
	for i := range n {
		c, err := relay.NewClient(relay.ClientConfig{
			URL:   f.bases[i%len(f.bases)], // kiosk i on instance i mod N
			Token: f.tokens[i],
			// The random initial delay (below MinBackoff) spreads the
			// fleet's first dials over a few seconds, as in a real restart.
			MinBackoff:     3 * time.Second,
			MaxBackoff:     10 * time.Second,
			Logger:         quiet,
			NetDialContext: f.dial,
			OnNotification: func(_ context.Context, n relay.Notification) error {
				at := time.Now()
				f.deliveries <- delivery{outTradeNo: field(n.Body, "out_trade_no"), at: at}
				return nil
			},
			OnLink: func(up bool) {
				if up && f.up.Add(1) == int64(n) {
					f.upCh <- struct{}{}
				} else if !up {
					f.up.Add(-1)
				}
			},
		})
		if err != nil {
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		f.cancels = append(f.cancels, cancel)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			_ = c.Run(cctx)
		}()
	}
	select {
	case <-f.upCh:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("only %d of %d kiosks connected within %v", f.up.Load(), n, timeout)
	}
}

func (f *fleet) stop() {
	for _, c := range f.cancels {
		c()
	}
	f.wg.Wait()
}

// field extracts one field of a flat WeChat XML body.
func field(body []byte, name string) string {
	p, err := wxpay.ParseXML(body)
	if err != nil {
		return ""
	}
	return p.Get(name)
}

// notification is a signed payment notification for order prefix+i;
// code keeps the transaction ids of different phases apart and run those
// of different runs (a NATS stream that outlives a run remembers ids for
// its duplicate window and would store a repeated one once).
func notification(prefix string, code, run, i int) []byte {
	p := wxpay.Params{
		"return_code": "SUCCESS", "appid": wxsim.DemoAppID, "mch_id": wxsim.DemoMchID,
		"nonce_str": wxpay.NonceStr(), "result_code": "SUCCESS", "out_trade_no": fmt.Sprintf("%s%d", prefix, i),
		"transaction_id": fmt.Sprintf("42%02d%06d%018d", code, run%1_000_000, i),
		"openid":         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "trade_type": "NATIVE", "bank_type": "CMC",
		"total_fee": "1250", "cash_fee": "1250", "fee_type": "CNY", "time_end": wxpay.FormatTime(time.Now()),
	}
	p["sign"] = p.Sign(wxsim.DemoKey, wxpay.SignMD5)
	return p.EncodeXML()
}

// latencies is a sample of durations.
type latencies []time.Duration

// p returns the q-th percentile (0–100), rounded for display.
func (l latencies) p(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(q / 100 * float64(len(s)-1))
	return s[i].Round(10 * time.Microsecond)
}

// result is one phase's measurements.
type result struct {
	latencies           // WeChat's POST start → the kiosk's handler
	http      latencies // WeChat's POST start → SUCCESS answer
	sent      int
	failed    int
	lost      int
	rate      float64 // SUCCESS answers per second while sending
	retried   int     // POSTs that failed and were sent again to another instance
	dups      int     // notifications the kiosk's handler received more than once
	kill      *killResult
}

// killResult is what -kill measured.
type killResult struct {
	at    time.Duration // since the phase started
	held  string        // kiosks the killed instance held (its metric)
	gap   time.Duration // kill → every kiosk linked again; 0 if not within the drain time
	after latencies     // deliveries of notifications sent within a second after the kill
}

// postNotify posts one notification and reports whether it was answered
// SUCCESS.
func postNotify(c *http.Client, base, kiosk string, body []byte) error {
	resp, err := c.Post(base+"/wxpay/notify/"+kiosk, "text/xml", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	if ok, _, _ := wxpay.ParseNotifyReply(reply); !ok || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, reply)
	}
	return nil
}

// idlePhase sends notifications to one kiosk one at a time, waiting for
// each delivery, with a pause between them: the latency of a quiet relay.
func idlePhase(base string, f *fleet, samples, run int) (*result, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	r := &result{}
	for i := range samples {
		body := notification("I", 1, run, i)
		start := time.Now()
		if err := postNotify(c, base, kioskID(0), body); err != nil {
			return nil, fmt.Errorf("idle notification %d: %w", i, err)
		}
		r.http = append(r.http, time.Since(start))
		want := fmt.Sprintf("I%d", i)
		for {
			select {
			case d := <-f.deliveries:
				if d.outTradeNo != want {
					continue // a late duplicate
				}
				r.latencies = append(r.latencies, d.at.Sub(start))
			case <-time.After(10 * time.Second):
				return nil, fmt.Errorf("idle notification %d never delivered", i)
			}
			break
		}
		time.Sleep(10 * time.Millisecond) // idle: nothing else in flight
	}
	r.sent = samples
	return r, nil
}

// throughputPhase sends o.rate notifications per second for o.duration to
// o.busy kiosks (open loop: a schedule, not a closed loop waiting for
// answers) through o.workers concurrent connections, then waits for every
// delivery.
func throughputPhase(bases []string, relays []*relayProc, f *fleet, o options) (*result, error) {
	total := int(float64(o.rate) * o.duration.Seconds())
	bodies := make([][]byte, total)
	for i := range bodies {
		bodies[i] = notification("T", 2, o.run, i)
	}
	sentAt := make([]time.Time, total)
	answered := make([]time.Duration, total)
	okAt := make([]bool, total)
	var retried atomic.Int64
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.workers, MaxConnsPerHost: o.workers}, Timeout: 30 * time.Second}
	jobs := make(chan int, total)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				start := time.Now()
				sentAt[i] = start
				// Rotate the instance WeChat posts to, so that most
				// notifications cross instances.
				first := i + i/o.busy
				err := postNotify(c, bases[first%len(bases)], kioskID(i%o.busy), bodies[i])
				// Like WeChat, send a failed notification again (here at
				// once, to the next instance): with -kill the instance
				// may have died holding it.
				for try := 1; err != nil && o.kill && try < len(bases); try++ {
					retried.Add(1)
					err = postNotify(c, bases[(first+try)%len(bases)], kioskID(i%o.busy), bodies[i])
				}
				if err != nil {
					if failed.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "notification %d: %v\n", i, err)
					}
					continue
				}
				answered[i] = time.Since(start)
				okAt[i] = true
			}
		}()
	}
	// Deliveries are matched after the run; collect them meanwhile.
	delivered := make([]time.Time, total)
	times := make([]int, total)
	collectDone := make(chan struct{})
	var got atomic.Int64
	stopCollect := make(chan struct{})
	go func() {
		defer close(collectDone)
		for {
			select {
			case d := <-f.deliveries:
				i, err := strconv.Atoi(strings.TrimPrefix(d.outTradeNo, "T"))
				if err != nil || !strings.HasPrefix(d.outTradeNo, "T") || i < 0 || i >= total {
					continue
				}
				times[i]++
				if delivered[i].IsZero() {
					delivered[i] = d.at
					got.Add(1)
				}
			case <-stopCollect:
				return
			}
		}
	}()
	start := time.Now()
	interval := time.Second / time.Duration(o.rate)
	var kill *killResult
	var killAt time.Time
	var relinked chan time.Time
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if o.kill && i == total/2 {
			victim := relays[len(relays)-1]
			held, _ := victim.metric("saoma_relay_kiosks_connected")
			killAt = time.Now()
			if err := victim.cmd.Process.Kill(); err != nil {
				return nil, fmt.Errorf("kill relay pid %d: %w", victim.cmd.Process.Pid, err)
			}
			kill = &killResult{at: killAt.Sub(start), held: held}
			relinked = make(chan time.Time, 1)
			go func() {
				select {
				case <-f.upCh: // every kiosk linked again
					relinked <- time.Now()
				case <-time.After(deliveryDrainTime):
					relinked <- time.Time{}
				}
			}()
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	deadline := time.Now().Add(deliveryDrainTime)
	for got.Load() < int64(total)-failed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stopCollect)
	<-collectDone

	r := &result{sent: total, failed: int(failed.Load()), retried: int(retried.Load()), kill: kill}
	if kill != nil {
		if at := <-relinked; !at.IsZero() {
			kill.gap = at.Sub(killAt)
		}
	}
	var okCount int
	for i := range total {
		if !okAt[i] {
			continue
		}
		okCount++
		r.http = append(r.http, answered[i])
		if delivered[i].IsZero() {
			r.lost++
			continue
		}
		r.latencies = append(r.latencies, delivered[i].Sub(sentAt[i]))
		if times[i] > 1 {
			r.dups++
		}
		if kill != nil && !sentAt[i].Before(killAt) && sentAt[i].Sub(killAt) < time.Second {
			kill.after = append(kill.after, delivered[i].Sub(sentAt[i]))
		}
	}
	r.rate = float64(okCount) / elapsed.Seconds()
	return r, nil
}

// startProfiles starts CPU profiles of this process and of every relay
// (through its admin endpoint) for the throughput phase, when dir is set.
// The returned function ends them and writes dir/relay-load.pprof and
// dir/relay-N.pprof.
func startProfiles(dir string, relays []*relayProc, d time.Duration) (func() error, error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	own, err := os.Create(filepath.Join(dir, "relay-load.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(own); err != nil {
		own.Close()
		return nil, err
	}
	errs := make(chan error, len(relays))
	for i, rp := range relays {
		go func() {
			errs <- fetchProfile(rp, d, filepath.Join(dir, fmt.Sprintf("relay-%d.pprof", i)))
		}()
	}
	return func() error {
		pprof.StopCPUProfile()
		all := []error{own.Close()}
		for range relays {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}, nil
}

// fetchProfile writes a CPU profile of d seconds of relay rp to path.
func fetchProfile(rp *relayProc, d time.Duration, path string) error {
	if rp.admin == "" {
		return fmt.Errorf("relay pid %d has no admin endpoint", rp.cmd.Process.Pid)
	}
	secs := max(int(d.Seconds()), 1)
	resp, err := rp.client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", rp.admin, secs))
	if err != nil {
		return fmt.Errorf("profile of relay pid %d: %w", rp.cmd.Process.Pid, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile of relay pid %d: %s", rp.cmd.Process.Pid, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package relay

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"saoma/payment/wxpay"
	"saoma/payment/wxsim"
)

// natsCluster is an in-process NATS cluster with JetStream on temp dirs.
type natsCluster struct {
	nodes []*server.Server
	urls  string // client URLs, comma-separated
}

// freePort reserves a loopback port for a node's cluster listener, which
// every node must know before it starts.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNATSCluster starts n nodes routed to each other (n = 1: a single
// node without a cluster) and waits until each accepts connections.
func startNATSCluster(t testing.TB, n int) *natsCluster {
	t.Helper()
	ports := make([]int, n)
	var routes []*url.URL
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	nc := &natsCluster{}
	var urls []string
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
		}
		if n > 1 {
			opts.Cluster = server.ClusterOpts{Name: "saoma", Host: "127.0.0.1", Port: ports[i]}
			opts.Routes = routes
		}
		ns, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		t.Cleanup(ns.Shutdown)
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatalf("NATS node %d not ready", i+1)
		}
		nc.nodes = append(nc.nodes, ns)
		urls = append(urls, ns.ClientURL())
	}
	nc.urls = strings.Join(urls, ",")
	return nc
}

// clusterKiosks are n kiosks holding the demo merchant key.
func clusterKiosks(n int) ([]Kiosk, []string) {
	var ks []Kiosk
	var tokens []string
	for i := range n {
		tok := fmt.Sprintf("cluster-token-%d", i)
		ks = append(ks, Kiosk{ID: fmt.Sprintf("c%d", i), TokenHash: HashToken(tok), AppID: wxsim.DemoAppID, MchID: wxsim.DemoMchID, Key: wxsim.DemoKey})
		tokens = append(tokens, tok)
	}
	return ks, tokens
}

// startClusterRelays starts n relay instances on one stream of nc. The
// first one creates the stream; it polls (with a deadline) because the
// cluster elects its JetStream leader asynchronously.
func startClusterRelays(t testing.TB, nc *natsCluster, n, replicas int, kiosks []Kiosk, mutate func(*ServerConfig)) []*testRelay {
	t.Helper()
	var out []*testRelay
	start := func() (*testRelay, error) {
		cfg := ServerConfig{Kiosks: kiosks, Logger: testLogger(t), NATS: &NATSConfig{URLs: nc.urls, Replicas: replicas, Timeout: 2 * time.Second}}
		if mutate != nil {
			mutate(&cfg)
		}
		s, err := NewServer(cfg)
		if err != nil {
			return nil, err
		}
		acks := make(chan string, 100000)
		s.ackHook = func(kiosk string, seq uint64) {
			select {
			case acks <- fmt.Sprintf("%s/%d", kiosk, seq):
			default:
			}
		}
		hs := httptest.NewServer(s.Handler())
		tr := &testRelay{Server: s, URL: hs.URL, hs: hs, acks: acks}
		t.Cleanup(tr.stop)
		return tr, nil
	}
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		tr, err := start()
		if err == nil {
			out = append(out, tr)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster never took the stream: %v", err)
		}
		<-tick.C
	}
	for range n - 1 {
		tr, err := start()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
	return out
}

// crash stops a relay instance the way kill -9 would look from outside:
// its NATS connection drops first (no more purges or wake-ups), then every
// socket, with no close frame and no final commit.
func (tr *testRelay) crash() {
	tr.q.(*jsQueue).nc.Close()
	for _, k := range tr.kiosks.Load().byID {
		if ss := k.session(); ss != nil {
			_ = ss.conn.Close()
		}
	}
	tr.hs.CloseClientConnections()
	tr.hs.Close()
}

// balancer is an ordinary round-robin load balancer in front of the relay
// instances; a crashed instance is taken out of rotation.
type balancer struct {
	mu    sync.Mutex
	alive []*url.URL
	next  int
	hs    *httptest.Server
}

func startBalancer(t testing.TB, relays []*testRelay) *balancer {
	t.Helper()
	b := &balancer{}
	for _, tr := range relays {
		u, err := url.Parse(tr.URL)
		if err != nil {
			t.Fatal(err)
		}
		b.alive = append(b.alive, u)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(b.pick()) }}
	b.hs = httptest.NewServer(proxy)
	t.Cleanup(b.hs.Close)
	return b
}

func (b *balancer) pick() *url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.alive[b.next%len(b.alive)]
	b.next++
	return u
}

func (b *balancer) remove(base string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, u := range b.alive {
		if u.String() == base {
			b.alive = append(b.alive[:i], b.alive[i+1:]...)
			return
		}
	}
}

// ledger is the kiosks' side: it applies each transaction once and records
// what arrived where.
type ledger struct {
	mu        sync.Mutex
	applied   map[string]string // transaction id → kiosk that applied it
	redeliver int
	wrong     []string
	events    chan struct{}
}

func (l *ledger) apply(kiosk, body string) {
	p, err := wxpay.ParseXML([]byte(body))
	l.mu.Lock()
	defer l.mu.Unlock()
	tx := p.Get("transaction_id")
	if err != nil || !strings.HasPrefix(p.Get("out_trade_no"), kiosk+"-") {
		l.wrong = append(l.wrong, kiosk+" got "+p.Get("out_trade_no"))
		return
	}
	if _, ok := l.applied[tx]; ok {
		l.redeliver++
		return
	}
	l.applied[tx] = kiosk
	select {
	case l.events <- struct{}{}:
	default:
	}
}

// missing lists the transactions of want not applied yet.
func (l *ledger) missing(want map[string]string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for tx := range want {
		if _, ok := l.applied[tx]; !ok {
			out = append(out, tx)
		}
	}
	return out
}

// notifyUntilSuccess posts like WeChat: again after any answer but
// SUCCESS, to the next live instance, until the deadline.
func notifyUntilSuccess(ctx context.Context, bases func() []string, kiosk string, body []byte) error {
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		bs := bases()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, bs[i%len(bs)]+"/wxpay/notify/"+kiosk, strings.NewReader(string(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var buf [512]byte
		n, _ := resp.Body.Read(buf[:])
		resp.Body.Close()
		if ok, _, err := wxpay.ParseNotifyReply(buf[:n]); resp.StatusCode == http.StatusOK && err == nil && ok {
			return nil
		}
	}
}

func TestClusterDeliversEverySuccessOnceAcrossAnInstanceCrashAndANodeLoss(t *testing.T) {
	nc := startNATSCluster(t, 3)
	kiosks, tokens := clusterKiosks(6)
	relays := startClusterRelays(t, nc, 3, 3, kiosks, nil)
	for _, tr := range relays[1:] {
		if tr.Epoch() != relays[0].Epoch() {
			t.Fatalf("instances disagree on the epoch: %s and %s", tr.Epoch(), relays[0].Epoch())
		}
	}
	lb := startBalancer(t, relays)
	l := &ledger{applied: make(map[string]string), events: make(chan struct{}, 1)}
	for i, k := range kiosks {
		id := k.ID
		kc := startClient(t, lb.hs.URL, tokens[i], func(c *ClientConfig) {
			c.OnNotification = func(ctx context.Context, n Notification) error {
				l.apply(id, string(n.Body))
				return nil
			}
		})
		kc.waitLink(t, true)
	}
	connected := make(map[int]int) // instance → kiosks held
	for i, tr := range relays {
		for _, k := range tr.kiosks.Load().byID {
			if k.session() != nil {
				connected[i]++
			}
		}
	}
	if len(connected) < 2 {
		t.Fatalf("kiosks did not spread over instances: %v", connected)
	}

	var liveMu sync.Mutex
	live := []string{relays[0].URL, relays[1].URL, relays[2].URL}
	bases := func() []string {
		liveMu.Lock()
		defer liveMu.Unlock()
		return append([]string(nil), live...)
	}
	victim := relays[0]
	for i, tr := range relays {
		if connected[i] > 0 {
			victim = tr // an instance that holds kiosks
			break
		}
	}

	const total = 240
	want := make(map[string]string, total)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	var succeeded atomic.Int64
	crashAt, nodeDownAt := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	jobs := make(chan int)
	errs := make(chan error, total)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				k := kiosks[i%len(kiosks)].ID
				tx := fmt.Sprintf("42%016d", i)
				if err := notifyUntilSuccess(ctx, bases, k, notification(wxsim.DemoKey, fmt.Sprintf("%s-%d", k, i), tx)); err != nil {
					errs <- fmt.Errorf("notification %d never got SUCCESS: %w", i, err)
					continue
				}
				switch succeeded.Add(1) {
				case total / 3:
					close(crashAt)
				case 2 * total / 3:
					close(nodeDownAt)
				}
			}
		}()
	}
	for i := range total {
		want[fmt.Sprintf("42%016d", i)] = kiosks[i%len(kiosks)].ID
	}
	go func() {
		defer close(jobs)
		for i := range total {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	select {
	case <-crashAt:
	case <-ctx.Done():
		t.Fatal("never reached the crash point")
	}
	liveMu.Lock()
	live = slicesDelete(live, victim.URL)
	liveMu.Unlock()
	lb.remove(victim.URL)
	victim.crash()
	select {
	case <-nodeDownAt:
	case <-ctx.Done():
		t.Fatal("never reached the node-loss point")
	}
	leader := nc.nodes[0]
	for _, ns := range nc.nodes {
		if ns.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, DefaultStream) {
			leader = ns // lose the stream's leader: the hardest node to lose
		}
	}
	leader.Shutdown()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for len(l.missing(want)) > 0 {
		select {
		case <-l.events:
		case <-ctx.Done():
			t.Fatalf("%d notifications that got SUCCESS never reached their kiosk, e.g. %v", len(l.missing(want)), l.missing(want)[:1])
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.wrong) > 0 {
		t.Fatalf("notifications reached the wrong kiosk: %v", l.wrong)
	}
	for tx, k := range want {
		if l.applied[tx] != k {
			t.Fatalf("transaction %s applied by %q, want %q", tx, l.applied[tx], k)
		}
	}
	t.Logf("%d notifications applied once each; %d redelivered after reconnection and dropped by the ledger; kiosks per instance at start %v", total, l.redeliver, connected)
}

// slicesDelete returns s without v.
func slicesDelete(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func TestClusterRoutesAModeOneCallbackToTheInstanceHoldingTheKiosk(t *testing.T) {
	nc := startNATSCluster(t, 1)
	kiosks, tokens := clusterKiosks(1)
	relays := startClusterRelays(t, nc, 2, 1, kiosks, nil)
	kc := startClient(t, relays[0].URL, tokens[0], func(c *ClientConfig) {
		c.OnNativeCallback = func(ctx context.Context, body []byte) []byte {
			return wxpay.NativeCallbackReply(wxsim.DemoAppID, wxsim.DemoMchID, wxsim.DemoKey, "wx-prepay-routed")
		}
	})
	kc.waitLink(t, true)

	status, reply := post(t, relays[1].URL, callbackPath+"c0", callbackBody(wxsim.DemoKey, "P1"))
	p, err := wxpay.ParseXML([]byte(reply))
	if status != http.StatusOK || err != nil || p.Get("prepay_id") != "wx-prepay-routed" {
		t.Fatalf("callback via the other instance: HTTP %d %s (%v)", status, reply, err)
	}

	kc.stop()
	kc.waitLink(t, false)
	status, reply = post(t, relays[1].URL, callbackPath+"c0", callbackBody(wxsim.DemoKey, "P1"))
	p, err = wxpay.ParseXML([]byte(reply))
	if status != http.StatusOK || err != nil || p.Get("err_code_des") != customerRetryMsg {
		t.Fatalf("callback with the kiosk offline everywhere: HTTP %d %s (%v)", status, reply, err)
	}
}

func TestClusterStoresADuplicateOnceAndRefusesBeyondMaxUnverified(t *testing.T) {
	nc := startNATSCluster(t, 1)
	kiosks, _ := clusterKiosks(1)
	kiosks = append(kiosks, Kiosk{ID: "u1", TokenHash: HashToken("unverified-token")}) // no key: unverified
	relays := startClusterRelays(t, nc, 2, 1, kiosks, func(c *ServerConfig) { c.MaxUnverified = 2; c.MaxQueue = 5 })

	body := notification(wxsim.DemoKey, "c0-1", "4200000001")
	notify(t, relays[0].URL, "c0", body)
	notify(t, relays[1].URL, "c0", body) // WeChat's retry, to the other instance
	if n, err := relays[0].q.(*jsQueue).count("c0"); err != nil || n != 1 {
		t.Fatalf("stored %d copies (%v), want 1", n, err)
	}

	for i := range 2 {
		notify(t, relays[i%2].URL, "u1", notification("not-the-key", fmt.Sprintf("u1-%d", i), fmt.Sprintf("43%d", i)))
	}
	status, _ := post(t, relays[0].URL, "/wxpay/notify/u1", notification("not-the-key", "u1-9", "439"))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("third unverified notification: HTTP %d, want 503", status)
	}

	for i := 2; i < 6; i++ { // five stored: MaxQueue
		notify(t, relays[i%2].URL, "c0", notification(wxsim.DemoKey, fmt.Sprintf("c0-%d", i), fmt.Sprintf("420000000%d", i)))
	}
	status, _ = post(t, relays[1].URL, "/wxpay/notify/c0", notification(wxsim.DemoKey, "c0-9", "4200000009"))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("notification beyond MaxQueue: HTTP %d, want 503", status)
	}
}

func TestClusterResumesAfterTheLastAckOnAnotherInstanceAndPrunesAcked(t *testing.T) {
	nc := startNATSCluster(t, 1)
	kiosks, tokens := clusterKiosks(1)
	relays := startClusterRelays(t, nc, 2, 1, kiosks, nil)
	kc := startClient(t, relays[0].URL, tokens[0], nil)
	kc.waitLink(t, true)
	for i := range 3 {
		notify(t, relays[1].URL, "c0", notification(wxsim.DemoKey, fmt.Sprintf("c0-%d", i), fmt.Sprintf("44%d", i)))
	}
	for i := range 3 {
		if got := outTradeNo(t, kc.next(t)); got != fmt.Sprintf("c0-%d", i) {
			t.Fatalf("delivery %d: got %s", i, got)
		}
	}
	epoch, last := kc.state()
	relays[0].waitAck(t, "c0", last)
	kc.stop()
	kc.waitLink(t, false)

	// The acknowledged messages are purged once the ack is committed.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := relays[1].q.(*jsQueue).count("c0")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged messages still stored", n)
		}
		<-tick.C // the purge is committed asynchronously after the ack
	}

	notify(t, relays[0].URL, "c0", notification(wxsim.DemoKey, "c0-3", "443"))
	conn, _ := dialRaw(t, relays[1].URL, tokens[0], fmt.Sprintf("v=%d&epoch=%s&last_seq=%d", ProtocolVersion, epoch, last))
	w := readFrame(t, conn)
	if w.Type != typeWelcome || w.Epoch != epoch || w.ResumeAfter != last {
		t.Fatalf("welcome on the other instance: %+v, want epoch %s resume_after %d", w, epoch, last)
	}
	f := readFrame(t, conn)
	if f.Type != typeNotify || f.Seq <= last || outTradeNo(t, f.Body) != "c0-3" {
		t.Fatalf("first frame after resume: %+v", f)
	}
}

package relay

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"saoma/payment/wxsim"
)

// BenchmarkNotifyDurable measures notifications accepted per second over
// loopback HTTP with every answer given only after its fsync'd commit; 64
// concurrent WeChat connections exercise the group commit.
func BenchmarkNotifyDurable(b *testing.B) {
	tr := startRelay(b, nil)
	var n atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.SetParallelism(32) // × GOMAXPROCS goroutines
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := notification(wxsim.DemoKey, fmt.Sprintf("B-%d", i), fmt.Sprintf("42%026d", i))
			resp, err := client.Post(tr.URL+"/wxpay/notify/k1", "text/xml", strings.NewReader(string(body)))
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("HTTP %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notif/s")
}

// BenchmarkNotifyToDelivery measures an idle kiosk's latency from WeChat's
// POST to the kiosk's handler, one notification at a time.
func BenchmarkNotifyToDelivery(b *testing.B) {
	tr := startRelay(b, nil)
	kc := startClient(b, tr.URL, tokenK1, nil)
	kc.waitLink(b, true)
	b.ResetTimer()
	for i := range b.N {
		notify(b, tr.URL, "k1", notification(wxsim.DemoKey, fmt.Sprintf("L-%d", i), fmt.Sprintf("43%026d", i)))
		kc.next(b)
	}
}

// BenchmarkFrameEncode measures encoding a notify frame (per delivery).
func BenchmarkFrameEncode(b *testing.B) {
	body := string(notification(wxsim.DemoKey, "K1-1", "4200000001202601010000000001"))
	b.ReportAllocs()
	for b.Loop() {
		f := frame{Type: typeNotify, Seq: 12345, Epoch: "0123456789abcdef", At: 1767225600000, Body: body}
		_ = f.encode()
	}
}

// BenchmarkNotifyToDeliveryAcrossInstances measures an idle kiosk's
// latency when WeChat posts to one relay instance and the kiosk is
// connected to another, both on one single-node JetStream: the publish,
// the stream feed and the websocket write.
func BenchmarkNotifyToDeliveryAcrossInstances(b *testing.B) {
	nc := startNATSCluster(b, 1)
	kiosks, tokens := clusterKiosks(1)
	relays := startClusterRelays(b, nc, 2, 1, kiosks, nil)
	kc := startClient(b, relays[0].URL, tokens[0], nil)
	kc.waitLink(b, true)
	b.ResetTimer()
	for i := range b.N {
		notify(b, relays[1].URL, "c0", notification(wxsim.DemoKey, fmt.Sprintf("X-%d", i), fmt.Sprintf("44%026d", i)))
		kc.next(b)
	}
}

// Package demo runs the kiosk's demo world in process: a WeChat Pay
// simulator and a relay, both on loopback, with the demo merchant's
// credentials and one demo kiosk. A newcomer completes a sale from the
// simulator's customer-phone page without a merchant account.
//
// It lives apart from package app so the checkout engine never links the
// simulator or the relay's storage.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"saoma/payment/relay"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/payment/wxsim"
)

// KioskID is the demo kiosk's id on the in-process relay.
const KioskID = "k1"

// PreferredSimAddr is where the simulator's customer-phone page listens
// when the port is free, so its address stays the same between runs.
const PreferredSimAddr = "127.0.0.1:8090"

// World is a running demo: a simulator and a relay on loopback.
type World struct {
	// WxPay is the client configuration that reaches the simulator for
	// every API, refunds included.
	WxPay wxpay.Config
	// API is "v2" or "v3": which API the demo kiosk pays with.
	API string
	// WxPayV3 is the v3 client configuration (used when API is "v3").
	WxPayV3 wxpayv3.Config
	// Key is the demo merchant's API key.
	Key string
	// RelayURL and RelayToken are what a kiosk config's [relay] would
	// hold.
	RelayURL   string
	RelayToken string
	// KioskID is the demo kiosk's id.
	KioskID string
	// NotifyURL is the kiosk's notify_url on the relay.
	NotifyURL string
	// SimURL is the simulator's customer-phone page.
	SimURL string

	sim      *wxsim.Server
	relaySrv *relay.Server
	httpSrv  *http.Server
	done     chan struct{}
}

// Options tunes Start. The zero value is what the kiosk uses.
type Options struct {
	// SimAddr is the simulator's plain-HTTP address; PreferredSimAddr,
	// falling back to a free port, when empty.
	SimAddr string
	// TimeScale speeds up the simulator's protocol clocks (tests).
	TimeScale float64
	// Logger receives the simulator's and relay's logs; discarded if nil.
	Logger *slog.Logger
	// API is the WeChat Pay API the demo kiosk speaks: "v2" (default) or
	// "v3". Either way the simulator speaks both, and shelf labels use v2.
	API string
}

// Start runs the demo world with its state under dataDir (created if
// missing): the simulator's orders and the relay's queue survive restarts
// like the ledger does, so an order open at exit is settled on the next run.
func Start(ctx context.Context, dataDir string, opt Options) (*World, error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	simDir := filepath.Join(dataDir, "wxsim")
	relayDir := filepath.Join(dataDir, "relay")
	for _, d := range []string{simDir, relayDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	token, err := demoToken(filepath.Join(dataDir, "relay-token"))
	if err != nil {
		return nil, err
	}

	// The relay listens first: the simulator needs its mode-1 callback URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo relay: %w", err)
	}
	relayURL := "http://" + ln.Addr().String()

	simCfg := wxsim.Config{
		DataDir:      simDir,
		CallbackURL:  relayURL + "/wxpay/native-callback/" + KioskID,
		TimeScale:    opt.TimeScale,
		InstantBills: true,
		RefundDelay:  5 * time.Second,
		Logger:       logger.With("component", "wxsim"),
	}
	sim, err := startSim(simCfg, opt.SimAddr)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo simulator: %w", err)
	}
	wx := sim.ClientConfig()
	kiosk := relay.Kiosk{ID: KioskID, TokenHash: relay.HashToken(token), AppID: wx.AppID, MchID: wx.MchID, Key: wx.APIKey}
	api := "v2"
	var wx3 wxpayv3.Config
	if opt.API == "v3" {
		api, wx3 = "v3", sim.ClientConfigV3()
		kiosk.WechatPayPublicKey, kiosk.WechatPayPublicKeyID = sim.WechatPayPublicKey(), sim.WechatPayPublicKeyID()
	}
	rs, err := relay.NewServer(relay.ServerConfig{
		DataDir: relayDir,
		Kiosks:  []relay.Kiosk{kiosk},
		Logger:  logger.With("component", "relay"),
	})
	if err != nil {
		ln.Close()
		sim.Close()
		return nil, fmt.Errorf("demo relay: %w", err)
	}
	w := &World{
		WxPay:      wx,
		API:        api,
		WxPayV3:    wx3,
		Key:        wx.APIKey,
		RelayURL:   relayURL,
		RelayToken: token,
		KioskID:    KioskID,
		NotifyURL:  relay.NotifyURL(relayURL, KioskID),
		SimURL:     sim.URL() + "/",
		sim:        sim,
		relaySrv:   rs,
		httpSrv:    &http.Server{Handler: rs.Handler(), ReadHeaderTimeout: 10 * time.Second},
		done:       make(chan struct{}),
	}
	go func() {
		defer close(w.done)
		if err := w.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("demo relay stopped", "err", err)
		}
	}()
	return w, nil
}

func startSim(cfg wxsim.Config, addr string) (*wxsim.Server, error) {
	if addr != "" {
		return wxsim.Listen(cfg, addr, "127.0.0.1:0")
	}
	if s, err := wxsim.Listen(cfg, PreferredSimAddr, "127.0.0.1:0"); err == nil {
		return s, nil
	}
	return wxsim.Start(cfg)
}

// demoToken returns the demo kiosk's relay token, made once and kept in
// path (0600) so the relay's stored queue stays addressed to the same kiosk.
func demoToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return string(b), nil
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("demo token: %w", err)
	}
	tok := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
		return "", fmt.Errorf("demo token: %w", err)
	}
	return tok, nil
}

// Close stops the relay (draining its connections) and the simulator.
func (w *World) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.httpSrv.Shutdown(ctx)
	if e := w.relaySrv.Shutdown(ctx); err == nil {
		err = e
	}
	<-w.done
	if e := w.sim.Close(); err == nil {
		err = e
	}
	return err
}

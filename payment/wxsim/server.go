package wxsim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
)

// Server is a Sim listening on loopback: one plain-HTTP listener and one
// HTTPS listener, both serving every path. The HTTPS listener requests a
// client certificate and verifies it when sent; /secapi/pay/refund answers
// only requests that came over HTTPS with the merchant's certificate
// (Sim.MerchantP12), as WeChat's does. Point a client that refunds at
// TLSURL with RootCAs; anything else may use either URL.
type Server struct {
	*Sim
	httpLn, tlsLn net.Listener
	httpSrv       *http.Server
	tlsSrv        *http.Server
	done          chan struct{}
}

// Start runs a simulator for cfg on 127.0.0.1 with ports chosen by the
// system. Close stops it.
func Start(cfg Config) (*Server, error) { return Listen(cfg, "127.0.0.1:0", "127.0.0.1:0") }

// Listen runs a simulator for cfg with its plain-HTTP listener on httpAddr
// and its HTTPS listener on tlsAddr.
func Listen(cfg Config, httpAddr, tlsAddr string) (*Server, error) {
	sim, err := New(cfg)
	if err != nil {
		return nil, err
	}
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		_ = sim.Close()
		return nil, fmt.Errorf("wxsim: listen %s: %w", httpAddr, err)
	}
	tl, err := net.Listen("tcp", tlsAddr)
	if err != nil {
		_ = hl.Close()
		_ = sim.Close()
		return nil, fmt.Errorf("wxsim: listen %s: %w", tlsAddr, err)
	}
	newSrv := func() *http.Server {
		return &http.Server{
			Handler:           sim,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			IdleTimeout:       60 * time.Second,
			ErrorLog:          slog.NewLogLogger(sim.log.Handler(), slog.LevelDebug),
		}
	}
	s := &Server{Sim: sim, httpLn: hl, tlsLn: tl, httpSrv: newSrv(), tlsSrv: newSrv(), done: make(chan struct{})}
	s.tlsSrv.TLSConfig = sim.ServerTLSConfig()
	// HTTP/1.1 only, like WeChat's v2 API; it also keeps Close prompt (an
	// HTTP/2 graceful shutdown lingers a second per connection).
	h1 := new(http.Protocols)
	h1.SetHTTP1(true)
	s.tlsSrv.Protocols = h1
	errc := make(chan error, 2)
	go func() { errc <- s.httpSrv.Serve(hl) }()
	go func() { errc <- s.tlsSrv.ServeTLS(tl, "", "") }()
	go func() {
		for range 2 {
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				sim.log.Error("wxsim: serve", "err", err)
			}
		}
		close(s.done)
	}()
	return s, nil
}

// URL returns the plain-HTTP base URL, e.g. "http://127.0.0.1:41234". The
// customer page is at URL()+"/".
func (s *Server) URL() string { return "http://" + s.httpLn.Addr().String() }

// TLSURL returns the HTTPS base URL, trusted through RootCAs, required for
// refunds.
func (s *Server) TLSURL() string { return "https://" + s.tlsLn.Addr().String() }

// Close stops both listeners (waiting up to 5 s for requests in flight),
// then the simulator.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(s.httpSrv.Shutdown(ctx), s.tlsSrv.Shutdown(ctx))
	<-s.done
	return errors.Join(err, s.Sim.Close())
}

// ClientConfig returns a wxpay.Config for the simulated merchant that works
// for every API including refunds: the HTTPS base URL, the simulator's CA as
// the only trusted root and the merchant certificate (PKCS#12, password the
// merchant id). Demo mode and tests build their client from it; set
// SignType for HMAC-SHA256.
func (s *Server) ClientConfig() wxpay.Config {
	return wxpay.Config{
		AppID:        s.AppID(),
		MchID:        s.MchID(),
		APIKey:       s.Key(),
		BaseURL:      s.TLSURL(),
		RootCAs:      s.RootCAs(),
		CertP12:      s.MerchantP12(),
		CertPassword: s.P12Password(),
	}
}

// ClientConfigV3 returns a wxpayv3.Config for the simulated merchant: the
// HTTPS base URL with an HTTP client trusting only the simulator's CA, the
// merchant API v3 key and serial, the APIv3 key and a public-key-mode
// Verifier for the simulated WeChat Pay key. Set Now to share a manual
// clock.
func (s *Server) ClientConfigV3() wxpayv3.Config {
	return wxpayv3.Config{
		MchID:      s.MchID(),
		AppID:      s.AppID(),
		MchSerial:  s.MerchantSerial(),
		PrivateKey: s.MerchantPrivateKey(),
		APIv3Key:   s.APIv3Key(),
		Verifier:   s.V3Verifier(),
		BaseURL:    s.TLSURL(),
		HTTPClient: &http.Client{
			Timeout:   wxpayv3.DefaultTimeout,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs(), MinVersion: tls.VersionTLS12}},
		},
	}
}

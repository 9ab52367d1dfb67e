// Command wxpay-sim runs Saoma's WeChat Pay simulator alone: WeChat's API v2
// paths and the API v3 Native, query, close and refund paths over HTTP and
// HTTPS (v2 refunds need the merchant certificate it writes out; v3 requests
// are signed with apiclient_key.pem and its replies verified with
// wechatpay_public_key.pem), asynchronous payment notifications with
// WeChat's retry schedule, mode-1 callbacks, 付款码 (/pay/micropay,
// /secapi/pay/reverse, POST /sim/paycode), and a customer-phone page to pay
// open QR orders and show payment codes from a browser.
//
//	go run ./cmd/wxpay-sim -listen 127.0.0.1:8090
//
// It prints the merchant ids, where the certificate and key files are (never
// the keys themselves), the addresses, and
// "listening on http://HOST:PORT" once it accepts connections. SIGINT or
// SIGTERM shut it down gracefully.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"saoma/payment/wxsim"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wxpay-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wxpay-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	var (
		cfg       wxsim.Config
		listen    = fs.String("listen", "127.0.0.1:8090", "plain-HTTP listen address (port 0 picks one)")
		tlsListen = fs.String("tls-listen", "", "HTTPS listen address, needed for refunds (default: the -listen host and port+1; port 0 when -listen uses port 0)")
		certDir   = fs.String("cert-dir", "", "write ca.pem, apiclient_cert.pem (cert+key), apiclient_cert.p12, apiclient_key.pem (v3 merchant key, PKCS#8) and wechatpay_public_key.pem here (default: -data dir when set)")
		verbose   = fs.Bool("v", false, "log every request and notification to stderr")
	)
	fs.StringVar(&cfg.AppID, "appid", wxsim.DemoAppID, "merchant appid")
	fs.StringVar(&cfg.MchID, "mch-id", wxsim.DemoMchID, "merchant number")
	fs.StringVar(&cfg.Key, "key", wxsim.DemoKey, "merchant API key (32 bytes)")
	fs.StringVar(&cfg.APIv3Key, "apiv3-key", wxsim.DemoAPIv3Key, "merchant APIv3 key (32 bytes), encrypts v3 notifications")
	fs.StringVar(&cfg.MerchantSerial, "merchant-serial", "", "merchant API v3 certificate serial, hex (default: random 40 hex digits, kept in -data)")
	fs.StringVar(&cfg.WechatPayPublicKeyID, "wechatpay-pubkey-id", "", "WeChat Pay public key id sent as Wechatpay-Serial (default: PUB_KEY_ID_01 + mch-id + zeros)")
	fs.StringVar(&cfg.CallbackURL, "callback-url", "", "merchant mode-1 callback URL (支付回调URL)")
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "run protocol durations N times faster (100: 15 s retry → 150 ms)")
	fs.StringVar(&cfg.DataDir, "data", "", "directory for the bbolt state file (empty: memory only)")
	fs.DurationVar(&cfg.Latency, "latency", 0, "latency added before every API reply")
	fs.Float64Var(&cfg.SystemErrorRate, "systemerror-rate", 0, "share (0-1) of API requests answered SYSTEMERROR")
	fs.Float64Var(&cfg.DuplicateNotifyRate, "duplicate-notify", 0, "share (0-1) of notification attempts sent twice")
	fs.Float64Var(&cfg.DropNotifyRate, "drop-notify", 0, "share (0-1) of notification attempts silently lost")
	fs.BoolVar(&cfg.NotifyBeforeReply, "notify-before-reply", false, "pay every new order at once and notify before the unified-order reply")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "fault-injection seed (0: random)")
	fs.DurationVar(&cfg.RefundDelay, "refund-delay", 0, "time until a refund turns SUCCESS, before -time-scale (default 1m)")
	fs.DurationVar(&cfg.PasswordDelay, "password-delay", 0, "time a USERPAYING/PASSWORD_FAIL 付款码 payer takes to enter the password, before -time-scale (default 10s)")
	fs.BoolVar(&cfg.InstantBills, "instant-bills", false, "serve a day's bill at once instead of after 10:00 the next day")
	notifyCA := fs.String("notify-ca", "", "PEM bundle trusted (beside the system roots) for https notify and callback URLs, e.g. a relay with a private CA")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "wxpay-sim", version)
		return nil
	}
	if *notifyCA != "" {
		hc, err := trustingClient(*notifyCA)
		if err != nil {
			return fmt.Errorf("-notify-ca: %w", err)
		}
		cfg.HTTPClient = hc
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *tlsListen == "" {
		host, port, err := net.SplitHostPort(*listen)
		if err != nil {
			return fmt.Errorf("bad -listen %q: %w", *listen, err)
		}
		tlsPort := "0"
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65535 {
			tlsPort = strconv.Itoa(n + 1) // 8090 → 8091: a stable address for kiosk configs
		}
		*tlsListen = net.JoinHostPort(host, tlsPort)
	}
	srv, err := wxsim.Listen(cfg, *listen, *tlsListen)
	if err != nil {
		return err
	}
	dir := *certDir
	if dir == "" {
		dir = cfg.DataDir
	}
	if dir != "" {
		if err := writeCerts(srv.Sim, dir); err != nil {
			_ = srv.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "WeChat Pay v2 + v3 simulator (no real money)\n")
	fmt.Fprintf(stdout, "  appid   %s\n  mch_id  %s\n", srv.AppID(), srv.MchID())
	fmt.Fprintf(stdout, "  v3 merchant serial %s\n  v3 WeChat Pay public key id %s\n", srv.MerchantSerial(), srv.WechatPayPublicKeyID())
	fmt.Fprintf(stdout, "  API (HTTPS, refunds need the merchant certificate): %s\n", srv.TLSURL())
	if dir != "" {
		fmt.Fprintf(stdout, "  certificates and keys: %s (ca.pem, apiclient_cert.p12 with the mch_id as password, apiclient_cert.pem, apiclient_key.pem, wechatpay_public_key.pem)\n", dir)
	} else {
		fmt.Fprintf(stdout, "  certificates and keys: not written (use -cert-dir or -data); API keys are set by -key and -apiv3-key\n")
	}
	fmt.Fprintf(stdout, "customer page: %s/\n", srv.URL())
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return srv.Close()
}

// writeCerts saves the CA, the merchant certificate the way WeChat hands it
// out (apiclient_cert.p12, plus PEM), the v3 merchant private key and the
// WeChat Pay public key, so a separate kiosk process can be configured for
// v2 refunds and for API v3.
func writeCerts(sim *wxsim.Sim, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cert dir: %w", err)
	}
	files := map[string][]byte{
		"ca.pem":             sim.CACertPEM(),
		"apiclient_cert.p12": sim.MerchantP12(),
		"apiclient_cert.pem": sim.MerchantPEM(),
		// API v3: the merchant's signing key and WeChat Pay's public key.
		"apiclient_key.pem":        sim.MerchantPrivateKeyPEM(),
		"wechatpay_public_key.pem": sim.WechatPayPublicKeyPEM(),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// trustingClient is an HTTP client for notifications that also trusts the
// CAs in the PEM file at path.
func trustingClient(path string) (*http.Client, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

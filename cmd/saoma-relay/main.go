// Command saoma-relay runs Saoma's relay on a public host: WeChat Pay calls
// it (payment notifications, Native mode-1 callbacks) and kiosks behind NAT
// keep a websocket to it.
//
//	saoma-relay -listen :8443 -data /var/lib/saoma-relay -kiosks /etc/saoma-relay/kiosks.toml \
//	            -tls-cert /etc/saoma-relay/fullchain.pem -tls-key /etc/saoma-relay/privkey.pem
//
// Without -tls-cert/-tls-key it serves plain HTTP, for a reverse proxy that
// terminates TLS (docs/deploy.md). It prints "listening on http(s)://ADDR"
// once it accepts connections; SIGINT or SIGTERM shut it down gracefully.
// SIGHUP reloads the kiosks file without dropping connections (a file that
// does not load is refused and the kiosks served stay as they were); it
// prints "kiosks reloaded: N" or "kiosks reload refused: …".
//
//	echo -n "$TOKEN" | saoma-relay -hash-token
//
// prints the token_hash to put in the kiosks file.
//
//	saoma-relay -admin 127.0.0.1:9464 …        (or -admin unix:/run/saoma-relay/admin.sock)
//	saoma-relay backup -admin 127.0.0.1:9464 -o /var/backups/saoma-relay/relay.db
//
// -admin serves the relay's administration endpoint on loopback (or a Unix
// socket); the backup subcommand fetches a consistent copy of the running
// relay's bbolt queue from it and writes it atomically, mode 0600. The copy
// is a relay.db another relay can start from (docs/deploy.md).
//
//	saoma-relay -queue nats://n1:4222,nats://n2:4222,nats://n3:4222 -nats-replicas 3 \
//	            -nats-creds /etc/saoma-relay/relay.creds -kiosks /etc/saoma-relay/kiosks.toml
//
// stores notifications in a NATS JetStream stream shared by several relay
// instances instead of the bbolt file (docs/relay-cluster.md).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"saoma/payment/relay"
)

// HTTP server limits for a public endpoint (Valsorda's timeouts guide).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 20 * time.Second
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "saoma-relay:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "backup" {
		return runBackup(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("saoma-relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	var (
		listen    = fs.String("listen", "127.0.0.1:8443", "listen address (port 0 picks one)")
		dataDir   = fs.String("data", "", "data directory for the relay's bbolt queue (required with -queue bbolt)")
		queueURL  = fs.String("queue", "bbolt", `where notifications are stored: "bbolt" (the file in -data, one process) or NATS JetStream servers "nats://host:4222,host2:4222" (several instances share them; tls:// for TLS)`)
		natsOpts  natsFlags
		kiosks    = fs.String("kiosks", "", "kiosks file, TOML (required; see docs/kiosks.example.toml)")
		tlsCert   = fs.String("tls-cert", "", "TLS certificate chain (PEM); with -tls-key serves HTTPS")
		tlsKey    = fs.String("tls-key", "", "TLS private key (PEM)")
		logLevel  = fs.String("log-level", "info", "debug, info, warn or error")
		hashToken = fs.Bool("hash-token", false, "read a kiosk token from stdin, print its token_hash and exit")
		cbTimeout = fs.Duration("callback-timeout", relay.DefaultCallbackTimeout, "how long a mode-1 callback waits for the kiosk")
		admin     = fs.String("admin", "", `administration listener, off by default: a loopback "127.0.0.1:9464" or "unix:/run/saoma-relay/admin.sock"; serves GET /backup for "saoma-relay backup" and Go's profiles under /debug/pprof/`)
		maxUnver  = fs.Int("max-unverified", relay.DefaultMaxUnverified, "unacknowledged notifications stored per kiosk without a merchant key (forgeries cannot be told apart); beyond it WeChat gets FAIL and retries")
	)
	natsOpts.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "saoma-relay", version)
		return nil
	}
	if *hashToken {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read token: %w", err)
		}
		token := strings.TrimRight(line, "\r\n")
		if token == "" {
			return errors.New("no token on stdin")
		}
		fmt.Fprintln(stdout, relay.HashToken(token))
		return nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	natsCfg, err := natsOpts.config(*queueURL)
	if err != nil {
		return err
	}
	if *kiosks == "" || (natsCfg == nil && *dataDir == "") {
		fs.Usage()
		return errors.New("-kiosks is required, and -data with the bbolt queue")
	}
	if *maxUnver < 1 {
		return errors.New("-max-unverified must be at least 1")
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	ks, err := relay.LoadKiosks(*kiosks)
	if err != nil {
		return err
	}
	warnLoosePermissions(log, *kiosks, ks)

	srv, err := relay.NewServer(relay.ServerConfig{
		DataDir:         *dataDir,
		NATS:            natsCfg,
		Kiosks:          ks,
		Logger:          log,
		CallbackTimeout: *cbTimeout,
		MaxUnverified:   *maxUnver,
	})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return fmt.Errorf("load TLS key pair: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	serveErr := make(chan error, 2)
	var adminSrv *http.Server
	if *admin != "" {
		aln, err := listenAdmin(*admin)
		if err != nil {
			ln.Close()
			_ = srv.Shutdown(context.Background())
			return err
		}
		adminSrv = &http.Server{Handler: adminMux(srv.AdminHandler()), ReadHeaderTimeout: readHeaderTimeout, ErrorLog: hs.ErrorLog}
		go func() {
			if err := adminSrv.Serve(aln); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("admin: %w", err)
			}
		}()
		log.Info("admin endpoint", "addr", adminName(aln))
		*admin = adminName(aln)
	}
	go func() {
		if scheme == "https" {
			serveErr <- hs.ServeTLS(ln, "", "")
		} else {
			serveErr <- hs.Serve(ln)
		}
	}()
	log.Info("relay serving", "addr", ln.Addr().String(), "tls", scheme == "https", "kiosks", len(ks), "epoch", srv.Epoch(), "nats", natsCfg != nil)
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, ln.Addr())
	if adminSrv != nil {
		fmt.Fprintf(stdout, "admin on %s\n", *admin)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			break wait
		case err := <-serveErr:
			runErr = fmt.Errorf("serve: %w", err)
			break wait
		case <-hup:
			reloadKiosks(log, srv, *kiosks, stdout)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// HTTP first (no new requests, in-flight ones answered), then the
	// relay (kiosk sockets closed with "going away", acks committed).
	if err := hs.Shutdown(sctx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("http shutdown: %w", err))
	}
	if adminSrv != nil {
		if err := adminSrv.Shutdown(sctx); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("admin shutdown: %w", err))
		}
	}
	if err := srv.Shutdown(sctx); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// reloadKiosks reads the kiosks file again and hands it to the relay
// (SIGHUP). A file that does not load, or that the relay refuses, changes
// nothing: the error is logged and the kiosks served stay as they were.
// One line on stdout says which happened, for scripts (and tests) that
// need to know the reload is done.
func reloadKiosks(log *slog.Logger, srv *relay.Server, path string, stdout io.Writer) {
	ks, err := relay.LoadKiosks(path)
	if err == nil {
		err = srv.SetKiosks(ks)
	}
	if err != nil {
		log.Error("kiosks file refused on SIGHUP; still serving the previous kiosks", "path", path, "err", err)
		fmt.Fprintf(stdout, "kiosks reload refused: %v\n", err)
		return
	}
	warnLoosePermissions(log, path, ks)
	fmt.Fprintf(stdout, "kiosks reloaded: %d\n", len(ks))
}

// warnLoosePermissions warns when a kiosks file holding merchant keys can
// be read by other users.
func warnLoosePermissions(log *slog.Logger, path string, ks []relay.Kiosk) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	for _, k := range ks {
		if k.Key != "" {
			log.Warn("kiosks file holds merchant API keys but is readable by others; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
			return
		}
	}
}

// natsFlags are the options of the NATS JetStream queue.
type natsFlags struct {
	creds, ca, cert, key, stream string
	replicas                     int
	dedupe, timeout              time.Duration
}

// register adds the -nats-* flags to fs.
func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (JWT + nkey seed) for -queue nats://")
	fs.StringVar(&n.ca, "nats-ca", "", "CA certificates (PEM) that sign the NATS servers' certificates")
	fs.StringVar(&n.cert, "nats-cert", "", "client certificate (PEM) for NATS mutual TLS; with -nats-key")
	fs.StringVar(&n.key, "nats-key", "", "client private key (PEM) for NATS mutual TLS")
	fs.StringVar(&n.stream, "nats-stream", relay.DefaultStream, "JetStream stream holding the notifications")
	fs.IntVar(&n.replicas, "nats-replicas", 1, "replicas of the stream when this relay creates it: 3 on a three-node cluster")
	fs.DurationVar(&n.dedupe, "nats-dedupe-window", relay.DefaultDedupeWindow, "how long JetStream remembers a notification to store WeChat's retries once")
	fs.DurationVar(&n.timeout, "nats-timeout", relay.DefaultNATSTimeout, "bound on each JetStream request and publish acknowledgement")
}

// config returns the NATS queue for -queue value q, or nil for bbolt.
func (n *natsFlags) config(q string) (*relay.NATSConfig, error) {
	if q == "" || q == "bbolt" {
		if n.creds != "" || n.ca != "" || n.cert != "" || n.key != "" {
			return nil, errors.New("-nats-* options need -queue nats://…")
		}
		return nil, nil
	}
	for _, u := range strings.Split(q, ",") {
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			return nil, fmt.Errorf("-queue %q: want bbolt or nats://host:port,… (or tls://)", q)
		}
	}
	if (n.cert == "") != (n.key == "") {
		return nil, errors.New("-nats-cert and -nats-key go together")
	}
	if n.replicas < 1 || n.replicas > 5 {
		return nil, errors.New("-nats-replicas must be 1 to 5")
	}
	cfg := &relay.NATSConfig{URLs: q, Stream: n.stream, Replicas: n.replicas, DedupeWindow: n.dedupe, Timeout: n.timeout}
	if n.creds != "" {
		cfg.Options = append(cfg.Options, nats.UserCredentials(n.creds))
	}
	if n.ca != "" {
		cfg.Options = append(cfg.Options, nats.RootCAs(n.ca))
	}
	if n.cert != "" {
		cfg.Options = append(cfg.Options, nats.ClientCert(n.cert, n.key))
	}
	return cfg, nil
}

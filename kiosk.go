package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"saoma/app"
	"saoma/app/demo"
	"saoma/endsession"
	"saoma/payment/relay"
	"saoma/printer"
	"saoma/speaker"
	"saoma/store"
	"saoma/ui"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// kioskFlags are the kiosk's command-line options.
type kioskFlags struct {
	config          string
	data            string
	fullscreen      bool
	customerDisplay bool
	locale          string
	demo            bool
	api             string // demo mode's WeChat Pay API: v2 or v3
	verbose         bool
}

func parseKioskFlags(args []string, stderr io.Writer) (kioskFlags, error) {
	var f kioskFlags
	fs := flag.NewFlagSet("saoma", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", app.DefaultConfigPath(), "config file (TOML); demo mode when it does not exist")
	fs.StringVar(&f.data, "data", defaultDataDir(), "data directory (ledger, print previews)")
	fs.BoolVar(&f.fullscreen, "fullscreen", false, "run full screen (kiosk)")
	fs.BoolVar(&f.customerDisplay, "customer-display", false, "show the Pay screen in a second window for a customer-facing monitor")
	fs.StringVar(&f.locale, "locale", "", "zh or en (default: the config's, else zh)")
	fs.BoolVar(&f.demo, "demo", false, "demo mode even when a config file exists")
	fs.StringVar(&f.api, "api", "v2", "demo mode: the WeChat Pay API the kiosk speaks to the simulator, v2 or v3")
	fs.BoolVar(&f.verbose, "v", false, "verbose logs")
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if f.locale != "" && f.locale != "zh" && f.locale != "en" {
		return f, fmt.Errorf("%w: -locale must be zh or en", errUsage)
	}
	if f.api != "v2" && f.api != "v3" {
		return f, fmt.Errorf("%w: -api must be v2 or v3", errUsage)
	}
	return f, nil
}

// runKiosk wires the adapters into the engine and shows the screens until
// the window closes.
func runKiosk(args []string, stdout, stderr io.Writer) error {
	f, err := parseKioskFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	k, err := wire(ctx, f, logger)
	if err != nil {
		cancel()
		if errors.Is(err, store.ErrLocked) {
			ui.Alert(fyneapp.NewWithID("com.saoma.kiosk"), "Saoma",
				"收银机已在运行，请使用已打开的窗口。\nSaoma is already running: use the window that is open.")
		}
		return err
	}
	closed := make(chan struct{}) // closed once the engine, printer and ledger are closed
	defer func() {
		cancel() // ends the relay link and the engine's pollers first
		k.close()
		close(closed)
	}()

	a := fyneapp.NewWithID("com.saoma.kiosk")
	win, err := ui.New(a, k.engine, ui.Options{
		Fullscreen:      f.fullscreen,
		CustomerDisplay: f.customerDisplay,
		Locale:          k.cfg.Locale,
		Config:          k.cfg,
		SaveConfig:      k.saveConfig,
		Preview:         k.printer.Preview,
		TestPrint:       k.testPrint,
		DataDir:         k.dataDir,
		Version:         version,
		Demo:            k.world != nil,
		SimURL:          k.simURL(),
		PaidReturn:      10 * time.Second,
		RelayCertExpiry: k.relayCertExpiry,
		SetSpeaker:      k.setSpeaker,
		Logger:          logger.With("component", "ui"),
		PrinterConfirms: k.printerConfirms,
	})
	if err != nil {
		return err
	}
	// SIGTERM (systemd, pkill), Ctrl-C and, on Windows, logoff and
	// shutdown close the kiosk cleanly: the window closes, the engine
	// stops, the ledger is closed; Windows is held off (a few seconds at
	// most) until the ledger is closed.
	stopWatch, err := endsession.Watch(func(endsession.Reason) <-chan struct{} {
		fyne.Do(a.Quit)
		return closed
	}, endsession.Options{
		Logger:      logger.With("component", "endsession"),
		BlockReason: "正在保存账本… Saving the ledger…",
		Title:       "Saoma",
	})
	if err != nil {
		logger.Warn("the kiosk will not close cleanly on logoff or shutdown", "err", err)
	} else {
		defer stopWatch()
	}
	win.ShowAndRun()
	return nil
}

// kiosk is everything wire builds, for closing in order.
type kiosk struct {
	cfg        app.Config
	configPath string
	dataDir    string
	world      *demo.World
	store      *store.Store
	printer    *printer.Queue
	engine     *app.Engine
	relayDone  chan struct{}
	speaker    *speaker.Announcer
	relay      *relay.Client
	reconDone  chan struct{}
	logger     *slog.Logger
	// live is the engine once built, for adapters' goroutines that start
	// before it exists.
	live atomic.Pointer[app.Engine]
}

func (k *kiosk) simURL() string {
	if k.world == nil {
		return ""
	}
	return k.world.SimURL
}

// saveConfig writes the settings the owner changed. In demo mode the demo
// credentials are not written out: the file then holds only what the owner
// typed, and becomes a live config once it has merchant credentials.
func (k *kiosk) saveConfig(c app.Config) error {
	if k.world != nil && c.WxPay.AppID == k.cfg.WxPay.AppID && c.WxPay.Key == k.cfg.WxPay.Key {
		c.WxPay = app.WxPayConfig{}
		c.Relay = app.RelayConfig{}
	}
	if err := c.Save(k.configPath); err != nil {
		return err
	}
	k.logger.Info("config saved", "path", k.configPath)
	return nil
}

// wire loads the config (or starts the demo world), opens the ledger and the
// printer, and starts the engine and the relay link.
func wire(ctx context.Context, f kioskFlags, logger *slog.Logger) (_ *kiosk, err error) {
	k := &kiosk{configPath: f.config, dataDir: f.data, logger: logger}
	defer func() {
		if err != nil {
			k.close()
		}
	}()
	// A failed wire leaves nothing running: ctx is cancelled by the caller
	// before close waits for the relay link.
	cfg, err := app.LoadConfig(f.config)
	// A config without merchant credentials (e.g. only a shop name saved from
	// Settings in demo mode) still runs the demo.
	demoMode := errors.Is(err, fs.ErrNotExist) || f.demo || (err == nil && !cfg.Live())
	switch {
	case demoMode:
		logger.Info("no merchant config: demo mode", "config", f.config)
		k.dataDir = filepath.Join(f.data, "demo")
	case err != nil:
		return nil, fmt.Errorf("config %s: %w", f.config, err)
	}
	if err := os.MkdirAll(k.dataDir, 0o700); err != nil {
		return nil, err
	}
	// The ledger first: its lock is what tells a second kiosk process that
	// Saoma is already running, before anything else is started.
	k.store, err = store.Open(store.LedgerPath(k.dataDir), store.Options{DayBoundary: cfg.WithDefaults().DayBoundaryDuration()})
	if err != nil {
		return nil, fmt.Errorf("ledger in %s: %w", k.dataDir, err)
	}
	if n, err := store.CleanTemp(k.dataDir); err != nil || n > 0 {
		logger.Info("removed temporary copies left by an interrupted backup or export", "count", n, "err", err)
	}
	if n, err := store.CleanTemp(filepath.Join(k.dataDir, "backups")); err != nil || n > 0 {
		logger.Info("removed temporary backup copies", "count", n, "err", err)
	}
	go backupDaily(ctx, k.store, k.dataDir, time.Now, time.After, func(path string, err error) {
		if err != nil {
			logger.Warn("ledger backup failed", "err", err)
			return
		}
		logger.Info("ledger backed up", "path", path)
	})
	if demoMode {
		k.world, err = demo.Start(ctx, k.dataDir, demo.Options{Logger: logger, API: f.api})
		if err != nil {
			return nil, err
		}
		cfg = demoConfig(k.world, cfg)
		logger.Info("demo: pay open QR codes from the simulator's customer page", "url", k.world.SimURL)
		if err := seedCatalog(k.store); err != nil {
			return nil, err
		}
	}
	cfg = cfg.WithDefaults()
	if f.locale != "" {
		cfg.Locale = f.locale
	}
	k.cfg = cfg
	logger.Info("starting", "config", cfg)

	pc := printerConfig(cfg.Printer, filepath.Join(k.dataDir, "previews"))
	pc.OnChange = func(printer.Job) {
		if e := k.live.Load(); e != nil {
			e.StatusChanged()
		}
	}
	k.printer, err = printer.New(pc)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}

	pay, shelf, code, err := payments(cfg, k.world)
	if err != nil {
		return nil, err
	}
	notifyURL := cfg.WxPay.NotifyURL // polling only
	if cfg.Relay.URL != "" {
		notifyURL = relay.NotifyURL(cfg.Relay.URL, cfg.KioskID)
	}
	k.speaker = speaker.New(speakerOptions(cfg, logger.With("component", "speaker")))
	k.engine, err = app.NewEngine(app.EngineConfig{
		KioskID:       cfg.KioskID,
		Shop:          cfg.Shop,
		Orders:        k.store,
		Catalog:       k.store,
		Reports:       k.store,
		Printer:       k.printer,
		Payments:      pay,
		ShelfQR:       shelf,
		CodePay:       code,
		NotifyURL:     notifyURL,
		QRLifetime:    cfg.QRLifetime.Duration,
		Logger:        logger.With("component", "engine"),
		Demo:          k.world != nil,
		SimURL:        k.simURL(),
		PrinterStatus: k.printer.Status,
		RetryPrints:   func(ctx context.Context) error { return retryFailed(ctx, k.printer) },
		Flagged:       k.store.Flagged,
		Differences:   k.unexplainedDifferences,
		Books:         k.store,
		Announce:      func(f app.Fen) { k.speaker.Announce(int64(f)) },
	})
	if err != nil {
		return nil, err
	}
	k.live.Store(k.engine)
	if bills, ok := pay.(app.Bills); ok {
		// Every day after WeChat publishes the bill, the day is matched
		// against it, in the background, never holding up a sale.
		var first app.Day
		if k.world != nil {
			// The demo's simulator knows only this run's sales, not the
			// history seed-demo wrote into the ledger.
			first = app.BusinessDay(time.Now(), cfg.DayBoundaryDuration(), app.ShopLocation())
		}
		rc, err := app.NewReconciler(app.ReconcilerConfig{Bills: bills, Ledger: k.store, FirstDay: first,
			Logger: logger.With("component", "reconcile"),
			OnResult: func(app.Reconciliation) {
				if e := k.live.Load(); e != nil {
					e.StatusChanged()
				}
			}})
		if err != nil {
			return nil, err
		}
		k.reconDone = make(chan struct{})
		go func() {
			defer close(k.reconDone)
			if err := rc.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("reconciliation stopped", "err", err)
			}
		}()
	}
	go func() {
		if err := k.engine.Start(ctx); err != nil && ctx.Err() == nil {
			logger.Error("engine start", "err", err)
		}
	}()

	if cfg.Relay.URL != "" {
		rc, err := relay.NewClient(relay.ClientConfig{
			URL:     cfg.Relay.URL,
			Token:   cfg.Relay.Token,
			KioskID: cfg.KioskID,
			OnNotification: func(ctx context.Context, n relay.Notification) error {
				return k.engine.HandleNotification(ctx, n.Header, n.Body)
			},
			OnNativeCallback: k.engine.HandleNativeCallback,
			OnLink:           k.engine.SetLink,
			Logger:           logger.With("component", "relay"),
			StatePath:        filepath.Join(k.dataDir, "relay-state.json"),
			CAFile:           cfg.Relay.CAFile,
			OnTLSFailure:     func(*relay.TLSError) { k.engine.SetRelayCertInvalid() },
		})
		if err != nil {
			return nil, fmt.Errorf("relay: %w", err)
		}
		k.relay = rc
		k.relayDone = make(chan struct{})
		go func() {
			defer close(k.relayDone)
			rc.Run(ctx)
		}()
	} else {
		logger.Warn("no relay configured: payments are confirmed by polling WeChat only")
	}
	return k, nil
}

// close stops what wire started, in reverse order. The context given to
// wire must be cancelled first so the relay link ends.
func (k *kiosk) close() {
	if k.relayDone != nil {
		select {
		case <-k.relayDone:
		case <-time.After(5 * time.Second):
			k.logger.Warn("relay link did not stop in time")
		}
	}
	if k.reconDone != nil {
		<-k.reconDone
	}
	if k.engine != nil {
		k.engine.Wait()
	}
	if k.printer != nil {
		k.printer.Close()
	}
	if k.speaker != nil {
		k.speaker.Close()
	}
	if k.store != nil {
		k.store.Close()
	}
	if k.world != nil {
		k.world.Close()
	}
}

// testPrint prints a sample receipt on the configured printer, marked as a
// copy, so the owner can check paper width, Chinese text and the QR.
func (k *kiosk) testPrint() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	o := app.Order{OutTradeNo: "TEST" + now.Format("150405"), KioskID: k.cfg.KioskID, State: app.StatePaid,
		Lines: []app.Line{{ProductID: "TEST", Name: "测试页 Test page", UnitPrice: 1, Qty: 1}}, Total: 1,
		CreatedAt: now, PaidAt: now, TransactionID: "TEST"}
	_, err := k.printer.Print(ctx, app.Paper{Kind: app.PaperReceipt, Shop: k.cfg.Shop, KioskID: k.cfg.KioskID,
		Order: o, QR: o.OutTradeNo, Reprint: true})
	return err
}

// relayCertExpiry is when the relay's certificate expires (zero before the
// first handshake, and without TLS).
func (k *kiosk) relayCertExpiry() time.Time {
	if k.relay == nil {
		return time.Time{}
	}
	return k.relay.CertExpiry()
}

// unexplainedDifferences counts the differences with WeChat's bills of the
// last 90 days the owner has not explained: they need attention like
// flagged orders.
func (k *kiosk) unexplainedDifferences() int {
	today := app.BusinessDay(time.Now(), k.cfg.DayBoundaryDuration(), app.ShopLocation())
	rs, err := k.store.Reconciliations(today.Add(-app.MaxCatchUpDays), today)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range rs {
		n += r.Open()
	}
	return n
}

// setSpeaker applies the owner's speaker settings at once.
func (k *kiosk) setSpeaker(c app.SpeakerConfig) {
	if k.speaker == nil {
		return
	}
	v := c.Volume
	if v == 0 {
		v = 100
	}
	k.speaker.SetVolume(v)
	k.speaker.SetMuted(c.Muted)
	lang := c.Language
	if lang == "" {
		lang = k.cfg.Locale
	}
	k.speaker.SetLang(speaker.LangOf(lang))
}

// printerConfirms reports whether a printed receipt is confirmed by the
// printer; previews and "none" have nothing to confirm.
func (k *kiosk) printerConfirms() bool {
	switch k.cfg.Printer.Kind {
	case "", "png", "none":
		return true
	}
	return k.printer.Confirms()
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"saoma/app"
	"saoma/app/demo"
	"saoma/payment/wxpay"
	"saoma/printer"
	"saoma/store"
)

// demoConfig is the configuration demo mode runs with: the demo world's
// merchant and relay, a PNG preview printer, and whatever the owner already
// chose (shop name, language) in a config file that has no merchant yet.
func demoConfig(w *demo.World, base app.Config) app.Config {
	c := base
	if c.Shop == "" {
		c.Shop = "扫码小店 · 演示"
	}
	c.KioskID = w.KioskID
	c.WxPay = app.WxPayConfig{AppID: w.WxPay.AppID, MchID: w.WxPay.MchID, Key: w.Key}
	c.Relay = app.RelayConfig{URL: w.RelayURL, Token: w.RelayToken}
	if c.Printer.Kind == "" {
		c.Printer.Kind = "png"
	}
	return c
}

// seedCatalog gives an empty demo ledger the demo catalog.
func seedCatalog(st *store.Store) error {
	ps, err := st.Products()
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if len(ps) > 0 {
		return nil
	}
	for _, p := range app.DemoCatalog() {
		if err := st.PutProduct(p); err != nil {
			return fmt.Errorf("demo catalog: %w", err)
		}
	}
	return nil
}

// printerConfig maps the config file's [printer] onto the print queue.
// Without a printer kind, receipts are drawn as PNG previews in previewDir
// so the cashier still sees and can reprint them.
func printerConfig(c app.PrinterConfig, previewDir string) printer.Config {
	kind := c.Kind
	if kind == "" {
		kind = "png"
	}
	return printer.Config{
		Kind:       kind,
		Address:    c.Address,
		Device:     c.Device,
		CUPSQueue:  c.CUPSQueue,
		Paper:      c.Paper,
		WidthDots:  c.WidthDots,
		RasterQR:   c.RasterQR,
		KickDrawer: c.KickDrawer,
		PreviewDir: previewDir,
	}
}

// wxpayConfig builds the WeChat Pay client configuration: the demo world's
// (which trusts the simulator's CA and carries its merchant certificate) or
// the merchant's own from the config file.
func wxpayConfig(c app.Config, w *demo.World) (wxpay.Config, error) {
	if w != nil {
		wx := w.WxPay
		return wx, nil
	}
	wx := wxpay.Config{
		AppID:        c.WxPay.AppID,
		MchID:        c.WxPay.MchID,
		APIKey:       c.WxPay.Key,
		SignType:     wxpay.SignType(c.WxPay.SignType),
		BaseURL:      c.WxPay.BaseURL,
		CertPassword: c.WxPay.CertPassword,
	}
	if c.WxPay.CertFile != "" {
		b, err := os.ReadFile(c.WxPay.CertFile)
		if err != nil {
			return wx, fmt.Errorf("refund certificate: %w (refunds need apiclient_cert.p12 from the merchant platform)", err)
		}
		wx.CertP12 = b
	}
	return wx, nil
}

// printerStatus summarises the print queue for the status bar: the newest
// job's failure, if it failed, and how many failed jobs wait for a retry.
func printerStatus(q *printer.Queue) app.PrinterStatus {
	st := app.PrinterStatus{OK: true}
	jobs := q.Jobs()
	for _, j := range jobs {
		if j.State == printer.JobFailed {
			st.Failed++
		}
	}
	if n := len(jobs); n > 0 && jobs[n-1].State == printer.JobFailed {
		st.OK = false
		st.Detail = printerProblem(jobs[n-1].Err)
	}
	return st
}

// retryFailed sends every failed print job again.
func retryFailed(ctx context.Context, q *printer.Queue) error {
	var first error
	for _, j := range q.Jobs() {
		if j.State != printer.JobFailed {
			continue
		}
		if err := q.Retry(ctx, j.ID); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// printerProblem names a print failure with one of the words the screens
// translate: offline, paper, stalled, lp, or error.
func printerProblem(err error) string {
	switch {
	case errors.Is(err, printer.ErrPrinterOffline):
		return "offline"
	case errors.Is(err, printer.ErrOutOfPaper):
		return "paper"
	case errors.Is(err, printer.ErrPrinterStalled):
		return "stalled"
	case errors.Is(err, printer.ErrNoLP):
		return "lp"
	}
	return "error"
}

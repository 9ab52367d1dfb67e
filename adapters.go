package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"saoma/app"
	"saoma/app/demo"
	"saoma/payment/wechat"
	"saoma/payment/wxpay"
	"saoma/payment/wxpayv3"
	"saoma/printer"
	"saoma/speaker"
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
	if w.API == "v3" {
		c.WxPay.API = "v3" // shown in Settings; the demo world holds the keys
	}
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
		Kind:      kind,
		Address:   c.Address,
		Device:    c.Device,
		CUPSQueue: c.CUPSQueue,

		WindowsPrinter: c.WindowsPrinter,
		Paper:          c.Paper,
		WidthDots:      c.WidthDots,
		RasterQR:       c.RasterQR,
		KickDrawer:     c.KickDrawer,
		PreviewDir:     previewDir,

		NoConfirm:     c.NoConfirm,
		StatusTimeout: c.StatusTimeout.Duration,
		KeepPreviews:  c.KeepPreviews,
		PreviewMaxAge: c.PreviewMaxAge.Duration,
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

// retryFailed sends every failed print job again.
func retryFailed(ctx context.Context, q *printer.Queue) error {
	// Ask the printer first, so a fixed paper roll clears the warning.
	if _, err := q.Check(ctx); err != nil && !errors.Is(err, printer.ErrCannotAsk) {
		return err
	}
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

// speakerOptions maps the config's [speaker] onto the announcer: the
// language follows the kiosk's unless the owner chose one.
func speakerOptions(c app.Config, logger *slog.Logger) speaker.Options {
	lang := c.Speaker.Language
	if lang == "" {
		lang = c.Locale
	}
	return speaker.Options{Lang: speaker.LangOf(lang), Volume: c.Speaker.Volume, Muted: c.Speaker.Muted, Logger: logger}
}

// payments builds the payment adapters the config asks for: WeChat Pay v2,
// or v3 (with v2's shelf QR labels and payment codes too when the v2 key is
// also set).
func payments(c app.Config, w *demo.World) (app.Payments, app.ShelfQR, app.CodePay, error) {
	pay, v2, err := paymentAdapters(c, w)
	if v2 == nil {
		return pay, nil, nil, err
	}
	return pay, v2, v2, err
}

// paymentAdapters returns the QR payments adapter and, when the v2 key is
// known, the v2 adapter (shelf labels, payment codes).
func paymentAdapters(c app.Config, w *demo.World) (app.Payments, *wechat.V2, error) {
	if w != nil && w.API == "v3" {
		wx, err := wxpayConfig(c, w)
		if err != nil {
			return nil, nil, err
		}
		v2, err := newV2(wx, "")
		if err != nil {
			return nil, nil, err
		}
		client, err := wxpayv3.NewClient(w.WxPayV3)
		if err != nil {
			return nil, nil, fmt.Errorf("wxpay v3: %w", err)
		}
		v3, err := wechat.NewV3(client)
		return v3, v2, err
	}
	if w != nil || !c.WxPay.V3() {
		wx, err := wxpayConfig(c, w)
		if err != nil {
			return nil, nil, err
		}
		v2, err := newV2(wx, c.WxPay.SpbillCreateIP)
		if err != nil {
			return nil, nil, err
		}
		return v2, v2, nil
	}
	key, err := wxpayv3.LoadPrivateKey(c.WxPay.PrivateKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("wxpay.private_key_file: %w", err)
	}
	pub, err := wxpayv3.LoadPublicKey(c.WxPay.WechatPayPublicKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("wxpay.wechatpay_public_key_file: %w", err)
	}
	client, err := wxpayv3.NewClient(wxpayv3.Config{
		MchID: c.WxPay.MchID, AppID: c.WxPay.AppID, MchSerial: c.WxPay.MchSerial, PrivateKey: key,
		APIv3Key: c.WxPay.APIv3Key, Verifier: wxpayv3.NewPublicKeyVerifier(c.WxPay.WechatPayPublicKeyID, pub),
		BaseURL: c.WxPay.BaseURL,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wxpay v3: %w", err)
	}
	v3, err := wechat.NewV3(client)
	if err != nil {
		return nil, nil, err
	}
	var shelf *wechat.V2
	if c.WxPay.Key != "" { // the v2 key too: shelf labels (mode 1), payment codes
		wx, err := wxpayConfig(c, nil)
		if err != nil {
			return nil, nil, err
		}
		v2, err := newV2(wx, c.WxPay.SpbillCreateIP)
		if err != nil {
			return nil, nil, err
		}
		shelf = v2
	}
	return v3, shelf, nil
}

func newV2(wx wxpay.Config, spbillIP string) (*wechat.V2, error) {
	client, err := wxpay.NewClient(wx)
	if err != nil {
		return nil, fmt.Errorf("wxpay: %w", err)
	}
	return wechat.NewV2(client, wx.APIKey, spbillIP)
}

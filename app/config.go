package app

import "time"

// Config is the kiosk's configuration file (TOML). Secrets (the API key,
// the relay token, the certificate password, PIN hashes) never appear in
// logs or on screen.
type Config struct {
	// Shop is the shop name printed on receipts and shown to customers.
	Shop string `toml:"shop"`
	// KioskID names this kiosk on the relay and in out_trade_no; short,
	// [A-Za-z0-9], e.g. "k1".
	KioskID string `toml:"kiosk_id"`
	// Locale is "zh" or "en".
	Locale string `toml:"locale"`
	// DayBoundary is when the business day starts, "HH:MM" local time
	// (e.g. "04:00" so late-night sales count for the evening).
	DayBoundary string `toml:"day_boundary"`
	// QRLifetime is how long a payment QR stays payable (time_expire);
	// 2h by default, never under WeChat's minimum of 5 minutes.
	QRLifetime Duration `toml:"qr_lifetime"`
	// OwnerPIN and CashierPIN are salted hashes made by SetPIN; the
	// owner's PIN opens Sales and Settings, the cashier's leaves the Pay
	// screen.
	OwnerPIN   string `toml:"owner_pin"`
	CashierPIN string `toml:"cashier_pin"`

	WxPay   WxPayConfig   `toml:"wxpay"`
	Relay   RelayConfig   `toml:"relay"`
	Printer PrinterConfig `toml:"printer"`
	Speaker SpeakerConfig `toml:"speaker"`
}

// WxPayConfig is the merchant account.
type WxPayConfig struct {
	AppID string `toml:"appid"`
	MchID string `toml:"mch_id"`
	// Key is the 32-character API key; KeyFile, if set, is read instead
	// (and must not be readable by group or others). With KeyFile the key
	// has one home: Save writes a changed key into that file, never into
	// config.toml.
	Key     string `toml:"key"`
	KeyFile string `toml:"key_file"`
	// SignType is "MD5" (default) or "HMAC-SHA256".
	SignType string `toml:"sign_type"`
	// BaseURL overrides https://api.mch.weixin.qq.com (e.g. a backup
	// domain or the simulator).
	BaseURL string `toml:"base_url"`
	// CertFile is the merchant's apiclient_cert.p12 for refunds;
	// CertPassword defaults to the mch_id.
	CertFile     string `toml:"cert_file"`
	CertPassword string `toml:"cert_password"`
	// SpbillCreateIP is the kiosk's public IP sent with unified orders
	// (WeChat requires a value); "127.0.0.1" if empty.
	SpbillCreateIP string `toml:"spbill_create_ip"`
	// API is the WeChat Pay API the kiosk speaks: "v2" (the default,
	// with Key) or "v3" (what new merchants are given: MchSerial,
	// PrivateKeyFile, APIv3Key and WeChat Pay's public key). A v3
	// merchant who also sets Key (the v2 API key, 商户平台 → API安全 →
	// API密钥) can still print shelf QR labels (Native mode 1), which only
	// v2 has.
	API string `toml:"api"`
	// MchSerial is the merchant API certificate's serial number (v3).
	MchSerial string `toml:"mch_serial"`
	// PrivateKeyFile is apiclient_key.pem, the merchant's private key that
	// signs v3 requests; the file must be private (mode 0600).
	PrivateKeyFile string `toml:"private_key_file"`
	// APIv3Key (32 characters) decrypts v3 notifications; APIv3KeyFile
	// keeps it in its own private file instead (Save then writes a changed
	// key there, not into config.toml).
	APIv3Key     string `toml:"apiv3_key"`
	APIv3KeyFile string `toml:"apiv3_key_file"`
	// WechatPayPublicKeyFile and WechatPayPublicKeyID are WeChat Pay's
	// public key (商户平台 → API安全 → 微信支付公钥) that verifies every v3
	// reply and notification.
	WechatPayPublicKeyFile string `toml:"wechatpay_public_key_file"`
	WechatPayPublicKeyID   string `toml:"wechatpay_public_key_id"`
	// NotifyURL is only for a kiosk without a relay (polling only): the
	// notify_url WeChat requires with every order. Notifications sent
	// there never reach the kiosk, which then learns of each payment by
	// asking WeChat (every 2 s at first, at most 5 s apart). With a relay
	// leave it unset: the relay's URL is used.
	NotifyURL string `toml:"notify_url"`
}

// RelayConfig is the kiosk's link to its relay.
type RelayConfig struct {
	// URL is the relay's base URL, e.g. https://relay.example.com; the
	// kiosk's notify_url is URL + "/wxpay/notify/" + KioskID and it
	// connects to URL + "/ws".
	URL string `toml:"url"`
	// Token is this kiosk's bearer token from the relay's kiosks file.
	// TokenFile, if set, is read instead (it must be private, mode 0600),
	// and Save writes a changed token there, never into config.toml.
	Token     string `toml:"token"`
	TokenFile string `toml:"token_file"`
	// CAFile is a PEM bundle of CA certificates trusted for the relay's
	// TLS certificate in addition to the system roots: for a relay whose
	// certificate a private CA issued, or a shop network that inspects
	// TLS. Default none (the system roots only). It trusts these CAs for
	// the relay link only, never for WeChat.
	CAFile string `toml:"ca_file"`
}

// PrinterConfig selects and shapes the receipt printer.
type PrinterConfig struct {
	// Kind is "png" (previews only), "tcp", "device", "cups", "windows"
	// (the Windows print spooler) or "none".
	Kind      string `toml:"kind"`
	Address   string `toml:"address"`    // tcp: host[:9100]
	Device    string `toml:"device"`     // device: /dev/usb/lp0
	CUPSQueue string `toml:"cups_queue"` // cups: queue accepting raw jobs
	// WindowsPrinter is the printer's name as Windows shows it in
	// Printers & scanners (kind "windows": RAW jobs through the spooler).
	WindowsPrinter string `toml:"windows_printer"`
	Paper          int    `toml:"paper"`      // 58 or 80 (mm)
	WidthDots      int    `toml:"width_dots"` // 0: the paper's standard width
	RasterQR       bool   `toml:"raster_qr"`  // for printers without GS ( k
	// KickDrawer opens the cash drawer after each receipt.
	KickDrawer bool `toml:"kick_drawer"`
	// NoConfirm turns off asking a network printer to confirm each job
	// (GS r 1 after the job). Default off: a job counts as printed only
	// when the printer says so. Set it only for a printer that never
	// answers status requests (every job then fails as "stalled").
	NoConfirm bool `toml:"no_confirm"`
	// StatusTimeout is how long to wait for the printer's answer to a
	// status request; 3s if unset.
	StatusTimeout Duration `toml:"status_timeout"`
	// KeepPreviews keeps a PNG preview of every paper for a real printer
	// too (kind "png" always keeps them). Previews are private (0600).
	KeepPreviews bool `toml:"keep_previews"`
	// PreviewMaxAge prunes previews older than this; 720h (30 days) if
	// unset.
	PreviewMaxAge Duration `toml:"preview_max_age"`
}

// SpeakerConfig is the spoken "微信收款 N 元" on every payment.
type SpeakerConfig struct {
	// Muted silences the announcement; default off (it speaks).
	Muted bool `toml:"muted"`
	// Volume is 1–100; 100 if unset.
	Volume int `toml:"volume"`
	// Language is "zh" or "en"; unset follows the kiosk's locale. A shop
	// with an English screen may still want it said in Chinese.
	Language string `toml:"language"`
}

// Duration is a time.Duration written in TOML as a string like "2h" or
// "90m".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// V3 reports whether the merchant uses WeChat Pay API v3.
func (w WxPayConfig) V3() bool { return w.API == "v3" }

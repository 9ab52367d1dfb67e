package wxsim

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Demo credentials: the merchant the simulator plays when none is
// configured. They are not secrets — printing them is fine — and real WeChat
// Pay knows none of them.
const (
	// DemoAppID is the demo official-account appid.
	DemoAppID = "wx0000000000demo"
	// DemoMchID is the demo merchant number (WeChat's documentation example).
	DemoMchID = "1900000109"
	// DemoKey is the demo 32-byte API key.
	DemoKey = "saomaDemoKey0123456789abcdefABCD"
	// DemoAPIv3Key is the demo 32-byte APIv3 key.
	DemoAPIv3Key = "saomaDemoAPIv3Key0123456789abcde"
)

// Config configures a simulator. The zero value is usable: it plays the demo
// merchant, in memory, on the real clock, with no faults.
type Config struct {
	// AppID, MchID and Key are the merchant's credentials. Defaults:
	// DemoAppID, DemoMchID, DemoKey. Key must be 32 bytes, as WeChat's is.
	AppID string
	MchID string
	Key   string

	// APIv3Key is the merchant's 32-byte APIv3 key, which encrypts v3
	// notifications. Default DemoAPIv3Key.
	APIv3Key string
	// MerchantSerial is the serial of the merchant API v3 certificate the
	// simulator issues (serial_no in Authorization): up to 40 hex digits.
	// Default: a random 40-digit serial, kept in DataDir.
	MerchantSerial string
	// WechatPayPublicKeyID is the id of the simulated WeChat Pay public key
	// (Wechatpay-Serial on v3 replies and notifications). Default
	// "PUB_KEY_ID_01" + MchID padded with zeros to WeChat's length.
	WechatPayPublicKeyID string

	// CallbackURL is the merchant's mode-1 支付回调URL, called when a
	// customer scans a static bizpayurl. Empty: mode-1 scans are refused.
	CallbackURL string

	// TimeScale makes every protocol duration the simulator enforces or
	// waits for run TimeScale times faster: the notification retry
	// schedule, the 2 h prepay/code_url life, the 5 min close rule and the
	// refund completion delay. 100 turns 15 s into 150 ms. Timestamps it
	// writes (time_end, bill times) stay real wall-clock time, and
	// time_expire, an absolute time chosen by the merchant, is compared with
	// Clock.Now unscaled. Default 1; values below 1 are treated as 1.
	TimeScale float64

	// Clock supplies time and timers. Default SystemClock; tests pass a
	// *ManualClock.
	Clock Clock

	// DataDir, when set, holds the simulator's bbolt file (wxsim.db):
	// orders, refunds, short links, certificates and pending notifications
	// survive a restart and pending notifications resume. Empty: memory only.
	DataDir string

	// Logger receives one line per request and per notification attempt.
	// Default: discard. Keys and signatures are never logged.
	Logger *slog.Logger

	// Latency is added before every API reply (fault injection). Default 0.
	Latency time.Duration
	// SystemErrorRate is the share (0–1) of authenticated API requests that
	// are answered SYSTEMERROR without being processed, so a retry with the
	// same parameters is always safe. Default 0.
	SystemErrorRate float64
	// FrequencyLimitRate is the share (0–1) of authenticated API v3
	// requests answered 429 FREQUENCY_LIMITED without being processed.
	// Default 0.
	FrequencyLimitRate float64
	// DuplicateNotifyRate is the share (0–1) of notification attempts that
	// are delivered twice in a row. Default 0.
	DuplicateNotifyRate float64
	// DropNotifyRate is the share (0–1) of notification attempts that are
	// silently lost; each lost attempt counts as failed and is retried on
	// WeChat's schedule. Default 0.
	DropNotifyRate float64
	// NotifyBeforeReply makes every new unified order get paid at once by a
	// simulated customer, with the first payment notification delivered
	// (and answered) before the unified-order response is written: the race
	// a merchant must survive. Default false.
	NotifyBeforeReply bool
	// Seed seeds the fault-injection generator so a test sees the same
	// sequence of faults every run. 0 picks a random seed.
	Seed uint64

	// RefundDelay is how long an accepted refund stays PROCESSING before it
	// turns SUCCESS (scaled by TimeScale). Default 1 minute. Sim.SettleRefunds
	// completes refunds on demand.
	RefundDelay time.Duration
	// PasswordDelay is how long a 付款码 payer minted with USERPAYING or
	// PASSWORD_FAIL takes to enter the password (scaled by TimeScale, on
	// Clock): until then the order is USERPAYING. Default 10 s.
	PasswordDelay time.Duration
	// InstantBills serves the bill of day D at once. WeChat's rule, the
	// default, is that it is generated after 10:00 on D+1 ("Bill Creating"
	// before then). Demo mode turns this on so today's sales reconcile.
	InstantBills bool
	// FeeRate is the merchant's processing fee rate that bills charge per
	// payment (and return per refund), e.g. 0.0038 for 0.38 %. Default
	// DefaultFeeRate (0.6 %, WeChat's standard rate). Fees are rounded to
	// the fen half up per transaction.
	FeeRate float64

	// HTTPClient sends notifications and mode-1 callbacks. Default: a client
	// with NotifyTimeout as its timeout.
	HTTPClient *http.Client
	// NotifyTimeout bounds one notification or callback round trip; no
	// answer in time counts as a failure. Default 5 s (real time, never
	// scaled: it guards the network, not the protocol schedule).
	NotifyTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.AppID == "" {
		c.AppID = DemoAppID
	}
	if c.MchID == "" {
		c.MchID = DemoMchID
	}
	if c.Key == "" {
		c.Key = DemoKey
	}
	if c.APIv3Key == "" {
		c.APIv3Key = DemoAPIv3Key
	}
	if c.WechatPayPublicKeyID == "" {
		c.WechatPayPublicKeyID = "PUB_KEY_ID_01" + c.MchID
		for len(c.WechatPayPublicKeyID) < 41 {
			c.WechatPayPublicKeyID += "0"
		}
	}
	if c.TimeScale < 1 {
		c.TimeScale = 1
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.RefundDelay <= 0 {
		c.RefundDelay = time.Minute
	}
	if c.PasswordDelay <= 0 {
		c.PasswordDelay = 10 * time.Second
	}
	if c.NotifyTimeout <= 0 {
		c.NotifyTimeout = 5 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.NotifyTimeout}
	}
	return c
}

// Protocol durations, before TimeScale.
const (
	prepayLife      = 2 * time.Hour   // prepay_id and code_url
	closeMinAge     = 5 * time.Minute // closeorder refused before this
	minExpireWindow = 5 * time.Minute // time_expire − now
	maxRefunds      = 50              // partial refunds per order
	refundPageSize  = 10              // refundquery page
)

// retryDelay returns the wait before retry n (1-based) of a payment
// notification, following WeChat's v2 schedule 15s/15s/30s/3m/10m/20m/30m/
// 30m/30m/60m/3h/3h/3h/6h/6h (15 retries, 24h4m in all), and false once the
// schedule is exhausted.
func retryDelay(n int) (time.Duration, bool) {
	schedule := [...]time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
		30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
		3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}
	if n < 1 || n > len(schedule) {
		return 0, false
	}
	return schedule[n-1], true
}

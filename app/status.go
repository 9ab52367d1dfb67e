package app

import "time"

// LinkState is how the kiosk currently learns about payments.
type LinkState int

// The link states. While the relay link is down the engine polls WeChat
// faster, so a payment is still seen promptly.
const (
	// LinkPolling: no relay connection; confirmations come from order
	// queries only.
	LinkPolling LinkState = iota
	// LinkConnected: the relay websocket is up; notifications arrive
	// within moments and polling is slow.
	LinkConnected
	// LinkCertInvalid: the relay's TLS certificate was refused (not
	// trusted, expired, another name); confirmations come from polling
	// until it is fixed.
	LinkCertInvalid
)

// String returns "connected", "cert-invalid" or "polling".
func (l LinkState) String() string {
	switch l {
	case LinkConnected:
		return "connected"
	case LinkCertInvalid:
		return "cert-invalid"
	}
	return "polling"
}

// PrinterStatus is the printer's health as the cashier should see it.
type PrinterStatus struct {
	OK     bool
	Detail string // e.g. "out of paper", "offline: dial tcp …"; empty when OK
	// Failed counts print jobs that failed and can be retried.
	Failed int
}

// Status is what the cashier's status bar shows.
type Status struct {
	// Ready is false while the engine settles orders left open from before
	// a restart; no new sale is taken until it is true.
	Ready   bool
	Link    LinkState
	Printer PrinterStatus
	// Demo is true when the kiosk runs against the built-in simulator.
	Demo bool
	// SimURL is the simulator's customer-phone page in demo mode.
	SimURL string
	// Flagged counts orders needing the owner's attention (paid after
	// cancel, amount mismatch, conflicting payment).
	Flagged int
	// Differences counts reconciliation differences with WeChat's bill the
	// owner has not explained yet; they count in the attention total.
	Differences int
}

// Update is one event from the engine to the screens. Order is nil when the
// update is only about Status.
type Update struct {
	// Order is a copy of the order that changed.
	Order *Order
	// Deadline is when the order's QR stops being payable (its
	// time_expire, or the code_url's own expiry if earlier); zero when
	// there is no QR.
	Deadline time.Time
	// Status is the engine status at the time of the update.
	Status Status
	// PaidWhileAway is set on the update that records a payment learned at
	// start-up: the customer paid while the kiosk was off, and the cashier
	// should hear of it (hand over the goods, or find the customer).
	PaidWhileAway bool
	// Err is a failure the cashier should see (e.g. WeChat unreachable
	// after retries); the order stays in a known state and can be retried
	// or cancelled.
	Err error
}

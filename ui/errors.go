package ui

import (
	"context"
	"errors"
	"io/fs"

	"saoma/app"
)

// errText is what the cashier reads about err: a short sentence in the
// kiosk's language. The failures the engine and its adapters name have
// their own; any other gets a general sentence, never the error's own
// (English, technical) words. The full chain of an error the kiosk does
// not know goes to the kiosk's logger; a known one is logged by the
// caller that has its context (k.logErr).
func (k *Kiosk) errText(err error) string {
	if err == nil {
		return ""
	}
	if key, args := errKey(err); key != "" {
		return k.lang.T(key, args...)
	}
	k.logErr("shown as a general error", err)
	return k.lang.T("err.general")
}

// errKey is the string key (and its arguments) of the sentence for err,
// or "" for an error no screen knows. Types first, then the sentinels from
// the most specific to the most general, since one error may wrap several.
func errKey(err error) (string, []any) {
	var (
		refused *app.CodeRefusedError
		cfg     *app.ConfigError
		ce      *app.ChargeError
	)
	switch {
	case errors.As(err, &refused):
		return refusedKey(refused.Code)
	case errors.As(err, &cfg):
		if errors.Is(err, app.ErrInsecureConfig) {
			return "err.config.insecure", nil
		}
		if cfg.Key != "" {
			return "err.config.key", []any{cfg.Key}
		}
		return "err.config", nil
	}
	for _, s := range errSentences() {
		if errors.Is(err, s.err) {
			return s.key, nil
		}
	}
	if errors.As(err, &ce) {
		// No QR, and WeChat's reason is not one of the above (the network,
		// the merchant's settings): the cashier retries or cancels.
		return "err.charge", nil
	}
	return "", nil
}

// errSentence is a sentinel error and the key of its sentence.
type errSentence struct {
	err error
	key string
}

// errSentences lists every sentinel a screen can be handed, in the order
// errKey tries them. Built per call: no package-level state.
func errSentences() []errSentence {
	return []errSentence{
		{app.ErrBadPayCode, "paycode.bad"},
		{app.ErrPayUserPaying, "err.pay.userpaying"},
		{app.ErrNotReady, "err.notready"},
		{app.ErrBusy, "err.busy"},
		{app.ErrNoQR, "err.noqr"},
		{app.ErrBadAmount, "err.amount"},
		{app.ErrEmptyCart, "err.emptycart"},
		{app.ErrRefundPending, "err.refund.pending"},
		{app.ErrRefundUnknown, "err.refund.unknown"},
		{app.ErrRefundFinal, "err.refund.final"},
		{app.ErrNumberUsed, "err.number.used"},
		{app.ErrPayNumberUsed, "err.number.used"},
		{app.ErrNoFlag, "err.noflag"},
		{app.ErrRefundTooLarge, "err.refund.large"},
		{app.ErrNotPaid, "err.notpaid"},
		{app.ErrBadPIN, "err.pin"},
		{app.ErrBadProduct, "product.err.bad"},
		{app.ErrPayAlreadyPaid, "err.pay.paid"},
		{app.ErrPayClosed, "err.pay.closed"},
		{app.ErrPayRefundNotFound, "err.pay.norefund"},
		{app.ErrPayNotFound, "err.pay.notfound"},
		{app.ErrPayUnsupported, "err.pay.unsupported"},
		{app.ErrPayUnknown, "err.pay.unknown"},
		{app.ErrIllegalTransition, "err.transition"},
		{app.ErrOrderMismatch, "err.mismatch"},
		{app.ErrNoBill, "err.nobill"},
		{app.ErrBillNotReady, "err.billnotready"},
		{app.ErrNoDiff, "err.nodiff"},
		{app.ErrRejected, "err.rejected"},
		{app.ErrInsecureConfig, "err.config.insecure"},
		{app.ErrNotFound, "err.notfound"},
		{fs.ErrPermission, "err.permission"},
		{fs.ErrNotExist, "err.nofile"},
		{context.DeadlineExceeded, "err.timeout"},
		{context.Canceled, "err.cancelled"},
	}
}

// refusedKey is the sentence for WeChat's refusal of a payment code.
func refusedKey(code string) (string, []any) {
	switch code {
	case "AUTH_CODE_INVALID", "AUTHCODEEXPIRE", "AUTH_CODE_ERROR":
		return "paycode.invalid", nil
	case "NOTENOUGH":
		return "paycode.notenough", nil
	case "NOTSUPORTCARD":
		return "paycode.notsupport", nil
	case "BUYER_MISMATCH":
		return "paycode.buyer", nil
	}
	return "paycode.refused", []any{code}
}

// printErrText is what the cashier reads about a print job that failed:
// the printer's own words are English and technical, so one sentence says
// what to check (the status bar's printer chip says what is wrong). The
// caller logs the full chain.
func (k *Kiosk) printErrText(err error) string {
	if errors.Is(err, app.ErrNotFound) {
		return k.lang.T("err.notfound")
	}
	return k.lang.T("err.print")
}

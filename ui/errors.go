package ui

import (
	"context"
	"errors"

	"saoma/app"
)

// errText is what the cashier reads about err: a short sentence in the
// kiosk's language for the failures the engine names, else a general one
// with the error's own words after it (the log has the full chain).
func (k *Kiosk) errText(err error) string {
	if err == nil {
		return ""
	}
	l := k.lang
	var ce *app.ChargeError
	var refused *app.CodeRefusedError
	switch {
	case errors.As(err, &refused):
		return refusedText(l, refused.Code)
	case errors.Is(err, app.ErrBadPayCode):
		return l.T("paycode.bad")
	case errors.Is(err, app.ErrNotReady):
		return l.T("err.notready")
	case errors.Is(err, app.ErrBusy):
		return l.T("err.busy")
	case errors.Is(err, app.ErrNoQR):
		return l.T("err.noqr")
	case errors.Is(err, app.ErrBadAmount):
		return l.T("err.amount")
	case errors.Is(err, app.ErrEmptyCart):
		return l.T("err.emptycart")
	case errors.Is(err, app.ErrRefundPending):
		return l.T("err.refund.pending")
	case errors.Is(err, app.ErrRefundUnknown):
		return l.T("err.refund.unknown")
	case errors.Is(err, app.ErrNumberUsed):
		return l.T("err.number.used")
	case errors.Is(err, app.ErrNoFlag):
		return l.T("err.noflag")
	case errors.Is(err, app.ErrRefundTooLarge):
		return l.T("err.refund.large")
	case errors.Is(err, app.ErrNotPaid):
		return l.T("err.notpaid")
	case errors.Is(err, app.ErrBadPIN):
		return l.T("err.pin")
	case errors.Is(err, app.ErrNotFound):
		return l.T("err.notfound")
	case errors.Is(err, context.DeadlineExceeded):
		return l.T("err.timeout")
	case errors.As(err, &ce):
		return l.T("err.charge") + " (" + ce.Err.Error() + ")"
	}
	return l.T("error") + ": " + err.Error()
}

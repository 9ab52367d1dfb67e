package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wxsim"
)

// payCode mints a payment code on the simulator: the customer opens 付款码
// and the outcome is what their WeChat will do.
func (r *rig) payCode(outcome string) string {
	r.t.Helper()
	pc, err := r.sim.MintPayCode("", outcome)
	if err != nil {
		r.t.Fatal(err)
	}
	return pc.AuthCode
}

func (r *rig) simState(no string) string {
	for _, o := range r.sim.Orders() {
		if o.OutTradeNo == no {
			return o.State
		}
	}
	return ""
}

func TestPayCodeOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		outcome   string
		delay     time.Duration // the simulator's password delay
		refused   string        // WeChat's err_code when refused at once
		want      app.State
		wantAtSim string // the order at WeChat in the end ("" when none)
	}{
		{"paid at once", wxsim.OutcomeSuccess, 0, "", app.StatePaid, wxsim.StateSuccess},
		{"the customer enters the password", wxsim.OutcomeUserPaying, 10 * time.Second, "", app.StatePaid, wxsim.StateSuccess},
		{"a wrong password is reversed", wxsim.OutcomePasswordFail, 10 * time.Second, "", app.StateClosed, wxsim.StateRevoked},
		{"no password within 30 s is reversed", wxsim.OutcomeUserPaying, 2 * time.Minute, "", app.StateClosed, wxsim.StateRevoked},
		{"SYSTEMERROR then paid: asked, never assumed", wxsim.OutcomeSystemErrorPaid, 0, "", app.StatePaid, wxsim.StateSuccess},
		{"SYSTEMERROR and no order: closed", wxsim.OutcomeSystemErrorNoOrder, 0, "", app.StateClosed, ""},
		{"balance short", wxsim.OutcomeNotEnough, 0, "NOTENOUGH", app.StateClosed, ""},
		{"an invalid code", wxsim.OutcomeAuthCodeInvalid, 0, "AUTH_CODE_INVALID", app.StateClosed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, simOpt(func(sc *wxsim.Config) {
				if c.delay > 0 {
					sc.PasswordDelay = c.delay
				}
			}))
			o, err := r.eng.ChargeCode(r.ctx, cartLines(), r.payCode(c.outcome))
			var refused *app.CodeRefusedError
			switch {
			case c.refused != "":
				if !errors.As(err, &refused) || refused.Code != c.refused {
					t.Fatalf("charge: %v, want refused %s", err, c.refused)
				}
			case err != nil:
				t.Fatalf("charge: %v", err)
			}
			got := r.advanceUntil(o.OutTradeNo, c.want, 3*time.Second)
			if got.Mode != app.ModePayCode {
				t.Errorf("mode %d", got.Mode)
			}
			if s := r.simState(o.OutTradeNo); c.wantAtSim != "" && s != c.wantAtSim {
				t.Errorf("at WeChat the order is %q, want %q", s, c.wantAtSim)
			}
			receipts := 0
			if c.want == app.StatePaid {
				receipts = 1
			}
			if n := r.prn.count(app.PaperReceipt); n != receipts {
				t.Errorf("%d receipts, want %d", n, receipts)
			}
		})
	}
}

func TestPayCodeRefusesWhatIsNotAPaymentCode(t *testing.T) {
	r := newRig(t)
	for _, code := range []string{"1234", "P1004", "191234567890123456", "13123456789012345a"} {
		if _, err := r.eng.ChargeCode(r.ctx, cartLines(), code); !errors.Is(err, app.ErrBadPayCode) {
			t.Errorf("%q: %v", code, err)
		}
	}
	if !app.IsPayCode("134567890123456789") || app.IsPayCode("164567890123456789") {
		t.Error("IsPayCode: 18 digits starting 10–15")
	}
}

func TestPayCodeReplacesTheQROnScreen(t *testing.T) {
	forAPIs(t, func(t *testing.T, api apiVersion) {
		r := newRig(t, onAPI(api))
		qr := r.charge()
		o, err := r.eng.ChargeCode(r.ctx, cartLines(), r.payCode(wxsim.OutcomeSuccess))
		if err != nil || o.State != app.StatePaid {
			t.Fatalf("pay code: %v %s", err, o.State)
		}
		got := r.order(qr.OutTradeNo)
		if got.State != app.StateCancelPending && got.State != app.StateClosed {
			t.Errorf("the QR order is %s, want it closed", got.State)
		}
		if cur, _ := r.eng.Current(); cur.OutTradeNo != o.OutTradeNo {
			t.Errorf("current %s", cur.OutTradeNo)
		}
	})
}

// TestPayCodeCrashBeforeTheAnswer kills the kiosk after WeChat got the
// payment code but before its answer arrived: start-up settles the order.
func TestPayCodeCrashBeforeTheAnswer(t *testing.T) {
	cases := []struct {
		name    string
		outcome string
		want    app.State
	}{
		{"paid while the kiosk was down", wxsim.OutcomeSuccess, app.StatePaid},
		{"undecided: reversed", wxsim.OutcomeUserPaying, app.StateClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, simOpt(func(sc *wxsim.Config) { sc.PasswordDelay = 10 * time.Minute }))
			r.code = &lostAnswer{CodePay: r.code}
			r.restart() // the engine now loses the answer
			o, err := r.eng.ChargeCode(r.ctx, cartLines(), r.payCode(c.outcome))
			if err != nil || o.State != app.StateAwaiting {
				t.Fatalf("charge: %v %s", err, o.State)
			}
			r.restart() // the crash: nothing after the request was recorded
			r.clock.Advance(time.Minute)
			r.advanceUntil(o.OutTradeNo, c.want, 3*time.Second)
		})
	}
}

// lostAnswer sends the payment code and loses WeChat's answer.
type lostAnswer struct{ app.CodePay }

func (l *lostAnswer) PayCode(ctx context.Context, o app.CodeOrder) (app.Payment, error) {
	l.CodePay.PayCode(ctx, o)
	return app.Payment{}, errLost
}

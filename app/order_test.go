package app

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func testOrder(s State) Order {
	return Order{OutTradeNo: "K1-1", KioskID: "k1", Total: 4850, State: s}
}

func TestCanTransition(t *testing.T) {
	all := []State{StateCreated, StateAwaiting, StatePaid, StateCancelPending, StateClosed,
		StateExpired, StatePaidAfterCancel, StatePartiallyRefunded, StateRefunded}
	legal := map[[2]State]bool{
		{StateCreated, StateAwaiting}: true, {StateCreated, StatePaid}: true,
		{StateCreated, StateCancelPending}: true, {StateCreated, StateClosed}: true,
		{StateAwaiting, StateAwaiting}: true, {StateAwaiting, StatePaid}: true,
		{StateAwaiting, StateCancelPending}: true, {StateAwaiting, StateExpired}: true,
		{StateCancelPending, StateClosed}: true, {StateCancelPending, StateExpired}: true,
		{StateCancelPending, StatePaidAfterCancel}: true,
		{StateClosed, StatePaidAfterCancel}:        true, {StateExpired, StatePaidAfterCancel}: true,
		{StatePaid, StatePartiallyRefunded}: true, {StatePaid, StateRefunded}: true,
		{StatePaidAfterCancel, StatePartiallyRefunded}: true, {StatePaidAfterCancel, StateRefunded}: true,
		{StatePartiallyRefunded, StatePartiallyRefunded}: true, {StatePartiallyRefunded, StateRefunded}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != legal[[2]State{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	// Money once in never leaves the paid side, and refunded is terminal.
	for _, to := range all {
		if CanTransition(StateRefunded, to) {
			t.Errorf("refunded → %s allowed", to)
		}
		if to.Paid() && !to.Open() && CanTransition(to, StateClosed) {
			t.Errorf("%s → closed allowed", to)
		}
	}
}

func TestMoveRecordsEventsAndRefusesIllegal(t *testing.T) {
	o := testOrder(StateCreated)
	if err := o.Move(StateAwaiting, SourceUnifiedOrder, t0, "code_url"); err != nil {
		t.Fatal(err)
	}
	err := o.Move(StateCreated, SourceCashier, t0, "back")
	if !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("awaiting → created: err = %v, want ErrIllegalTransition", err)
	}
	if o.State != StateAwaiting || len(o.Events) != 1 {
		t.Fatalf("illegal move changed the order: state %s, %d events", o.State, len(o.Events))
	}
	e := o.Events[0]
	if e.From != StateCreated || e.To != StateAwaiting || e.Source != SourceUnifiedOrder || !e.At.Equal(t0) {
		t.Errorf("event = %+v", e)
	}
}

func TestConfirm(t *testing.T) {
	good := Confirmation{OutTradeNo: "K1-1", TransactionID: "4200001", TotalFee: 4850, TimeEnd: t0, OpenID: "o1", Source: SourceNotification}
	cases := []struct {
		name      string
		state     State
		prevTx    string
		c         Confirmation
		want      ConfirmOutcome
		wantState State
		wantFlag  Flag
	}{
		{"awaiting", StateAwaiting, "", good, Confirmed, StatePaid, FlagNone},
		{"created (notify beats reply)", StateCreated, "", good, Confirmed, StatePaid, FlagNone},
		{"same transaction twice", StatePaid, "4200001", good, AlreadyPaid, StatePaid, FlagNone},
		{"after cancel", StateCancelPending, "", good, ConfirmedAfterCancel, StatePaidAfterCancel, FlagPaidAfterCancel},
		{"after close", StateClosed, "", good, ConfirmedAfterCancel, StatePaidAfterCancel, FlagPaidAfterCancel},
		{"after expiry", StateExpired, "", good, ConfirmedAfterCancel, StatePaidAfterCancel, FlagPaidAfterCancel},
		{"wrong amount", StateAwaiting, "", Confirmation{OutTradeNo: "K1-1", TransactionID: "x", TotalFee: 1}, AmountMismatch, StateAwaiting, FlagAmountMismatch},
		{"second transaction", StatePaid, "4200001", Confirmation{OutTradeNo: "K1-1", TransactionID: "4200002", TotalFee: 4850}, ConflictingPayment, StatePaid, FlagConflictingPayment},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := testOrder(c.state)
			o.TransactionID = c.prevTx
			events := len(o.Events)
			got, err := o.Confirm(c.c, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want || o.State != c.wantState || o.Flag != c.wantFlag {
				t.Fatalf("Confirm = %s, state %s, flag %q; want %s, %s, %q", got, o.State, o.Flag, c.want, c.wantState, c.wantFlag)
			}
			if got.Changed() != (len(o.Events) > events) {
				t.Errorf("Changed() = %v but events went %d → %d", got.Changed(), events, len(o.Events))
			}
			if c.want == Confirmed && (o.TransactionID != "4200001" || !o.PaidAt.Equal(t0) || o.PayerOpenID != "o1") {
				t.Errorf("payment details not recorded: %+v", o)
			}
			if c.want == AmountMismatch && o.TransactionID != "" {
				t.Errorf("mismatched confirmation recorded as payment %s", o.TransactionID)
			}
		})
	}
	o := testOrder(StateAwaiting)
	if _, err := o.Confirm(Confirmation{OutTradeNo: "K1-2"}, t0); !errors.Is(err, ErrOrderMismatch) {
		t.Errorf("other order's confirmation: err = %v", err)
	}
}

func TestConfirmClearsEarlierMismatch(t *testing.T) {
	o := testOrder(StateAwaiting)
	o.Confirm(Confirmation{OutTradeNo: "K1-1", TransactionID: "bogus", TotalFee: 1}, t0)
	if out, _ := o.Confirm(Confirmation{OutTradeNo: "K1-1", TransactionID: "real", TotalFee: 4850}, t0); out != Confirmed {
		t.Fatalf("outcome %s", out)
	}
	if o.Flag != FlagNone || o.TransactionID != "real" {
		t.Errorf("flag %q tx %q", o.Flag, o.TransactionID)
	}
}

func TestRefunds(t *testing.T) {
	o := testOrder(StatePaid)
	steps := []struct {
		name      string
		apply     func() error
		wantErr   error
		wantState State
		refunded  Fen
	}{
		{"partial", func() error { return o.AddRefund(Refund{OutRefundNo: "R1", Amount: 1000}, t0) }, nil, StatePartiallyRefunded, 1000},
		{"same refund again is a no-op", func() error { return o.AddRefund(Refund{OutRefundNo: "R1", Amount: 1000}, t0) }, nil, StatePartiallyRefunded, 1000},
		{"too much", func() error { return o.AddRefund(Refund{OutRefundNo: "R2", Amount: 3851}, t0) }, ErrRefundTooLarge, StatePartiallyRefunded, 1000},
		{"first fails", func() error { return o.SetRefundState("R1", "50001", RefundFailed, t0) }, nil, StatePartiallyRefunded, 0},
		{"the rest", func() error { return o.AddRefund(Refund{OutRefundNo: "R3", Amount: 4850}, t0) }, nil, StateRefunded, 4850},
		{"unknown refund", func() error { return o.SetRefundState("R9", "", RefundSucceeded, t0) }, errAny, StateRefunded, 4850},
	}
	for _, s := range steps {
		err := s.apply()
		switch {
		case s.wantErr == errAny && err == nil, s.wantErr == nil && err != nil,
			s.wantErr != nil && s.wantErr != errAny && !errors.Is(err, s.wantErr):
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		if o.State != s.wantState || o.Refunded() != s.refunded {
			t.Fatalf("%s: state %s refunded %s; want %s %s", s.name, o.State, o.Refunded(), s.wantState, s.refunded)
		}
	}
	unpaid := testOrder(StateAwaiting)
	if err := unpaid.AddRefund(Refund{OutRefundNo: "R1", Amount: 1}, t0); !errors.Is(err, ErrNotPaid) {
		t.Errorf("refund of unpaid order: %v", err)
	}
	if err := (&Order{State: StatePaid, Total: 5}).AddRefund(Refund{OutRefundNo: "R", Amount: 0}, t0); err == nil {
		t.Error("zero refund accepted")
	}
}

var errAny = errors.New("any error")

func TestPaidAfterCancelFlagClearsWhenRefunded(t *testing.T) {
	o := testOrder(StateClosed)
	o.Confirm(Confirmation{OutTradeNo: "K1-1", TransactionID: "t", TotalFee: 4850}, t0)
	if o.Flag != FlagPaidAfterCancel {
		t.Fatalf("flag %q", o.Flag)
	}
	if err := o.AddRefund(Refund{OutRefundNo: "R1", Amount: 4850}, t0); err != nil {
		t.Fatal(err)
	}
	if o.Flag != FlagNone || o.State != StateRefunded {
		t.Errorf("after full refund: flag %q state %s", o.Flag, o.State)
	}
}

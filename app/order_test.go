package app

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func testOrder(s State) Order {
	o := Order{OutTradeNo: "K1-1", KioskID: "k1", Total: 4850, State: s, CreatedAt: t0}
	if s != StateCreated {
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=test"
	}
	return o
}

func TestCanTransition(t *testing.T) {
	all := []State{StateCreated, StateAwaiting, StatePaid, StateCancelPending, StateClosed,
		StateExpired, StatePaidAfterCancel, StatePartiallyRefunded, StateRefunded}
	legal := map[[2]State]bool{
		{StateCreated, StateAwaiting}: true, {StateCreated, StatePaid}: true,
		{StateCreated, StateCancelPending}: true, {StateCreated, StateClosed}: true,
		{StateAwaiting, StateAwaiting}: true, {StateAwaiting, StatePaid}: true,
		{StateAwaiting, StateCancelPending}: true, {StateAwaiting, StateExpired}: true,
		{StateAwaiting, StateClosed}:      true,
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
		{"created: no QR was ever shown, so the number was used before", StateCreated, "", good, NumberCollision, StateCreated, FlagNumberCollision},
		{"paid before the order existed is another order's payment", StateAwaiting, "",
			Confirmation{OutTradeNo: "K1-1", TransactionID: "old", TotalFee: 4850, TimeEnd: t0.Add(-ConfirmSkew - time.Second)}, NumberCollision, StateAwaiting, FlagNumberCollision},
		{"paid within the clock skew is this order's payment", StateAwaiting, "",
			Confirmation{OutTradeNo: "K1-1", TransactionID: "4200001", TotalFee: 4850, TimeEnd: t0.Add(-ConfirmSkew + time.Second)}, Confirmed, StatePaid, FlagNone},
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
			if c.want == Confirmed && (o.TransactionID != c.c.TransactionID || !o.PaidAt.Equal(c.c.TimeEnd) || o.PayerOpenID != c.c.OpenID) {
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
		pending   Fen
	}{
		{"partial, pending: not money returned yet", func() error { return o.AddRefund(Refund{OutRefundNo: "R1", Amount: 1000}, t0) }, nil, StatePaid, 0, 1000},
		{"same refund again is a no-op", func() error { return o.AddRefund(Refund{OutRefundNo: "R1", Amount: 1000}, t0) }, nil, StatePaid, 0, 1000},
		{"a pending refund is not refundable again", func() error { return o.AddRefund(Refund{OutRefundNo: "R2", Amount: 3851}, t0) }, ErrRefundTooLarge, StatePaid, 0, 1000},
		{"accepted is still pending", func() error { return o.SetRefundState("R1", "50001", RefundProcessing, t0) }, nil, StatePaid, 0, 1000},
		{"first fails: the order is as before", func() error { return o.SetRefundState("R1", "50001", RefundFailed, t0) }, nil, StatePaid, 0, 0},
		{"a failed refund stays failed", func() error { return o.SetRefundState("R1", "50001", RefundSucceeded, t0) }, ErrRefundFinal, StatePaid, 0, 0},
		{"part of the rest", func() error { return o.AddRefund(Refund{OutRefundNo: "R3", Amount: 850}, t0) }, nil, StatePaid, 0, 850},
		{"it succeeds", func() error { return o.SetRefundState("R3", "50003", RefundSucceeded, t0) }, nil, StatePartiallyRefunded, 850, 0},
		{"the rest", func() error { return o.AddRefund(Refund{OutRefundNo: "R4", Amount: 4000}, t0) }, nil, StatePartiallyRefunded, 850, 4000},
		{"abnormal is not money returned", func() error { return o.SetRefundState("R4", "50004", RefundChange, t0) }, nil, StatePartiallyRefunded, 850, 4000},
		{"then it succeeds", func() error { return o.SetRefundState("R4", "50004", RefundSucceeded, t0) }, nil, StateRefunded, 4850, 0},
		{"unknown refund", func() error { return o.SetRefundState("R9", "", RefundSucceeded, t0) }, errAny, StateRefunded, 4850, 0},
	}
	for _, s := range steps {
		err := s.apply()
		switch {
		case s.wantErr == errAny && err == nil, s.wantErr == nil && err != nil,
			s.wantErr != nil && s.wantErr != errAny && !errors.Is(err, s.wantErr):
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		if o.State != s.wantState || o.Refunded() != s.refunded || o.RefundPending() != s.pending {
			t.Fatalf("%s: state %s refunded %s pending %s; want %s %s %s", s.name, o.State, o.Refunded(), o.RefundPending(), s.wantState, s.refunded, s.pending)
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
	if o.Flag != FlagPaidAfterCancel {
		t.Errorf("flag cleared by a refund WeChat has not confirmed")
	}
	if err := o.SetRefundState("R1", "5001", RefundSucceeded, t0); err != nil {
		t.Fatal(err)
	}
	if o.Flag != FlagNone || o.State != StateRefunded {
		t.Errorf("after full refund: flag %q state %s", o.Flag, o.State)
	}
}

func TestResolveRecordsTheOwnersWord(t *testing.T) {
	o := testOrder(StateClosed)
	o.Confirm(Confirmation{OutTradeNo: "K1-1", TransactionID: "t", TotalFee: 4850}, t0)
	if err := o.Resolve(SourceCashier, t0, "goods handed over"); err != nil {
		t.Fatal(err)
	}
	last := o.Events[len(o.Events)-1]
	if o.Flag != FlagNone || o.State != StatePaidAfterCancel || !strings.Contains(last.Note, "goods handed over") {
		t.Errorf("flag %q state %s last event %+v", o.Flag, o.State, last)
	}
	if err := o.Resolve(SourceCashier, t0, "again"); !errors.Is(err, ErrNoFlag) {
		t.Errorf("resolving twice: %v", err)
	}
}

func TestAlertsAreRecordedOncePerTransaction(t *testing.T) {
	o := testOrder(StateAwaiting)
	bad := Confirmation{OutTradeNo: "K1-1", TransactionID: "x1", TotalFee: 1}
	for i := 0; i < 3; i++ {
		o.Confirm(bad, t0)
	}
	if n := len(o.Events); n != 1 {
		t.Errorf("%d events after the same mismatch three times, want 1", n)
	}
}

func TestUnsettled(t *testing.T) {
	cases := []struct {
		name string
		o    Order
		want bool
	}{
		{"awaiting", testOrder(StateAwaiting), true},
		{"paid", testOrder(StatePaid), false},
		{"paid with a pending refund", Order{State: StatePaid, Refunds: []Refund{{State: RefundPending}}}, true},
		{"paid with a processing refund", Order{State: StatePaid, Refunds: []Refund{{State: RefundProcessing}}}, true},
		{"refunded", Order{State: StateRefunded, Refunds: []Refund{{State: RefundSucceeded}}}, false},
		{"abnormal refund is the owner's to handle", Order{State: StatePaid, Refunds: []Refund{{State: RefundChange}}}, false},
	}
	for _, c := range cases {
		if got := c.o.Unsettled(); got != c.want {
			t.Errorf("%s: Unsettled() = %v", c.name, got)
		}
	}
}

package printer

import "errors"

// ErrCoverOpen is returned (inside an *OutputError) when the printer says
// its cover is open; nothing of the job was confirmed. Close the cover and
// retry.
var ErrCoverOpen = errors.New("printer cover open")

// ErrPaperNearEnd is the warning Status.Problem gives when the roll is
// nearly used up. It never fails a job: the paper still prints, but the
// cashier should have a new roll ready.
var ErrPaperNearEnd = errors.New("printer paper nearly out")

// ErrUnconfirmed is returned (inside an *OutputError) when the job was
// sent and the printer reports no problem, but it did not confirm having
// processed the job before the deadline. The paper may or may not have come
// out: the cashier looks and retries if it did not. A printer that never
// confirms needs TCP.NoConfirm (Config.NoConfirm).
var ErrUnconfirmed = errors.New("printer did not confirm the job")

// The ESC/POS status requests. DLE EOT n is real-time: the printer
// answers at once, even with data waiting in its buffer or while offline.
// GS r 1 is processed in order with the data, so its answer means every
// byte before it was processed.
var (
	reqPrinterStatus = []byte{0x10, 0x04, 1} // DLE EOT 1: printer status
	reqOfflineCause  = []byte{0x10, 0x04, 2} // DLE EOT 2: offline cause
	reqPaperSensor   = []byte{0x10, 0x04, 4} // DLE EOT 4: roll paper sensor
	reqProcessed     = []byte{0x1d, 0x72, 1} // GS r 1: paper sensor, after the data
)

// realTimeQuery asks DLE EOT 1, 2 and 4; the printer answers three bytes
// in that order.
var realTimeQuery = append(append(append([]byte{}, reqPrinterStatus...), reqOfflineCause...), reqPaperSensor...)

// isRealTimeAnswer reports whether b has the fixed bits of a DLE EOT
// answer (bit 1 and 4 set, bit 0 and 7 clear).
func isRealTimeAnswer(b byte) bool { return b&0x93 == 0x12 }

// isProcessedAnswer reports whether b has the fixed bits of a GS r 1
// answer (bit 4 and 7 clear). The two shapes never overlap, so a late
// GS r answer is recognised among DLE EOT answers.
func isProcessedAnswer(b byte) bool { return b&0x90 == 0 }

// Status is what the printer said about itself. The zero value is "no
// answer": outputs that cannot read back (device files, CUPS) and printers
// asked nothing return it.
type Status struct {
	// Known is true when the printer answered a status request.
	Known bool
	// PaperEnd: the roll is out; the printer stops printing.
	PaperEnd bool
	// PaperNearEnd: the near-end sensor sees little paper left.
	PaperNearEnd bool
	// CoverOpen: the cover is open; the printer stops printing.
	CoverOpen bool
	// Offline: the printer is offline for any reason (including the two
	// above, the feed button held, or a mechanism or cutter error).
	Offline bool
	// Fault: the printer reports an error (cutter jam, head overheated).
	Fault bool
}

// realTimeStatus decodes the answers to DLE EOT 1, 2 and 4.
func realTimeStatus(printer, cause, paper byte) Status {
	return Status{
		Known:        true,
		Offline:      printer&0x08 != 0,
		CoverOpen:    cause&0x04 != 0,
		PaperEnd:     cause&0x20 != 0 || paper&0x60 != 0,
		Fault:        cause&0x40 != 0,
		PaperNearEnd: paper&0x0c != 0,
	}
}

// withProcessed folds a GS r 1 answer's paper sensor bits into s.
func (s Status) withProcessed(b byte) Status {
	s.Known = true
	s.PaperNearEnd = s.PaperNearEnd || b&0x03 != 0
	s.PaperEnd = s.PaperEnd || b&0x0c != 0
	return s
}

// Problem names the most urgent thing in s as one of the error kinds:
// ErrOutOfPaper, ErrCoverOpen, ErrPrinterOffline (offline or faulted),
// ErrPaperNearEnd (a warning), or nil when the printer is fine or did not
// answer.
func (s Status) Problem() error {
	switch {
	case s.PaperEnd:
		return ErrOutOfPaper
	case s.CoverOpen:
		return ErrCoverOpen
	case s.Offline || s.Fault:
		return ErrPrinterOffline
	case s.PaperNearEnd:
		return ErrPaperNearEnd
	}
	return nil
}

// blocking reports whether s stops a job from printing.
func (s Status) blocking() bool {
	p := s.Problem()
	return p != nil && p != ErrPaperNearEnd
}

// Problem turns a print error or warning into the short word the screens
// translate: "paper", "paper_near_end", "cover", "offline", "stalled",
// "unconfirmed", "lp", or "error" for anything else; "" for nil.
func Problem(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrOutOfPaper):
		return "paper"
	case errors.Is(err, ErrPaperNearEnd):
		return "paper_near_end"
	case errors.Is(err, ErrCoverOpen):
		return "cover"
	case errors.Is(err, ErrPrinterOffline):
		return "offline"
	case errors.Is(err, ErrPrinterStalled):
		return "stalled"
	case errors.Is(err, ErrUnconfirmed):
		return "unconfirmed"
	case errors.Is(err, ErrNoLP):
		return "lp"
	}
	return "error"
}

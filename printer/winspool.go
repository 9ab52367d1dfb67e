package printer

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoSpooler is returned (inside an *OutputError) by a Spooler on a
// system other than Windows, which has no Windows print spooler.
var ErrNoSpooler = errors.New("the Windows print spooler exists only on Windows")

// errUnknownPrinter is wrapped by the Windows spooler connection when no
// installed printer has the name asked for.
var errUnknownPrinter = errors.New("no installed printer has this name")

// errNotRaw is wrapped by the Windows spooler connection when the
// printer's driver refuses RAW jobs (XPS-only "v4" drivers).
var errNotRaw = errors.New("the printer's driver does not take RAW jobs")

// Spooler sends jobs through the Windows print spooler as RAW documents:
// OpenPrinter, StartDocPrinter with the RAW datatype, WritePrinter,
// EndDocPrinter. It reaches a USB receipt printer that Windows installed
// (with the maker's driver or "Generic / Text Only"), by the name shown in
// Settings → Printers & scanners.
type Spooler struct {
	// Printer is the printer's name as Windows shows it, e.g.
	// "POS-80C" or "EPSON TM-T20III Receipt".
	Printer string
	// DocName is the job's name in the print queue; "Saoma" if empty.
	DocName string

	// open connects to the spooler; the system's (Windows only) if nil.
	// Tests inject a fake.
	open func(printer string) (spoolConn, error)
}

// spoolConn is one open printer handle in the spooler, used for one job.
type spoolConn interface {
	// startDoc starts a RAW document and its page.
	startDoc(name string) error
	// write hands bytes to the spooler and says how many it took.
	write(p []byte) (int, error)
	// endDoc ends the page and the document, which queues the job.
	endDoc() error
	// abort drops a started document.
	abort() error
	// close releases the printer handle.
	close() error
}

// Confirms is false: the spooler takes the job into its queue and cannot
// say whether the paper came out.
func (s Spooler) Confirms() bool { return false }

// Write hands the job to the spooler. It never returns a known Status.
// Errors are *OutputError: ErrPrinterOffline when the printer is unknown
// or refuses the document, ErrPrinterStalled when the spooler stops
// taking the bytes, ErrNoSpooler on a system other than Windows.
func (s Spooler) Write(ctx context.Context, job []byte) (Status, error) {
	return Status{}, s.write(ctx, job)
}

func (s Spooler) write(ctx context.Context, job []byte) (err error) {
	fail := func(kind, err error) error {
		return &OutputError{Output: "windows", Target: s.Printer, Kind: kind, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(ErrPrinterOffline, err)
	}
	open := s.open
	if open == nil {
		open = openSystemSpooler
	}
	c, err := open(s.Printer)
	switch {
	case errors.Is(err, ErrNoSpooler):
		return fail(ErrNoSpooler, nil)
	case errors.Is(err, errUnknownPrinter):
		return fail(ErrPrinterOffline, fmt.Errorf("check the name in Settings → Printers & scanners: %w", err))
	case err != nil:
		return fail(ErrPrinterOffline, err)
	}
	defer func() {
		if cerr := c.close(); cerr != nil && err == nil {
			err = fail(ErrPrinterStalled, fmt.Errorf("close printer: %w", cerr))
		}
	}()
	name := s.DocName
	if name == "" {
		name = "Saoma"
	}
	if err := c.startDoc(name); err != nil {
		if errors.Is(err, errNotRaw) {
			err = fmt.Errorf("install the printer with its ESC/POS driver or \"Generic / Text Only\": %w", err)
		}
		return fail(ErrPrinterOffline, err)
	}
	for rest := job; len(rest) > 0; {
		if err := ctx.Err(); err != nil {
			_ = c.abort()
			return fail(ErrPrinterStalled, err)
		}
		n, err := c.write(rest)
		if err == nil && n == 0 {
			err = errors.New("spooler took no bytes")
		}
		if err != nil {
			_ = c.abort()
			return fail(ErrPrinterStalled, err)
		}
		rest = rest[n:]
	}
	if err := c.endDoc(); err != nil {
		return fail(ErrPrinterStalled, err)
	}
	return nil
}

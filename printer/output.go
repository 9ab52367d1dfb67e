package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Output delivers one ESC/POS job to a printer.
type Output interface {
	// Write sends job and returns once the printer took it. The Status is
	// the printer's latest answer about itself (the zero Status when it
	// cannot be asked); it comes with the error too when known, so the
	// cashier learns why.
	Write(ctx context.Context, job []byte) (Status, error)
	// Confirms reports whether a nil error from Write means the printer
	// itself confirmed the job. When false, nil means only "delivered to
	// the driver or spooler"; the paper may still not have come out.
	Confirms() bool
}

// Prober is an Output that can ask the printer its status without
// printing (TCP).
type Prober interface {
	Probe(ctx context.Context) (Status, error)
}

var _ Prober = TCP{}

// ErrPrinterOffline is returned (inside an *OutputError) when the printer
// cannot be reached: connection refused or timed out, device file missing,
// CUPS queue refusing the job. The job can be retried once it is back.
var ErrPrinterOffline = errors.New("printer offline")

// ErrPrinterStalled is returned (inside an *OutputError) when the printer
// was reached but stopped taking data before the deadline: out of paper,
// cover open, jammed. The job can be retried once it is fixed.
var ErrPrinterStalled = errors.New("printer not accepting data")

// ErrOutOfPaper is returned (inside an *OutputError) when the printer
// answers a status request with "paper end".
var ErrOutOfPaper = errors.New("printer out of paper")

// ErrNoLP is returned (inside an *OutputError) when the CUPS output cannot
// find the lp command: CUPS client tools are not installed.
var ErrNoLP = errors.New("lp command not found (install the CUPS client, e.g. apt-get install cups-client)")

// OutputError is a failed delivery. Kind is one of ErrPrinterOffline,
// ErrPrinterStalled, ErrOutOfPaper, ErrCoverOpen, ErrUnconfirmed or ErrNoLP; Err is the underlying
// cause (a *net.OpError, *fs.PathError, …). errors.Is matches both.
type OutputError struct {
	Output string // "tcp", "device" or "cups"
	Target string // address, device path or queue name
	Kind   error
	Err    error
}

// Error says which printer failed, how, and why.
func (e *OutputError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s printer %s: %v", e.Output, e.Target, e.Kind)
	}
	return fmt.Sprintf("%s printer %s: %v: %v", e.Output, e.Target, e.Kind, e.Err)
}

// Unwrap returns the kind and the cause, so errors.Is and errors.As see
// both.
func (e *OutputError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Device writes jobs to a printer device file such as /dev/usb/lp0 (Linux
// usblp), opened anew for each job so a printer unplugged and plugged back
// in works again without a restart.
type Device struct {
	Path    string
	Timeout time.Duration // write deadline where the device supports one; 10 s if 0
}

// Confirms is false: a device file takes the bytes into the driver's
// buffer and cannot say whether the paper came out.
func (d Device) Confirms() bool { return false }

// Write opens the device, writes the job and closes it. It never returns a
// known Status.
func (d Device) Write(ctx context.Context, job []byte) (Status, error) {
	return Status{}, d.write(ctx, job)
}

func (d Device) write(ctx context.Context, job []byte) error {
	fail := func(kind, err error) error {
		return &OutputError{Output: "device", Target: d.Path, Kind: kind, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(ErrPrinterOffline, err)
	}
	f, err := os.OpenFile(d.Path, os.O_WRONLY|os.O_APPEND, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(ErrPrinterOffline, fmt.Errorf("device missing (is the printer plugged in and on?): %w", err))
	case errors.Is(err, fs.ErrPermission):
		return fail(ErrPrinterOffline, fmt.Errorf("no permission (add the kiosk user to group lp): %w", err))
	case err != nil:
		return fail(ErrPrinterOffline, err)
	}
	defer f.Close()
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	// Character devices that cannot be polled return ErrNoDeadline; the
	// write then relies on the driver's own timeout.
	_ = f.SetWriteDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := f.Write(job); err != nil {
		return fail(ErrPrinterStalled, err)
	}
	if err := f.Close(); err != nil {
		return fail(ErrPrinterStalled, err)
	}
	return nil
}

// CUPS sends jobs through a CUPS queue set up for raw data:
// lp -d QUEUE -o raw, the job on standard input.
type CUPS struct {
	Queue   string
	Command string        // the lp executable; "lp" (looked up in PATH) if empty
	Timeout time.Duration // how long lp may take; 30 s if 0
}

// Confirms is false: lp returns once CUPS spooled the job.
func (c CUPS) Confirms() bool { return false }

// Write runs lp with the job on its standard input. It never returns a
// known Status.
func (c CUPS) Write(ctx context.Context, job []byte) (Status, error) {
	return Status{}, c.write(ctx, job)
}

func (c CUPS) write(ctx context.Context, job []byte) error {
	fail := func(kind, err error) error {
		return &OutputError{Output: "cups", Target: c.Queue, Kind: kind, Err: err}
	}
	cmd := c.Command
	if cmd == "" {
		cmd = "lp"
	}
	path, err := exec.LookPath(cmd)
	if err != nil {
		return fail(ErrNoLP, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	run := exec.CommandContext(ctx, path, "-d", c.Queue, "-o", "raw")
	run.Stdin = bytes.NewReader(job)
	var out bytes.Buffer
	run.Stdout, run.Stderr = &out, &out
	if err := run.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return fail(ErrPrinterOffline, err)
	}
	return nil
}

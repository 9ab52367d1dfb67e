//go:build !windows

package printer

// openSystemSpooler fails: only Windows has the spooler.
func openSystemSpooler(string) (spoolConn, error) { return nil, ErrNoSpooler }

// Printers lists the printers Windows knows; elsewhere it returns
// ErrNoSpooler.
func Printers() ([]string, error) { return nil, ErrNoSpooler }

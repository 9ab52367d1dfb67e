//go:build !windows

package printer

import (
	"context"
	"errors"
	"testing"
)

func TestSpoolerOutsideWindowsSaysSo(t *testing.T) {
	_, err := Spooler{Printer: "POS-80"}.Write(context.Background(), []byte("x"))
	if !errors.Is(err, ErrNoSpooler) {
		t.Errorf("Write error = %v, want ErrNoSpooler", err)
	}
	if _, err := Printers(); !errors.Is(err, ErrNoSpooler) {
		t.Errorf("Printers error = %v, want ErrNoSpooler", err)
	}
}

package main

import (
	"errors"
	"fmt"
	"testing"

	"saoma/printer"
)

func TestPrinterProblem(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("job 1: %w", printer.ErrPrinterOffline), "offline"},
		{fmt.Errorf("job 2: %w", printer.ErrOutOfPaper), "paper"},
		{printer.ErrPrinterStalled, "stalled"},
		{printer.ErrNoLP, "lp"},
		{errors.New("something else"), "error"},
	}
	for _, c := range cases {
		if got := printerProblem(c.err); got != c.want {
			t.Errorf("printerProblem(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

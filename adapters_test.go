package main

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"saoma/app"
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
		if got := printer.Problem(c.err); got != c.want {
			t.Errorf("printer.Problem(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestTestPrintDrawsASampleReceipt(t *testing.T) {
	dir := t.TempDir()
	done := make(chan printer.Job, 8)
	pc := printerConfig(app.PrinterConfig{Kind: "png", Paper: 58}, dir)
	pc.OnChange = func(j printer.Job) {
		if j.State == printer.JobDone || j.State == printer.JobFailed {
			done <- j
		}
	}
	q, err := printer.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	k := &kiosk{printer: q, cfg: app.Config{Shop: "老王咖啡", KioskID: "k1"}}
	if err := k.testPrint(); err != nil {
		t.Fatal(err)
	}
	j := <-done
	if j.State != printer.JobDone || j.Preview == "" {
		t.Fatalf("test page job: %+v", j)
	}
	if st, err := os.Stat(j.Preview); err != nil || st.Size() == 0 {
		t.Errorf("preview %s: %v", j.Preview, err)
	}
}

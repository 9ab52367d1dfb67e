package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"time"

	"saoma/app"
	"saoma/store"
)

// errDifferences is returned by the reconcile command when the day has
// differences nobody explained: the exit status is 1, so a shop's
// scheduled job can alert.
var errDifferences = errors.New("the ledger and WeChat's bill differ")

// reconcileCommand reconciles one day against WeChat's bill with the
// kiosk stopped: it opens the ledger (its lock refuses a running kiosk),
// reads the merchant config like the kiosk does, fetches the bill, adds or
// confirms (flagged) the sales the ledger missed, stores the result and
// prints the differences.
func reconcileCommand(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fl.SetOutput(stderr)
	data := fl.String("data", defaultDataDir(), "data directory holding ledger.db")
	config := fl.String("config", app.DefaultConfigPath(), "the kiosk's config file (TOML) with the merchant's credentials")
	date := fl.String("date", "", "the Beijing day to reconcile, YYYY-MM-DD (default: the latest bill WeChat has published)")
	if err := fl.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	day := app.LatestBillDay(time.Now())
	if *date != "" {
		d, err := app.ParseDay(*date)
		if err != nil {
			return fmt.Errorf("%w: -date: %v", errUsage, err)
		}
		day = d
	}
	cfg, err := app.LoadConfig(*config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("config %s not found: reconciling needs the merchant's credentials", *config)
	case err != nil:
		return fmt.Errorf("config %s: %w", *config, err)
	case !cfg.Live():
		return fmt.Errorf("config %s has no merchant credentials (demo mode has no bill to fetch)", *config)
	}
	pay, _, _, err := payments(cfg, nil)
	if err != nil {
		return err
	}
	bills, ok := pay.(app.Bills)
	if !ok {
		return fmt.Errorf("this WeChat Pay API offers no bill: %w", app.ErrPayUnsupported)
	}
	if _, err := os.Stat(store.LedgerPath(*data)); err != nil {
		return fmt.Errorf("no ledger in %s", *data)
	}
	st, err := store.Open(store.LedgerPath(*data), store.Options{DayBoundary: cfg.WithDefaults().DayBoundaryDuration()})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return reconcileDay(ctx, bills, st, day, stdout)
}

// reconcileDay reconciles day and prints it; errDifferences when any
// difference is left unexplained.
func reconcileDay(ctx context.Context, bills app.Bills, ledger app.ReconcileLedger, day app.Day, w io.Writer) error {
	rc, err := app.NewReconciler(app.ReconcilerConfig{Bills: bills, Ledger: ledger})
	if err != nil {
		return err
	}
	rec, err := rc.Day(ctx, day)
	if errors.Is(err, app.ErrBillNotReady) {
		return fmt.Errorf("the bill of %s is not published yet: WeChat publishes it from 10:00 the next day (Beijing): %w", day, err)
	}
	if err != nil {
		return err
	}
	printReconciliation(w, rec)
	if n := rec.Open(); n > 0 {
		return fmt.Errorf("%s: %d unexplained: %w", day, n, errDifferences)
	}
	return nil
}

// printReconciliation writes a day's result for people and scripts: a
// summary line, the settlement, then one line per difference.
func printReconciliation(w io.Writer, r app.Reconciliation) {
	state := "reconciled"
	if n := r.Open(); n > 0 {
		state = fmt.Sprintf("%d differences", n)
	}
	fmt.Fprintf(w, "%s  %s\n", r.Day, state)
	fmt.Fprintf(w, "orders %d  gross %s  refunds %s  fees %s  net %s\n", r.Orders, r.Gross.Yuan(), r.Refunds.Yuan(), r.Fees.Yuan(), r.Net.Yuan())
	for _, d := range r.Diffs {
		no := d.OutTradeNo
		if d.OutRefundNo != "" {
			no += " refund " + d.OutRefundNo
		}
		line := fmt.Sprintf("%-22s %s  ledger %s  wechat %s  transaction %s  → %s", d.Kind, no, d.Ledger.Yuan(), d.WeChat.Yuan(),
			orDash(d.TransactionID), d.Action)
		if d.Explained != "" {
			line += "  (explained: " + d.Explained + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"saoma/app"
	"saoma/store"
)

// errUsage marks a command-line mistake; the message says what to fix.
var errUsage = errors.New("usage")

// exitCode maps an error to the process's exit status: 2 for usage
// mistakes, 1 for everything else.
func exitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// withDefaultData gives a command the kiosk's own data directory unless
// -data is among its arguments.
func withDefaultData(args []string) []string {
	for _, a := range args {
		if a == "-data" || a == "--data" || strings.HasPrefix(a, "-data=") || strings.HasPrefix(a, "--data=") {
			return args
		}
	}
	return append([]string{"-data", defaultDataDir()}, args...)
}

// run dispatches the subcommands; with none it starts the kiosk.
func run(args []string, stdout, stderr io.Writer) error {
	if versionRequested(args) {
		fmt.Fprintln(stdout, "saoma", version)
		return nil
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "export":
			return store.ExportCommand(withDefaultData(args[1:]), stdout, stderr)
		case "reconcile":
			return reconcileCommand(withDefaultData(args[1:]), stdout, stderr)
		case "seed-demo":
			return store.SeedDemoCommand(args[1:], stdout, stderr)
		case "catalog":
			return catalogCommand(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, helpText)
			return nil
		default:
			return fmt.Errorf("%w: unknown command %q (want export, reconcile, catalog, seed-demo or no command to start the kiosk)", errUsage, args[0])
		}
	}
	return runKiosk(args, stdout, stderr)
}

const helpText = `saoma — WeChat Pay QR kiosk

  saoma [-config FILE] [-data DIR] [-fullscreen] [-customer-display] [-locale zh|en]
        start the kiosk (demo mode when FILE does not exist)
  saoma export [-data DIR] -date YYYY-MM-DD [-format csv|xlsx] [-lang zh|en] [-by-day] -o FILE
  saoma export [-data DIR] -from YYYY-MM-DD -to YYYY-MM-DD [-format csv|xlsx] -o FILE
        export sales (the kiosk must not be running; DIR defaults to the
        kiosk's, and to its demo ledger when only demo mode has run)
  saoma reconcile [-data DIR] [-config FILE] [-date YYYY-MM-DD]
        match a day against WeChat's bill (the kiosk must not be running);
        exits 1 when the ledger and the bill differ
  saoma catalog -data DIR -import FILE.csv
  saoma catalog -data DIR -list
        load or list products; CSV columns: id,name,price,category[,qr_id[,active]]
        price in yuan (e.g. 12.50)
  saoma seed-demo -data DIR [-days N] [-per-day M]
        fill a ledger with demo trading
`

// catalogCommand loads products from CSV into the ledger, or lists them.
func catalogCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultDataDir(), "data directory holding ledger.db")
	imp := fs.String("import", "", "CSV file of products to add or update")
	list := fs.Bool("list", false, "list the catalog")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if (*imp == "") == !*list {
		return fmt.Errorf("%w: catalog needs exactly one of -import FILE or -list", errUsage)
	}
	opts := store.Options{}
	if *list {
		if _, err := os.Stat(store.LedgerPath(*data)); err != nil {
			return fmt.Errorf("no ledger in %s", *data)
		}
		opts.ReadOnly = true
	} else if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	st, err := store.Open(store.LedgerPath(*data), opts)
	if err != nil {
		return err
	}
	defer st.Close()
	if *list {
		ps, err := st.Products()
		if err != nil {
			return err
		}
		w := csv.NewWriter(stdout)
		w.Write([]string{"id", "name", "price", "category", "qr_id", "active"})
		for _, p := range ps {
			w.Write([]string{p.ID, p.Name, p.Price.Yuan(), p.Category, p.QRID, fmt.Sprint(p.Active)})
		}
		w.Flush()
		return w.Error()
	}
	f, err := os.Open(*imp)
	if err != nil {
		return err
	}
	defer f.Close()
	ps, err := parseProducts(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *imp, err)
	}
	for _, p := range ps {
		if err := st.PutProduct(p); err != nil {
			return fmt.Errorf("product %s: %w", p.ID, err)
		}
	}
	fmt.Fprintf(stdout, "%d products loaded into %s\n", len(ps), store.LedgerPath(*data))
	return nil
}

// parseProducts reads id,name,price,category[,qr_id[,active]] rows; a first
// row starting with "id" is a header. Every row is checked before any is
// stored, so a typo loads nothing.
func parseProducts(r io.Reader) ([]app.Product, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []app.Product
	seen := map[string]int{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimPrefix(rec[0], "\ufeff"), "id") {
			continue
		}
		if len(rec) < 4 || len(rec) > 6 {
			return nil, fmt.Errorf("line %d: want id,name,price,category[,qr_id[,active]], got %d fields", line, len(rec))
		}
		price, err := app.ParseYuan(rec[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: price: %w", line, err)
		}
		p := app.Product{ID: strings.TrimSpace(rec[0]), Name: strings.TrimSpace(rec[1]), Price: price,
			Category: strings.TrimSpace(rec[3]), Active: true}
		if len(rec) > 4 {
			p.QRID = strings.TrimSpace(rec[4])
		}
		if len(rec) > 5 {
			switch strings.ToLower(strings.TrimSpace(rec[5])) {
			case "", "true", "yes", "1":
			case "false", "no", "0":
				p.Active = false
			default:
				return nil, fmt.Errorf("line %d: active must be true or false, got %q", line, rec[5])
			}
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if prev, dup := seen[p.ID]; dup {
			return nil, fmt.Errorf("line %d: product id %s already on line %d", line, p.ID, prev)
		}
		seen[p.ID] = line
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no products")
	}
	return out, nil
}

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"saoma/app"
	"saoma/store"
)

func TestParseProducts(t *testing.T) {
	cases := []struct {
		name    string
		csv     string
		want    []app.Product
		wantErr string
	}{
		{"header and bom", "\ufeffid,name,price,category\n1001,美式咖啡,18,饮品\n1002,可颂,12.50,烘焙\n",
			[]app.Product{{ID: "1001", Name: "美式咖啡", Price: 1800, Category: "饮品", Active: true},
				{ID: "1002", Name: "可颂", Price: 1250, Category: "烘焙", Active: true}}, ""},
		{"qr id and inactive", "7,水,3.00,饮品,P7,false\n",
			[]app.Product{{ID: "7", Name: "水", Price: 300, Category: "饮品", QRID: "P7", Active: false}}, ""},
		{"price typo", "1,a,12.505,x\n", nil, "line 1: price"},
		{"float-ish price", "1,a,1e3,x\n", nil, "line 1: price"},
		{"missing field", "1,a,1\n", nil, "line 1: want id,name,price,category"},
		{"duplicate id", "1,a,1,x\n1,b,2,x\n", nil, "line 2: product id 1 already on line 1"},
		{"bad active", "1,a,1,x,,maybe\n", nil, "active must be true or false"},
		{"zero price", "1,a,0,x\n", nil, "price must be positive"},
		{"empty", "id,name,price,category\n", nil, "no products"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseProducts(strings.NewReader(c.csv))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d products, want %d", len(got), len(c.want))
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("product %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestCatalogCommandImportsIntoLedgerAndTypoLoadsNothing(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte("id,name,price,category\n1,拿铁,22,饮品\n2,可颂,12.5,烘焙\n"), 0o600)
	os.WriteFile(bad, []byte("3,水,3,饮品\n4,茶,x,饮品\n"), 0o600)
	data := filepath.Join(dir, "data")
	var out, errb bytes.Buffer
	if err := run([]string{"catalog", "-data", data, "-import", good}, &out, &errb); err != nil {
		t.Fatalf("import: %v (%s)", err, errb.String())
	}
	if err := run([]string{"catalog", "-data", data, "-import", bad}, &out, &errb); err == nil {
		t.Fatal("a CSV with a bad price was accepted")
	}
	st, err := store.Open(store.LedgerPath(data), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.Products()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("ledger holds %d products, want the 2 good ones only: %+v", len(ps), ps)
	}
	out.Reset()
	if err := run([]string{"catalog", "-data", data, "-list"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2,可颂,12.50,烘焙") {
		t.Errorf("list output:\n%s", out.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	cases := [][]string{
		{"frobnicate"},
		{"catalog"},
		{"catalog", "-list", "-import", "x.csv"},
		{"-locale", "fr"},
		{"-no-such-flag"},
		{"stray"},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		err := run(args, &out, &errb)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("run(%q) = %v (exit %d), want a usage error", args, err, exitCode(err))
		}
		if err != nil && !errors.Is(err, errUsage) {
			t.Errorf("run(%q): %v does not wrap errUsage", args, err)
		}
	}
}

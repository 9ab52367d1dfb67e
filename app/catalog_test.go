package app

import (
	"testing"
	"time"
)

func TestCart(t *testing.T) {
	coffee := Product{ID: "1", Name: "美式咖啡", Price: 1800}
	bread := Product{ID: "2", Name: "可颂", Price: 1250}
	var c Cart
	if c.Len() != 0 || c.Total() != 0 {
		t.Fatal("zero cart not empty")
	}
	c.Add(coffee)
	c.Add(bread)
	c.Add(coffee)
	if c.Qty("1") != 2 || c.Total() != 4850 || c.Len() != 2 {
		t.Fatalf("qty %d total %s len %d", c.Qty("1"), c.Total(), c.Len())
	}
	lines := c.Lines()
	lines[0].Qty = 99
	if c.Qty("1") != 2 {
		t.Error("Lines returned the cart's own slice")
	}
	c.SetQty("1", 5000)
	if c.Qty("1") != MaxLineQty {
		t.Errorf("qty capped at %d, want %d", c.Qty("1"), MaxLineQty)
	}
	c.SetQty("404", 3)
	if c.Len() != 2 {
		t.Error("SetQty of a product not in the cart added it")
	}
	c.Remove("1")
	if c.Len() != 1 || c.Total() != 1250 {
		t.Errorf("after remove: len %d total %s", c.Len(), c.Total())
	}
	c.Clear()
	if c.Len() != 0 {
		t.Error("Clear left lines")
	}
}

func TestProductValidate(t *testing.T) {
	cases := []struct {
		p  Product
		ok bool
	}{
		{Product{ID: "1", Name: "水", Price: 300}, true},
		{Product{Name: "水", Price: 300}, false},
		{Product{ID: "1", Price: 300}, false},
		{Product{ID: "1", Name: "水", Price: 0}, false},
		{Product{ID: "1", Name: "水", Price: 1, QRID: "012345678901234567890123456789012"}, false},
	}
	for _, c := range cases {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v", c.p, err)
		}
	}
	for _, p := range DemoCatalog() {
		if err := p.Validate(); err != nil {
			t.Errorf("demo product: %v", err)
		}
	}
}

func TestBusinessDay(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		local    string
		boundary time.Duration
		want     Day
	}{
		{"2026-11-22 12:00", 4 * time.Hour, "2026-11-22"},
		{"2026-11-23 03:59", 4 * time.Hour, "2026-11-22"},
		{"2026-11-23 04:00", 4 * time.Hour, "2026-11-23"},
		{"2026-11-23 00:00", 0, "2026-11-23"},
		{"2026-03-01 01:00", 4 * time.Hour, "2026-02-28"},
	}
	for _, c := range cases {
		at, _ := time.ParseInLocation("2006-01-02 15:04", c.local, sh)
		if got := BusinessDay(at.UTC(), c.boundary, sh); got != c.want {
			t.Errorf("BusinessDay(%s, %s) = %s, want %s", c.local, c.boundary, got, c.want)
		}
	}
	if d := Day("2026-12-31").Add(1); d != "2027-01-01" {
		t.Errorf("Add(1) = %s", d)
	}
	if _, err := ParseDay("2026-13-01"); err == nil {
		t.Error("ParseDay accepted month 13")
	}
}

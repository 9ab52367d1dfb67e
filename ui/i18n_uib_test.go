package ui

import "testing"

func TestEveryUIBStringHasBothLanguagesAndOneTable(t *testing.T) {
	for key, v := range uibTable {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s: %q / %q", key, v[0], v[1])
		}
		for name, other := range map[string]map[string][2]string{"main": stringsTable, "payment-code": payCodeTable, "reconciliation": reconTable} {
			if _, dup := other[key]; dup {
				t.Errorf("%s is in the %s table too", key, name)
			}
		}
		if got, _ := lookup(key); got != v {
			t.Errorf("lookup(%s) = %q, want %q", key, got, v)
		}
	}
}

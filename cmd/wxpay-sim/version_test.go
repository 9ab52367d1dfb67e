package main

import (
	"bytes"
	"testing"
)

func TestVersionFlagPrintsTheBuildVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-version"}, &out, &errOut); err != nil {
		t.Fatalf("run -version: %v", err)
	}
	if got, want := out.String(), "wxpay-sim "+version+"\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

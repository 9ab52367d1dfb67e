package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionFlagPrintsTheBuildVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-version"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("run -version: %v", err)
	}
	if got, want := out.String(), "saoma-relay "+version+"\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

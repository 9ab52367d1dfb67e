package main

import (
	"bytes"
	"testing"
)

func TestVersionFlagPrintsTheBuildVersion(t *testing.T) {
	for _, arg := range []string{"-version", "--version"} {
		t.Run(arg, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := run([]string{arg}, &out, &errOut); err != nil {
				t.Fatalf("run %s: %v", arg, err)
			}
			if got, want := out.String(), "saoma "+version+"\n"; got != want {
				t.Errorf("output %q, want %q", got, want)
			}
		})
	}
}

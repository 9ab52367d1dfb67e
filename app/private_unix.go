//go:build !windows

package app

import (
	"fmt"
	"os"
)

// checkPrivate refuses a file that group or others can read.
func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s (mode %v): %w", path, st.Mode().Perm(), ErrInsecureConfig)
	}
	return nil
}

//go:build !windows

package endsession

// startOS has nothing to add to the signals outside Windows.
func startOS(*session, Options) (stop func(), err error) {
	return func() {}, nil
}

package relay

import "time"

// clock is where every relay timer comes from: the monotonic readings
// that measure silence and acknowledgement delays, the sweep and
// dedupe-expiry tickers and the mode-1 callback deadline. (Wall-clock
// time is ServerConfig.Now; socket write deadlines are the operating
// system's and stay on real time.) Tests inject a fake one and move time
// without sleeping.
type clock interface {
	// monotonic returns the time elapsed since an arbitrary origin on the
	// monotonic clock.
	monotonic() time.Duration
	// newTicker returns a channel that receives every d, and a stop
	// function that releases it.
	newTicker(d time.Duration) (<-chan time.Time, func())
	// newTimer returns a channel that receives once after d, and a stop
	// function that releases it.
	newTimer(d time.Duration) (<-chan time.Time, func())
}

// realClock is the clock of a running relay: Go's monotonic clock and
// runtime timers.
type realClock struct{ start time.Time }

func (c realClock) monotonic() time.Duration { return time.Since(c.start) }

func (realClock) newTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func (realClock) newTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

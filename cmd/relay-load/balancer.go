package main

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
)

// spreader plays the load balancer in front of the relay instances: every
// new kiosk connection goes to the next instance that accepts it, in
// turn, so a kiosk whose instance died reconnects to a live one. It acts
// at dial time (the kiosks' relay.ClientConfig.NetDialContext) rather than
// proxying bytes, because a proxy would need two more sockets per kiosk and
// this machine caps a process at 20,000 open files.
type spreader struct {
	backends []string // host:port
	next     atomic.Uint64
	d        net.Dialer
}

// dial connects to the next backend that answers, trying each once; addr
// (the kiosks' nominal relay address) is ignored.
func (s *spreader) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var errs []error
	start := s.next.Add(1)
	for i := range uint64(len(s.backends)) {
		c, err := s.d.DialContext(ctx, network, s.backends[(start+i)%uint64(len(s.backends))])
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

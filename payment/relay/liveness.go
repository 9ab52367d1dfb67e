package relay

import (
	"sync"
	"time"
)

// pingWorkers is how many goroutines write pings for the whole relay.
const pingWorkers = 8

// tickLoop watches every connection from one goroutine instead of a timer
// per connection: it drops kiosks silent for PongWait or stuck on
// unacknowledged messages for AckTimeout, and hands due pings to a few ping
// workers, so an idle connection's own goroutines never wake up.
func (s *Server) tickLoop(tick <-chan time.Time, stopTick func()) {
	pings := make(chan *session, 1024)
	var workers sync.WaitGroup
	for range pingWorkers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for ss := range pings {
				ss.ping()
			}
		}()
	}
	defer func() {
		close(pings)
		workers.Wait()
		close(s.tickDone)
	}()
	defer stopTick()
	for {
		select {
		case <-s.stopTick:
			return
		case <-tick:
		}
		s.sweep(s.cfg.clock.monotonic(), pings)
	}
}

// sweep is one round of tickLoop at monotonic time now: it drops silent
// and stuck kiosks and queues due pings. Only tickLoop calls it (tests call
// it instead, on a fake clock that holds its ticker).
func (s *Server) sweep(now time.Duration, pings chan<- *session) {
	for _, k := range s.kiosks.Load().byID {
		ss := k.session()
		if ss == nil {
			continue
		}
		switch {
		case now-time.Duration(ss.lastSeen.Load()) > s.cfg.PongWait:
			ss.close(dropSilent)
		case ss.ackOverdue(now):
			ss.close(dropAck)
		case s.shared != nil && ss.stalled():
			s.log.Warn("stream feed brought nothing for a kiosk with stored notifications; reading the queue", "kiosk", k.id)
			ss.resync.Store(true)
			ss.poke()
		case now-ss.lastPing >= s.cfg.PingInterval-s.tick/2:
			select {
			case pings <- ss:
				ss.lastPing = now
			default: // workers busy: ping on the next tick
			}
		}
	}
}

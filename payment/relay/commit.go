package relay

import "time"

// ingestOp is one notification waiting for the group commit.
type ingestOp struct {
	k        *kiosk
	dedupe   string
	verified bool // the relay checked its signature (merchant key or WeChat Pay public key)
	// alsoDedupe are further duplicate keys (API v3).
	alsoDedupe []string
	body       []byte
	// header holds an API v3 notification's signature headers; nil for v2.
	header map[string]string
	at     int64
	done   chan ingestResult
}

// ingestResult is the commit's answer to an ingestOp.
type ingestResult struct {
	seq uint64
	dup bool
	err error
}

// commitLoop is the single writer of the store. It gathers every
// notification waiting (up to MaxBatch) plus pending acknowledgements into
// one transaction: one fsync answers many WeChat requests (group commit),
// and each request is answered only after its transaction committed.
func (s *Server) commitLoop(prune <-chan time.Time, stopPrune func()) {
	defer close(s.commitDone)
	defer stopPrune()
	var batch []*ingestOp
	for {
		batch = batch[:0]
		pruneSeen := false
		select {
		case op := <-s.ingestCh:
			batch = append(batch, op)
		case <-s.commitWake:
		case <-prune:
			pruneSeen = true
		case <-s.stopCommit:
			// No handler is in flight any more; persist the last acks.
		drain:
			for {
				select {
				case op := <-s.ingestCh:
					batch = append(batch, op)
				default:
					break drain
				}
			}
			s.commit(batch, false)
			return
		}
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case op := <-s.ingestCh:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		s.commit(batch, pruneSeen)
	}
}

// pruneInterval is how often expired dedupe keys are removed.
func pruneInterval(ttl time.Duration) time.Duration {
	return max(min(ttl/24, time.Hour), time.Second)
}

// markAck schedules k's acknowledged sequence for the next commit.
func (s *Server) markAck(k *kiosk) {
	s.ackMu.Lock()
	s.ackDirty[k] = struct{}{}
	s.ackMu.Unlock()
	select {
	case s.commitWake <- struct{}{}:
	default:
	}
}

// commit runs one group commit: prune acknowledged messages, store the
// batch, optionally expire dedupe keys; then answers every op.
func (s *Server) commit(batch []*ingestOp, pruneSeen bool) {
	s.ackMu.Lock()
	acks := make(map[*kiosk]uint64, len(s.ackDirty))
	for k := range s.ackDirty {
		if want := k.acked.Load(); want > k.savedAck {
			acks[k] = want
		}
	}
	clear(s.ackDirty)
	s.ackMu.Unlock()
	if len(batch) == 0 && len(acks) == 0 && !pruneSeen {
		return
	}

	gc := &groupCommit{acks: make(map[string]uint64, len(acks)), msgs: make([]pendingMsg, len(batch)), expireSeen: pruneSeen}
	for k, want := range acks {
		gc.acks[k.id] = want
	}
	for i, op := range batch {
		gc.msgs[i] = pendingMsg{
			kiosk: op.k.id, dedupe: op.dedupe, alsoDedupe: op.alsoDedupe, body: op.body, header: op.header,
			at: op.at, queued: op.k.queued.Load(), limit: s.limit(op),
		}
	}
	if pruneSeen {
		gc.seenCutoff = s.cfg.Now().Add(-s.cfg.DedupeTTL).UnixNano()
	}
	start := time.Now()
	err := s.q.commit(gc)
	s.m.commit.observe(time.Since(start))
	if err != nil {
		s.log.Error("relay store commit failed", "err", err, "notifications", len(batch))
		for _, op := range batch {
			op.done <- ingestResult{err: err}
		}
		if len(acks) > 0 {
			s.ackMu.Lock()
			for k := range acks {
				s.ackDirty[k] = struct{}{}
			}
			s.ackMu.Unlock()
		}
		return
	}
	s.m.commits.Add(1)
	results := gc.results
	added := make(map[*kiosk]int64)
	for i, r := range results {
		if r.err == nil && !r.dup {
			added[batch[i].k]++
		}
	}
	deleted := make(map[*kiosk]int64, len(gc.deleted))
	for k := range acks {
		deleted[k] = gc.deleted[k.id]
	}
	var delta, unverified int64
	for k, want := range acks {
		k.savedAck = want
	}
	for k, n := range deleted {
		k.queued.Add(-n)
		delta -= n
		if k.unverifiedOnly() {
			unverified -= n
		}
	}
	for k, n := range added {
		k.queued.Add(n)
		delta += n
		if k.unverifiedOnly() {
			unverified += n
		}
	}
	s.m.queued.Add(delta)
	s.m.unverified.Add(unverified)
	woken := make(map[*kiosk]bool, len(added))
	for i, op := range batch {
		r := results[i]
		switch {
		case r.err != nil:
		case r.dup:
			s.m.duplicates.Add(1)
		default:
			s.m.accepted.Add(1)
			for cur := op.k.last.Load(); r.seq > cur && !op.k.last.CompareAndSwap(cur, r.seq); cur = op.k.last.Load() {
			}
			woken[op.k] = true
		}
		op.done <- r
	}
	for k := range woken {
		k.wakeSession()
	}
}

// limit is how many unacknowledged messages op's kiosk may have stored for
// op to be stored too. For an unverified message the kiosk's whole queue
// counts against MaxUnverified: usually a kiosk's messages are all
// unverified (no merchant key) or all verified, and for a kiosk verified
// for API v3 only, counting its verified v3 messages too errs on the safe
// side for its (unverified) v2 ones.
func (s *Server) limit(op *ingestOp) queueLimit {
	if !op.verified && s.cfg.MaxUnverified < s.cfg.MaxQueue {
		return queueLimit{max: int64(s.cfg.MaxUnverified), err: errUnverifiedFull}
	}
	return queueLimit{max: int64(s.cfg.MaxQueue), err: errQueueFull}
}

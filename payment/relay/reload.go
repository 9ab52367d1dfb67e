package relay

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"saoma/payment/wxpayv3"
)

// kioskTable is the set of kiosks a relay serves, by id and by token hash.
// It is immutable once published: SetKiosks builds a new one and swaps it
// in whole, so a request sees either the old table or the new one.
type kioskTable struct {
	byID   map[string]*kiosk
	byHash map[[sha256.Size]byte]*kiosk
}

// newConfs validates a list of kiosks and prepares their configurations:
// ids of the right shape, no id or token used twice, token hashes that
// decode, API v3 keys set both or neither.
func newConfs(ks []Kiosk) ([]*kioskConf, error) {
	if len(ks) == 0 {
		return nil, errors.New("relay: no kiosks configured")
	}
	ids := make(map[string]bool, len(ks))
	hashes := make(map[[sha256.Size]byte]string, len(ks))
	out := make([]*kioskConf, 0, len(ks))
	for _, kc := range ks {
		if !kioskIDPattern.MatchString(kc.ID) {
			return nil, fmt.Errorf("relay: kiosk id %q is not 1–64 characters of [A-Za-z0-9_-]", kc.ID)
		}
		h, err := parseTokenHash(kc.TokenHash)
		if err != nil {
			return nil, fmt.Errorf("relay: kiosk %s: token hash: %w", kc.ID, err)
		}
		if ids[kc.ID] {
			return nil, fmt.Errorf("relay: kiosk %s configured twice", kc.ID)
		}
		if other, dup := hashes[h]; dup {
			return nil, fmt.Errorf("relay: kiosks %s and %s share a token", other, kc.ID)
		}
		if (kc.WechatPayPublicKey == nil) != (kc.WechatPayPublicKeyID == "") {
			return nil, fmt.Errorf("relay: kiosk %s: set both WechatPayPublicKey and WechatPayPublicKeyID, or neither", kc.ID)
		}
		ids[kc.ID], hashes[h] = true, kc.ID
		c := &kioskConf{Kiosk: kc, hash: h}
		if kc.acceptsV3() {
			c.v3 = wxpayv3.NewPublicKeyVerifier(kc.WechatPayPublicKeyID, kc.WechatPayPublicKey)
		}
		out = append(out, c)
	}
	return out, nil
}

// table builds the kiosk table for confs, reusing (and reconfiguring) the
// kiosk of each id already known. It returns the table and the stored and
// unverified messages of the kiosks configured for the first time, which
// the metrics did not count yet. The caller holds reloadMu or is
// NewServer.
func (s *Server) table(confs []*kioskConf) (tab *kioskTable, queued, unverified int64) {
	tab = &kioskTable{
		byID:   make(map[string]*kiosk, len(confs)),
		byHash: make(map[[sha256.Size]byte]*kiosk, len(confs)),
	}
	for _, c := range confs {
		k := s.all[c.ID]
		if k == nil {
			k = &kiosk{id: c.ID}
			s.all[c.ID] = k
		}
		prev := k.conf.Swap(c)
		n := k.queued.Load()
		switch {
		case prev == nil:
			queued += n
			if c.unverifiedOnly() {
				unverified += n
			}
		case prev.unverifiedOnly() && !c.unverifiedOnly():
			unverified -= n
		case !prev.unverifiedOnly() && c.unverifiedOnly():
			unverified += n
		}
		tab.byID[c.ID] = k
		tab.byHash[c.hash] = k
	}
	return tab, queued, unverified
}

// SetKiosks replaces the kiosks the relay serves, without dropping the
// connections of kiosks that stay (the kiosks file reloaded on SIGHUP).
// The new list is validated as NewServer validates it; if it is refused
// the relay keeps serving the old one and SetKiosks returns why.
//
// Otherwise, atomically for every request that starts afterwards:
//   - an added kiosk may connect and its notifications are accepted;
//     messages the store still holds for it (it was configured before)
//     are delivered;
//   - a removed kiosk's connection is closed and its notifications and
//     callbacks are refused as an unknown kiosk's (404); what the store
//     holds for it is kept, not delivered, until it is added again;
//   - a kiosk whose token changed (a rotated token) has its connection
//     closed, since it was opened with the old token, which must stop
//     working: the kiosk reconnects with the new token or is refused;
//   - every other kiosk keeps its connection; a changed merchant key,
//     appid, mch_id or WeChat Pay public key applies from its next
//     notification or callback.
func (s *Server) SetKiosks(ks []Kiosk) error {
	confs, err := newConfs(ks)
	if err != nil {
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.kiosks.Load()
	prevHash := make(map[*kiosk][sha256.Size]byte, len(old.byID))
	for _, k := range old.byID {
		prevHash[k] = k.conf.Load().hash
	}
	next, queued, unverified := s.table(confs)
	var added, removed, rotated []string
	closing := make(map[*kiosk]string)
	for id, k := range next.byID {
		h, was := prevHash[k]
		switch {
		case !was:
			added = append(added, id)
		case h != k.conf.Load().hash:
			rotated = append(rotated, id)
			closing[k] = dropRotated
		}
	}
	for id, k := range old.byID {
		if next.byID[id] == nil {
			removed = append(removed, id)
			closing[k] = dropRemoved
		}
	}
	s.kiosks.Store(next)
	s.m.queued.Add(queued)
	s.m.unverified.Add(unverified)
	// After the swap: a connection attached from now on finds the new
	// table when handleWS checks it, one attached before is closed here.
	for k, reason := range closing {
		if ss := k.session(); ss != nil {
			ss.close(reason)
		}
	}
	s.log.Info("kiosks reloaded", "kiosks", len(next.byID), "added", added, "removed", removed, "token_rotated", rotated)
	return nil
}

// lookup returns the configured kiosk id, or nil.
func (s *Server) lookup(id string) *kiosk { return s.kiosks.Load().byID[id] }

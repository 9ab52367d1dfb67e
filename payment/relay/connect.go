package relay

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// handleWS authenticates a kiosk and upgrades to its websocket.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	refuse := func(reason string, status int, err error) {
		s.m.rejected.inc(reason)
		s.log.Warn("kiosk connection refused", "reason", reason, "remote", r.RemoteAddr, "err", err)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="saoma-relay"`)
		}
		http.Error(w, http.StatusText(status), status)
	}
	if !s.enter() {
		refuse(reasonShutdown, http.StatusServiceUnavailable, errors.New("relay shutting down"))
		return
	}
	defer s.leave()
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		refuse(reasonNoToken, http.StatusUnauthorized, errors.New("no bearer token"))
		return
	}
	// The map is keyed by a SHA-256 digest, so its lookup time tells an
	// attacker nothing about any token; the final comparison is constant
	// time as well.
	h := sha256.Sum256([]byte(token))
	k := s.kiosks.Load().byHash[h]
	if k == nil {
		refuse(reasonBadToken, http.StatusUnauthorized, errors.New("unknown token"))
		return
	}
	// A reload may have rotated the token since the table was read.
	if kh := k.conf.Load().hash; subtle.ConstantTimeCompare(kh[:], h[:]) != 1 {
		refuse(reasonBadToken, http.StatusUnauthorized, errors.New("unknown token"))
		return
	}
	q := r.URL.Query()
	if want := q.Get("kiosk"); want != "" && want != k.id {
		refuse(reasonWrongKiosk, http.StatusForbidden, fmt.Errorf("kiosk %s asked for kiosk %q", k.id, clip(want)))
		return
	}
	version := minProtocolVersion // a kiosk stating no version is taken as the oldest
	if v := q.Get("v"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minProtocolVersion || n > ProtocolVersion {
			refuse(reasonBadRequest, http.StatusBadRequest, fmt.Errorf("protocol version %q", clip(v)))
			return
		}
		version = n
	}
	var lastSeq uint64
	if v := q.Get("last_seq"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			refuse(reasonBadRequest, http.StatusBadRequest, fmt.Errorf("last_seq %q", clip(v)))
			return
		}
		lastSeq = n
	}
	epoch := q.Get("epoch")
	// known is the newest sequence the kiosk may have seen. In a shared
	// queue other instances stored messages too: ask the stream.
	known := k.last.Load()
	if s.shared != nil {
		kl, sl, err := s.shared.lastSeq(k.id)
		if err != nil {
			refuse(reasonStorage, http.StatusServiceUnavailable, err)
			return
		}
		raise(&k.last, kl)
		known = max(known, kl, sl)
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.m.rejected.inc(reasonBadRequest)
		s.log.Warn("websocket upgrade failed", "kiosk", k.id, "remote", r.RemoteAddr, "err", err)
		return
	}
	// Resume: the kiosk's own record of its last commit counts when it
	// refers to this store (same epoch) and to messages that exist.
	if epoch == s.epoch && lastSeq > 0 {
		if lastSeq <= known {
			if k.ackTo(lastSeq) {
				s.markAck(k)
			}
		} else {
			s.log.Warn("kiosk is ahead of the relay's store (restored from a backup?); resuming from the relay's record",
				"kiosk", k.id, "kiosk_last_seq", lastSeq, "relay_last_seq", known)
		}
	} else if epoch != "" && epoch != s.epoch {
		s.log.Info("kiosk knew another relay epoch; delivering everything unacknowledged", "kiosk", k.id, "kiosk_epoch", clip(epoch))
	}
	ss := newSession(s, k, conn, r.RemoteAddr, version)
	s.m.connected.Add(1)
	s.m.connects.Add(1)
	if old := k.attach(ss); old != nil {
		old.close(dropReplaced)
	}
	// SetKiosks swaps the table, then closes the sessions of removed and
	// rotated kiosks: a session attached after that finds the new table
	// here.
	if tab := s.kiosks.Load(); tab.byHash[h] != k {
		reason := dropRemoved
		if tab.byID[k.id] == k {
			reason = dropRotated
		}
		ss.close(reason)
		return
	}
	// Callbacks for the kiosk are routed here before it hears the welcome:
	// once it is linked, no instance finds it offline.
	if s.shared != nil {
		stop, err := s.shared.serveCallbacks(k.id, s.cfg.CallbackTimeout, func(ctx context.Context, body []byte) ([]byte, string) {
			return ss.call(ctx, body, s.cfg.CallbackTimeout)
		})
		if err != nil {
			s.log.Error("routing callbacks to this instance failed", "kiosk", k.id, "err", err)
			ss.close(dropStorage)
			return
		}
		ss.setUnroute(stop)
	}
	// The welcome goes out from this (already deep) handler goroutine, before
	// the writer exists, so idle writers never grow their stacks.
	_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, ss.welcome()); err != nil {
		ss.close(dropWrite)
		return
	}
	s.log.Info("kiosk connected", "kiosk", k.id, "remote", r.RemoteAddr, "resume_after", ss.sent)
	s.sessions.Add(2)
	go ss.readLoop()
	go ss.writeLoop()
}

// disconnect closes kiosk id's connection, if any (operator action, tests).
func (s *Server) disconnect(id string) {
	if k := s.lookup(id); k != nil {
		if ss := k.session(); ss != nil {
			ss.close(dropKickedOff)
		}
	}
}

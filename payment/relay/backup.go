package relay

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrBackupUnsupported is returned by Backup when the relay stores its
// queue in NATS JetStream: back the stream up with NATS's own tools
// (nats stream backup), not through the relay.
var ErrBackupUnsupported = errors.New("relay: online backup is for the bbolt queue; back a JetStream stream up with the nats tool")

// BackupPath is where AdminHandler serves Backup.
const BackupPath = "/backup"

// Backup writes a consistent copy of the relay's bbolt file to w while the
// relay keeps running: one read transaction (bbolt's Tx.WriteTo), so the
// copy holds exactly the notifications and acknowledgements committed
// before it started, and WeChat is never kept waiting (readers do not
// block the group commit). The copy is a queue file a relay can start
// from (DataDir/DBFile), with the same epoch: kiosks resume on it as on
// the original. size is called with the copy's length before the first
// byte is written (nil: not needed). It returns the bytes written.
func (s *Server) Backup(w io.Writer, size func(int64)) (int64, error) {
	st, ok := s.q.(*store)
	if !ok {
		return 0, ErrBackupUnsupported
	}
	if !s.enter() {
		return 0, errors.New("relay: shutting down")
	}
	defer s.leave()
	var n int64
	err := st.db.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("relay: backup: %w", err)
	}
	return n, nil
}

// AdminHandler returns the relay's administration handler: GET /backup
// streams Backup (Content-Length set, so a client can tell a complete copy
// from a cut one). It must never be reachable from the internet: the copy
// holds every undelivered notification. Serve it on a loopback address or
// a Unix socket (saoma-relay -admin).
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BackupPath, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.q.(*store); !ok {
			http.Error(w, ErrBackupUnsupported.Error(), http.StatusNotImplemented)
			return
		}
		started := false
		n, err := s.Backup(w, func(size int64) {
			started = true
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			w.Header().Set("Content-Disposition", `attachment; filename="`+DBFile+`"`)
		})
		if err != nil {
			s.log.Error("online backup failed", "written", n, "err", err)
			if !started {
				http.Error(w, "backup failed", http.StatusServiceUnavailable)
			}
			// Once streaming, the short body (below Content-Length) tells
			// the client the copy is incomplete.
			return
		}
		s.log.Info("online backup served", "bytes", n, "remote", r.RemoteAddr)
	})
	return mux
}

// BackupInfo describes a relay queue file.
type BackupInfo struct {
	// Epoch is the store's identifier (Server.Epoch of a relay started on
	// it).
	Epoch string
	// Queued is how many notifications it holds, acknowledged or not yet
	// pruned, for every kiosk.
	Queued int
	// Kiosks is how many kiosks it has a sequence for.
	Kiosks int
}

// CheckBackup opens a relay queue file read-only (a backup, or DBFile of
// a stopped relay), runs bbolt's consistency check and reads what it
// holds. An error means a relay could not start from it.
func CheckBackup(path string) (BackupInfo, error) {
	var info BackupInfo
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return info, fmt.Errorf("relay: open backup %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var bad error
		for err := range tx.Check() { // drained: the check runs on tx
			if bad == nil {
				bad = fmt.Errorf("consistency: %w", err)
			}
		}
		if bad != nil {
			return bad
		}
		for _, name := range [][]byte{bucketMeta, bucketQueue, bucketSeen, bucketAck, bucketSeq} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %q missing: not a relay queue file", name)
			}
		}
		e := tx.Bucket(bucketMeta).Get(keyEpoch)
		if e == nil {
			return errors.New("no epoch: not a relay queue file")
		}
		info.Epoch = string(e)
		info.Queued = tx.Bucket(bucketQueue).Stats().KeyN
		info.Kiosks = tx.Bucket(bucketSeq).Stats().KeyN
		return nil
	})
	if err != nil {
		return BackupInfo{}, fmt.Errorf("relay: backup %s: %w", path, err)
	}
	return info, nil
}

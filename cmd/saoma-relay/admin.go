package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"saoma/payment/relay"
)

// DefaultAdmin is the admin address the backup subcommand asks when given
// none; the relay serves it only when started with -admin.
const defaultAdmin = "127.0.0.1:9464"

// unixPrefix marks an -admin address that is a Unix socket path.
const unixPrefix = "unix:"

// listenAdmin opens the admin listener: a loopback TCP address, or
// "unix:/path" (a socket only its owner may use). Anything reachable from
// another host is refused: the admin endpoint hands out the whole queue.
func listenAdmin(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, unixPrefix); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path) // left by a relay that did not stop cleanly
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("admin listen: %w", err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			ln.Close()
			return nil, fmt.Errorf("admin socket: %w", err)
		}
		return ln, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-admin %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-admin %q: must be a loopback address (127.0.0.1:PORT, [::1]:PORT) or unix:/path; the admin endpoint serves the whole queue", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	return ln, nil
}

// adminName is how the admin listener is printed, in the form -admin and
// the backup subcommand take.
func adminName(ln net.Listener) string {
	if ln.Addr().Network() == "unix" {
		return unixPrefix + ln.Addr().String()
	}
	return ln.Addr().String()
}

// runBackup is the backup subcommand: it fetches a consistent copy of a
// running relay's bbolt queue from its admin endpoint and writes it to -o
// atomically (a temporary file in the same directory, mode 0600, synced,
// checked, then renamed), so -o is either the previous file or a
// complete copy a relay can start from.
func runBackup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("saoma-relay backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	admin := fs.String("admin", defaultAdmin, "the running relay's -admin address (HOST:PORT on loopback, or unix:/path)")
	out := fs.String("o", "", "file to write the copy to (required); replaced atomically")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("backup: -o FILE is required")
	}
	tr := &http.Transport{}
	base := "http://" + *admin
	if path, ok := strings.CutPrefix(*admin, unixPrefix); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://relay-admin"
	}
	tr.ResponseHeaderTimeout = time.Minute
	resp, err := (&http.Client{Transport: tr}).Get(base + relay.BackupPath)
	if err != nil {
		return fmt.Errorf("backup: is the relay running with -admin %s? %w", *admin, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("backup: relay answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing to remove
	n, err := writeCopy(tmp, resp.Body, resp.ContentLength)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	info, err := relay.CheckBackup(tmp.Name())
	if err != nil {
		return fmt.Errorf("backup: the copy does not check out: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if d, err := os.Open(filepath.Dir(*out)); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		d.Close()
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes, epoch %s, %d notifications stored for %d kiosks\n", *out, n, info.Epoch, info.Queued, info.Kiosks)
	return nil
}

// writeCopy copies body into f (mode 0600), checks it got all of want
// bytes (unless want < 0), syncs and closes f.
func writeCopy(f *os.File, body io.Reader, want int64) (int64, error) {
	n, err := io.Copy(f, body)
	if err == nil && want >= 0 && n != want {
		err = fmt.Errorf("copy cut short: %d of %d bytes", n, want)
	}
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// adminMux serves the relay's admin handler and, beside it, Go's runtime
// profiles under /debug/pprof/ (CPU, heap, goroutines) for diagnosing a
// live relay. Both are on the loopback-only admin listener.
func adminMux(relayAdmin http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", relayAdmin)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

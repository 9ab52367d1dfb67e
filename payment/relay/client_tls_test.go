package relay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCert is a self-signed certificate for a TLS relay, and its PEM file
// (what a kiosk's ca_file would name).
type testCert struct {
	tls     tls.Certificate
	pemFile string
	leaf    *x509.Certificate
}

// selfSigned makes a self-signed certificate valid from notBefore to
// notAfter for the given IP addresses and DNS names.
func selfSigned(t *testing.T, notBefore, notAfter time.Time, ips []net.IP, names ...string) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "Saoma test relay CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           ips,
		DNSNames:              names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return testCert{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pemFile: p, leaf: leaf}
}

// startTLSRelay runs a relay over HTTPS with cert.
func startTLSRelay(t *testing.T, cert testCert) string {
	t.Helper()
	tr := startRelay(t, nil)
	hs := httptest.NewUnstartedServer(tr.Handler())
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	hs.StartTLS()
	t.Cleanup(func() {
		tr.stop()
		hs.Close()
	})
	return hs.URL
}

// tlsFailures starts a client and returns the channel its OnTLSFailure
// reports to.
func tlsFailures(t *testing.T, url, caFile string) (*kioskClient, chan *TLSError) {
	t.Helper()
	failures := make(chan *TLSError, 16)
	kc := startClient(t, url, tokenK1, func(c *ClientConfig) {
		c.CAFile = caFile
		c.OnTLSFailure = func(err *TLSError) { failures <- err }
	})
	return kc, failures
}

func nextTLSFailure(t *testing.T, failures chan *TLSError) *TLSError {
	t.Helper()
	select {
	case te := <-failures:
		return te
	case <-time.After(10 * time.Second):
		t.Fatal("no TLS failure reported within 10 s")
		return nil
	}
}

func TestClientTLSFailures(t *testing.T) {
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	valid := selfSigned(t, now.Add(-time.Hour), now.Add(24*time.Hour), loopback)
	expired := selfSigned(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), loopback)
	otherName := selfSigned(t, now.Add(-time.Hour), now.Add(24*time.Hour), nil, "relay.example.com")
	cases := []struct {
		name   string
		cert   testCert
		trust  bool
		want   TLSProblem
		expiry time.Time
	}{
		{"a self-signed relay without ca_file is not trusted", valid, false, TLSUntrusted, time.Time{}},
		{"an expired certificate is reported as expired", expired, true, TLSExpired, expired.leaf.NotAfter},
		{"a certificate for another host name is reported as such", otherName, true, TLSHostname, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := startTLSRelay(t, c.cert)
			caFile := ""
			if c.trust {
				caFile = c.cert.pemFile
			}
			kc, failures := tlsFailures(t, url, caFile)
			te := nextTLSFailure(t, failures)
			if te.Problem != c.want || !te.NotAfter.Equal(c.expiry) {
				t.Errorf("got %v (NotAfter %v), want %v (NotAfter %v): %v", te.Problem, te.NotAfter, c.want, c.expiry, te)
			}
			if te.Err == nil || errors.Unwrap(te) != te.Err {
				t.Errorf("TLSError does not wrap its cause: %v", te)
			}
			if kc.Connected() || !kc.CertExpiry().IsZero() {
				t.Errorf("link up %v, cert expiry %v after a failed handshake", kc.Connected(), kc.CertExpiry())
			}
		})
	}
}

func TestClientTLSFailureIsReportedOncePerKind(t *testing.T) {
	now := time.Now()
	cert := selfSigned(t, now.Add(-time.Hour), now.Add(24*time.Hour), []net.IP{net.IPv4(127, 0, 0, 1)})
	url := startTLSRelay(t, cert)
	var attempts int
	failures := make(chan *TLSError, 16)
	logged := make(chan struct{}, 1000)
	kc := startClient(t, url, tokenK1, func(c *ClientConfig) {
		c.OnTLSFailure = func(err *TLSError) { failures <- err }
		c.Logger = slog.New(warnSignal{logged})
	})
	nextTLSFailure(t, failures)
	// Let several more attempts fail (each logs a warning), then check
	// nothing more was reported.
	for attempts < 3 {
		select {
		case <-logged:
			attempts++
		case <-time.After(10 * time.Second):
			t.Fatal("the client stopped retrying")
		}
	}
	kc.stop()
	if n := len(failures); n != 0 {
		t.Errorf("OnTLSFailure called %d more times for the same problem", n)
	}
}

func TestClientTrustsCAFileAndRecordsCertExpiry(t *testing.T) {
	now := time.Now()
	cert := selfSigned(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), []net.IP{net.IPv4(127, 0, 0, 1)})
	url := startTLSRelay(t, cert)
	kc, failures := tlsFailures(t, url, cert.pemFile)
	kc.waitLink(t, true)
	if got, want := kc.CertExpiry(), cert.leaf.NotAfter; !got.Equal(want) {
		t.Errorf("CertExpiry = %v, want %v", got, want)
	}
	if len(failures) != 0 {
		t.Errorf("TLS failure reported on a trusted link: %v", <-failures)
	}
}

func TestNewClientRefusesUnusableCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"a CA file without a PEM certificate is refused": notPEM,
		"a missing CA file is refused":                   filepath.Join(dir, "missing.pem"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(ClientConfig{URL: "https://relay.example.com", Token: "t", CAFile: path,
				OnNotification: func(_ context.Context, n Notification) error { return nil }})
			if err == nil {
				t.Fatal("NewClient accepted it")
			}
		})
	}
}

func TestClassifyTLSLeavesOtherErrorsAlone(t *testing.T) {
	for _, err := range []error{nil, errors.New("connection refused"), fmt.Errorf("dial: %w", &net.OpError{Op: "dial"})} {
		if te := classifyTLS(err); te != nil {
			t.Errorf("classifyTLS(%v) = %v, want nil", err, te)
		}
	}
}

// warnSignal is a slog handler that signals every WARN record.
type warnSignal struct{ c chan<- struct{} }

func (h warnSignal) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h warnSignal) Handle(context.Context, slog.Record) error {
	select {
	case h.c <- struct{}{}:
	default:
	}
	return nil
}
func (h warnSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnSignal) WithGroup(string) slog.Handler      { return h }

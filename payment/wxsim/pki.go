package wxsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// pki is the simulator's small certificate authority: one CA that signs the
// TLS server certificate and the merchant's API client certificate
// (apiclient_cert), the way WeChat Pay's CA issues merchant certificates.
type pki struct {
	caCert     *x509.Certificate
	caPEM      []byte
	server     tls.Certificate
	clientCert *x509.Certificate
	clientKey  *ecdsa.PrivateKey
	clientPEM  []byte // certificate then PKCS#8 key, PEM
	p12        []byte // password: the merchant id
}

const pkiMetaKey = "pki"

// newPKI loads the CA and certificates from pemData (as produced by
// encode) or, when it is empty, generates fresh ones for mchID.
func newPKI(pemData []byte, mchID string, now time.Time) (*pki, error) {
	if len(pemData) > 0 {
		p, err := decodePKI(pemData, mchID)
		if err == nil && now.Before(p.clientCert.NotAfter) {
			return p, nil
		}
	}
	return generatePKI(mchID, now)
}

func generatePKI(mchID string, now time.Time) (*pki, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("wxsim: CA key: %w", err)
	}
	notBefore, notAfter := now.Add(-time.Hour), now.AddDate(10, 0, 0)
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Saoma WeChat Pay simulator CA", Organization: []string{"Saoma"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("wxsim: CA certificate: %w", err)
	}
	caCert, _ := x509.ParseCertificate(caDER)

	leaf := func(tmpl *x509.Certificate) ([]byte, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl.SerialNumber = serial()
		tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		return der, key, err
	}
	srvDER, srvKey, err := leaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "api.mch.weixin.qq.com (simulated)"},
		DNSNames:    []string{"localhost", "api.mch.weixin.qq.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("wxsim: server certificate: %w", err)
	}
	cliDER, cliKey, err := leaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: mchID, Organization: []string{"微信商户系统 (simulated)"}, OrganizationalUnit: []string{mchID}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("wxsim: client certificate: %w", err)
	}
	var all []byte
	all = append(all, pemBlock("CERTIFICATE", caDER)...)
	all = append(all, pemBlock("CERTIFICATE", srvDER)...)
	srvKeyDER, _ := x509.MarshalPKCS8PrivateKey(srvKey)
	all = append(all, pemBlock("PRIVATE KEY", srvKeyDER)...)
	all = append(all, pemBlock("CERTIFICATE", cliDER)...)
	cliKeyDER, _ := x509.MarshalPKCS8PrivateKey(cliKey)
	all = append(all, pemBlock("PRIVATE KEY", cliKeyDER)...)
	return decodePKI(all, mchID)
}

// decodePKI parses the PEM bundle CA cert, server cert, server key, client
// cert, client key.
func decodePKI(data []byte, mchID string) (*pki, error) {
	var blocks []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) != 5 {
		return nil, fmt.Errorf("wxsim: certificate bundle has %d blocks, want 5", len(blocks))
	}
	p := &pki{}
	var err error
	if p.caCert, err = x509.ParseCertificate(blocks[0].Bytes); err != nil {
		return nil, fmt.Errorf("wxsim: CA certificate: %w", err)
	}
	p.caPEM = pem.EncodeToMemory(blocks[0])
	p.server, err = tls.X509KeyPair(append(pem.EncodeToMemory(blocks[1]), pem.EncodeToMemory(blocks[0])...), pem.EncodeToMemory(blocks[2]))
	if err != nil {
		return nil, fmt.Errorf("wxsim: server key pair: %w", err)
	}
	if p.clientCert, err = x509.ParseCertificate(blocks[3].Bytes); err != nil {
		return nil, fmt.Errorf("wxsim: client certificate: %w", err)
	}
	if p.clientCert.Subject.CommonName != mchID {
		return nil, fmt.Errorf("wxsim: stored client certificate is for merchant %q", p.clientCert.Subject.CommonName)
	}
	k, err := x509.ParsePKCS8PrivateKey(blocks[4].Bytes)
	if err != nil {
		return nil, fmt.Errorf("wxsim: client key: %w", err)
	}
	ck, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("wxsim: client key is %T", k)
	}
	p.clientKey = ck
	p.clientPEM = append(pem.EncodeToMemory(blocks[3]), pem.EncodeToMemory(blocks[4])...)
	p.p12, err = pkcs12.Legacy.Encode(ck, p.clientCert, []*x509.Certificate{p.caCert}, mchID)
	if err != nil {
		return nil, fmt.Errorf("wxsim: encode PKCS#12: %w", err)
	}
	return p, nil
}

func (p *pki) encode() []byte {
	var out []byte
	out = append(out, p.caPEM...)
	for _, der := range p.server.Certificate[:1] {
		out = append(out, pemBlock("CERTIFICATE", der)...)
	}
	srvKeyDER, _ := x509.MarshalPKCS8PrivateKey(p.server.PrivateKey)
	out = append(out, pemBlock("PRIVATE KEY", srvKeyDER)...)
	out = append(out, p.clientPEM...)
	return out
}

func (p *pki) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	return pool
}

// serverTLS is the TLS configuration of the simulator's HTTPS listener: a
// client certificate is requested and, when sent, verified against the CA;
// /secapi/ handlers then insist on one for the merchant.
func (p *pki) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{p.server},
		ClientCAs:    p.pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic("wxsim: crypto/rand failed: " + err.Error())
	}
	return n
}

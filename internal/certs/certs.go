// Package certs makes a private certificate authority and the certificates it signs, for the
// embedded broker (`cxstar broker --tls-generate`), laptops and tests. Keys are ECDSA P-256;
// files are PEM. Production uses the operator's own CA instead.
package certs

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
	"os"
	"path/filepath"
	"time"
)

// CA is a private certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

// NewCA returns a new self-signed CA named name, valid for ten years.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("certs: sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse CA: %w", err)
	}
	return &CA{Cert: cert, key: key, der: der}, nil
}

// PEM returns the CA certificate in PEM, the content of a CA file.
func (ca *CA) PEM() []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der}) }

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue signs a certificate for name, valid for two years: a server certificate for hosts (IP
// addresses or DNS names) when hosts is not empty, a client certificate otherwise. It returns the
// certificate and its key in PEM.
func (ca *CA) Issue(name string, hosts ...string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if len(hosts) > 0 {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: sign %s: %w", name, err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: encode key of %s: %w", name, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// IssueTLS is Issue returning a tls.Certificate.
func (ca *CA) IssueTLS(name string, hosts ...string) (tls.Certificate, error) {
	c, k, err := ca.Issue(name, hosts...)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(c, k)
}

// Files names the PEM files written by WriteDir.
type Files struct {
	CA         string // ca.pem: what clients trust
	ServerCert string // server.pem, for 127.0.0.1 and localhost
	ServerKey  string // server-key.pem
	ClientCert string // client.pem, for mutual TLS
	ClientKey  string // client-key.pem
}

// InDir returns the names of the files WriteDir writes into dir.
func InDir(dir string) Files {
	return Files{CA: filepath.Join(dir, "ca.pem"), ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey: filepath.Join(dir, "server-key.pem"), ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey: filepath.Join(dir, "client-key.pem")}
}

// WriteDir makes a CA, a server certificate for hosts (default 127.0.0.1 and localhost) and a
// client certificate, and writes them into dir (created when missing; keys mode 0600). When
// dir already holds all the files it keeps them, so clients configured with the CA stay valid.
func WriteDir(dir string, hosts ...string) (Files, error) {
	f := InDir(dir)
	if exists(f.CA, f.ServerCert, f.ServerKey, f.ClientCert, f.ClientKey) {
		return f, nil
	}
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, fmt.Errorf("certs: create %s: %w", dir, err)
	}
	ca, err := NewCA("cxstar private CA")
	if err != nil {
		return f, err
	}
	sc, sk, err := ca.Issue(hosts[0], hosts...)
	if err != nil {
		return f, err
	}
	cc, ck, err := ca.Issue("cxstar-client")
	if err != nil {
		return f, err
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{f.CA, ca.PEM(), 0o644}, {f.ServerCert, sc, 0o644}, {f.ServerKey, sk, 0o600}, {f.ClientCert, cc, 0o644}, {f.ClientKey, ck, 0o600}} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return f, fmt.Errorf("certs: write %s: %w", w.path, err)
		}
	}
	return f, nil
}

func exists(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

func TestWriteDirVerifies(t *testing.T) {
	dir := t.TempDir()
	f, err := WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(f.CA)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	other, err := NewCA("someone else")
	if err != nil {
		t.Fatal(err)
	}
	server := load(t, f.ServerCert, f.ServerKey)
	client := load(t, f.ClientCert, f.ClientKey)
	cases := []struct {
		name  string
		cert  *x509.Certificate
		roots *x509.CertPool
		host  string
		usage x509.ExtKeyUsage
		ok    bool
	}{
		{"server by IP", server, roots, "127.0.0.1", x509.ExtKeyUsageServerAuth, true},
		{"server by name", server, roots, "localhost", x509.ExtKeyUsageServerAuth, true},
		{"server, other host", server, roots, "kafka.example", x509.ExtKeyUsageServerAuth, false},
		{"server, other CA", server, other.Pool(), "127.0.0.1", x509.ExtKeyUsageServerAuth, false},
		{"client", client, roots, "", x509.ExtKeyUsageClientAuth, true},
		{"client used as server", client, roots, "", x509.ExtKeyUsageServerAuth, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.cert.Verify(x509.VerifyOptions{Roots: c.roots, DNSName: c.host, KeyUsages: []x509.ExtKeyUsage{c.usage}})
			if (err == nil) != c.ok {
				t.Errorf("Verify: %v, want ok=%v", err, c.ok)
			}
		})
	}
	// A second call keeps the files.
	before, _ := os.ReadFile(f.ServerCert)
	if _, err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(f.ServerCert)
	if string(before) != string(after) {
		t.Error("WriteDir replaced existing certificates")
	}
	if st, _ := os.Stat(f.ServerKey); st.Mode().Perm() != 0o600 {
		t.Errorf("server key mode %v, want 0600", st.Mode().Perm())
	}
}

func load(t *testing.T, cert, key string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cert)
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || len(pair.Certificate) != 1 {
		t.Fatal(err)
	}
	return c
}

// Package tlstest gives a test server TLS settings from a fresh private CA, as the embedded Kafka
// broker of the ingest and client-security tests uses them.
package tlstest

import (
	"crypto/tls"
	"testing"

	"github.com/cxstar/cxstar/internal/certs"
)

// Server writes a fresh CA, a server certificate for 127.0.0.1 and localhost and a client
// certificate into dir (certs.WriteDir) and returns the server's TLS settings (TLS 1.2 or later)
// and the files, whose CA clients trust.
func Server(t testing.TB, dir string) (*tls.Config, certs.Files) {
	t.Helper()
	f, err := certs.WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, f
}

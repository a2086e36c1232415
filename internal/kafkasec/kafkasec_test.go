package kafkasec_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/certs"
	"github.com/cxstar/cxstar/internal/kafkasec"
	"github.com/cxstar/cxstar/internal/testkit/tlstest"
)

const password = "scram-pw-7fe1"

// secureBroker starts an embedded broker with TLS (certificates of a fresh CA in dir) and a SASL
// user "ingest" for every mechanism; with mtls it also requires a client certificate of the CA.
func secureBroker(t *testing.T, dir string, mtls bool) (*broker.Broker, certs.Files) {
	t.Helper()
	cfg, f := tlstest.Server(t, dir)
	if mtls {
		ca, _ := os.ReadFile(f.CA)
		cfg.ClientCAs = poolOf(t, ca)
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	b, err := broker.Start(broker.WithPort(0), broker.WithPartitions(1), broker.WithTopics("t"),
		broker.WithTLS(cfg), broker.WithSASL(broker.User{Name: "ingest", Password: password}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, f
}

// TestSecureRoundTrip produces and consumes through brokers with TLS, mutual TLS and SASL, and
// checks that each wrong setting is refused with a message saying what to change.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestSecureRoundTrip(t *testing.T) {
	dir := t.TempDir()
	b, f := secureBroker(t, filepath.Join(dir, "tls"), false)
	plainB, err := broker.Start(broker.WithPort(0), broker.WithPartitions(1), broker.WithTopics("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer plainB.Close()
	mb, mf := secureBroker(t, filepath.Join(dir, "mtls"), true)
	other, err := certs.NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(dir, "other-ca.pem")
	pwFile := filepath.Join(dir, "pw")
	for path, b := range map[string][]byte{otherCA: other.PEM(), pwFile: []byte(password + "\n")} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ok := kafkasec.Config{CAFile: f.CA, SASLMechanism: "SCRAM-SHA-512", Username: "ingest", PasswordFile: pwFile}
	with := func(mod func(*kafkasec.Config)) kafkasec.Config { c := ok; mod(&c); return c }
	cases := []struct {
		name    string
		addr    string
		cfg     kafkasec.Config
		wantErr string // "" means a message goes through
	}{
		{"SCRAM-SHA-512 over TLS, password file", b.Addr(), ok, ""},
		{"SCRAM-SHA-256, password given", b.Addr(), with(func(c *kafkasec.Config) {
			c.SASLMechanism, c.Password, c.PasswordFile = "scram-sha-256", password, ""
		}), ""},
		{"PLAIN over TLS", b.Addr(), with(func(c *kafkasec.Config) { c.SASLMechanism = "PLAIN" }), ""},
		{"skip verify", b.Addr(), with(func(c *kafkasec.Config) { c.CAFile, c.InsecureSkipVerify = "", true }), ""},
		{"mutual TLS", mb.Addr(), with(func(c *kafkasec.Config) { c.CAFile, c.CertFile, c.KeyFile = mf.CA, mf.ClientCert, mf.ClientKey }), ""},
		{"plaintext broker", plainB.Addr(), kafkasec.Config{}, ""},
		{"wrong password", b.Addr(), with(func(c *kafkasec.Config) { c.Password, c.PasswordFile = "wrong-pw-0a1b", "" }), "refused the SASL login"},
		{"unknown user", b.Addr(), with(func(c *kafkasec.Config) { c.Username = "nobody" }), "refused the SASL login"},
		{"untrusted CA", b.Addr(), with(func(c *kafkasec.Config) { c.CAFile = otherCA }), "not signed by a trusted CA"},
		{"system roots", b.Addr(), with(func(c *kafkasec.Config) { c.CAFile, c.TLS = "", true }), "not signed by a trusted CA"},
		{"name not in the certificate", b.Addr(), with(func(c *kafkasec.Config) { c.ServerName = "kafka.example" }), "does not name the address"},
		{"no TLS to a TLS broker", b.Addr(), with(func(c *kafkasec.Config) { c.CAFile = "" }), "closed the connection at once"},
		{"TLS to a plaintext broker", plainB.Addr(), with(func(c *kafkasec.Config) { c.DialTimeout = 2 * time.Second }), "did not complete the TLS handshake"},
		{"no client certificate for mutual TLS", mb.Addr(), with(func(c *kafkasec.Config) { c.CAFile = mf.CA }), "client certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			d, err := tc.cfg.Dialer()
			if err != nil {
				t.Fatal(err)
			}
			err = kafkasec.Check(ctx, d, []string{tc.addr})
			if tc.wantErr != "" {
				var se *kafkasec.SettingsError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Check = %v; want an error containing %q", err, tc.wantErr)
				}
				// A broker that does not answer may be slow: only that case is left to retries.
				if permanent := !strings.Contains(tc.wantErr, "did not complete"); errors.As(err, &se) != permanent {
					t.Errorf("SettingsError: %v, want %v", !permanent, permanent)
				}
				if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "wrong-pw-0a1b") {
					t.Errorf("the error shows a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			tr, err := tc.cfg.Transport()
			if err != nil {
				t.Fatal(err)
			}
			w := &kafka.Writer{Addr: kafka.TCP(tc.addr), Topic: "t", Transport: tr, RequiredAcks: kafka.RequireAll}
			val := []byte(tc.name)
			if err := w.WriteMessages(ctx, kafka.Message{Value: val}); err != nil {
				t.Fatalf("write: %v", err)
			}
			w.Close()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{tc.addr}, Topic: "t", Dialer: d, MaxWait: 100 * time.Millisecond})
			defer r.Close()
			found := false
			for !found {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					t.Fatalf("read back: %v", err)
				}
				found = string(m.Value) == tc.name
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  kafkasec.Config
		want string
	}{
		{"user without mechanism", kafkasec.Config{Username: "u"}, "no mechanism"},
		{"mechanism without password", kafkasec.Config{SASLMechanism: "SCRAM-SHA-512", Username: "u"}, "needs a user"},
		{"unknown mechanism", kafkasec.Config{SASLMechanism: "GSSAPI", Username: "u", Password: "p"}, "unknown Kafka SASL mechanism"},
		{"cert without key", kafkasec.Config{CertFile: "c.pem"}, "go together"},
		{"missing CA file", kafkasec.Config{CAFile: "/nonexistent/ca.pem"}, "read the Kafka CA file"},
		{"missing password file", kafkasec.Config{SASLMechanism: "PLAIN", Username: "u", PasswordFile: "/nonexistent/pw"}, "password file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.Dialer()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dialer() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func poolOf(t *testing.T, pem []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in PEM")
	}
	return p
}

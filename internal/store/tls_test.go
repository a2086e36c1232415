package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/certs"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// TestOpenTLS connects to the secure private 18.16 server (tcp_port_secure only, private CA) with
// the settings an operator would give, and checks that each wrong setting is refused with a
// message saying what to change — and never showing the password.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestOpenTLS(t *testing.T) {
	srv, err := chtest.UpTLS()
	if err != nil {
		t.Fatal(err)
	}
	password, err := os.ReadFile(srv.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	other, err := certs.NewCA("untrusted CA")
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(dir, "other-ca.pem")
	foreignCert, foreignKey := filepath.Join(dir, "foreign.pem"), filepath.Join(dir, "foreign-key.pem")
	c, k, err := other.Issue("foreign-client")
	if err != nil {
		t.Fatal(err)
	}
	write(t, otherCA, other.PEM())
	write(t, foreignCert, c)
	write(t, foreignKey, k)
	wrongPW := filepath.Join(dir, "wrong-password")
	write(t, wrongPW, []byte("not-the-password-17\n"))
	plainAddr := chtest.Addr()
	if err := chtest.Up(); err != nil {
		t.Fatal(err)
	}

	base := "clickhouse://" + srv.User + "@" + srv.Addr + "/default?secure=true"
	cases := []struct {
		name    string
		dsn     string
		wantErr string // "" means the connection works
	}{
		{"CA file and password file", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + srv.PasswordFile, ""},
		{"password in the DSN", "clickhouse://" + srv.User + ":" + strings.TrimSpace(string(password)) + "@" + srv.Addr + "/default?secure=true&tls_ca_file=" + srv.CAFile, ""},
		{"client certificate of the CA", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + srv.PasswordFile +
			"&tls_cert_file=" + srv.CertFile + "&tls_key_file=" + srv.KeyFile, ""},
		{"server name given", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + srv.PasswordFile + "&tls_server_name=localhost", ""},
		{"wrong CA", base + "&tls_ca_file=" + otherCA + "&password_file=" + srv.PasswordFile, "not signed by a trusted CA"},
		{"system roots only", base + "&password_file=" + srv.PasswordFile, "not signed by a trusted CA"},
		{"server name not in the certificate", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + srv.PasswordFile + "&tls_server_name=ch.example", "does not name the address"},
		{"client certificate of another CA", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + srv.PasswordFile +
			"&tls_cert_file=" + foreignCert + "&tls_key_file=" + foreignKey, "refused the client certificate"},
		{"wrong password", base + "&tls_ca_file=" + srv.CAFile + "&password_file=" + wrongPW, "refused the user or password"},
		{"TLS to the plain port", "clickhouse://" + plainAddr + "/default?secure=true&tls_ca_file=" + srv.CAFile, "does not speak TLS"},
		{"plaintext to the TLS port", "clickhouse://" + srv.User + "@" + srv.Addr + "/default?password_file=" + srv.PasswordFile, "add secure=true"},
		{"CA file without secure", "clickhouse://" + srv.Addr + "/default?tls_ca_file=" + srv.CAFile, "without secure=true"},
		{"certificate without key", base + "&tls_ca_file=" + srv.CAFile + "&tls_cert_file=" + srv.CertFile, "go together"},
		{"missing CA file", base + "&tls_ca_file=" + filepath.Join(dir, "nope.pem"), "read the ClickHouse CA file"},
		{"password twice", "clickhouse://u:pw-twice-17@" + srv.Addr + "/default?secure=true&password_file=" + srv.PasswordFile, "give the password once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			conn, err := store.Open(ctx, tc.dsn)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer conn.Close()
				var user string
				if err := conn.QueryRow(ctx, "SELECT user FROM system.processes WHERE query LIKE 'SELECT user FROM system.processes%'").Scan(&user); err != nil {
					t.Fatal(err)
				}
				if user != srv.User {
					t.Errorf("connected as %q, want %q", user, srv.User)
				}
				return
			}
			if err == nil {
				conn.Close()
				t.Fatalf("Open worked, want an error containing %q", tc.wantErr)
			}
			msg := err.Error()
			if permanent := tc.name != "client certificate of another CA" && tc.name != "plaintext to the TLS port"; store.IsSettingsError(err) != permanent {
				t.Errorf("IsSettingsError = %v, want %v (a service retries only what may heal)", !permanent, permanent)
			}
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error %q does not contain %q", msg, tc.wantErr)
			}
			for _, pw := range []string{strings.TrimSpace(string(password)), "not-the-password-17", "pw-twice-17"} {
				if strings.Contains(msg, pw) {
					t.Errorf("error shows a password: %q", msg)
				}
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

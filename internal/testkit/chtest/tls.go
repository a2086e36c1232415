package chtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
)

// TLSServer describes the secure private server of `CXSTAR_CH_TLS=1 scripts/clickhouse.sh up`:
// a separate 18.16 instance that serves the native protocol only over TLS, with certificates of
// its own private CA.
type TLSServer struct {
	Addr         string // 127.0.0.1:port of tcp_port_secure
	Dir          string // the server's directory; certificates in Dir/tls
	User         string // a user with a password
	PasswordFile string // that user's password
	CAFile       string // the CA that signed the server's and the client's certificates
	CertFile     string // a client certificate of the CA
	KeyFile      string // its key
}

// DSN returns a DSN of database db on the server: secure=true, the server's CA and the user's
// password file, plus extra parameters ("k=v&…", may be empty).
func (s TLSServer) DSN(db, extra string) string {
	dsn := fmt.Sprintf("clickhouse://%s@%s/%s?secure=true&%s=%s&%s=%s", s.User, s.Addr, db,
		store.ParamCAFile, s.CAFile, store.ParamPasswordFile, s.PasswordFile)
	if extra != "" {
		dsn += "&" + extra
	}
	return dsn
}

var (
	tlsOnce sync.Once
	tlsSrv  TLSServer
	tlsErr  error
)

// UpTLS starts the secure private server (once per test process; it keeps running for the next
// tests) and describes it. CXSTAR_CH_TLS_DIR and CXSTAR_CH_TLS_PORT choose its directory and port
// (defaults: $HOME/.cache/cxstar/clickhouse-tls, 19440).
func UpTLS() (TLSServer, error) {
	tlsOnce.Do(func() {
		dir := os.Getenv("CXSTAR_CH_TLS_DIR")
		if dir == "" {
			home, _ := os.UserHomeDir()
			dir = filepath.Join(home, ".cache", "cxstar", "clickhouse-tls")
		}
		port := os.Getenv("CXSTAR_CH_TLS_PORT")
		if port == "" {
			port = "19440"
		}
		cmd := exec.Command("bash", filepath.Join(RepoRoot(), "scripts", "clickhouse.sh"), "up")
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CXSTAR_CH_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "CXSTAR_CH_TLS=1", "CXSTAR_CH_DIR="+dir, "CXSTAR_CH_TLS_PORT="+port)
		out, err := cmd.CombinedOutput()
		if err != nil {
			tlsErr = fmt.Errorf("start the secure ClickHouse with CXSTAR_CH_TLS=1 scripts/clickhouse.sh up (needs clickhouse-server and openssl): %w\n%s", err, out)
			return
		}
		t := filepath.Join(dir, "tls")
		tlsSrv = TLSServer{Addr: "127.0.0.1:" + port, Dir: dir, User: "cxstar", PasswordFile: filepath.Join(t, "password"),
			CAFile: filepath.Join(t, "ca.pem"), CertFile: filepath.Join(t, "client.pem"), KeyFile: filepath.Join(t, "client-key.pem")}
	})
	return tlsSrv, tlsErr
}

// TLSDB is DB on the secure server: a fresh, migrated database reached over TLS, dropped when the
// test ends. It returns the connection, the database's DSN and the server.
func TLSDB(t testing.TB) (driver.Conn, string, TLSServer) {
	t.Helper()
	srv, err := UpTLS()
	if err != nil {
		t.Fatalf("the secure ClickHouse is required for this test: %v", err)
	}
	name := DBName(t, "t")
	dsn := srv.DSN(name, "")
	return migrated(t, dsn, name, " over TLS"), dsn, srv
}

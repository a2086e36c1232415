// Package grafanatest gives tests a real Grafana server (10.0, backend/HTTP API only, with the
// grafana-clickhouse-datasource plugin) built and started by scripts/grafana.sh.
//
// Tests that call Start fail, never skip, when Grafana cannot be built or started: CI must run
// them. The first run on a machine builds Grafana from the Go module proxy (~5.5 min, ~4.4 GB);
// later runs reuse the cached binary and start in a few seconds.
package grafanatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running Grafana and its admin credentials.
type Server struct {
	URL, User, Password string
}

var (
	upOnce sync.Once
	upSrv  Server
	upErr  error
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Up builds (when not cached) and starts Grafana with scripts/grafana.sh up, once per test
// process, and returns its URL and admin credentials, or an error saying what to do.
func Up() (Server, error) {
	upOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "grafana.sh"), "up")
		out, err := cmd.CombinedOutput()
		if err != nil {
			upErr = fmt.Errorf("start Grafana with scripts/grafana.sh up (first build needs the Go module proxy, ~5.5 min and ~4.4 GB): %w\n%s", err, out)
			return
		}
		upSrv = Server{
			URL:      "http://127.0.0.1:" + env("CXSTAR_GRAFANA_PORT", "13000"),
			User:     env("CXSTAR_GRAFANA_USER", "admin"),
			Password: env("CXSTAR_GRAFANA_PASSWORD", "cxstar-admin"),
		}
	})
	return upSrv, upErr
}

// Start returns the running Grafana, failing the test when it cannot be started.
func Start(t testing.TB) Server {
	t.Helper()
	s, err := Up()
	if err != nil {
		t.Fatalf("Grafana is required for this test: %v", err)
	}
	return s
}

// Call sends an HTTP request to the Grafana API as user:password (admin when user is empty),
// in organization orgID when not 0, with body marshalled as JSON when not nil. It returns the
// status code and the response body.
func (s Server) Call(method, path, user, password string, orgID int64, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, strings.TrimRight(s.URL, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if user == "" {
		user, password = s.User, s.Password
	}
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json")
	if orgID != 0 {
		req.Header.Set("X-Grafana-Org-Id", strconv.FormatInt(orgID, 10))
	}
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// MustCall is Call that fails the test on a transport error or when the status is not want
// (want 0 accepts any status).
func (s Server) MustCall(t testing.TB, want int, method, path, user, password string, orgID int64, body any) []byte {
	t.Helper()
	code, b, err := s.Call(method, path, user, password, orgID, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if want != 0 && code != want {
		t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, code, want, b)
	}
	return b
}

// StartPrivate starts a second, private Grafana (own state folder and port, same cached build)
// with extra environment variables (e.g. for provisioning files placed in
// state/provisioning before it starts), and stops it when the test ends. prepare, when not nil,
// runs with the state folder before the server starts.
func StartPrivate(t testing.TB, env map[string]string, prepare func(state string)) Server {
	t.Helper()
	if _, err := Up(); err != nil { // builds when needed
		t.Fatalf("Grafana is required for this test: %v", err)
	}
	state := t.TempDir()
	if prepare != nil {
		prepare(state)
	}
	port := freePort(t)
	script := filepath.Join(repoRoot(), "scripts", "grafana.sh")
	vars := append(os.Environ(), "CXSTAR_GRAFANA_STATE="+state, "CXSTAR_GRAFANA_PORT="+strconv.Itoa(port))
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command("bash", script, "up")
	cmd.Env = vars
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start a private Grafana: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		down := exec.Command("bash", script, "down")
		down.Env = vars
		_ = down.Run()
	})
	return Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), User: env2(env, "CXSTAR_GRAFANA_USER", "admin"), Password: env2(env, "CXSTAR_GRAFANA_PASSWORD", "cxstar-admin")}
}

func env2(m map[string]string, name, def string) string {
	if v, ok := m[name]; ok {
		return v
	}
	return env(name, def)
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Package plugintest runs the backend of the ClickHouse datasource plugin for Grafana
// (github.com/grafana/clickhouse-datasource v1.1.2, built by scripts/chplugin.sh) as a separate
// process in its standalone gRPC mode, and sends it queries the way Grafana does: a datasource's
// settings JSON and decrypted secure JSON, plus the panel target's JSON and the time range.
//
// No Grafana server takes part: the plugin's answers (Arrow frames, the error text, the SQL after
// its macro expansion) are what a Grafana server would get from the same plugin. The plugin's Go
// packages are never imported (its clickhouse-go v1 and the project's v2 both register the
// database/sql driver "clickhouse"); the two processes talk through
// github.com/grafana/grafana-plugin-sdk-go's protocol types.
//
// Start fails the test, never skips it, when the plugin cannot be built or started.
package plugintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// PluginID is the id the plugin registers under; its standalone address is read from
// GF_PLUGIN_GRPC_ADDRESS_GRAFANA_CLICKHOUSE_DATASOURCE.
const PluginID = "grafana-clickhouse-datasource"

const addrEnv = "GF_PLUGIN_GRPC_ADDRESS_GRAFANA_CLICKHOUSE_DATASOURCE"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Binary builds the plugin with scripts/chplugin.sh (once per process; the script reuses its
// cached binary) and returns the path of the cached binary, or an error saying what to do.
func Binary() (string, error) {
	buildOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "chplugin.sh"), "build")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			buildErr = fmt.Errorf("build the ClickHouse datasource plugin with scripts/chplugin.sh build (needs the Go module proxy the first time): %w\n%s", err, stderr.String())
			return
		}
		buildPath = strings.TrimSpace(string(out))
	})
	return buildPath, buildErr
}

// Plugin is a running private copy of the plugin's backend.
type Plugin struct {
	// Addr is the plugin's gRPC address (127.0.0.1:port).
	Addr string
	// Log is the file the plugin's output goes to.
	Log string

	cmd  *exec.Cmd
	conn *grpc.ClientConn
	data pluginv2.DataClient
}

// Start builds the plugin when needed, copies the binary into a temporary folder (standalone
// mode writes standalone.txt beside the binary), starts it with -standalone on a free port of
// 127.0.0.1 and connects to it. The process is stopped when the test ends. Start fails the test
// when any of this does not work.
func Start(t testing.TB) *Plugin {
	t.Helper()
	p, err := start(t.TempDir())
	if err != nil {
		t.Fatalf("the ClickHouse datasource plugin is required for this test: %v", err)
	}
	t.Cleanup(p.stop)
	return p
}

func start(dir string) (*Plugin, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	priv := filepath.Join(dir, filepath.Base(bin))
	if err := copyFile(bin, priv); err != nil {
		return nil, fmt.Errorf("copy the plugin binary: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(dir, "plugin.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(priv, "-standalone")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), addrEnv+"="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s -standalone: %w", priv, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case werr := <-exited:
			return nil, fmt.Errorf("the plugin exited before listening on %s (%v); its output:\n%s", addr, werr, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("the plugin did not listen on %s within 30 s; its output:\n%s", addr, tail(logPath))
		}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("connect to the plugin on %s: %w", addr, err)
	}
	return &Plugin{Addr: addr, Log: logPath, cmd: cmd, conn: conn, data: pluginv2.NewDataClient(conn)}, nil
}

func (p *Plugin) stop() {
	_ = p.conn.Close()
	_ = p.cmd.Process.Kill()
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Datasource is one datasource as Grafana hands it to the plugin: the jsonData it stores and the
// secureJsonData it decrypts for the plugin (the ClickHouse password).
type Datasource struct {
	// UID and Name of the datasource; informational for the plugin.
	UID, Name string
	// JSONData is the datasource's jsonData (server, port, username, defaultDatabase, …).
	JSONData map[string]any
	// SecureJSONData holds the decrypted secure fields, e.g. "password".
	SecureJSONData map[string]string
}

// Query is one query of a panel.
type Query struct {
	// Target is the query's JSON as Grafana sends it (the panel target, variables replaced);
	// when nil it is built from RefID, SQL and Format.
	Target json.RawMessage
	// RefID, SQL and Format build the target when Target is nil. RefID defaults to "A".
	RefID  string
	SQL    string
	Format int
	// From and To are the dashboard's time range.
	From, To time.Time
	// Interval is the panel's interval ($__interval_s). Default: one hour.
	Interval time.Duration
	// MaxDataPoints defaults to 1000.
	MaxDataPoints int64
}

// Result is the plugin's answer to one query.
type Result struct {
	// Frames are the decoded Arrow frames.
	Frames data.Frames
	// Error is the plugin's error text for the query ("" when none).
	Error string
	// Executed is the SQL the plugin sent to ClickHouse (frame.Meta.ExecutedQueryString of the
	// first frame that has it).
	Executed string
}

// Rows counts the rows of every frame.
func (r Result) Rows() int {
	n := 0
	for _, f := range r.Frames {
		n += f.Rows()
	}
	return n
}

// instanceID gives each distinct datasource configuration its own datasource id: the plugin
// caches one connection pool per id, as Grafana's datasource ids would be.
func instanceID(js []byte, secure map[string]string) int64 {
	h := sha256.New()
	h.Write(js)
	keys := make([]string, 0, len(secure))
	for k := range secure {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k + "=" + secure[k]))
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)) >> 2)
}

// Query sends q to the plugin through ds, as organization 1's Grafana would, and returns the
// decoded answer. An error means the call itself failed (transport, undecodable frames); the
// plugin's query error is in Result.Error.
func (p *Plugin) Query(ctx context.Context, ds Datasource, q Query) (Result, error) {
	js, err := json.Marshal(ds.JSONData)
	if err != nil {
		return Result{}, fmt.Errorf("marshal datasource jsonData: %w", err)
	}
	refID := q.RefID
	if refID == "" {
		refID = "A"
	}
	target := q.Target
	if target == nil {
		if target, err = json.Marshal(map[string]any{"refId": refID, "rawSql": q.SQL, "format": q.Format}); err != nil {
			return Result{}, err
		}
	} else {
		var t struct {
			RefID string `json:"refId"`
		}
		if err := json.Unmarshal(target, &t); err != nil {
			return Result{}, fmt.Errorf("query target is not JSON: %w", err)
		}
		if t.RefID != "" {
			refID = t.RefID
		}
	}
	interval, maxPoints := q.Interval, q.MaxDataPoints
	if interval == 0 {
		interval = time.Hour
	}
	if maxPoints == 0 {
		maxPoints = 1000
	}
	req := &pluginv2.QueryDataRequest{
		PluginContext: &pluginv2.PluginContext{
			OrgId:    1,
			PluginId: PluginID,
			DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
				Id: instanceID(js, ds.SecureJSONData), Uid: ds.UID, Name: ds.Name,
				JsonData: js, DecryptedSecureJsonData: ds.SecureJSONData, LastUpdatedMS: 1,
			},
		},
		Queries: []*pluginv2.DataQuery{{
			RefId: refID, MaxDataPoints: maxPoints, IntervalMS: interval.Milliseconds(),
			TimeRange: &pluginv2.TimeRange{FromEpochMS: q.From.UnixMilli(), ToEpochMS: q.To.UnixMilli()},
			Json:      target,
		}},
	}
	resp, err := p.data.QueryData(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("QueryData on the plugin at %s (its log: %s): %w", p.Addr, p.Log, err)
	}
	dr, ok := resp.Responses[refID]
	if !ok {
		return Result{}, fmt.Errorf("the plugin answered no result for refId %s", refID)
	}
	res := Result{Error: dr.Error}
	if len(dr.Frames) > 0 {
		if res.Frames, err = data.UnmarshalArrowFrames(dr.Frames); err != nil {
			return res, fmt.Errorf("decode the plugin's Arrow frames: %w", err)
		}
	}
	for _, f := range res.Frames {
		if f.Meta != nil && f.Meta.ExecutedQueryString != "" {
			res.Executed = f.Meta.ExecutedQueryString
			break
		}
	}
	return res, nil
}

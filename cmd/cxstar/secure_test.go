package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/certs"
	"github.com/cxstar/cxstar/internal/kafkasec"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/freeport"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cxstarBinary builds the command once per test process.
func cxstarBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cxstar-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "cxstar")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// secretRun is one run of the binary: what it printed, and the secrets it must not show.
type secretRun struct {
	name           string
	stdout, stderr bytes.Buffer
	err            error
}

// cleanEnv is the environment without CXSTAR_ variables, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CXSTAR_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func runBin(t *testing.T, ctx context.Context, name string, env []string, args ...string) *secretRun {
	t.Helper()
	r := &secretRun{name: name}
	cmd := exec.CommandContext(ctx, cxstarBinary(t), args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &r.stdout, &r.stderr
	r.err = cmd.Run()
	return r
}

// assertNoSecret fails when any of secrets appears in text.
func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", where, s, text)
		}
	}
}

// TestSecureCommandsOverTLS runs the commands as an operator would against a ClickHouse that
// speaks TLS only (private CA, a user with a password) and an embedded broker with TLS and
// SCRAM-SHA-512: backfill, registry import, assess, report and export work over TLS, and assess
// gives the same indicators as the same files on the plain server; simulate publishes over TLS + SCRAM; a wrong CA is
// refused with what to change. No run shows a password on stdout, stderr or in its --help.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestSecureCommandsOverTLS(t *testing.T) {
	_, tlsDSN, srv := chtest.TLSDB(t)
	_, plainDSN := chtest.DB(t)
	chPW, err := os.ReadFile(srv.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	chPassword := strings.TrimSpace(string(chPW))
	const saslPassword = "sasl-Secret-93c1"
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	secrets := []string{chPassword, saslPassword}

	// The same DSN without the password file: the password comes from the environment.
	envDSN := strings.Replace(tlsDSN, "&"+store.ParamPasswordFile+"="+srv.PasswordFile, "", 1)
	if envDSN == tlsDSN {
		t.Fatalf("DSN %q has no password_file to drop", tlsDSN)
	}
	chEnv := cleanEnv("CXSTAR_CLICKHOUSE="+envDSN, "CXSTAR_CLICKHOUSE_PASSWORD="+chPassword)

	// Events to load.
	data := filepath.Join(dir, "sim")
	if err := runSimulate(ctx, []string{"--agencies", "2", "--requests", "80", "--from", "2026Q1", "--to", "2026Q2", "--seed", "5", "--out", data}); err != nil {
		t.Fatal(err)
	}
	var runs []*secretRun
	must := func(r *secretRun) *secretRun {
		t.Helper()
		runs = append(runs, r)
		if r.err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", r.name, r.err, &r.stdout, &r.stderr)
		}
		return r
	}
	rejects := filepath.Join(dir, "rejects.jsonl")
	must(runBin(t, ctx, "backfill over TLS", chEnv, "backfill", "--rejects", rejects, "--progress", "0", data))
	must(runBin(t, ctx, "registry over TLS", chEnv, "registry", "import", filepath.Join(data, "registry.json")))
	tlsAssess := must(runBin(t, ctx, "assess over TLS", chEnv, "assess", "--quarter", "2026Q2", "--format", "json", "--no-store"))
	must(runBin(t, ctx, "assess and store over TLS", chEnv, "assess", "--quarter", "2026Q2"))
	reportFile, exportFile := filepath.Join(dir, "report.html"), filepath.Join(dir, "events.parquet")
	must(runBin(t, ctx, "report over TLS", chEnv, "report", "--quarter", "2026Q2", "--out", reportFile))
	must(runBin(t, ctx, "export over TLS", chEnv, "export", "--table", "service_events", "--quarter", "2026Q2", "--out", exportFile))
	for _, f := range []string{reportFile, exportFile} {
		if st, err := os.Stat(f); err != nil {
			t.Error(err)
		} else if st.Size() < 1000 {
			t.Errorf("%s: %d bytes", f, st.Size())
		}
	}
	// The password given inside the DSN on the command line is masked too.
	inline := strings.Replace(envDSN, srv.User+"@", srv.User+":"+chPassword+"@", 1)
	must(runBin(t, ctx, "migrate, password in the DSN", cleanEnv(), "migrate", "--clickhouse", inline))

	plainEnv := cleanEnv("CXSTAR_CLICKHOUSE=" + plainDSN)
	must(runBin(t, ctx, "backfill plain", plainEnv, "backfill", "--rejects", filepath.Join(dir, "rejects-plain.jsonl"), "--progress", "0", data))
	must(runBin(t, ctx, "registry plain", plainEnv, "registry", "import", filepath.Join(data, "registry.json")))
	plainAssess := must(runBin(t, ctx, "assess plain", plainEnv, "assess", "--quarter", "2026Q2", "--format", "json", "--no-store"))
	if tlsAssess.stdout.Len() < 100 || tlsAssess.stdout.String() != plainAssess.stdout.String() {
		t.Errorf("assess over TLS printed\n%s\nthe plain server\n%s", &tlsAssess.stdout, &plainAssess.stdout)
	}
	if !strings.Contains(tlsAssess.stdout.String(), `"agency_id"`) {
		t.Errorf("assess over TLS printed no agency:\n%s", &tlsAssess.stdout)
	}

	// A CA that did not sign the server's certificate: refused, with what to change.
	other, err := certs.NewCA("not the server's CA")
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(dir, "other-ca.pem")
	if err := os.WriteFile(otherCA, other.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	wrong := runBin(t, ctx, "backfill, wrong CA", chEnv, "backfill", "--clickhouse-ca-file", otherCA, "--rejects", rejects, data)
	runs = append(runs, wrong)
	if wrong.err == nil || !strings.Contains(wrong.stderr.String(), "not signed by a trusted CA") || !strings.Contains(wrong.stderr.String(), "--clickhouse-ca-file") {
		t.Errorf("backfill with a wrong CA: %v\n%s", wrong.err, &wrong.stderr)
	}

	// The broker with TLS and a SCRAM user, and simulate publishing to it.
	tlsDir := filepath.Join(dir, "kafka-tls")
	addr, stopBroker := startBroker(t, ctx, cleanEnv("CXSTAR_BROKER_SASL_PASSWORD="+saslPassword), tlsDir, secrets, "--sasl-user", "ingest")
	defer stopBroker()
	kEnv := cleanEnv("CXSTAR_KAFKA_SASL_PASSWORD="+saslPassword, "CXSTAR_KAFKA_CA_FILE="+filepath.Join(tlsDir, "ca.pem"),
		"CXSTAR_KAFKA_SASL_MECHANISM=SCRAM-SHA-512", "CXSTAR_KAFKA_SASL_USER=ingest")
	must(runBin(t, ctx, "simulate to Kafka over TLS + SCRAM", kEnv, "simulate", "--agencies", "1", "--requests", "20", "--from", "2026Q2", "--to", "2026Q2", "--out", filepath.Join(dir, "sim-kafka"), "--kafka", addr))
	bad := runBin(t, ctx, "simulate, wrong SASL password", append(kEnv, "CXSTAR_KAFKA_SASL_PASSWORD=wrong-"+saslPassword),
		"simulate", "--agencies", "1", "--requests", "5", "--out", filepath.Join(dir, "sim-bad"), "--kafka", addr)
	runs = append(runs, bad)
	if bad.err == nil || !strings.Contains(bad.stderr.String(), "refused the SASL login") {
		t.Errorf("simulate with a wrong password: %v\n%s", bad.err, &bad.stderr)
	}
	secrets = append(secrets, "wrong-"+saslPassword)

	// --help of every command, with every secret in the environment.
	helpEnv := append(append(chEnv, "CXSTAR_KAFKA_SASL_PASSWORD="+saslPassword, "CXSTAR_BROKER_SASL_PASSWORD="+saslPassword),
		"CXSTAR_DEMO_CLICKHOUSE="+inline, "CXSTAR_BENCH_CLICKHOUSE="+inline)
	for _, c := range commands {
		args := []string{c.name, "--help"}
		if c.name == "registry" {
			args = []string{c.name, "import", "--help"}
		}
		r := runBin(t, ctx, c.name+" --help", append(helpEnv, "CXSTAR_CLICKHOUSE="+inline), args...)
		runs = append(runs, r)
		if c.name == "migrate" && !strings.Contains(r.stderr.String(), srv.User+":xxxxx@") {
			t.Errorf("migrate --help does not show the DSN from the environment, masked:\n%s", &r.stderr)
		}
	}
	for _, r := range runs {
		assertNoSecret(t, r.name, r.stdout.String()+r.stderr.String(), secrets...)
	}
}

// startBroker starts `cxstar broker` with env on a free port, its TLS certificates generated into
// tlsDir, with args after those, and waits until it listens. It returns the broker's address and
// stop, which stops it and checks that its output shows none of secrets.
func startBroker(t *testing.T, ctx context.Context, env []string, tlsDir string, secrets []string, args ...string) (string, func()) {
	t.Helper()
	port := freeport.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	run := &secretRun{name: "broker"}
	cmd := exec.CommandContext(ctx, cxstarBinary(t), append([]string{"broker", "--port", fmt.Sprint(port), "--tls-generate", tlsDir}, args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &run.stdout, &run.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		assertNoSecret(t, "broker output", run.stdout.String()+run.stderr.String(), secrets...)
	}
	listening := false
	defer func() {
		if !listening { // waitPort failed the test: stop the broker all the same
			stop()
		}
	}()
	waitPort(t, addr)
	listening = true
	return addr, stop
}

func waitPort(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 30 s", addr)
}

// scrape returns the text of url.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSecureIngestCommand runs `cxstar broker` with TLS and a SCRAM user, `cxstar produce` and
// `cxstar ingest` with every secret set (ClickHouse over TLS, Kafka over TLS + SCRAM-SHA-512):
// the events land exactly once, and neither the commands' output nor /metrics shows a password.
// A wrong password and an untrusted CA stop ingest at start with what to change, and its group
// commits nothing.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestSecureIngestCommand(t *testing.T) {
	chConn, tlsDSN, srv := chtest.TLSDB(t)
	chPW, err := os.ReadFile(srv.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	chPassword := strings.TrimSpace(string(chPW))
	const saslPassword = "ingest-Sasl-5b7d"
	secrets := []string{chPassword, saslPassword, "wrong-" + saslPassword}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// The broker, its password from a file.
	pwFile := filepath.Join(dir, "sasl.pw")
	if err := os.WriteFile(pwFile, []byte(saslPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsDir := filepath.Join(dir, "kafka-tls")
	addr, stopBroker := startBroker(t, ctx, cleanEnv(), tlsDir, secrets, "--sasl-user", "ingest", "--sasl-password-file", pwFile, "--min-session-timeout", "1s")
	defer stopBroker()
	caFile := filepath.Join(tlsDir, "ca.pem")
	kEnv := []string{"CXSTAR_KAFKA_BROKERS=" + addr, "CXSTAR_KAFKA_CA_FILE=" + caFile, "CXSTAR_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"CXSTAR_KAFKA_SASL_USER=ingest"}
	envDSN := strings.Replace(tlsDSN, "&"+store.ParamPasswordFile+"="+srv.PasswordFile, "", 1)
	chEnv := []string{"CXSTAR_CLICKHOUSE=" + envDSN, "CXSTAR_CLICKHOUSE_PASSWORD=" + chPassword}

	// 2,000 valid events, every 5th repeated, 40 invalid.
	ev := kafkatest.Generate("cmd-tls", 2000, 5, 50)
	events := ev.WriteFile(t, dir, "events.jsonl")
	var runs []*secretRun
	prod := runBin(t, ctx, "produce over TLS + SCRAM", cleanEnv(append(kEnv, "CXSTAR_KAFKA_SASL_PASSWORD_FILE="+pwFile)...), "produce", "--progress", "0", events)
	runs = append(runs, prod)
	if prod.err != nil || !strings.Contains(prod.stdout.String(), fmt.Sprintf("published %d", len(ev.Lines))) {
		t.Fatalf("produce: %v\n%s%s", prod.err, &prod.stdout, &prod.stderr)
	}

	// Refused settings: ingest stops at once, before it joins the group.
	other, err := certs.NewCA("not the broker's CA")
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(dir, "other-ca.pem")
	if err := os.WriteFile(otherCA, other.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		name, want string
		env        []string
	}{
		{"wrong password", "refused the SASL login", []string{"CXSTAR_KAFKA_SASL_PASSWORD=wrong-" + saslPassword}},
		{"untrusted CA", "not signed by a trusted CA", []string{"CXSTAR_KAFKA_SASL_PASSWORD=" + saslPassword, "CXSTAR_KAFKA_CA_FILE=" + otherCA}},
	} {
		bctx, bcancel := context.WithTimeout(ctx, 60*time.Second)
		start := time.Now()
		r := runBin(t, bctx, "ingest, "+bad.name, cleanEnv(append(append(append([]string{}, kEnv...), chEnv...), bad.env...)...),
			"ingest", "--group", "refused", "--listen", "")
		bcancel()
		runs = append(runs, r)
		if r.err == nil || !strings.Contains(r.stderr.String(), bad.want) || time.Since(start) > 30*time.Second {
			t.Errorf("ingest with a %s: %v after %s\n%s", bad.name, r.err, time.Since(start).Round(time.Millisecond), &r.stderr)
		}
	}

	// The real run.
	listen := fmt.Sprintf("127.0.0.1:%d", freeport.Port(t))
	ingestRun := &secretRun{name: "ingest"}
	ingestCmd := exec.CommandContext(ctx, cxstarBinary(t), "ingest", "--group", "cmd-tls", "--listen", listen, "--batch-wait", "200ms")
	ingestCmd.Env = cleanEnv(append(append(append([]string{}, kEnv...), chEnv...), "CXSTAR_KAFKA_SASL_PASSWORD="+saslPassword)...)
	ingestCmd.Stdout, ingestCmd.Stderr = &ingestRun.stdout, &ingestRun.stderr
	if err := ingestCmd.Start(); err != nil {
		t.Fatal(err)
	}
	runs = append(runs, ingestRun)
	got := kafkatest.WaitCounts(t, chConn, ev.Distinct, 2*time.Minute)
	for k, n := range ev.Distinct {
		if got[k].Final != uint64(n) || got[k].Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, uniqExact(event_id) %d; want %d", k.Table(), got[k].Final, got[k].Distinct, n)
		}
	}
	metrics := scrape(t, "http://"+listen+"/metrics")
	if !strings.Contains(metrics, "cxstar_kafka_inserted_events_total") {
		t.Errorf("/metrics has no cxstar_kafka_inserted_events_total:\n%.2000s", metrics)
	}
	assertNoSecret(t, "/metrics", metrics, secrets...)
	assertNoSecret(t, "/metrics", metrics, "ingest@", envDSN)
	_ = ingestCmd.Process.Signal(syscall.SIGTERM)
	if err := ingestCmd.Wait(); err != nil {
		t.Errorf("ingest after SIGTERM: %v\n%s", err, &ingestRun.stderr)
	}
	if !strings.Contains(ingestRun.stderr.String(), "0.0.0.0:9464") {
		t.Errorf("ingest does not say how to expose /metrics:\n%s", &ingestRun.stderr)
	}

	// The refused runs committed nothing; the real one everything.
	tr, err := (&kafkasec.Config{CAFile: caFile, SASLMechanism: "SCRAM-SHA-512", Username: "ingest", Password: saslPassword}).Transport()
	if err != nil {
		t.Fatal(err)
	}
	client := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	if n := committedMessages(t, ctx, client, "refused"); n != 0 {
		t.Errorf("group of the refused runs committed %d offsets; want none", n)
	}
	if n := committedMessages(t, ctx, client, "cmd-tls"); n != int64(len(ev.Lines)) {
		t.Errorf("ingest committed %d messages; want %d", n, len(ev.Lines))
	}
	for _, r := range runs {
		assertNoSecret(t, r.name, r.stdout.String()+r.stderr.String(), secrets...)
	}
}

// committedMessages sums the committed offsets of group over the event topics.
func committedMessages(t *testing.T, ctx context.Context, c *kafka.Client, group string) int64 {
	t.Helper()
	topics := []string{ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals}
	req := &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	for _, topic := range topics {
		for p := 0; p < broker.DefaultPartitions; p++ {
			req.Topics[topic] = append(req.Topics[topic], p)
		}
	}
	res, err := c.OffsetFetch(ctx, req)
	if err != nil {
		t.Fatalf("offsets of group %s: %v", group, err)
	}
	if errors.Is(res.Error, kafka.GroupIdNotFound) {
		return 0 // never joined, never committed
	}
	if res.Error != nil {
		t.Fatalf("offsets of group %s: %v", group, res.Error)
	}
	var n int64
	for _, parts := range res.Topics {
		for _, p := range parts {
			if p.Error != nil {
				t.Fatalf("offsets of group %s: %v", group, p.Error)
			}
			if p.CommittedOffset > 0 {
				n += p.CommittedOffset
			}
		}
	}
	return n
}

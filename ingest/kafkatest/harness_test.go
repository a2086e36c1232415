package kafkatest_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/broker"
)

var (
	binOnce sync.Once
	binPath string
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cxstar builds the command once per test process (go build into a temporary directory).
func cxstar(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		d, err := os.MkdirTemp("", "cxstar-kafkatest-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
		binPath = kafkatest.Binary(t, d)
	})
	if binPath == "" {
		t.Fatal("cxstar binary was not built (see the first test's failure)")
	}
	return binPath
}

// proc is a cxstar subprocess whose output goes to a log file shown when the test fails.
type proc struct {
	cmd    *exec.Cmd
	log    string
	done   chan struct{}
	err    error
	stdout *lockedBuf
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(cxstar(t), args...), log: logPath, done: make(chan struct{}), stdout: &lockedBuf{}}
	p.cmd.Stdout = io.MultiWriter(lf, p.stdout)
	p.cmd.Stderr = lf
	p.cmd.Env = append(os.Environ(), "CXSTAR_LOG_LEVEL=info")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start cxstar %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("--- %s (pid %d) log tail:\n%s", name, p.cmd.Process.Pid, b)
		}
	})
	return p
}

// stop sends SIGTERM and waits for the exit status.
func (p *proc) stop(t *testing.T, timeout time.Duration) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s of SIGTERM", p.cmd.Args, timeout)
		return nil
	}
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func ingestArgs(brokerAddr, dsn, group string, extra ...string) []string {
	return append([]string{"ingest", "--brokers", brokerAddr, "--clickhouse", dsn, "--group", group,
		"--session-timeout", "2s", "--batch-wait", "200ms", "--stop-timeout", "20s", "--listen", ""}, extra...)
}

func testBroker(t *testing.T) *broker.Broker {
	return kafkatest.StartBroker(t, broker.WithMinSessionTimeout(time.Second))
}

// rawCount is count() without FINAL over the three tables: cheap progress while ingesting.
func rawCount(conn driver.Conn) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n uint64
	_ = conn.QueryRow(ctx, "SELECT (SELECT count() FROM service_events) + (SELECT count() FROM ratings) + (SELECT count() FROM appeals)").Scan(&n)
	return n
}

func checkExact(t *testing.T, conn driver.Conn, ev *kafkatest.Events, timeout time.Duration) {
	t.Helper()
	got := kafkatest.WaitCounts(t, conn, ev.Distinct, timeout)
	for k, n := range ev.Distinct {
		c := got[k]
		// count() FINAL is what indicator queries see; it must equal the distinct valid events,
		// and no event_id may appear twice in it.
		if c.Final != uint64(n) || c.Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, uniqExact(event_id) %d, raw rows %d; want %d distinct events, each once",
				k.Table(), c.Final, c.Distinct, c.Raw, n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, k := range []ingest.Kind{ingest.KindService, ingest.KindRating, ingest.KindAppeal} {
		var twice uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM (SELECT event_id FROM "+k.Table()+" FINAL GROUP BY event_id HAVING count() > 1)").Scan(&twice); err != nil {
			t.Fatal(err)
		}
		if twice != 0 {
			t.Errorf("%s: %d event_ids counted twice under FINAL", k.Table(), twice)
		}
	}
}

// checkDeadLetters: every invalid line is in the dead-letter topic at least once (a crash
// between the dead-letter write and the commit may repeat one), nothing else is, and each
// carries the headers of docs/events.md.
func checkDeadLetters(t *testing.T, addr string, ev *kafkatest.Events, exact bool) {
	t.Helper()
	dl, err := kafkatest.ReadTopic(context.Background(), addr, ingest.TopicDeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	codes := map[string]int{}
	for _, d := range dl {
		if d.Error == "" || d.Reason == "" || d.Source == "" || !strings.Contains(string(d.Value), "-bad-") {
			t.Errorf("dead letter %.80q: cx-error %q cx-reason %q cx-source %q", d.Value, d.Error, d.Reason, d.Source)
		}
		if !sources[d.Source] {
			sources[d.Source] = true
			codes[d.Error]++
		}
	}
	if len(sources) != ev.Invalid {
		t.Errorf("dead-letter topic holds %d distinct source messages (%d in all); want %d", len(sources), len(dl), ev.Invalid)
	}
	if exact && len(dl) != ev.Invalid {
		t.Errorf("dead-letter topic holds %d messages; want exactly %d", len(dl), ev.Invalid)
	}
	for code, n := range ev.InvalidBy {
		if codes[code] != n {
			t.Errorf("dead letters with cx-error %s: %d; want %d", code, codes[code], n)
		}
	}
}

var statsLine = regexp.MustCompile(`consumed (\d+)  inserted (\d+)  duplicate (\d+)  rejected (\d+)  committed (\d+)`)

func finalStats(t *testing.T, p *proc) (consumed, inserted int64) {
	t.Helper()
	m := statsLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no final stats line in the output of %v: %q", p.cmd.Args, p.stdout.String())
	}
	consumed, _ = strconv.ParseInt(m[1], 10, 64)
	inserted, _ = strconv.ParseInt(m[2], 10, 64)
	return
}

// TestCrashSafety kills `cxstar ingest` (a real separate process, SIGKILL) five times while it
// ingests 200,000 distinct events, restarting it each time; at the end ClickHouse holds every
// valid event exactly once under FINAL and the dead-letter topic every invalid one.

// Package benchkafka measures Kafka ingestion end to end (broker → `cxstar ingest` subprocess →
// ClickHouse) beside two baselines measured in the same run on the same events: the raw
// ClickHouse insert rate of the rows (ingest.Writer, no Kafka) and the raw kafka-go consume rate of
// the messages (a group Reader, no validation, no ClickHouse). `cxstar bench` and
// `go test -bench` call Run.
package benchkafka

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkagen"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/proccpu"
	"github.com/cxstar/cxstar/internal/store"
)

// Options says what to measure.
type Options struct {
	// Binary is the cxstar executable run as `cxstar ingest` (required; `cxstar bench` passes
	// its own os.Executable()).
	Binary string
	// DSN is a scratch ClickHouse database; its raw tables are emptied before each phase.
	// Default: store.DefaultDSN with database cxstar_bench_kafka.
	DSN string
	// Events is the number of distinct valid events (kinds in turn). Default: 300,000.
	Events int
	// BatchMessages is the rows per insert of both the baseline and the consumer. Default: 50,000.
	BatchMessages int
	// ProfileDir, when set, receives a CPU profile of each ingest process
	// (kafka-ingest-<time>.pprof). Default: "" (none).
	ProfileDir string
	// Log receives progress lines. Default: none.
	Log io.Writer
}

// Result is one run's measurements. Rates are per second of wall time.
type Result struct {
	Events            int
	InsertRowsPerSec  float64       // baseline: ingest.Writer inserts of the pre-validated rows
	ConsumeMsgsPerSec float64       // baseline: kafka-go group Reader, FetchMessage + CommitMessages
	IngestRowsPerSec  float64       // cxstar ingest: from joining the group to the last row in ClickHouse
	IngestWallPerSec  float64       // cxstar ingest: from process start (includes startup and group join)
	Ratio             float64       // IngestRowsPerSec / min(InsertRowsPerSec, ConsumeMsgsPerSec); the raw insert is the lower one; target ≥ 0.8 of it
	PeakRSSBytes      int64         // VmHWM of the ingest process; target < 300 MB
	IngestCPUPerRow   time.Duration // user + system CPU of the whole ingest process, per event
	IngestFaults      int64         // minor page faults of the whole ingest process (first touches of its memory)
	BrokerCPUPerRow   time.Duration // user + system CPU of this process, nearly all the in-process broker's, while ingest ran, per event
	InsertServer      ServerCPU     // ClickHouse's query threads during the raw insert, per event
	IngestServer      ServerCPU     // ClickHouse's query threads while ingest ran, per event
}

// ServerCPU is what ClickHouse's query threads used (system.events: UserTimeMicroseconds +
// SystemTimeMicroseconds) and how long they waited for a core while runnable
// (OSCPUWaitMicroseconds). The counters are the whole server's: other clients' queries count too.
type ServerCPU struct {
	CPU, Wait time.Duration
}

func (a ServerCPU) sub(b ServerCPU) ServerCPU { return ServerCPU{a.CPU - b.CPU, a.Wait - b.Wait} }

func (a ServerCPU) per(n int) ServerCPU {
	return ServerCPU{a.CPU / time.Duration(n), a.Wait / time.Duration(n)}
}

// serverCPU reads the server's counters of its query threads so far.
func serverCPU(ctx context.Context, conn driver.Conn) (ServerCPU, error) {
	var cpu, wait uint64
	err := conn.QueryRow(ctx, `SELECT
		sumIf(value, event IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds')),
		sumIf(value, event = 'OSCPUWaitMicroseconds')
		FROM system.events`).Scan(&cpu, &wait)
	if err != nil {
		return ServerCPU{}, fmt.Errorf("read ClickHouse's CPU counters (system.events): %w", err)
	}
	return ServerCPU{time.Duration(cpu) * time.Microsecond, time.Duration(wait) * time.Microsecond}, nil
}

// String formats the result for a report.
func (r Result) String() string {
	return fmt.Sprintf("kafka ingest: %d events  ingest %.0f rows/s (%.0f incl. startup)  baselines: ClickHouse insert %.0f rows/s, kafka-go consume %.0f msg/s  ratio %.2f of the lower baseline  peak RSS %.0f MB  ingest CPU %.2f µs/row (%dk page faults)  broker CPU %.2f µs/row  ClickHouse CPU (waiting for a core) %.2f (%.2f) µs/row beside ingest, %.2f (%.2f) in the raw insert",
		r.Events, r.IngestRowsPerSec, r.IngestWallPerSec, r.InsertRowsPerSec, r.ConsumeMsgsPerSec, r.Ratio, float64(r.PeakRSSBytes)/(1<<20), r.IngestCPUPerRow.Seconds()*1e6, r.IngestFaults/1000, r.BrokerCPUPerRow.Seconds()*1e6,
		us(r.IngestServer.CPU), us(r.IngestServer.Wait), us(r.InsertServer.CPU), us(r.InsertServer.Wait))
}

// Run measures once: publishes the events to an in-process broker, runs both baselines, then
// the ingest process.
// It is one measurement read top to bottom: set-up, the two baselines, then ingest.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Binary == "" {
		return Result{}, fmt.Errorf("benchkafka: Options.Binary (the cxstar executable) is required")
	}
	if o.DSN == "" {
		o.DSN = strings.TrimSuffix(store.DefaultDSN, "/cxstar") + "/cxstar_bench_kafka"
	}
	if o.Events <= 0 {
		o.Events = 1_000_000
	}
	if o.BatchMessages <= 0 {
		o.BatchMessages = 50_000
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	res := Result{Events: o.Events}
	conn, err := store.Open(ctx, o.DSN)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if _, err := store.Migrate(ctx, conn); err != nil {
		return res, err
	}
	b, err := broker.Start(broker.WithPort(0))
	if err != nil {
		return res, err
	}
	defer b.Close()
	dir, err := os.MkdirTemp("", "cxstar-benchkafka-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	ev := kafkagen.Generate("bench", o.Events, 0, 0)
	path := filepath.Join(dir, "events.jsonl")
	if err := writeLines(path, ev.Lines); err != nil {
		return res, err
	}
	if _, err := ingest.NewProducer(b.Addrs()).Publish(ctx, []string{path}); err != nil {
		return res, err
	}
	logf("published %d events", o.Events)

	// Baseline 1: raw ClickHouse insert of the same rows, validated beforehand (not timed). A
	// row's source is its message's topic/partition/offset, as the consumer writes it (sources).
	if err := truncate(ctx, conn); err != nil {
		return res, err
	}
	v := ingest.NewValidator()
	var batches []*ingest.Batch
	cur := new(ingest.Batch)
	var e ingest.Event
	src := newSources(broker.DefaultPartitions)
	for i, l := range ev.Lines {
		if err := v.Decode(l, &e); err != nil {
			return res, fmt.Errorf("generated line %d is invalid: %w", i, err)
		}
		source, err := src.next(l)
		if err != nil {
			return res, fmt.Errorf("generated line %d: %w", i, err)
		}
		cur.Add(&e, source)
		if cur.Len() >= o.BatchMessages {
			batches = append(batches, cur)
			cur = new(ingest.Batch)
		}
	}
	if cur.Len() > 0 {
		batches = append(batches, cur)
	}
	w := ingest.NewWriter(conn, ingest.WithMaxAttempts(3))
	srv0, err := serverCPU(ctx, conn)
	if err != nil {
		return res, err
	}
	start := time.Now()
	for _, bt := range batches {
		if err := w.Write(ctx, bt); err != nil {
			return res, err
		}
	}
	res.InsertRowsPerSec = float64(o.Events) / time.Since(start).Seconds()
	srv1, err := serverCPU(ctx, conn)
	if err != nil {
		return res, err
	}
	res.InsertServer = srv1.sub(srv0).per(o.Events)
	batches = nil
	want, err := RowsHash(ctx, conn)
	if err != nil {
		return res, err
	}
	logf("baseline ClickHouse insert: %.0f rows/s", res.InsertRowsPerSec)

	// Baseline 2: raw kafka-go consume of the same messages.
	rate, err := consume(ctx, b.Addrs(), o.Events)
	if err != nil {
		return res, err
	}
	res.ConsumeMsgsPerSec = rate
	logf("baseline kafka-go consume: %.0f msg/s", rate)

	// The ingest process.
	if err := truncate(ctx, conn); err != nil {
		return res, err
	}
	profile := ""
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return res, fmt.Errorf("create profile directory: %w", err)
		}
		profile = filepath.Join(o.ProfileDir, fmt.Sprintf("kafka-ingest-%d.pprof", time.Now().UnixNano()))
	}
	cmd := ingestCommand(ctx, o, b.Addr(), fmt.Sprintf("bench-%d", time.Now().UnixNano()), profile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	// joined: when the process joined the group; stored: when it committed the batch that holds
	// the last message (a batch is committed once ClickHouse has acknowledged its rows). Both come
	// from the process's log, so that the bench does not query ClickHouse while it measures.
	var joined, stored atomic.Int64
	if srv0, err = serverCPU(ctx, conn); err != nil {
		return res, err
	}
	cpu0 := proccpu.Used()
	start = time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start %s ingest: %w", o.Binary, err)
	}
	exited := false
	defer func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var committed int64
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.Contains(line, "joined consumer group"):
				joined.CompareAndSwap(0, time.Now().UnixNano())
			case strings.Contains(line, "batch committed"):
				if m := committedMessages.FindStringSubmatch(line); m != nil {
					n, _ := strconv.ParseInt(m[1], 10, 64)
					if committed += n; committed >= int64(o.Events) {
						stored.CompareAndSwap(0, time.Now().UnixNano())
					}
				}
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Minute)
	for stored.Load() == 0 {
		if time.Now().After(deadline) {
			n, _ := rows(ctx, conn)
			return res, fmt.Errorf("ingest committed fewer than %d messages in 10 minutes (%d rows stored; its log must carry \"batch committed\" at debug level)", o.Events, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	end := time.Unix(0, stored.Load())
	res.BrokerCPUPerRow = (proccpu.Used() - cpu0) / time.Duration(o.Events)
	if srv1, err = serverCPU(ctx, conn); err != nil {
		return res, err
	}
	res.IngestServer = srv1.sub(srv0).per(o.Events)
	if n, err := rows(ctx, conn); err != nil || n != uint64(o.Events) {
		return res, fmt.Errorf("ingest committed every message but ClickHouse holds %d rows of %d (%v)", n, o.Events, err)
	}
	if got, err := RowsHash(ctx, conn); err != nil || got != want {
		return res, fmt.Errorf("the ingest process stored other rows than the raw insert: hash of event ids and sources %d, want %d (%v)", got, want, err)
	}
	res.PeakRSSBytes = vmHWM(cmd.Process.Pid)
	res.IngestWallPerSec = float64(o.Events) / end.Sub(start).Seconds()
	if j := joined.Load(); j != 0 {
		res.IngestRowsPerSec = float64(o.Events) / end.Sub(time.Unix(0, j)).Seconds()
	} else {
		res.IngestRowsPerSec = res.IngestWallPerSec
	}
	// SIGTERM and wait, so that the process writes its CPU profile; killed after 30 s.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-waited
	}
	exited = true
	if st := cmd.ProcessState; st != nil {
		res.IngestCPUPerRow = (st.UserTime() + st.SystemTime()) / time.Duration(o.Events)
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			res.IngestFaults = ru.Minflt
		}
	}
	if profile != "" {
		logf("CPU profile of cxstar ingest: %s", profile)
	}
	res.Ratio = res.IngestRowsPerSec / min(res.InsertRowsPerSec, res.ConsumeMsgsPerSec)
	logf("%s", res)
	return res, nil
}

// committedMessages finds the message count in the consumer's "batch committed" log line.
var committedMessages = regexp.MustCompile(`\bmessages=(\d+)\b`)

// ingestCommand is the `cxstar ingest` process of a run. The DSN, which may hold a password,
// travels in the environment (CXSTAR_CLICKHOUSE), never on the command line, where `ps` shows it
// to every user of the machine.
func ingestCommand(ctx context.Context, o Options, broker, group, profile string) *exec.Cmd {
	args := []string{"ingest", "--brokers", broker, "--group", group, "--listen", "",
		"--batch-rows", strconv.Itoa(o.BatchMessages)}
	if profile != "" {
		args = append(args, "--cpu-profile", profile)
	}
	cmd := exec.CommandContext(ctx, o.Binary, args...)
	// Debug: the consumer logs each committed batch, which marks the end of the run.
	cmd.Env = append(os.Environ(), "CXSTAR_LOG_LEVEL=debug", "CXSTAR_CLICKHOUSE="+o.DSN)
	return cmd
}

func writeLines(path string, lines [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	for _, l := range lines {
		bw.Write(l)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// truncate empties every table of the database but the migrations ledger: the raw tables and
// every table their materialized views feed (the assessment's inputs, first arrivals, follow-up
// items), so that the raw insert and the ingest process each start from the same empty state and
// pay the same background merges.
func truncate(ctx context.Context, conn driver.Conn) error {
	rows, err := conn.Query(ctx, `SELECT name FROM system.tables
		WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("list the tables to empty before the benchmark: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("list the tables to empty before the benchmark: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list the tables to empty before the benchmark: %w", err)
	}
	for _, t := range tables {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+t); err != nil {
			return fmt.Errorf("empty %s before the benchmark: %w", t, err)
		}
	}
	return nil
}

func rows(ctx context.Context, conn driver.Conn) (uint64, error) {
	var n uint64
	err := conn.QueryRow(ctx, "SELECT (SELECT count() FROM service_events) + (SELECT count() FROM ratings) + (SELECT count() FROM appeals)").Scan(&n)
	return n, err
}

// RowsHash sums a hash of every stored row's event id and source over the three raw tables:
// equal after two runs that stored the same rows.
func RowsHash(ctx context.Context, conn driver.Conn) (uint64, error) {
	var h uint64
	err := conn.QueryRow(ctx, `SELECT (SELECT sum(cityHash64(event_id, source)) FROM service_events)
		+ (SELECT sum(cityHash64(event_id, source)) FROM ratings) + (SELECT sum(cityHash64(event_id, source)) FROM appeals)`).Scan(&h)
	if err != nil {
		return 0, fmt.Errorf("hash the stored rows: %w", err)
	}
	return h, nil
}

// sources gives each published line, in publishing order, the source the consumer writes for
// it: topic/partition/offset, where the partition is the one the producer's Murmur2 balancer
// picks for the line's key and the offset is the line's place among that partition's lines.
type sources struct {
	topics map[ingest.Kind]string
	parts  []int
	bal    kafka.Murmur2Balancer
	offs   map[partition]int64 // each partition's next offset
}

// partition is a topic's partition.
type partition struct {
	topic string
	id    int
}

// newSources returns the sources of topics of partitions partitions each.
func newSources(partitions int) *sources {
	s := &sources{topics: ingest.DefaultTopics(), offs: map[partition]int64{}}
	for p := range partitions {
		s.parts = append(s.parts, p)
	}
	return s
}

// next returns the source of the next line.
func (s *sources) next(line []byte) (string, error) {
	topic, key, ok := ingest.Route(line, s.topics)
	if !ok {
		return "", fmt.Errorf("the producer would not route it (no schema or key field)")
	}
	m := kafka.Message{Topic: topic, Key: key}
	m.Partition = s.bal.Balance(m, s.parts...)
	tp := partition{topic, m.Partition}
	m.Offset = s.offs[tp]
	s.offs[tp]++
	return ingest.MessageSource(&m), nil
}

// consume reads n messages of the three topics with a kafka-go group Reader, committing as it goes.
func consume(ctx context.Context, brokers []string, n int) (float64, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, GroupID: fmt.Sprintf("bench-raw-%d", time.Now().UnixNano()),
		GroupTopics: []string{ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals},
		StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 200 * time.Millisecond,
		QueueCapacity: 1000, CommitInterval: time.Second,
	})
	defer r.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var start time.Time
	batch := make([]kafka.Message, 0, 1000)
	for i := 0; i < n; i++ {
		m, err := r.FetchMessage(cctx)
		if err != nil {
			return 0, fmt.Errorf("baseline consume: %d of %d messages: %w", i, n, err)
		}
		if i == 0 {
			start = time.Now() // after the group join, like the ingest rate
		}
		batch = append(batch, kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset})
		if len(batch) == cap(batch) {
			if err := r.CommitMessages(cctx, batch...); err != nil {
				return 0, err
			}
			batch = batch[:0]
		}
	}
	if err := r.CommitMessages(cctx, batch...); err != nil {
		return 0, err
	}
	return float64(n-1) / time.Since(start).Seconds(), nil
}

// vmHWM returns the peak resident set of a process (Linux /proc/PID/status VmHWM), 0 if unknown.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// us is d in microseconds.
func us(d time.Duration) float64 { return d.Seconds() * 1e6 }

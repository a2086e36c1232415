package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/internal/store"
)

// ingestUsage is the synopsis and description of `cxstar ingest --help`.
const ingestUsage = `ingest [flags]

Consumes the event topics of docs/events.md with a Kafka consumer group and writes valid events to
ClickHouse through the same validation and insert path as ` + "`cxstar backfill`" + `. Invalid messages go to the
dead-letter topic with headers cx-error, cx-reason, cx-source. Offsets are committed only after
ClickHouse (and the dead-letter topic) acknowledged the batch holding them; while ClickHouse is down
the batch is retried with capped exponential backoff and nothing is committed. SIGTERM writes and
commits the batches in flight, then exits 0. Serves /metrics (Prometheus) and /healthz on --listen.`

// runIngest is `cxstar ingest`: flags and their checks, the ClickHouse connection, the /metrics
// server, then the consumer until a signal. It reads top to bottom as the service's start, so it
// stays whole.
func runIngest(ctx context.Context, args []string) error {
	fs := newFlagSet("ingest", ingestUsage)
	dsn := clickhouseFlag(fs)
	kf := addKafkaFlags(fs)
	group := envString(fs, "group", "CXSTAR_KAFKA_GROUP", ingest.DefaultGroup, "consumer group id")
	topics := addTopicFlags(fs)
	dlq := envString(fs, "topic-dead-letter", "CXSTAR_TOPIC_DEAD_LETTER", ingest.TopicDeadLetter, "dead-letter topic for rejected messages")
	batchRows := envInt(fs, "batch-rows", "CXSTAR_BATCH_ROWS", ingest.DefaultBatchMessages, "flush a batch (one ClickHouse insert) after this many messages, as backfill's --batch-rows")
	batchBytes := envInt(fs, "batch-bytes", "CXSTAR_BATCH_BYTES", ingest.DefaultBatchBytes, "flush a batch after this many (estimated) bytes")
	batchWait := envDuration(fs, "batch-wait", "CXSTAR_BATCH_WAIT", ingest.DefaultBatchWait, "flush a batch this long after its first message")
	maxBuffer := envInt(fs, "max-buffer-bytes", "CXSTAR_MAX_BUFFER_BYTES", ingest.DefaultMaxBuffer, "bound on buffered batch bytes; fetching stops while it is reached")
	dedupe := envInt(fs, "dedupe-window", "CXSTAR_DEDUPE_WINDOW", ingest.DefaultDedupeWindow, "recent event ids remembered to count duplicates")
	minBackoff := envDuration(fs, "retry-min", "CXSTAR_RETRY_MIN", ingest.DefaultRetryMin, "first pause after a failed ClickHouse insert")
	maxBackoff := envDuration(fs, "retry-max", "CXSTAR_RETRY_MAX", ingest.DefaultRetryMax, "largest pause between ClickHouse insert attempts (capped exponential backoff)")
	stopTimeout := envDuration(fs, "stop-timeout", "CXSTAR_STOP_TIMEOUT", ingest.DefaultStopTimeout, "on SIGTERM or rebalance, how long the batches in flight may take to be written")
	session := envDuration(fs, "session-timeout", "CXSTAR_KAFKA_SESSION_TIMEOUT", ingest.DefaultSessionTimeout, "consumer-group session timeout (a dead member's partitions move after this)")
	stall := envDuration(fs, "stall-after", "CXSTAR_INGEST_STALL_AFTER", ingest.DefaultStallAfter, "/healthz answers 503 when one batch has waited this long for ClickHouse or the broker")
	memLimit := envInt(fs, "memory-limit", "CXSTAR_INGEST_MEMORY_LIMIT", 256<<20, "soft limit of the Go heap in bytes, so that the process stays well under 300 MB whatever the backlog (0: none; GOMEMLIMIT wins when set)")
	listen := envString(fs, "listen", "CXSTAR_INGEST_LISTEN", "127.0.0.1:9464", "address of /metrics and /healthz: loopback only by default; 0.0.0.0:9464 exposes them to a Prometheus on another host (empty: none)")
	cpuProfile := envString(fs, "cpu-profile", "CXSTAR_INGEST_CPU_PROFILE", "", "write a CPU profile of the whole run to this file, for go tool pprof (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile, "cpu-profile")
		if err != nil {
			return err
		}
		defer stop()
	}
	wopts := []ingest.WriterOption{ingest.WithMaxAttempts(0), ingest.WithBackoff(*minBackoff, *maxBackoff)}
	copts := []ingest.ConsumerOption{
		ingest.WithGroup(*group), ingest.WithTopics(topics.byKind()), ingest.WithDeadLetterTopic(*dlq),
		ingest.WithFlush(*batchRows, *batchBytes, *batchWait), ingest.WithMaxBuffer(*maxBuffer),
		ingest.WithDedupeWindow(*dedupe), ingest.WithStopTimeout(*stopTimeout), ingest.WithSessionTimeout(*session), ingest.WithStallAfter(*stall)}
	if err := errors.Join(ingest.CheckWriter(wopts...), ingest.CheckConsumer(copts...)); err != nil {
		return err
	}
	if *memLimit < 0 {
		return fmt.Errorf("--memory-limit is %d; it must be 0 (none) or a number of bytes", *memLimit)
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(*memLimit))
	}
	dialer, transport, err := kf.client(ctx)
	if err != nil {
		return err
	}
	conn, err := openIngestStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	c := ingest.NewConsumer(kf.list(), ingest.NewValidator(), ingest.NewWriter(conn, wopts...), append(copts, ingest.WithKafkaSecurity(dialer, transport))...)
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("listen for /metrics on %s (choose another with --listen, or --listen '' for none): %w", *listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.Handler())
		mux.Handle("/healthz", c.HealthHandler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Warn("metrics server stopped", "err", err)
			}
		}()
		defer srv.Close()
		how := "to a Prometheus on another host: --listen 0.0.0.0:9464 (CXSTAR_INGEST_LISTEN)"
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			how = "on every interface: restrict the port with a firewall"
		}
		slog.Info("serving /metrics and /healthz", "addr", ln.Addr().String(), "exposed", how)
	}
	slog.Info("ingesting", "brokers", *kf.brokers, "group", *group, "topics", topics.names(), "dead_letter", *dlq)
	err = c.Run(ctx)
	st := c.Stats()
	fmt.Printf("consumed %d  inserted %d  duplicate %d  rejected %d  committed %d  batches %d\n",
		st.Consumed, st.Inserted, st.Duplicates, st.Rejected, st.Committed, st.Batches)
	return err
}

// startCPUProfile profiles the process into path, the value of flag --flagName, until the returned
// function is called (ingest --cpu-profile, demo --profile).
func startCPUProfile(path, flagName string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create the CPU profile file (check --%s): %w", flagName, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start the CPU profile (--%s): %w", flagName, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			slog.Warn("CPU profile not written", "file", path, "err", err)
		}
	}, nil
}

// openIngestStore connects to ClickHouse and applies missing migrations, retrying while the
// server is not up yet (a service waits for its database rather than crash-looping).
func openIngestStore(ctx context.Context, dsn string) (driver.Conn, error) {
	backoff := 500 * time.Millisecond
	for {
		conn, err := store.Open(ctx, dsn)
		if err == nil {
			if _, err = store.MigrateAuto(ctx, conn, dsn); err == nil {
				return conn, nil
			}
			conn.Close()
		}
		if store.IsSettingsError(err) {
			return nil, err // a wrong certificate, password or DSN: waiting does not help
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ClickHouse at %s is not reachable (start it with scripts/clickhouse.sh up, or set --clickhouse): %w", secret.DSN(dsn), err)
		}
		slog.Warn("ClickHouse not ready; retrying", "dsn", secret.DSN(dsn), "in", backoff, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

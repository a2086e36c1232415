package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cxstar/cxstar/bench/benchkafka"
	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/proccpu"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/simulate"
)

// benchNow fixes the generator's clock so that every run measures the same data.
var benchNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func benchClock() time.Time { return benchNow }

// generator returns a generator of about n lines over 4 quarters.
func generator(n int) *simulate.Generator {
	const agencies, linesPerRequest = 20, 4.1
	req := max(10, int(float64(n)/(agencies*4*linesPerRequest)))
	return simulate.New(simulate.WithSeed(1), simulate.WithAgencies(agencies), simulate.WithRequests(req), simulate.WithClock(benchClock))
}

var errEnough = errors.New("enough lines")

// sample returns the first n generated lines (valid, duplicated and invalid ones, as generated).
func sample(n int) ([][]byte, error) {
	out := make([][]byte, 0, n)
	_, err := generator(n*11/10).Run(context.Background(), simulate.SinkFunc(func(_ ingest.Kind, _, line []byte) error {
		if len(out) == n {
			return errEnough
		}
		out = append(out, bytes.Clone(line))
		return nil
	}))
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

// jsonEvent is the three kinds' fields for the encoding/json baselines.
type jsonEvent struct {
	Schema          string `json:"schema"`
	EventID         string `json:"event_id,omitempty"`
	OccurredAt      string `json:"occurred_at,omitempty"`
	AgencyID        string `json:"agency_id,omitempty"`
	ClientType      string `json:"client_type,omitempty"`
	ClientID        string `json:"client_id,omitempty"`
	RequestID       string `json:"request_id,omitempty"`
	ServiceID       string `json:"service_id,omitempty"`
	ServiceKind     string `json:"service_kind,omitempty"`
	Status          string `json:"status,omitempty"`
	Channel         string `json:"channel,omitempty"`
	LifeSituationID string `json:"life_situation_id,omitempty"`
	ScenarioID      string `json:"scenario_id,omitempty"`
	SegmentID       string `json:"segment_id,omitempty"`
	Proactive       bool   `json:"proactive,omitempty"`
	Question        string `json:"question,omitempty"`
	Score           *int   `json:"score,omitempty"`
	AppealID        string `json:"appeal_id,omitempty"`
	Step            string `json:"step,omitempty"`
	MessageType     string `json:"message_type,omitempty"`
	Automated       bool   `json:"automated,omitempty"`
	Excluded        bool   `json:"excluded,omitempty"`
	ReplyText       string `json:"reply_text,omitempty"`
}

// runSimulate: the generator's events/s into a discarding sink, beside encoding/json.Marshal of
// the same events (what a straightforward generator would spend on encoding alone).
func runSimulate(ctx context.Context, s *state) error {
	lines, err := sample(s.o.Events)
	if err != nil {
		return err
	}
	evs := make([]jsonEvent, 0, len(lines))
	for _, l := range lines {
		var e jsonEvent
		if json.Unmarshal(l, &e) == nil {
			evs = append(evs, e)
		}
	}
	var proj, base []float64
	// At least a million events a run: shorter runs fit in caches and overstate the rate.
	g := generator(max(s.o.Events, 1_000_000))
	var projCPU, baseCPU []float64
	var n int64
	for i := 0; i < s.o.Runs; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var st simulate.Stats
		t := startTimer()
		err := s.profile("simulate", func() (err error) { st, err = g.Run(ctx, simulate.Discard); return err })
		if err != nil {
			return err
		}
		wall, cpu := t.stop()
		n = st.Lines()
		proj, projCPU = append(proj, float64(n)/wall), append(projCPU, float64(n)/cpu)

		buf := make([]byte, 0, 1<<20)
		t = startTimer()
		for k := range evs {
			b, err := json.Marshal(&evs[k])
			if err != nil {
				return err
			}
			buf = append(append(buf[:0], b...), '\n')
		}
		wall, cpu = t.stop()
		base, baseCPU = append(base, float64(len(evs))/wall), append(baseCPU, float64(len(evs))/cpu)
	}
	s.add(rate("simulate", "simulate.Generator → discard", "events/s", "encoding/json.Marshal of the same events", proj, base,
		"~1 M events/s", fmt.Sprintf("%d events a run, one goroutine; baseline on %d of them; per CPU-second %s vs %s",
			n, len(evs), human(median(projCPU)), human(median(baseCPU)))))
	return nil
}

// runValidation: ingest.Validator.Decode over generated lines, beside encoding/json.Unmarshal of
// the same lines into a struct (parsing alone, no checks).
func runValidation(ctx context.Context, s *state) error {
	lines, err := sample(s.o.Events)
	if err != nil {
		return err
	}
	v := ingest.NewValidator(ingest.WithClock(benchClock))
	var proj, base, projCPU, baseCPU []float64
	n := float64(len(lines))
	for i := 0; i < s.o.Runs; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ev ingest.Event
		t := startTimer()
		if err := s.profile("validation", func() error {
			for _, l := range lines {
				_ = v.Decode(l, &ev) // invalid lines are part of the mix
			}
			return nil
		}); err != nil {
			return err
		}
		wall, cpu := t.stop()
		proj, projCPU = append(proj, n/wall), append(projCPU, n/cpu)
		t = startTimer()
		for _, l := range lines {
			var e jsonEvent
			_ = json.Unmarshal(l, &e)
		}
		wall, cpu = t.stop()
		base, baseCPU = append(base, n/wall), append(baseCPU, n/cpu)
	}
	s.add(rate("validation", "ingest.Validator.Decode", "events/s", "encoding/json.Unmarshal into a struct", proj, base,
		"> 300k events/s per core", fmt.Sprintf("%d simulated lines incl. ~0.2 %% invalid, one goroutine; per CPU-second %s vs %s",
			len(lines), human(median(projCPU)), human(median(baseCPU)))))
	return nil
}

// runBackfill: ingest.Loader from JSON Lines files into ClickHouse (read, validate, insert,
// acknowledged), beside the raw insert of the same rows already decoded into batches of the same
// size (ingest.Writer): the ClickHouse floor under the loader.
func runBackfill(ctx context.Context, s *state) error {
	dir, err := os.MkdirTemp("", "cxstar-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lines, err := sample(s.o.Events)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		return fmt.Errorf("write the benchmark's events file: %w", err)
	}
	const batchRows = 50_000
	v := ingest.NewValidator(ingest.WithClock(benchClock))
	var batches []*ingest.Batch
	var ev ingest.Event
	seen := ingest.NewSeen(0)
	var rows int64
	for i, l := range lines {
		if v.Decode(l, &ev) != nil || seen.Add(ev.EventID) {
			continue
		}
		if rows%batchRows == 0 {
			batches = append(batches, new(ingest.Batch))
		}
		batches[len(batches)-1].Add(&ev, ingest.LineSource(path, i+1))
		rows++
	}
	var proj, base, cpuPerRow []float64
	for i := 0; i < s.o.Runs; i++ {
		conn, err := store.Recreate(ctx, s.o.DSN)
		if err != nil {
			return err
		}
		var st ingest.Stats
		t := startTimer()
		err = s.profile("backfill", func() (err error) {
			st, err = ingest.NewLoader(v, ingest.NewWriter(conn, ingest.WithMaxAttempts(3)), ingest.WithBatchRows(batchRows)).Load(ctx, []string{path})
			return err
		})
		el, cpu := t.stop()
		if err != nil {
			conn.Close()
			return err
		}
		want, err := benchkafka.RowsHash(ctx, conn)
		conn.Close()
		if err != nil {
			return err
		}
		if st.Inserted != rows {
			return fmt.Errorf("the loader inserted %d rows, want %d", st.Inserted, rows)
		}
		proj, cpuPerRow = append(proj, float64(st.Inserted)/el), append(cpuPerRow, 1e6*cpu/float64(st.Inserted))

		if conn, err = store.Recreate(ctx, s.o.DSN); err != nil {
			return err
		}
		w := ingest.NewWriter(conn, ingest.WithMaxAttempts(3))
		t0 := time.Now()
		for _, b := range batches {
			if err := w.Write(ctx, b); err != nil {
				conn.Close()
				return err
			}
		}
		base = append(base, float64(rows)/time.Since(t0).Seconds())
		got, err := benchkafka.RowsHash(ctx, conn)
		conn.Close()
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the raw insert stored other rows than the loader: hash of event ids and sources %d, want %d", got, want)
		}
	}
	s.add(rate("backfill", "ingest.Loader (file → validate → insert)", "rows/s", "raw ClickHouse insert of the same rows (ingest.Writer, 50k-row batches)",
		proj, base, "≥ 0.95", fmt.Sprintf("%d rows, %.0f MB file; cxstar's own CPU %.2f µs/row (the rest is ClickHouse)", rows, float64(len(bytes.Join(lines, nil)))/1e6, median(cpuPerRow))))
	return nil
}

// timer measures wall time and this process's CPU time (user + system), so that a rate can also
// be given per CPU-second, which a loaded machine disturbs much less than wall time.
type timer struct {
	wall time.Time
	cpu  time.Duration
}

func startTimer() timer { return timer{time.Now(), proccpu.Used()} }

// stop returns the wall and CPU seconds since start.
func (t timer) stop() (wall, cpu float64) {
	return time.Since(t.wall).Seconds(), max((proccpu.Used() - t.cpu).Seconds(), 1e-9)
}

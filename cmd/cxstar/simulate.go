package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/simulate"
)

// simFlags are the generator's flags, shared by `cxstar simulate`, `cxstar demo` and `cxstar bench`.
type simFlags struct {
	seed, agencies, requests *int
	from, to                 *string
	invalid, dup, followUp   *float64
}

func addSimFlags(fs *flagSet, agencies, requests int, followUp float64) *simFlags {
	return &simFlags{
		seed:     envInt(fs, "seed", "CXSTAR_SIM_SEED", simulate.DefaultSeed, "random seed; the same seed and flags give byte-identical data"),
		agencies: envInt(fs, "agencies", "CXSTAR_SIM_AGENCIES", agencies, "number of agencies (federal, regional, municipal)"),
		requests: envInt(fs, "requests", "CXSTAR_SIM_REQUESTS", requests, "mean service requests per agency and quarter (each gives 2–3 status events, surveys and appeals)"),
		from:     envString(fs, "from", "CXSTAR_SIM_FROM", "", "first quarter, e.g. 2025Q4 (default: 3 quarters before --to)"),
		to:       envString(fs, "to", "CXSTAR_SIM_TO", "", "last quarter, e.g. 2026Q3 (default: the last complete quarter in the band file's time zone)"),
		invalid:  envFloat(fs, "invalid-share", "CXSTAR_SIM_INVALID_SHARE", simulate.DefaultInvalidShare, "probability from 0 to 1 that an event is followed by an invalid line"),
		dup:      envFloat(fs, "duplicate-share", "CXSTAR_SIM_DUPLICATE_SHARE", simulate.DefaultDuplicateShare, "probability from 0 to 1 that an event is delivered twice"),
		followUp: envFloat(fs, "followup-share", "CXSTAR_SIM_FOLLOWUP_SHARE", followUp, "probability from 0 to 1 that the agency follows up a detractor's survey with a followed_up step of the request (contract v1.1)"),
	}
}

// generator builds the Generator the flags describe.
func (f *simFlags) generator() (*simulate.Generator, error) {
	opts := []simulate.Option{simulate.WithSeed(uint64(*f.seed)), simulate.WithAgencies(*f.agencies),
		simulate.WithRequests(*f.requests), simulate.WithInvalidShare(*f.invalid), simulate.WithDuplicateShare(*f.dup),
		simulate.WithFollowUpShare(*f.followUp)}
	if *f.agencies < 1 || *f.requests < 1 {
		return nil, fmt.Errorf("--agencies %d, --requests %d: both must be at least 1", *f.agencies, *f.requests)
	}
	for name, p := range map[string]float64{"--invalid-share": *f.invalid, "--duplicate-share": *f.dup, "--followup-share": *f.followUp} {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("%s %v: must be a probability from 0 to 1", name, p)
		}
	}
	if *f.from != "" || *f.to != "" {
		loc, err := metrics.QuarterLocation("", nil)
		if err != nil {
			return nil, err
		}
		to := quarter.LastComplete(time.Now(), loc)
		if *f.to != "" {
			q, err := quarter.Parse(*f.to, loc)
			if err != nil {
				return nil, fmt.Errorf("--to: %w", err)
			}
			to = q
		}
		from := to.Add(-3)
		if *f.from != "" {
			q, err := quarter.Parse(*f.from, loc)
			if err != nil {
				return nil, fmt.Errorf("--from: %w", err)
			}
			from = q
		}
		if from.Index() > to.Index() {
			return nil, fmt.Errorf("--from %s is after --to %s", from, to)
		}
		opts = append(opts, simulate.WithQuarters(from, to))
	}
	return simulate.New(opts...), nil
}

// writeRegistry writes the reference data of the simulated agencies (client scenarios and
// capability declarations) in the format of `cxstar registry import`.
func writeRegistry(path string, g *simulate.Generator) error {
	data, err := json.MarshalIndent(g.Registry(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write registry %s: %w", path, err)
	}
	return nil
}

// simulateToFiles runs the generator into dir and writes the registry beside the events.
func simulateToFiles(ctx context.Context, g *simulate.Generator, dir string, gz bool) (simulate.Stats, []string, error) {
	fs, err := simulate.NewFileSink(dir, gz)
	if err != nil {
		return simulate.Stats{}, nil, err
	}
	st, err := g.Run(ctx, fs)
	if cerr := fs.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, nil, err
	}
	reg := filepath.Join(dir, "registry.json")
	return st, append(fs.Paths(), reg), writeRegistry(reg, g)
}

func printSimStats(st simulate.Stats, elapsed time.Duration) {
	fmt.Printf("simulated %d agencies × %d quarters: %d requests (%d repeat), %d service events, %d ratings, %d appeal steps, %d duplicates, %d invalid lines; %d lines, %.1f MB in %s (%.0f events/s)\n",
		st.Agencies, st.Quarters, st.Requests, st.RepeatRequests, st.Events[ingest.KindService], st.Events[ingest.KindRating],
		st.Events[ingest.KindAppeal], st.DuplicateTotal(), st.InvalidTotal(), st.Lines(), float64(st.Bytes)/1e6,
		elapsed.Round(time.Millisecond), float64(st.Lines())/elapsed.Seconds())
}

func runSimulate(ctx context.Context, args []string) error {
	fs := newFlagSet("simulate", "simulate [flags]\n\nGenerates realistic anonymised events for N agencies over M quarters (services, life situations,\nclient scenarios, repeat requests, proactive provision, surveys, appeals with response times from\nminutes to days, and a small share of invalid and duplicated lines) as JSON Lines files, one per\nkind, plus registry.json (client scenarios and capability declarations, for\n`cxstar registry import`). Seeded and deterministic.")
	sf := addSimFlags(fs, simulate.DefaultAgencies, simulate.DefaultRequests, 0)
	out := envString(fs, "out", "CXSTAR_SIM_OUT", "cxstar-sim", "output directory")
	gz := envBool(fs, "gzip", "CXSTAR_SIM_GZIP", false, "gzip the files")
	kf := kafkaFlags{
		brokers: envString(fs, "kafka", "CXSTAR_SIM_KAFKA", "", "publish straight to the event topics of these Kafka brokers (comma-separated, e.g. 127.0.0.1:19092) instead of writing event files; registry.json still goes to --out"),
		sec:     kafkaSecurityFlags(fs),
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	g, err := sf.generator()
	if err != nil {
		return err
	}
	qs := g.Quarters()
	start := time.Now()
	if *kf.brokers != "" {
		fmt.Fprintf(os.Stderr, "simulate: %d agencies, %s–%s, seed %d → Kafka %s\n", len(g.Agencies()), qs[0], qs[len(qs)-1], *sf.seed, *kf.brokers)
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("create output directory %s: %w", *out, err)
		}
		_, tr, err := kf.client(ctx)
		if err != nil {
			return err
		}
		sink := simulate.NewKafkaSink(ctx, kf.list(), simulate.WithKafkaTransport(tr))
		st, err := g.Run(ctx, sink)
		if cerr := sink.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		printSimStats(st, time.Since(start))
		fmt.Printf("published %d messages\n", sink.Published())
		reg := filepath.Join(*out, "registry.json")
		if err := writeRegistry(reg, g); err != nil {
			return err
		}
		fmt.Println("  " + reg)
		return nil
	}
	fmt.Fprintf(os.Stderr, "simulate: %d agencies, %s–%s, seed %d → %s\n", len(g.Agencies()), qs[0], qs[len(qs)-1], *sf.seed, *out)
	st, paths, err := simulateToFiles(ctx, g, *out, *gz)
	if err != nil {
		return err
	}
	printSimStats(st, time.Since(start))
	for _, p := range paths {
		fmt.Println("  " + p)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

func runAssess(ctx context.Context, args []string) error {
	fs := newFlagSet("assess", "assess --quarter 2026Q3 [--standard people|business] [--agency ID] [--format table|json|csv] [--close [--reason TEXT]] [--revision N] [flags]")
	qdb := addTimedQuarterDBFlags(fs, "to assess")
	standard := envString(fs, "standard", "CXSTAR_STANDARD", "both", "people, business or both")
	agency := agencyFlag(fs, "assess only this agency_id (default: every agency with data)")
	format := formatFlag(fs, "standard")
	bands := envString(fs, "bands", "CXSTAR_BANDS", "", "band files overriding the embedded ones, comma-separated (each names its standard; several files of one standard are versions chosen by effective date; default: the embedded version in force at the quarter's end)")
	lang := langFlag(fs, "labels")
	noStore := noStoreFlag(fs, "print only; do not write assessments and indicator_details (for a closed quarter: nor the pending revision the dashboards show)")
	registryVersion := envString(fs, "registry-version", "CXSTAR_REGISTRY_VERSION", "", "read the registry as of this load_id (see cxstar registry versions; default: the newest load)")
	parallel := envIntMin(fs, "parallel", "CXSTAR_ASSESS_PARALLEL", 0, 0, fmt.Sprintf("queries at once, each on its own connection, with the services query in twice that many parts: 1 runs them one after the other; 0 takes the server's max_threads (on 18.16 a query with FINAL uses one thread); at most %d", transform.MaxParallel))
	fs.check(func() error {
		if *parallel > transform.MaxParallel {
			return fmt.Errorf("--parallel %d: at most %d, the connections cxstar opens to ClickHouse (0 takes the server's max_threads)", *parallel, transform.MaxParallel)
		}
		return nil
	})
	off := addOfficialFlags(fs)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	req := transform.Request{RegistryVersion: *registryVersion, Agency: *agency, Timezone: *qdb.tz, Store: !*noStore, Bands: map[metrics.Standard]*metrics.BandSet{},
		Parallel: *parallel}
	if *standard != "both" && *standard != "" {
		std, err := metrics.ParseStandard(*standard)
		if err != nil {
			return err
		}
		req.Standards = []metrics.Standard{std}
	}
	if err := loadBandFlags(*bands, &req); err != nil {
		return err
	}
	first := metrics.People
	if len(req.Standards) > 0 {
		first = req.Standards[0]
	}
	zoneOf := req.Bands[first]
	if v := req.BandVersions[first]; zoneOf == nil && len(v) > 0 {
		zoneOf = v[0]
	}
	q, err := qdb.resolve(zoneOf, time.Now())
	if err != nil {
		return err
	}
	req.Quarter = q.String()
	ctx, conn, done, err := qdb.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	if req.Parallel == 0 {
		if req.Parallel, err = transform.ServerThreads(ctx, conn); err != nil {
			return err
		}
	}
	// Closing: the quarter has settled, so its inputs are merged first (cxstar compact); the
	// closing assessment and every later one read less. A failed merge changes no result: warn.
	if *off.close {
		if err := compactQuarter(ctx, conn, *qdb.dsn, req); err != nil {
			fmt.Fprintf(os.Stderr, "cxstar assess: closing without compacting the inputs first (%v); run cxstar compact --quarter %s later\n", err, req.Quarter)
		}
	}
	// A closed quarter prints its official revision; --close publishes one.
	if handled, err := assessOfficial(ctx, conn, req, off, *format, *lang); handled || err != nil {
		return err
	}
	run, err := transform.Assess(ctx, conn, req)
	if err != nil {
		return err
	}
	if err := printScorecards(os.Stdout, run.Scorecards, *format, *lang); err != nil {
		return err
	}
	if req.Store {
		fmt.Fprintf(os.Stderr, "cxstar assess: stored run %s (computed_at %s) in assessments and %d drill-down rows in indicator_details\n",
			run.RunID, run.ComputedAt.Format(time.RFC3339), len(run.Details))
	}
	return nil
}

// loadBandFlags reads the band files of --bands into req: one file of a standard overrides its
// bands; several files of one standard are versions, and the one in force at the quarter's end
// applies.
func loadBandFlags(list string, req *transform.Request) error {
	versions := map[metrics.Standard][]*metrics.BandSet{}
	for _, path := range strings.Split(list, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		b, err := metrics.LoadBands(path)
		if err != nil {
			return fmt.Errorf("--bands: %w", err)
		}
		versions[b.Standard] = append(versions[b.Standard], b)
	}
	req.BandVersions = map[metrics.Standard][]*metrics.BandSet{}
	for std, v := range versions {
		if len(v) == 1 {
			req.Bands[std] = v[0]
		} else {
			req.BandVersions[std] = v
		}
	}
	return nil
}

// printScorecards writes the scorecards as a table, JSON lines or CSV (--format).
func printScorecards(w io.Writer, scs []metrics.Scorecard, format string, l metrics.Lang) error {
	for i := range scs {
		sc := &scs[i]
		var err error
		switch format {
		case "json":
			err = sc.WriteJSON(w)
		case "csv":
			err = sc.WriteCSV(w, l, i == 0)
		default:
			if i > 0 {
				fmt.Fprintln(w)
			}
			err = sc.WriteTable(w, l)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

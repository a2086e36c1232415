package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/readability/replies"
)

// readabilityCoverageUsage is the synopsis and description of `cxstar readability coverage --help`.
const readabilityCoverageUsage = `readability coverage [--quarter 2026Q3] [--agency ID] [--format table|json] [flags]

Checks the replies stored in ClickHouse: per agency and life situation, the written replies to
natural persons of the quarter, how many were checked (their text came with the event and was
counted) and how many of those are within the limits of the default segment; then P-T2-4's
readability coverage computed from data — the share of the agency's life situations in the
registry whose replies were checked (at least coverage_checked_share % of them) — beside the
value the agency declared. See docs/readability.md.`

// runReadabilityCoverage is `cxstar readability coverage`: the stored replies of a quarter checked
// per agency and life situation.
func runReadabilityCoverage(ctx context.Context, args []string) error {
	fs := newFlagSet("readability coverage", readabilityCoverageUsage)
	qdb := addTimedQuarterDBFlags(fs, "to check")
	agency := agencyFlag(fs, "check only this agency_id (default: every agency with replies, registry entries or declarations)")
	format := readabilityFormatFlag(fs)
	limitsFile := limitsFlag(fs)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	limits, err := limitsFile.load()
	if err != nil {
		return err
	}
	q, err := qdb.resolve(nil, time.Now())
	if err != nil {
		return err
	}
	ctx, conn, done, err := qdb.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	opts := []replies.Option{replies.WithLimits(limits)}
	if *agency != "" {
		opts = append(opts, replies.WithAgency(*agency))
	}
	rep, err := replies.Check(ctx, conn, q, opts...)
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	dec := func(d *metrics.Decimal) string {
		if d == nil {
			return "—"
		}
		return d.String()
	}
	fmt.Printf("%s: written replies to natural persons, checked against the %s limits (%s); a life situation counts at ≥ %v %% checked\n\n",
		rep.Quarter, rep.Segment, rep.LimitsVersion, rep.CheckedShare)
	for _, a := range rep.Agencies {
		fmt.Printf("%s: readability check in place for %s %% of life situations (%d of %d in the registry); declared %s %%\n",
			a.AgencyID, dec(a.Computed), a.Counted, a.Registry, dec(a.Declared))
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "life situation\tin registry\treplies\tchecked\tchecked %%\twithin limits\twithin %%\tcounts\t\n")
		for _, s := range a.LifeSituations {
			id := s.ID
			if id == "" {
				id = "(none)"
			}
			fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%s\t%d\t%s\t%v\t\n", id, s.InRegistry, s.Replies, s.Checked, dec(s.CheckedShare), s.Within, dec(s.WithinShare), s.Counts)
		}
		tw.Flush()
		fmt.Println()
	}
	if len(rep.Agencies) == 0 {
		fmt.Println("no replies, registry entries or declarations in this quarter")
	}
	return nil
}

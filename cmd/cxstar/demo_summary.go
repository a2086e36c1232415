package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/simulate"
)

// demoAgency is one line of the summary table, read back from ClickHouse.
type demoAgency struct {
	ID, Level                            string
	ServiceEvents, Ratings, AppealSteps  uint64
	NPSAnswers, Promoters, Detractors    uint64
	Requests, CompletedRequests, Appeals uint64
}

func demoReadBack(ctx context.Context, conn driver.Conn, g *simulate.Generator, res *demoResult) error {
	byID := map[string]*demoAgency{}
	for _, a := range g.Agencies() {
		res.Agencies = append(res.Agencies, demoAgency{ID: a.ID, Level: string(a.Level)})
	}
	for i := range res.Agencies {
		byID[res.Agencies[i].ID] = &res.Agencies[i]
	}
	queries := []struct {
		sql  string
		scan func(a *demoAgency) []any
	}{
		{`SELECT agency_id, count(), countIf(status = 'submitted'), countIf(status = 'completed') FROM service_events FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.ServiceEvents, &a.Requests, &a.CompletedRequests} }},
		{`SELECT agency_id, count(), countIf(question = 'nps'), countIf(question = 'nps' AND score >= 9), countIf(question = 'nps' AND score <= 6) FROM ratings FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.Ratings, &a.NPSAnswers, &a.Promoters, &a.Detractors} }},
		{`SELECT agency_id, count(), countIf(step = 'received') FROM appeals FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.AppealSteps, &a.Appeals} }},
	}
	for _, q := range queries {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			return fmt.Errorf("read the per-agency counts: %w", err)
		}
		for rows.Next() {
			var id string
			var tmp demoAgency
			dst := append([]any{&id}, q.scan(&tmp)...)
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return fmt.Errorf("read the per-agency counts: %w", err)
			}
			a := byID[id]
			if a == nil {
				rows.Close()
				return fmt.Errorf("ClickHouse holds events of agency %q, which the demo did not simulate: is the demo database shared?", id)
			}
			src, dstA := q.scan(&tmp), q.scan(a)
			for i := range src {
				*dstA[i].(*uint64) = *src[i].(*uint64)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	for _, a := range res.Agencies {
		res.Rows["service_events"] += a.ServiceEvents
		res.Rows["ratings"] += a.Ratings
		res.Rows["appeals"] += a.AppealSteps
	}
	sort.SliceStable(res.Agencies, func(i, j int) bool { return res.Agencies[i].ID < res.Agencies[j].ID })
	return nil
}

// NPS returns the agency's NPS over the whole period (metrics.NPS: promoters − detractors, % of
// answers, R-ROUND), or nil without answers.
func (a demoAgency) NPS() *metrics.Decimal {
	v, err := metrics.NPS(int64(a.Promoters), int64(a.Detractors), int64(a.NPSAnswers))
	if err != nil {
		return nil
	}
	return &v
}

func printDemoSummary(w io.Writer, res *demoResult, elapsed time.Duration) {
	last := ""
	if len(res.Quarters) > 0 {
		last = res.Quarters[len(res.Quarters)-1]
	}
	fmt.Fprintf(w, "Overall star level per quarter (%s; — not assessed) and, for %s, the assessed indicators at 3★ or more:\n\n", strings.Join(res.Quarters, " "), last)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "agency\ttier\tpeople ★\t≥3★\tbusiness ★\t≥3★\trequests\tratings\tNPS\tappeals\t")
	for _, a := range res.Agencies {
		lv, lq := res.Levels[a.ID], res.LastQuarter[a.ID]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t\n", a.ID, a.Level,
			demoLevels(lv[metrics.People]), demoShare(lq[metrics.People]), demoLevels(lv[metrics.Business]), demoShare(lq[metrics.Business]),
			a.Requests, a.Ratings, demoNPS(a.NPS()), a.Appeals)
	}
	tw.Flush()
	printWatch(w, res)
	cs := res.Consumer
	fmt.Fprintf(w, "\nIndicator values stored: %d assessed, %d not assessed (sample below min_n or no declaration), %d without data\n",
		res.Indicators[metrics.Assessed], res.Indicators[metrics.NotAssessed], res.Indicators[metrics.NoData])
	fmt.Fprintf(w, "ClickHouse (%s): %d service events, %d ratings, %d appeal steps — distinct events, as simulated: %s\n",
		secret.DSN(res.DSN), res.Rows["service_events"], res.Rows["ratings"], res.Rows["appeals"], demoYesNo(res.consistent()))
	fmt.Fprintf(w, "Kafka: %d messages published, %d inserted, %d duplicates skipped, %d invalid sent to the dead-letter topic\n",
		res.Published, cs.Inserted, cs.Duplicates, cs.Rejected)
	if res.Pushed {
		fmt.Fprintf(w, "Grafana: dashboards pushed to %s\n", os.Getenv("CXSTAR_GRAFANA_URL"))
	}
	fmt.Fprintf(w, "Files:\n")
	for _, f := range res.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "Demo finished in %s.\n", elapsed.Round(time.Second))
}

// demoNPS formats an NPS with its sign, e.g. "+12.5", or "—" without answers.
func demoNPS(v *metrics.Decimal) string {
	if v == nil {
		return "—"
	}
	if v.Sign() >= 0 {
		return "+" + v.String()
	}
	return v.String()
}

// demoShare formats "good/assessed", or "—" when nothing was assessed.
func demoShare(c [2]int) string {
	if c[1] == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", c[0], c[1])
}

// demoLevels formats overall levels per quarter, e.g. "2 2 3 —".
func demoLevels(lv []*int) string {
	parts := make([]string, len(lv))
	for i, l := range lv {
		parts[i] = "—"
		if l != nil {
			parts[i] = strconv.Itoa(*l)
		}
	}
	return strings.Join(parts, " ")
}

// consistent reports whether ClickHouse holds exactly the distinct valid events simulated.
func (r *demoResult) consistent() bool {
	return int64(r.Rows["service_events"]) == r.Sim.Events[ingest.KindService] &&
		int64(r.Rows["ratings"]) == r.Sim.Events[ingest.KindRating] &&
		int64(r.Rows["appeals"]) == r.Sim.Events[ingest.KindAppeal]
}

func demoYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/tenancy"
)

// demoAlert is one early-warning rule of the watched agency, evaluated at the end of the data.
type demoAlert struct {
	Title, Kind string
	Value       *float64 // nil: no row (no band yet, too few answers, or in the band)
	Fires       bool
}

// demoFollowUp is the watched agency's detractor follow-up in the last quarter.
type demoFollowUp struct {
	Items, FollowedUp, InTime uint64
	Monitor                   *metrics.Monitor // detractor_followup_share of the people standard
	Open                      []string         // the newest items without a follow-up step
}

// demoWatchSecret names the watched agency's demo database (tenancy.AgencyTenant); the demo
// creates no ClickHouse user, so nothing authenticates with it.
var demoWatchSecret = []byte("cxstar-demo")

// watchAgency shows, for the agency with the most detractor follow-up items in the last quarter,
// what its Grafana organization would: its early-warning rules evaluated on its own agency
// database (tenancy.AgencyDDL) at the end of the simulated data, and its follow-up items.
func (r *demoRun) watchAgency(ctx context.Context) error {
	qs := r.g.Quarters()
	last := qs[len(qs)-1]
	start, end := last.Start().UTC().Format("2006-01-02 15:04:05"), last.End().UTC().Format("2006-01-02 15:04:05")
	between := fmt.Sprintf("answered_at >= toDateTime('%s', 'UTC') AND answered_at < toDateTime('%s', 'UTC')", start, end)
	var id string
	var items uint64
	if err := r.conn.QueryRow(ctx, "SELECT toString(agency_id) AS a, count() AS n FROM followup_status WHERE "+between+
		" GROUP BY a ORDER BY n DESC, a LIMIT 1").Scan(&id, &items); err != nil {
		return fmt.Errorf("find the agency with the most follow-up items: %w", err)
	}
	res := r.res
	res.Watched = id
	fu := &res.FollowUp
	if err := r.conn.QueryRow(ctx, "SELECT count(), toUInt64(sum(followed_up)), toUInt64(sum(within_5_working_days)) FROM followup_status WHERE agency_id = '"+id+"' AND "+between).
		Scan(&fu.Items, &fu.FollowedUp, &fu.InTime); err != nil {
		return fmt.Errorf("count the follow-up items of %s: %w", id, err)
	}
	fu.Monitor = res.watchMonitors[id]
	rows, err := r.conn.Query(ctx, "SELECT concat(toString(answered_at), ' UTC  ', client_id, '  ', request_id, '  ', service_id, '  ', toString(question), ' ', toString(score)) "+
		"FROM followup_status WHERE agency_id = '"+id+"' AND followed_up = 0 AND "+between+" ORDER BY answered_at DESC, event_id LIMIT 5")
	if err != nil {
		return fmt.Errorf("read the open follow-up items of %s: %w", id, err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		fu.Open = append(fu.Open, s)
	}
	rows.Close()
	return r.watchAlerts(ctx, id, last)
}

// watchAlerts creates agency id's own database, as `cxstar dashboards push` provisions it (without
// its user), and evaluates the agency's early-warning rules on it at the end of quarter last.
func (r *demoRun) watchAlerts(ctx context.Context, id string, last quarter.Quarter) error {
	res := r.res
	fu := &res.FollowUp
	opts, err := store.Options(r.cfg.dsn)
	if err != nil {
		return err
	}
	tn, err := tenancy.AgencyTenant(opts.Auth.Database, id, demoWatchSecret)
	if err != nil {
		return err
	}
	for _, stmt := range tenancy.AgencyDDL(opts.Auth.Database, tn) {
		if err := r.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("create the agency database of %s: %w", id, err)
		}
	}
	r.undo = append(r.undo, func() { _ = r.conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+tn.Database+"`") })
	opts.Auth.Database = tn.Database
	ac, err := clickhouse.Open(opts)
	if err != nil {
		return fmt.Errorf("connect to the agency database of %s: %w", id, err)
	}
	defer ac.Close()
	th, err := dashboards.DefaultAlertThresholds()
	if err != nil {
		return err
	}
	at := last.End()
	bands := map[metrics.Standard]*metrics.BandSet{}
	for _, std := range metrics.Standards {
		vs, err := metrics.BandVersions(std)
		if err != nil {
			return err
		}
		if bands[std], err = metrics.BandsAt(vs, at.Format("2006-01-02")); err != nil {
			return err
		}
	}
	name := id
	for _, a := range r.g.Agencies() {
		if a.ID == id {
			name = a.Name
		}
	}
	als, err := dashboards.Alerts(dashboards.Agency{ID: id, Name: name}, th, bands, dashboards.RU)
	if err != nil {
		return err
	}
	from := at.Add(-28 * 24 * time.Hour)
	for _, al := range als {
		// The dead-feed rule compares with the ingestion time of the newest event, which is
		// today's clock in the demo, not the end of the simulated data: evaluate it now.
		f, t := from, at
		if al.Kind == "dead_feed" {
			t = time.Now()
			f = t.Add(-28 * 24 * time.Hour)
		}
		rows, err := ac.Query(ctx, dashboards.ExpandSQL(al.SQL, nil, f, t, time.Second))
		if err != nil {
			return fmt.Errorf("alert %q of %s: %w", al.Title, id, err)
		}
		da := demoAlert{Title: al.Title, Kind: al.Kind}
		for rows.Next() {
			var v float64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("alert %q of %s: %w", al.Title, id, err)
			}
			da.Value, da.Fires = &v, v > al.Threshold
		}
		rows.Close()
		res.Alerts = append(res.Alerts, da)
	}
	fmt.Fprintf(r.w, "      %s: %d alert rules evaluated at %s, %d follow-up items in %s\n", id, len(res.Alerts), at.UTC().Format(time.RFC3339), fu.Items, last)
	return nil
}

// printWatch prints the watched agency's alerts and follow-up items.
func printWatch(w io.Writer, res *demoResult) {
	if res.Watched == "" {
		return
	}
	fu := res.FollowUp
	fmt.Fprintf(w, "\nAgency %s, last quarter: early-warning alerts (its Grafana rules, evaluated on its own database at the end of the data):\n\n", res.Watched)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	firing := 0
	for _, a := range res.Alerts {
		v, state := "no data", "—"
		if a.Value != nil {
			v = fmt.Sprintf("%.2f", *a.Value)
		}
		if a.Fires {
			state, firing = "FIRING", firing+1
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", state, v, a.Title)
	}
	tw.Flush()
	fmt.Fprintf(w, "  %d of %d rules firing (no data: no band reached yet, fewer than min_n answers or requests in the window, or\n"+
		"  a repeat rate inside its band; the dead-feed rule is evaluated now, against the events' ingestion times)\n", firing, len(res.Alerts))
	fmt.Fprintf(w, "\nDetractor follow-up of %s: %d items (NPS 0–6 or satisfaction 1–2 naming a request), %d followed up, %d within 5 working days",
		res.Watched, fu.Items, fu.FollowedUp, fu.InTime)
	if m := fu.Monitor; m != nil && m.Value != nil {
		fmt.Fprintf(w, "; people: %s %% [%s–%s], n %d (%s)", m.Value, m.CILow, m.CIHigh, m.N, m.Status)
	}
	fmt.Fprintln(w)
	if len(fu.Open) > 0 {
		fmt.Fprintln(w, "  newest items not followed up (answered, client pseudonym, request, service, question and score):")
		for _, s := range fu.Open {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
}

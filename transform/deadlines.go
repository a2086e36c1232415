package transform

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// deadlineData holds what the monitored deadlines and the registry fallback of scenario coverage
// need for one agency and standard.
type deadlineData struct {
	ackN, ackInTime int64
	// fuN items of detractor follow-up answered in the quarter, fuInTime of them followed up within
	// 5 working days.
	fuN, fuInTime int64
	// regServices are the services of the agency's approved scenarios (owner or participant);
	// nil when the registry has none.
	regServices map[string]bool
}

// loadDeadlines runs sql/deadlines.sql: written appeals and those acknowledged in time.
func (l *loader) loadDeadlines(ctx context.Context) error {
	return l.loadInTime(ctx, "written-appeal deadlines", "deadlines", deadlinesSQL, func(d *agencyData, n, inTime int64) {
		d.present = true
		d.deadlines.ackN += n
		d.deadlines.ackInTime += inTime
	})
}

// loadFollowUps runs sql/followup.sql: detractor follow-up items and those followed up in time. An
// agency is not made present by its follow-up items alone (its answers make it present).
func (l *loader) loadFollowUps(ctx context.Context) error {
	return l.loadInTime(ctx, "detractor follow-up", "followup", followupSQL, func(d *agencyData, n, inTime int64) {
		d.deadlines.fuN += n
		d.deadlines.fuInTime += inTime
	})
}

// loadInTime runs a query of items and of those handled in time per agency × client type (its
// columns: agency_id, client_type, n, in_time) and hands the counts of each wanted standard's
// agency to add.
func (l *loader) loadInTime(ctx context.Context, name, label, sql string, add func(d *agencyData, n, inTime int64)) error {
	var ag, ct string
	var n, inTime uint64
	return l.query(ctx, name, label, sql, []any{&ag, &ct, &n, &inTime}, func() error {
		std := standardOf(ct)
		if !l.want[std] {
			return nil
		}
		add(dataFor(l.data, std, ag), int64(n), int64(inTime))
		return nil
	})
}

// loadCoverage runs sql/coverage.sql: the services of each agency's approved scenarios, for the
// agencies that already have service events.
func (l *loader) loadCoverage(ctx context.Context) error {
	var ag, stdName string
	var services []string
	return l.query(ctx, "registry services", "coverage", coverageSQL, []any{&ag, &stdName, &services}, func() error {
		for std := range l.want {
			if stdName != "" && stdName != string(std) {
				continue // '' = the scenario applies to both standards
			}
			d := l.data[key{std, ag}]
			if d == nil {
				continue // coverage needs the agency's own service events
			}
			if d.deadlines.regServices == nil {
				d.deadlines.regServices = map[string]bool{}
			}
			for _, s := range services {
				d.deadlines.regServices[s] = true
			}
		}
		return nil
	})
}

// Coverage sources, as stated in the output.
const (
	coverageFromEvents   = "scenario_id of events"
	coverageFromRegistry = "service_ids of approved scenarios in the registry"
)

// coverageSource decides where scenario coverage comes from: the events' scenario_id when any
// service event of the agency in the quarter carries one; otherwise (docs/indicators.md, scenario coverage:
// the events carry no scenario ids) a service counts when it belongs to ≥ 1 approved scenario of
// the registry. It returns the input to use and the source.
func coverageSource(b *metrics.BandSet, d *agencyData, in metrics.Input) (metrics.Input, string) {
	if in.Den == 0 {
		return in, ""
	}
	for _, r := range d.services {
		if r.inScenario > 0 {
			return in, coverageFromEvents
		}
	}
	if d.deadlines.regServices == nil {
		return in, coverageFromEvents
	}
	seen := map[string]bool{}
	in.Num, in.Den = 0, 0
	for _, r := range d.services {
		if b.Standard == metrics.People && r.kind == "support_measure" || r.active == 0 || seen[r.serviceID] {
			continue
		}
		seen[r.serviceID] = true
		in.Den++
		if d.deadlines.regServices[r.serviceID] {
			in.Num++
		}
	}
	return in, coverageFromRegistry
}

// monitorsFor computes the deadlines monitored without bands for one agency: the written-appeal
// acknowledgement and, where the band set gives social-media limits (B), the share of social-media
// messages answered within them, from the response times appeals.sql already returns.
func monitorsFor(b *metrics.BandSet, d *agencyData, q quarter.Quarter, now time.Time, socialHold string) []metrics.Monitor {
	var out []metrics.Monitor
	for _, def := range b.MonitorsFor() {
		switch def.Code {
		case metrics.MonitorWrittenAck:
			hold := ""
			if due := q.End().Add(time.Duration(b.Parameters.Ack()) * time.Hour); now.Before(due) {
				hold = "acknowledgements are due until " + due.UTC().Format(time.RFC3339)
			}
			out = append(out, b.EvaluateMonitor(def, d.deadlines.ackInTime, d.deadlines.ackN, hold))
		case metrics.MonitorSocialReply:
			l := b.Parameters.SocialLimitHours
			limits := map[string]int64{"mention": int64(l.Mention) * 3600, "official": int64(l.Official) * 3600}
			var n, inTime int64
			for class, secs := range d.appeals {
				for _, s := range secs {
					n++
					if s >= 0 && s <= limits[class] {
						inTime++
					}
				}
			}
			out = append(out, b.EvaluateMonitor(def, inTime, n, socialHold))
		case metrics.MonitorFollowUp:
			// 5 working days never span more than 7 calendar days.
			hold := ""
			if due := q.End().AddDate(0, 0, 7); now.Before(due) {
				hold = "follow-ups are due until " + due.UTC().Format(time.RFC3339)
			}
			out = append(out, b.EvaluateMonitor(def, d.deadlines.fuInTime, d.deadlines.fuN, hold))
		}
	}
	return out
}

// registryAt resolves the registry version of a run: the named load_id, or the newest load. It
// returns the load_id and the filter of registry rows loaded up to that version.
func registryAt(ctx context.Context, conn driver.Conn, version string) (string, string, error) {
	var id string
	var at time.Time
	var n uint64
	where := "1"
	if version != "" {
		where = "load_id = " + store.Quote(version)
	}
	err := conn.QueryRow(ctx, `SELECT argMax(load_id, loaded_at), max(loaded_at), count() FROM
(SELECT load_id, loaded_at FROM registry_scenarios UNION ALL SELECT load_id, loaded_at FROM capability_declarations UNION ALL
 SELECT load_id, loaded_at FROM registry_loads) WHERE `+where).Scan(&id, &at, &n)
	if err != nil {
		return "", "", fmt.Errorf("registry versions: %w (run `cxstar migrate`)", err)
	}
	switch {
	case n == 0 && version != "":
		return "", "", fmt.Errorf("registry version %q is not a load of this database (see cxstar registry versions)", version)
	case n == 0:
		return "", "1", nil
	case version == "":
		return id, "1", nil
	}
	return id, fmt.Sprintf("loaded_at <= toDateTime(%d)", at.Unix()), nil
}

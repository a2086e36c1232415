package dashboards

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

var macroRe = regexp.MustCompile(`\$__(timeFilter_ms|timeFilter|timeInterval|fromTime|toTime|interval_s)\b(?:\(([^)]*)\))?`)

// ExpandSQL does to a panel's SQL what Grafana does before ClickHouse sees it: the front end
// replaces the dashboard variables ($name and ${name}, longest names first), then the
// clickhouse-datasource plugin (v1.1.2, pkg/macros) expands its macros for the time range
// [from, to]: $__fromTime, $__toTime, $__timeFilter(col), $__timeFilter_ms(col),
// $__timeInterval(col) and $__interval_s (interval in seconds).
func ExpandSQL(sql string, vars map[string]string, from, to time.Time, interval time.Duration) string {
	sql = InterpolateVars(sql, vars)
	return macroRe.ReplaceAllStringFunc(sql, func(m string) string {
		p := macroRe.FindStringSubmatch(m)
		arg := strings.TrimSpace(p[2])
		switch p[1] {
		case "fromTime":
			return fmt.Sprintf("toDateTime(intDiv(%d,1000))", from.UnixMilli())
		case "toTime":
			return fmt.Sprintf("toDateTime(intDiv(%d,1000))", to.UnixMilli())
		case "timeFilter":
			return fmt.Sprintf("%s >= '%d' AND %s <= '%d'", arg, from.UTC().Unix(), arg, to.UTC().Unix())
		case "timeFilter_ms":
			return fmt.Sprintf("%s >= '%d' AND %s <= '%d'", arg, from.UTC().UnixMilli(), arg, to.UTC().UnixMilli())
		case "timeInterval":
			return fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", arg, int(interval.Seconds()))
		default: // interval_s
			return fmt.Sprintf("%d", int(interval.Seconds()))
		}
	})
}

// PanelQuery is one SQL target of a dashboard, for tests and tools that run every panel.
type PanelQuery struct {
	// Panel is the panel's title ("variable <name>" for a variable query).
	Panel string
	// SQL is the target's rawSql before expansion.
	SQL string
	// Format is the plugin's result format (FormatTable or FormatTimeSeries).
	Format int
}

// Queries lists every ClickHouse SQL of d: the panel targets and the query variables.
func Queries(d dashboard.Dashboard) []PanelQuery {
	var out []PanelQuery
	for _, v := range d.Templating.List {
		if v.Type == "query" && v.Query != nil && v.Query.String != nil {
			out = append(out, PanelQuery{Panel: "variable " + v.Name, SQL: *v.Query.String, Format: FormatTable})
		}
	}
	for _, pr := range d.Panels {
		if pr.Panel == nil {
			continue
		}
		for _, tg := range pr.Panel.Targets {
			if cq, ok := tg.(ClickHouseQuery); ok {
				out = append(out, PanelQuery{Panel: deref(pr.Panel.Title), SQL: cq.RawSQL, Format: cq.Format})
			}
		}
	}
	return out
}

// InterpolateVars replaces the dashboard variables ($name and ${name}, longest names first) as
// Grafana's front end does before a query reaches the datasource; macros ($__…) are left alone.
func InterpolateVars(sql string, vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		sql = strings.ReplaceAll(sql, "${"+n+"}", vars[n])
		sql = strings.ReplaceAll(sql, "$"+n, vars[n])
	}
	return sql
}

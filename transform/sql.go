package transform

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/store"
)

//go:embed sql/ratings.sql
var ratingsSQL string

//go:embed sql/services.sql
var servicesSQL string

//go:embed sql/appeals.sql
var appealsSQL string

//go:embed sql/registry.sql
var registrySQL string

//go:embed sql/declarations.sql
var declarationsSQL string

//go:embed sql/deadlines.sql
var deadlinesSQL string

//go:embed sql/coverage.sql
var coverageSQL string

//go:embed sql/followup.sql
var followupSQL string

// followupItemsSQL is not a query of its own: followup.sql reads it as {{FOLLOWUP_ITEMS}}, and
// FollowUpItemsSQL gives it to the export.
//
//go:embed sql/followup_items.sql
var followupItemsSQL string

// FollowUpItemsSQL returns the SELECT of the detractor follow-up items answered in [from, to),
// one row each with the columns and values of the view followup_status, reading only the
// partitions of followup_items and followups that they need (the view reads every partition).
func FollowUpItemsSQL(from, to time.Time) string { return FollowUpItemsQuery(ts(from), ts(to), "") }

// FollowUpItemsQuery is FollowUpItemsSQL with the bounds as SQL expressions of a DateTime (a
// dashboard's quarter variable, say), and filter ("" or "AND …" on the columns of followup_items,
// such as agency_id) applied to the items and steps as they are read. The bounds must be
// constant for the query, so that ClickHouse reads only the partitions they select. The file's
// leading comment, which documents it here, is left out.
func FollowUpItemsQuery(from, to, filter string) string {
	sql := followupItemsSQL
	for strings.HasPrefix(sql, "--") {
		_, sql, _ = strings.Cut(sql, "\n")
	}
	return store.Render(sql, map[string]string{"QS": from, "QE": to, "AGENCY": filter})
}

// scenariosSQL is not a query of its own: registry.sql and coverage.sql read it as {{SCENARIOS}}.
//
//go:embed sql/scenarios.sql
var scenariosSQL string

// array returns a ClickHouse Array(String) literal; an empty list is typed so that has() works.
func array(items []string) string {
	if len(items) == 0 {
		return "CAST([] AS Array(String))"
	}
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = store.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ts returns a DateTime literal of an instant (unix seconds, no time-zone ambiguity).
func ts(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }

// month returns the UTC month of an instant as YYYYMM, a partition of client_service_events.
func month(t time.Time) string { u := t.UTC(); return strconv.Itoa(u.Year()*100 + int(u.Month())) }

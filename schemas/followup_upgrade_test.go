package schemas_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/schemas"
)

// TestUpgradeFollowUpFrom051 migrates a database to 051 (follow-up items and steps in one
// partition each), inserts answers and steps (some delivered twice), runs `cxstar migrate` (052 and
// 053 rebuild both tables by quarter), inserts more, and compares with a database migrated from
// scratch that got the same rows: the same objects, the same items and steps under FINAL, as many
// as counted here by hand from the rows, each in its quarter's partition, and the same rows of
// the followup_status view.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestUpgradeFollowUpFrom051(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fresh, dsn := chtest.DB(t)
	freshDB := dbOf(dsn)
	old, oldDB := siblingDB(t, dsn, "_fu")
	all, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	migrateUpTo(t, old, all, 51, nil)

	ratingsBefore, itemsBefore := followUpRatings(0, 150)
	ratingsAfter, itemsAfter := followUpRatings(150, 90)
	stepsBefore, nStepsBefore := followUpSteps(0, 150)
	stepsAfter, nStepsAfter := followUpSteps(150, 90)
	for _, c := range []driver.Conn{fresh, old} {
		chtest.Insert(t, c, insertRatings, ratingsBefore)
		chtest.Insert(t, c, insertServiceEvents, stepsBefore)
	}
	migrateFrom(t, ctx, old, all, 51, "052_followup_items_quarters", "053_followups_quarters")
	for _, c := range []driver.Conn{fresh, old} {
		chtest.Insert(t, c, insertRatings, ratingsAfter)
		chtest.Insert(t, c, insertServiceEvents, stepsAfter)
	}

	if lf, lo := layout(t, fresh, freshDB, true), layout(t, old, oldDB, true); lf != lo {
		t.Errorf("objects of the upgraded database differ from a new one:\nnew:\n%s\nupgraded:\n%s", lf, lo)
	}
	for _, c := range []struct {
		table, query string
		want         int
	}{
		{"followup_items", "SELECT event_id, toString(answered_at), agency_id, request_id, toString(question), toString(score) FROM followup_items FINAL ORDER BY event_id",
			itemsBefore + itemsAfter},
		{"followups", "SELECT event_id, toString(occurred_at), agency_id, request_id FROM followups FINAL ORDER BY event_id",
			nStepsBefore + nStepsAfter},
		{"followup_status", "SELECT event_id, toString(followed_up), ifNull(toString(followed_up_at), '-'), toString(within_5_working_days) FROM followup_status ORDER BY event_id",
			itemsBefore + itemsAfter},
	} {
		rf, ro := chtest.Rows(t, fresh, c.query), chtest.Rows(t, old, c.query)
		if len(rf) != c.want || fmt.Sprint(rf) != fmt.Sprint(ro) {
			t.Errorf("%s: %d rows in the new database and %d in the upgraded one, want %d alike in both", c.table, len(rf), len(ro), c.want)
		}
	}
	// One partition per quarter (Moscow) that holds items or steps: Q2, Q3 and Q4 of 2026.
	for _, c := range []struct{ table, column string }{{"followup_items", "answered_at"}, {"followups", "occurred_at"}} {
		parts := chtest.Strings(t, old, fmt.Sprintf("SELECT DISTINCT partition FROM system.parts WHERE database = '%s' AND table = '%s' AND active ORDER BY partition", oldDB, c.table))
		quarters := chtest.Strings(t, old, fmt.Sprintf("SELECT DISTINCT toString(toStartOfQuarter(%s, 'Europe/Moscow')) AS q FROM %s ORDER BY q", c.column, c.table))
		if len(quarters) != 3 || fmt.Sprint(parts) != fmt.Sprint(quarters) {
			t.Errorf("%s: partitions %v for the quarters %v, want one per quarter (3)", c.table, parts, quarters)
		}
	}
}

const insertRatings = "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)"

// followUpRatings returns n survey answers numbered from first, 17 hours apart from 2026-05-20
// (quarters Q2 to Q4 of 2026), every 10th delivered twice (a later ingested_at), and how many of
// them are follow-up items: a detractor's answer (nps 0–6 or satisfaction 1–2) that names a request.
func followUpRatings(first, n int) (rows [][]any, items int) {
	base := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		question, score := "satisfaction", uint8(1+i%4)
		if i%3 == 0 {
			question, score = "nps", uint8(i%11)
		}
		request := fmt.Sprintf("r%d", i)
		if i%4 == 3 {
			request = ""
		}
		if request != "" && (question == "nps" && score <= 6 || question == "satisfaction" && score <= 2) {
			items++
		}
		at := base.Add(time.Duration(i) * 17 * time.Hour)
		row := []any{fmt.Sprintf("a%d", i), at, fmt.Sprintf("ag%d", i%3), "person", fmt.Sprintf("c%d", i%7), question, score, "s1", request, "", "", "portal", at, "test"}
		rows = append(rows, row)
		if i%10 == 0 {
			again := append([]any(nil), row...)
			again[12] = at.Add(time.Hour)
			rows = append(rows, again)
		}
	}
	return rows, items
}

// followUpSteps returns a followed_up step for every even-numbered answer of followUpRatings
// (its request, 30 hours after the answer; the step of an answer without a request names none),
// every 5th delivered twice, and how many distinct steps they are.
func followUpSteps(first, n int) (rows [][]any, steps int) {
	base := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		if i%2 != 0 {
			continue
		}
		at := base.Add(time.Duration(i)*17*time.Hour + 30*time.Hour)
		row := []any{fmt.Sprintf("f%d", i), at, fmt.Sprintf("ag%d", i%3), "person", fmt.Sprintf("c%d", i%7), fmt.Sprintf("r%d", i), "s1", "service", "followed_up",
			"portal", "", "", "", uint8(0), at, "test"}
		rows = append(rows, row)
		steps++
		if i%5 == 0 {
			again := append([]any(nil), row...)
			again[14] = at.Add(time.Hour)
			rows = append(rows, again)
		}
	}
	return rows, steps
}

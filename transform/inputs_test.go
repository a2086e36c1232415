package transform

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/chtest"
)

// TestInputsOutOfStep: counts whose names table row is missing stop the run with an error that
// names the table and the repair, instead of disappearing from the assessment.
func TestInputsOutOfStep(t *testing.T) {
	ctx := context.Background()
	for _, table := range []string{"rating_groups", "service_groups"} {
		t.Run(table, func(t *testing.T) {
			conn, _ := chtest.DB(t)
			var l lines
			l.rating("", "a1", "person", "c1", "ease", 4, "2026-07-10T10:00:00Z", nil)
			l.service("a1", "person", "c1", "R1", "sA", "service", "submitted", "2026-07-10T10:00:00Z", nil)
			loadLines(t, conn, "inputs.jsonl", l)
			now := func() time.Time { return fixedNow }
			if _, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Now: now}); err != nil {
				t.Fatalf("assess before the names are removed: %v", err)
			}
			if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
				t.Fatal(err)
			}
			_, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Now: now})
			if err == nil || !strings.Contains(err.Error(), "without a row in "+table) || !strings.Contains(err.Error(), "022_indicator_inputs.sql") {
				t.Fatalf("assess with %s emptied: error %v, want one naming the table and the repair", table, err)
			}
		})
	}
}

package dashboards_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
)

// TestMoversPanel runs the overview's biggest-movers panel through the real plugin with the
// Project Office's datasource on the seeded comparisons of 2026Q3: mvd (agency 0, levels
// (0 + ii + qi·(ii%2)) % 6, values 40 + 5·level) changes on ii = 1 ease 45 → 50, ii = 3 repeat
// requests 55 → 60 (not significant), ii = 5 feedback channels 65 → 40 and ii = 7 social-media
// response 45 → 50. The panel lists only the significant ones, the largest change first.
func TestMoversPanel(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	_, po, ag := provision(t, conn, dsn, "movers-secret")
	ds := pushedDatasources(t, po, ag)[""]
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		_, target := overviewTarget(t, lang, "FROM indicator_comparisons_latest", map[string]string{"standard": "people", "quarter": "2026Q3"})
		var got []string
		for _, r := range targetRows(t, p, ds, target) {
			if strings.HasPrefix(r, "mvd | ") {
				got = append(got, r)
			}
		}
		names := dashboards.DefaultIndicatorNames(lang)
		up, down := "значимое улучшение", "значимое ухудшение"
		if lang == dashboards.EN {
			up, down = "significant improvement", "significant decline"
		}
		want := []string{
			"mvd | " + names["sat_feedback_channels"] + " | 65 | 40 | -25 | " + down,
		}
		rest := []string{
			"mvd | " + names["ease_positive_share"] + " | 45 | 50 | 5 | " + up,
			"mvd | " + names["social_media_response_time"] + " | 45 | 50 | 5 | " + up,
		}
		if rest[1] < rest[0] {
			rest[0], rest[1] = rest[1], rest[0]
		}
		want = append(want, rest...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: movers of mvd\n%s\nwant\n%s", lang, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

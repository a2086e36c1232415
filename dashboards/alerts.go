package dashboards

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
	"gopkg.in/yaml.v3"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/tenancy"
)

// AlertRuleGroupName is the rule group of the early-warning alerts in each agency's folder.
const AlertRuleGroupName = "cxstar early warnings"

// Alert is one early-warning rule, before it is shaped for Grafana.
type Alert struct {
	// UID is stable per agency and rule (≤ 40 characters).
	UID, Title string
	// SQL returns at most one row with one numeric column; the rule fires when that value is
	// above Threshold (no row: no data, which is not an alert).
	SQL       string
	Threshold float64
	// Kind: share, nps, repeat, social, dead_feed.
	Kind string
}

// clientType maps a standard to the client type of its answers.
func clientType(std string) string {
	if std == string(metrics.Business) {
		return "business"
	}
	return "person"
}

// floorSQL is the SQL of the lower bound of the band of indicator code that the agency reached in
// its latest assessed quarter of standard std (level 0 or no bound: no row is returned).
func floorSQL(std, code string, lad *metrics.Ladder) string {
	var lv, fl []string
	for _, l := range lad.Levels {
		var f float64
		switch {
		case l.Min != nil:
			f = l.Min.Float64()
		case l.Above != nil:
			f = l.Above.Float64()
		default:
			continue
		}
		lv = append(lv, strconv.Itoa(l.Level))
		v := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(v, ".") {
			v += ".0" // Float64, like the default
		}
		fl = append(fl, v)
	}
	return "SELECT transform(assumeNotNull(level), [" + strings.Join(lv, ", ") + "], [" + strings.Join(fl, ", ") + "], -1.0) AS floor, 1 AS k " +
		"FROM assessments_latest WHERE standard = '" + std + "' AND indicator = '" + code + "' AND status = 'assessed' AND level IS NOT NULL " +
		"ORDER BY quarter_start DESC LIMIT 1"
}

// ceilingSQL is the SQL of the upper bound of the band of a lower-is-better indicator (the
// repeat-request rate) that the agency reached in its latest assessed quarter, and whether that
// bound is strict («менее»); level 0 or no bound: no row.
func ceilingSQL(std, code string, lad *metrics.Ladder) string {
	var lv, cl, strict []string
	for _, l := range lad.Levels {
		var c float64
		switch {
		case l.Max != nil:
			c = l.Max.Float64()
			strict = append(strict, "0")
		case l.Below != nil:
			c = l.Below.Float64()
			strict = append(strict, "1")
		default:
			continue
		}
		lv = append(lv, strconv.Itoa(l.Level))
		v := strconv.FormatFloat(c, 'f', -1, 64)
		if !strings.Contains(v, ".") {
			v += ".0"
		}
		cl = append(cl, v)
	}
	return "SELECT transform(assumeNotNull(level), [" + strings.Join(lv, ", ") + "], [" + strings.Join(cl, ", ") + "], -1.0) AS ceiling, " +
		"transform(assumeNotNull(level), [" + strings.Join(lv, ", ") + "], [" + strings.Join(strict, ", ") + "], 0) AS strict, 1 AS k " +
		"FROM assessments_latest WHERE standard = '" + std + "' AND indicator = '" + code + "' AND status = 'assessed' AND level IS NOT NULL " +
		"ORDER BY quarter_start DESC LIMIT 1"
}

// repeatSQL is the repeat-request alert of standard std over the last days: one row, the rate's
// excess over the band's ceiling in points, only when the rate is out of the band (above an
// inclusive ceiling, at or above a strict one) and at least minN requests were submitted. A
// request is submitted at its earliest `submitted` event in the window; it is a repeat when a
// request of the same client and service was completed at t1 with t1 < s <= t1 + the window of
// the band file (A10), and its service is not excluded. 18.16's lambdas read no other column, so
// s is handed to arrayExists as a second array.
func repeatSQL(std, code string, days, minN int, lad *metrics.Ladder, p metrics.Parameters) string {
	ct := clientType(std)
	win := int64(p.RepeatWindowDays) * 86400
	excluded := "CAST([] AS Array(String))"
	if len(p.RepeatExcludedServices) > 0 {
		var q []string
		for _, s := range p.RepeatExcludedServices {
			q = append(q, store.Quote(s))
		}
		excluded = "[" + strings.Join(q, ", ") + "]"
	}
	return "SELECT 100 * repeats / n - ceiling AS excess_points FROM (" +
		"SELECT count() AS n, sum(rep) AS repeats, 1 AS k FROM (" +
		fmt.Sprintf("SELECT toUInt8(NOT has(%s, service_id) AND arrayExists((c, s) -> c < s AND s <= c + %d, comps, arrayResize([sub], length(comps), sub))) AS rep FROM (", excluded, win) +
		"SELECT client_id, service_id, request_id, toUInt32(minIf(occurred_at, status = 'submitted')) AS sub FROM service_events FINAL " +
		fmt.Sprintf("WHERE client_type = '%s' AND %s GROUP BY client_id, service_id, request_id HAVING sub > 0", ct, window(days)) +
		") AS requests ANY LEFT JOIN (" +
		"SELECT client_id, service_id, groupArray(done) AS comps FROM (" +
		"SELECT client_id, service_id, request_id, toUInt32(minIf(occurred_at, status = 'completed')) AS done FROM service_events FINAL " +
		fmt.Sprintf("WHERE client_type = '%s' AND occurred_at > $__toTime - INTERVAL %d DAY AND occurred_at <= $__toTime GROUP BY client_id, service_id, request_id HAVING done > 0",
			ct, days+p.RepeatWindowDays) +
		") AS completed GROUP BY client_id, service_id) AS completions USING (client_id, service_id)" +
		")) AS rates ALL INNER JOIN (" + ceilingSQL(std, code, lad) + ") AS band USING k " +
		fmt.Sprintf("WHERE n >= %d AND ceiling >= 0 AND (100 * repeats / n > ceiling OR strict = 1 AND 100 * repeats / n >= ceiling)", minN)
}

// window is the condition on occurred_at for the last days before the evaluation time.
func window(days int) string {
	return fmt.Sprintf("occurred_at > $__toTime - INTERVAL %d DAY AND occurred_at <= $__toTime", days)
}

// Alerts returns agency a's early-warning rules for th, with the band floors of the band sets
// in force (bands by standard). Every SQL reads the agency database (package tenancy) only.
func Alerts(a Agency, th *AlertThresholds, bands map[metrics.Standard]*metrics.BandSet, lang Lang) ([]Alert, error) {
	if err := tenancy.ValidAgencyID(a.ID); err != nil {
		return nil, err
	}
	en := lang == EN
	tr := func(ru, enS string) string {
		if en {
			return enS
		}
		return ru
	}
	names := DefaultIndicatorNames(lang)
	slug := tenancy.Slug(a.ID, 16)
	var out []Alert
	for _, std := range th.Standards {
		bs := bands[metrics.Standard(std)]
		if bs == nil {
			return nil, fmt.Errorf("alerts: no band set for standard %s", std)
		}
		ct := clientType(std)
		stdName := tr(map[string]string{"people": "граждане", "business": "бизнес"}[std], std)
		for _, days := range th.WindowsDays {
			for _, s := range th.Shares {
				lad, ok := bs.Ladder(s.Code)
				if !ok {
					continue
				}
				sql := "SELECT floor - 100 * positive / n AS shortfall_points FROM (" +
					fmt.Sprintf("SELECT count() AS n, countIf(score >= %d) AS positive, 1 AS k FROM ratings FINAL WHERE question = '%s' AND client_type = '%s' AND score >= %d AND score <= %d AND %s",
						s.PositiveMin, s.Question, ct, s.ScaleMin, s.ScaleMax, window(days)) +
					") AS answers ALL INNER JOIN (" + floorSQL(std, s.Code, lad) + ") AS band USING k " +
					fmt.Sprintf("WHERE n >= %d AND floor >= 0", th.MinN)
				out = append(out, Alert{UID: alertUID(slug, std, s.Code, days), Kind: "share", SQL: sql,
					Title: fmt.Sprintf(tr("%s: %s (%s) за %d дн. ниже нижней границы текущего уровня", "%s: %s (%s) over %d days below the floor of the current band"), a.Title(), names[s.Code], stdName, days)})
			}
			for _, s := range th.NPS {
				lad, ok := bs.Ladder(s.Code)
				if !ok {
					continue
				}
				sql := "SELECT floor - 100 * positive / services AS shortfall_points FROM (" +
					"SELECT count() AS services, countIf(promoters > detractors) AS positive, 1 AS k FROM (" +
					fmt.Sprintf("SELECT service_id, count() AS n, countIf(score >= 9) AS promoters, countIf(score <= 6) AS detractors FROM ratings FINAL WHERE question = '%s' AND client_type = '%s' AND score <= 10 AND %s GROUP BY service_id HAVING n >= %d",
						s.Question, ct, window(days), th.MinN) +
					") AS per_service) AS answers ALL INNER JOIN (" + floorSQL(std, s.Code, lad) + ") AS band USING k WHERE services >= 1 AND floor >= 0"
				out = append(out, Alert{UID: alertUID(slug, std, s.Code, days), Kind: "nps", SQL: sql,
					Title: fmt.Sprintf(tr("%s: %s (%s) за %d дн. ниже нижней границы текущего уровня", "%s: %s (%s) over %d days below the floor of the current band"), a.Title(), names[s.Code], stdName, days)})
			}
		}
	}
	for _, std := range th.Standards {
		bs := bands[metrics.Standard(std)]
		lad, ok := bs.Ladder(th.Repeat.Code)
		if !ok {
			continue
		}
		stdName := tr(map[string]string{"people": "граждане", "business": "бизнес"}[std], std)
		for _, days := range th.WindowsDays {
			// A row is returned only out of the band: its excess (≥ 0) is above -1.
			out = append(out, Alert{UID: alertUID(slug, std, th.Repeat.Code, days), Kind: "repeat", Threshold: -1,
				SQL: repeatSQL(std, th.Repeat.Code, days, th.Repeat.MinN, lad, bs.Parameters),
				Title: fmt.Sprintf(tr("%s: %s (%s) за %d дн. выше верхней границы текущего уровня", "%s: %s (%s) over %d days above the ceiling of the current band"),
					a.Title(), names[th.Repeat.Code], stdName, days)})
		}
	}
	lim := th.Social.LimitHours
	out = append(out, Alert{UID: "cxstar-" + slug + "-social", Kind: "social",
		Title: fmt.Sprintf(tr("%s: сообщения в соцсетях без ответа дольше срока", "%s: social-media messages unanswered past the limit"), a.Title()),
		SQL: "SELECT toFloat64(count()) AS unanswered FROM (" +
			"SELECT appeal_id, minIf(occurred_at, step = 'received') AS received, countIf(step = 'replied') AS replies, " +
			"anyIf(toString(message_type), step = 'received') AS kind FROM appeals FINAL " +
			fmt.Sprintf("WHERE channel IN ('social_network', 'public_chat') AND excluded = 0 AND occurred_at > $__toTime - INTERVAL %d DAY AND occurred_at <= $__toTime GROUP BY appeal_id", th.Social.LookbackDays) +
			") AS messages WHERE replies = 0 AND kind IN ('mention', 'official_appeal', 'comment_on_official_post') AND " +
			fmt.Sprintf("toUInt32(received) + toUInt32(if(kind = 'mention', %g, %g) * 3600) <= toUInt32($__toTime)", lim["mention"], lim["official"])})
	out = append(out, Alert{UID: "cxstar-" + slug + "-dead-feed", Kind: "dead_feed", Threshold: th.DeadFeedHours,
		Title: fmt.Sprintf(tr("%s: нет событий дольше %g ч", "%s: no events for more than %g h"), a.Title(), th.DeadFeedHours),
		SQL:   "SELECT (toInt64(toUInt32($__toTime)) - toInt64(toUInt32(max(last_ingested_at)))) / 3600 AS hours_silent FROM feed_seen"})
	return out, nil
}

// alertUID is a rule uid within Grafana's 40 characters: cxstar-<agency slug>-<hash of the rest>.
func alertUID(slug, std, code string, days int) string {
	h := sha256.Sum256([]byte(code))
	return fmt.Sprintf("cxstar-%s-%s%d-%x", slug, std[:1], days, h[:4])
}

// exprUID is the datasource uid of Grafana's server-side expressions.
const exprUID = "__expr__"

// alertData is the rule's queries: A (the SQL, as a table), B (last value of A) and C (B above
// the threshold: the condition).
func alertData(al Alert, dsUID string, lookback time.Duration) []*models.AlertQueryExport {
	ds := dsRef(dsUID)
	q := map[string]any{"refId": "A", "datasource": map[string]any{"type": *ds.Type, "uid": *ds.Uid}, "rawSql": al.SQL,
		"format": FormatTable, "editorType": "sql", "queryType": "sql", "intervalMs": 1000, "maxDataPoints": 43200}
	expr := map[string]any{"type": "__expr__", "uid": exprUID}
	return []*models.AlertQueryExport{
		{RefID: "A", DatasourceUID: dsUID, Model: q, RelativeTimeRange: &models.RelativeTimeRangeExport{From: int64(lookback.Seconds()), To: 0}},
		{RefID: "B", DatasourceUID: exprUID, RelativeTimeRange: &models.RelativeTimeRangeExport{}, Model: map[string]any{
			"refId": "B", "datasource": expr, "type": "reduce", "expression": "A", "reducer": "last", "settings": map[string]any{"mode": "dropNN"}}},
		{RefID: "C", DatasourceUID: exprUID, RelativeTimeRange: &models.RelativeTimeRangeExport{}, Model: map[string]any{
			"refId": "C", "datasource": expr, "type": "threshold", "expression": "B",
			"conditions": []any{map[string]any{"evaluator": map[string]any{"type": "gt", "params": []any{al.Threshold}}}}}},
	}
}

// AlertRuleGroup renders agency a's alerts as the rule group of Grafana's alert provisioning
// file (AlertingFileExport), in the agency's folder, on datasource dsUID.
func AlertRuleGroup(a Agency, th *AlertThresholds, bands map[metrics.Standard]*metrics.BandSet, opts ...Option) (*models.AlertRuleGroupExport, error) {
	o := newOptions(opts)
	als, err := Alerts(a, th, bands, o.lang)
	if err != nil {
		return nil, err
	}
	g := &models.AlertRuleGroupExport{Folder: a.Title(), Name: AlertRuleGroupName, Interval: th.EvaluateEvery}
	maxDays := th.Social.LookbackDays
	for _, d := range th.WindowsDays {
		maxDays = max(maxDays, d)
	}
	for _, al := range als {
		g.Rules = append(g.Rules, &models.AlertRuleExport{UID: al.UID, Title: al.Title, Condition: "C",
			Data: alertData(al, o.dsUID, time.Duration(maxDays)*24*time.Hour), NoDataState: "OK", ExecErrState: "Error", For: th.PendingFor,
			Labels:      map[string]string{"cxstar_agency": a.ID, "cxstar_alert": al.Kind, "cxstar_thresholds": th.Version},
			Annotations: map[string]string{"summary": al.Title}})
	}
	if err := g.Validate(strfmt.Default); err != nil {
		return nil, fmt.Errorf("alert rules of agency %s: %w", a.ID, err)
	}
	return g, nil
}

// ProvisionedGroup converts a rendered group into the body of the provisioning API's rule-group
// PUT for organization orgID and folder folderUID.
func ProvisionedGroup(g *models.AlertRuleGroupExport, orgID int64, folderUID string) (*models.AlertRuleGroup, error) {
	ev, err := time.ParseDuration(g.Interval)
	if err != nil {
		return nil, fmt.Errorf("rule group interval %q: %w", g.Interval, err)
	}
	out := &models.AlertRuleGroup{FolderUID: folderUID, Title: g.Name, Interval: int64(ev.Seconds())}
	for _, r := range g.Rules {
		f, err := strfmt.ParseDuration(r.For)
		if err != nil {
			return nil, fmt.Errorf("rule %s: for %q: %w", r.UID, r.For, err)
		}
		fd := strfmt.Duration(f)
		var data []*models.AlertQuery
		for _, d := range r.Data {
			data = append(data, &models.AlertQuery{RefID: d.RefID, DatasourceUID: d.DatasourceUID, QueryType: d.QueryType, Model: d.Model,
				RelativeTimeRange: &models.RelativeTimeRange{From: models.Duration(d.RelativeTimeRange.From), To: models.Duration(d.RelativeTimeRange.To)}})
		}
		out.Rules = append(out.Rules, &models.ProvisionedAlertRule{UID: r.UID, Title: strp(r.Title), Condition: strp(r.Condition), Data: data,
			ExecErrState: strp(r.ExecErrState), NoDataState: strp(r.NoDataState), FolderUID: strp(folderUID), For: &fd, OrgID: &orgID,
			RuleGroup: strp(g.Name), Labels: r.Labels, Annotations: r.Annotations})
	}
	if err := out.Validate(strfmt.Default); err != nil {
		return nil, fmt.Errorf("rule group %s: %w", g.Name, err)
	}
	return out, nil
}

// AlertThreshold returns the threshold of a rendered rule's condition (its C expression: fires
// when the last value of the SQL is above it).
func AlertThreshold(r *models.AlertRuleExport) (float64, error) {
	for _, d := range r.Data {
		if d.RefID != r.Condition {
			continue
		}
		m, _ := d.Model.(map[string]any)
		conds, _ := m["conditions"].([]any)
		if len(conds) != 1 {
			break
		}
		c, _ := conds[0].(map[string]any)
		ev, _ := c["evaluator"].(map[string]any)
		ps, _ := ev["params"].([]any)
		if ev["type"] != "gt" || len(ps) != 1 {
			break
		}
		switch v := ps[0].(type) {
		case float64:
			return v, nil
		case int:
			return float64(v), nil
		}
	}
	return 0, fmt.Errorf("rule %s: its condition is not one threshold «gt»", r.UID)
}

// AlertSQL returns the SQL of a rendered rule's query A.
func AlertSQL(r *models.AlertRuleExport) string {
	for _, d := range r.Data {
		if m, ok := d.Model.(map[string]any); ok && d.RefID == "A" {
			s, _ := m["rawSql"].(string)
			return s
		}
	}
	return ""
}

// currentBands returns the band set in force today per standard.
func currentBands(now time.Time) (map[metrics.Standard]*metrics.BandSet, error) {
	out := map[metrics.Standard]*metrics.BandSet{}
	for _, std := range metrics.Standards {
		vs, err := metrics.BandVersions(std)
		if err != nil {
			return nil, err
		}
		b, err := metrics.BandsAt(vs, now.Format("2006-01-02"))
		if err != nil {
			return nil, err
		}
		out[std] = b
	}
	return out, nil
}

// agencyAlerts renders agency a's rule group with the thresholds of o (default: embedded) and
// the band sets in force today.
func agencyAlerts(a Agency, opts []Option) (*models.AlertRuleGroupExport, error) {
	o := newOptions(opts)
	th := o.alerts
	if th == nil {
		var err error
		if th, err = DefaultAlertThresholds(); err != nil {
			return nil, err
		}
	}
	bands, err := currentBands(time.Now())
	if err != nil {
		return nil, err
	}
	return AlertRuleGroup(a, th, bands, opts...)
}

// alertingFile renders the groups as Grafana's alert-rule provisioning YAML, each group's orgId
// read from the environment variable of its organization (OrgEnv) when Grafana loads it.
func alertingFile(groups []*models.AlertRuleGroupExport, orgs []string) ([]byte, error) {
	f := &models.AlertingFileExport{APIVersion: 1, Groups: groups}
	if err := f.Validate(strfmt.Default); err != nil {
		return nil, fmt.Errorf("alert provisioning file: %w", err)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("alert provisioning file: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("alert provisioning file: %w", err)
	}
	gs, _ := m["groups"].([]any)
	for i, g := range gs {
		g.(map[string]any)["orgId"] = "${" + OrgEnv(orgs[i]) + "}"
	}
	y, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("alert provisioning file: %w", err)
	}
	head := "# Written by `cxstar dashboards render`: the early-warning alerts of every agency, in its own organization\n" +
		"# (orgId from CXSTAR_GRAFANA_ORG_…) and folder, on its datasource cxstar-clickhouse.\n"
	return append([]byte(head), y...), nil
}

package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/atomicfile"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/quarter"
)

// SuppressionRule is the published description of the open-data small-cell rule (%d is k).
const SuppressionRule = `Small-cell suppression with k = %d. Respondents are distinct client_id values that rated the ` +
	`agency within the life situation during the quarter. Answers are counted as in the assessment: ` +
	`one answer per client, request and question (the latest), and any other answer once per event_id. ` +
	`(1) A cell (agency × life situation) with fewer than k respondents is suppressed: every figure of it is empty. ` +
	`(2) The agency total is published only when the agency has at least k respondents; otherwise the agency and all its cells are suppressed. ` +
	`(3) Complementary disclosure: when the suppressed cells of an agency hold fewer than k respondents together, ` +
	`the smallest published cells of that agency are suppressed too until they do, so that no figure can be recovered ` +
	`by subtracting published cells from the agency total. ` +
	`(4) The same three steps are applied to every per-question statistic with the respondents who answered that question. ` +
	`Shares are percentages with one decimal; NPS = %% promoters (9–10) − %% detractors (0–6).`

// Stat is one per-question open-data statistic of a cell. Nil pointers are suppressed (or there
// were no answers: Respondents is then 0).
type Stat struct {
	Respondents *int64   `json:"respondents"` // distinct clients who answered the question
	Answers     *int64   `json:"answers"`     // answers (one client may answer more than once)
	Value       *float64 `json:"value"`       // % positive (3–4 of 4) for satisfaction and ease; NPS for nps
}

// Cell is one open-data row: an agency × life situation, or an agency total (Total, empty
// LifeSituationID).
type Cell struct {
	Quarter         string `json:"quarter"`
	AgencyID        string `json:"agency_id"`
	LifeSituationID string `json:"life_situation_id"` // "" = ratings without a life situation; the total has "" too
	Total           bool   `json:"agency_total"`
	Respondents     *int64 `json:"respondents"`
	Ratings         *int64 `json:"ratings"`
	Satisfaction    Stat   `json:"satisfaction"`
	Ease            Stat   `json:"ease"`
	NPS             Stat   `json:"nps"`
	// Suppressed says why the cell's respondents and ratings are empty: "" (published),
	// "small_cell" (fewer than k), "complementary" (secondary suppression), "small_agency"
	// (agency total below k).
	Suppressed string `json:"suppressed"`
}

// OpenData is the open-data set of one quarter.
type OpenData struct {
	Quarter     string    `json:"quarter"`
	K           int64     `json:"k"`
	Rule        string    `json:"suppression_rule"`
	GeneratedAt time.Time `json:"generated_at"`
	Cells       []Cell    `json:"cells"` // per agency: its life situations (sorted), then its total
	// OfficialRevision is the newest official revision of a closed quarter (0: not closed). The
	// figures of a closed quarter count only the ratings stored when it was closed (ClosedAt).
	OfficialRevision int        `json:"official_revision"`
	ClosedAt         *time.Time `json:"closed_at"`
}

// officialRevision returns the newest official revision of q and its closing time (0 and the zero
// time when q was never closed).
func officialRevision(ctx context.Context, conn driver.Conn, q quarter.Quarter) (int, time.Time, error) {
	var rev uint32
	var closed time.Time
	err := conn.QueryRow(ctx, "SELECT max(revision), argMax(closed_at, revision) FROM official_revisions WHERE quarter = '"+q.String()+"'").Scan(&rev, &closed)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read official revisions (is the database migrated? try cxstar migrate): %w", err)
	}
	if rev == 0 {
		return 0, time.Time{}, nil
	}
	return int(rev), closed.UTC(), nil
}

// raw counts of one group before suppression.
type rawCounts struct {
	agency, ls    string
	resp, ratings int64
	q             [3]struct{ resp, n, pos, neg int64 } // satisfaction, ease, nps
}

const openDataSelect = `SELECT agency_id, %[1]s,
	toInt64(uniqExact(client_id)), toInt64(count()),
	toInt64(uniqExactIf(client_id, question = 'satisfaction')), toInt64(countIf(question = 'satisfaction')),
	toInt64(countIf(question = 'satisfaction' AND score >= 3)), toInt64(0),
	toInt64(uniqExactIf(client_id, question = 'ease')), toInt64(countIf(question = 'ease')),
	toInt64(countIf(question = 'ease' AND score >= 3)), toInt64(0),
	toInt64(uniqExactIf(client_id, question = 'nps')), toInt64(countIf(question = 'nps')),
	toInt64(countIf(question = 'nps' AND score >= 9)), toInt64(countIf(question = 'nps' AND score <= 6))
FROM
(
    -- The counted answers, as in the assessment (A24): an answer tied to a request or scenario is
    -- the client's latest for that (request, scenario, question), in its own quarter; any other
    -- answer counts once per event_id. The latest is the one with the newest occurred_at (ties: the
    -- larger hash of event_id), read from the quarter start on.
    SELECT
        agency_id,
        argMax(client_id, v)         AS client_id,
        argMax(life_situation_id, v) AS life_situation_id,
        argMax(question, v)          AS question,
        argMax(score, v)             AS score,
        argMax(occurred_at, v)       AS occurred_at
    FROM
    (
        SELECT
            agency_id, client_id, life_situation_id, question, score, occurred_at,
            bitShiftLeft(toUInt64(occurred_at), 32) + bitAnd(cityHash64(event_id), 4294967295) AS v,
            if(request_id = '' AND scenario_id = '', tuple('event', event_id, '', '', ''),
               tuple(toString(client_type), toString(question), client_id, request_id, scenario_id)) AS answer_key
        FROM ratings
        WHERE occurred_at >= toDateTime('%[2]s', 'UTC') %[5]s
    )
    GROUP BY agency_id, answer_key
)
WHERE occurred_at >= toDateTime('%[2]s', 'UTC') AND occurred_at < toDateTime('%[3]s', 'UTC')
GROUP BY %[4]s`

func readCounts(ctx context.Context, conn driver.Conn, q quarter.Quarter, byLS bool, asOf time.Time) ([]rawCounts, error) {
	lsExpr, group := "''", "agency_id"
	if byLS {
		lsExpr, group = "life_situation_id", "agency_id, life_situation_id"
	}
	stored := ""
	if !asOf.IsZero() {
		// Stored by asOf: the event's first arrival (event_first_arrival), not the ingested_at of
		// the copy that survived merging, which a redelivery after asOf replaces. The set excluded
		// is the events first stored after asOf (usually few), so GLOBAL also suits a cluster.
		stored = fmt.Sprintf(`AND cityHash64(event_id) GLOBAL NOT IN (
            SELECT event_hash FROM event_first_arrival
            WHERE source_table = 'ratings' AND occurred_at >= toDateTime('%s', 'UTC')
            GROUP BY agency_id, occurred_at, event_hash HAVING minMerge(first_ingested_at) > toDateTime(%d))`,
			q.Start().UTC().Format("2006-01-02 15:04:05"), asOf.Unix())
	}
	query := fmt.Sprintf(openDataSelect, lsExpr, q.Start().UTC().Format("2006-01-02 15:04:05"), q.End().UTC().Format("2006-01-02 15:04:05"), group, stored)
	return store.Select(ctx, conn, "count respondents in ratings", query, func(rows driver.Rows) (rawCounts, error) {
		var r rawCounts
		dest := []any{&r.agency, &r.ls, &r.resp, &r.ratings}
		for i := range r.q {
			dest = append(dest, &r.q[i].resp, &r.q[i].n, &r.q[i].pos, &r.q[i].neg)
		}
		return r, rows.Scan(dest...)
	})
}

// BuildOpenData computes the open-data cells of quarter q from the ratings table with
// small-cell suppression at k (see SuppressionRule; DefaultK is the usual value). A k below 1 is
// refused.
func BuildOpenData(ctx context.Context, conn driver.Conn, q quarter.Quarter, k int64) (*OpenData, error) {
	if k < 1 {
		return nil, fmt.Errorf("open data k = %d: must be at least 1 (default %d)", k, DefaultK)
	}
	rev, closedAt, err := officialRevision(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	cells, err := readCounts(ctx, conn, q, true, closedAt)
	if err != nil {
		return nil, err
	}
	totals, err := readCounts(ctx, conn, q, false, closedAt)
	if err != nil {
		return nil, err
	}
	byAgency := map[string][]rawCounts{}
	for _, c := range cells {
		byAgency[c.agency] = append(byAgency[c.agency], c)
	}
	sort.Slice(totals, func(i, j int) bool { return totals[i].agency < totals[j].agency })
	od := &OpenData{Quarter: q.String(), K: k, Rule: fmt.Sprintf(SuppressionRule, k), GeneratedAt: time.Now().UTC().Truncate(time.Second), OfficialRevision: rev}
	if rev > 0 {
		od.ClosedAt = &closedAt
	}
	for _, tot := range totals {
		group := byAgency[tot.agency]
		sort.Slice(group, func(i, j int) bool { return group[i].ls < group[j].ls })
		out := suppressAgency(q.String(), tot, group, k)
		od.Cells = append(od.Cells, out...)
	}
	return od, nil
}

// suppressAgency applies Suppress to one agency's cells and returns them followed by its total.
func suppressAgency(quarter string, tot rawCounts, group []rawCounts, k int64) []Cell {
	counts := make([]int64, len(group))
	for i, g := range group {
		counts[i] = g.resp
	}
	sup, totSup := Suppress(counts, nil, tot.resp, k)
	out := make([]Cell, len(group)+1)
	for i, g := range group {
		c := Cell{Quarter: quarter, AgencyID: g.agency, LifeSituationID: g.ls}
		switch {
		case totSup:
			c.Suppressed = "small_agency"
		case sup[i] && g.resp < k:
			c.Suppressed = "small_cell"
		case sup[i]:
			c.Suppressed = "complementary"
		default:
			c.Respondents, c.Ratings = ptrInt(g.resp), ptrInt(g.ratings)
		}
		out[i] = c
	}
	total := Cell{Quarter: quarter, AgencyID: tot.agency, Total: true}
	if totSup {
		total.Suppressed = "small_agency"
	} else {
		total.Respondents, total.Ratings = ptrInt(tot.resp), ptrInt(tot.ratings)
	}
	out[len(group)] = total
	// Per-question statistics: the same rule on the respondents who answered each question,
	// with the cells suppressed above counted as already suppressed.
	for qi := range tot.q {
		qc := make([]int64, len(group))
		for i, g := range group {
			qc[i] = g.q[qi].resp
		}
		qsup, qtot := Suppress(qc, sup, tot.q[qi].resp, k)
		for i, g := range group {
			setStat(&out[i], qi, g.q[qi], qsup[i])
		}
		// A question nobody answered is "no data" (0 published), not a small cell.
		setStat(&out[len(group)], qi, tot.q[qi], (qtot && tot.q[qi].resp > 0) || totSup)
	}
	return out
}

func setStat(c *Cell, qi int, r struct{ resp, n, pos, neg int64 }, suppressed bool) {
	var s *Stat
	switch qi {
	case 0:
		s = &c.Satisfaction
	case 1:
		s = &c.Ease
	default:
		s = &c.NPS
	}
	if suppressed {
		return
	}
	s.Respondents, s.Answers = ptrInt(r.resp), ptrInt(r.n)
	if r.n == 0 {
		return
	}
	var v float64
	if qi == 2 {
		v = roundHalfUp1(float64(r.pos-r.neg) * 100 / float64(r.n))
	} else {
		v = roundHalfUp1(float64(r.pos) * 100 / float64(r.n))
	}
	s.Value = &v
}

// roundHalfUp1 rounds to one decimal, halves away from zero, after removing float noise
// (66.65 stored as 66.6499… still rounds to 66.7).
func roundHalfUp1(x float64) float64 {
	y := math.Round(x*1e6) / 1e6 * 10
	return math.Copysign(math.Floor(math.Abs(y)+0.5), y) / 10
}

func ptrInt(v int64) *int64 { return &v }

// CSVHeader is the header row of the open-data CSV.
var CSVHeader = []string{"quarter", "agency_id", "life_situation_id", "agency_total", "respondents", "ratings",
	"satisfaction_respondents", "satisfaction_answers", "satisfaction_positive_pct",
	"ease_respondents", "ease_answers", "ease_positive_pct",
	"nps_respondents", "nps_answers", "nps", "suppressed", "official_revision", "closed_at"}

// WriteCSV writes the cells as CSV (UTF-8, comma, header row; suppressed figures are empty). Every
// row ends with the official revision and its closing time (RFC 3339, UTC) of a closed quarter,
// both empty for a quarter not closed.
func (od *OpenData) WriteCSV(w io.Writer) error {
	rev, closed := "", ""
	if od.OfficialRevision > 0 && od.ClosedAt != nil {
		rev, closed = strconv.Itoa(od.OfficialRevision), od.ClosedAt.UTC().Format(time.RFC3339)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, c := range od.Cells {
		rec := []string{c.Quarter, c.AgencyID, c.LifeSituationID, strconv.FormatBool(c.Total), fmtInt(c.Respondents), fmtInt(c.Ratings)}
		for _, s := range []Stat{c.Satisfaction, c.Ease, c.NPS} {
			rec = append(rec, fmtInt(s.Respondents), fmtInt(s.Answers), fmtFloat(s.Value))
		}
		rec = append(rec, c.Suppressed, rev, closed)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the whole set (quarter, k, rule, cells) as indented JSON.
func (od *OpenData) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(od)
}

func fmtInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func fmtFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// WriteOpenData builds the open data of quarter q with threshold k and writes
// DIR/opendata-<quarter>.csv and .json (each through a temporary file renamed into place).
// It returns the two paths.
func WriteOpenData(ctx context.Context, conn driver.Conn, q quarter.Quarter, k int64, dir string) ([]string, *OpenData, error) {
	od, err := BuildOpenData(ctx, conn, q, k)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create open-data folder %s: %w", dir, err)
	}
	var paths []string
	for _, f := range []struct {
		ext   string
		write func(io.Writer) error
	}{{"csv", od.WriteCSV}, {"json", od.WriteJSON}} {
		path := filepath.Join(dir, "opendata-"+q.String()+"."+f.ext)
		write := f.write
		if err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
			if err := write(w); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			return nil
		}); err != nil {
			return paths, od, err
		}
		paths = append(paths, path)
	}
	return paths, od, nil
}

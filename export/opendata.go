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
	"github.com/cxstar/cxstar/quarter"
)

// SuppressionRule is the published description of the open-data small-cell rule (%d is k).
const SuppressionRule = `Small-cell suppression with k = %d. Respondents are distinct client_id values that rated the ` +
	`agency within the life situation during the quarter (ratings read once per event_id). ` +
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
}

// raw counts of one group before suppression.
type rawCounts struct {
	agency, ls    string
	resp, ratings int64
	q             [3]struct{ resp, n, pos, neg int64 } // satisfaction, ease, nps
}

const openDataSelect = `SELECT agency_id, %s,
	toInt64(uniqExact(client_id)), toInt64(count()),
	toInt64(uniqExactIf(client_id, question = 'satisfaction')), toInt64(countIf(question = 'satisfaction')),
	toInt64(countIf(question = 'satisfaction' AND score >= 3)), toInt64(0),
	toInt64(uniqExactIf(client_id, question = 'ease')), toInt64(countIf(question = 'ease')),
	toInt64(countIf(question = 'ease' AND score >= 3)), toInt64(0),
	toInt64(uniqExactIf(client_id, question = 'nps')), toInt64(countIf(question = 'nps')),
	toInt64(countIf(question = 'nps' AND score >= 9)), toInt64(countIf(question = 'nps' AND score <= 6))
FROM ratings FINAL
WHERE occurred_at >= toDateTime('%s', 'UTC') AND occurred_at < toDateTime('%s', 'UTC')
GROUP BY %s`

func readCounts(ctx context.Context, conn driver.Conn, q quarter.Quarter, byLS bool) ([]rawCounts, error) {
	lsExpr, group := "''", "agency_id"
	if byLS {
		lsExpr, group = "life_situation_id", "agency_id, life_situation_id"
	}
	query := fmt.Sprintf(openDataSelect, lsExpr, q.Start().UTC().Format("2006-01-02 15:04:05"), q.End().UTC().Format("2006-01-02 15:04:05"), group)
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("count respondents in ratings (is the database migrated? try cxstar migrate): %w", err)
	}
	defer rows.Close()
	var out []rawCounts
	for rows.Next() {
		var r rawCounts
		dest := []any{&r.agency, &r.ls, &r.resp, &r.ratings}
		for i := range r.q {
			dest = append(dest, &r.q[i].resp, &r.q[i].n, &r.q[i].pos, &r.q[i].neg)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read respondent counts: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read respondent counts: %w", err)
	}
	return out, nil
}

// BuildOpenData computes the open-data cells of quarter q from the ratings table with
// small-cell suppression at k (see SuppressionRule; k < 1 means DefaultK).
func BuildOpenData(ctx context.Context, conn driver.Conn, q quarter.Quarter, k int64) (*OpenData, error) {
	if k < 1 {
		k = DefaultK
	}
	cells, err := readCounts(ctx, conn, q, true)
	if err != nil {
		return nil, err
	}
	totals, err := readCounts(ctx, conn, q, false)
	if err != nil {
		return nil, err
	}
	byAgency := map[string][]rawCounts{}
	for _, c := range cells {
		byAgency[c.agency] = append(byAgency[c.agency], c)
	}
	sort.Slice(totals, func(i, j int) bool { return totals[i].agency < totals[j].agency })
	od := &OpenData{Quarter: q.String(), K: k, Rule: fmt.Sprintf(SuppressionRule, k), GeneratedAt: time.Now().UTC().Truncate(time.Second)}
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
	"nps_respondents", "nps_answers", "nps", "suppressed"}

// WriteCSV writes the cells as CSV (UTF-8, comma, header row; suppressed figures are empty).
func (od *OpenData) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, c := range od.Cells {
		rec := []string{c.Quarter, c.AgencyID, c.LifeSituationID, strconv.FormatBool(c.Total), fmtInt(c.Respondents), fmtInt(c.Ratings)}
		for _, s := range []Stat{c.Satisfaction, c.Ease, c.NPS} {
			rec = append(rec, fmtInt(s.Respondents), fmtInt(s.Answers), fmtFloat(s.Value))
		}
		rec = append(rec, c.Suppressed)
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

package official

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// RawTables are the event tables whose rows and last insert time make up a fingerprint.
var RawTables = []string{"service_events", "ratings", "appeals"}

// TableInput is the state of one raw table for a quarter: its rows with occurred_at in the
// quarter (appeals: up to quarter end + settle_hours, as their answers count) and the newest
// ingested_at among them.
type TableInput struct {
	Table      string    `json:"table"`
	Rows       uint64    `json:"rows"`
	LastInsert time.Time `json:"last_insert"`
}

// Fingerprint records what produced a revision.
type Fingerprint struct {
	Tables []TableInput `json:"tables"`
	// RegistryVersion is the registry load the quarter was assessed with (its load_id; "" when
	// nothing was loaded).
	RegistryVersion string `json:"registry_version"`
	// Bands are the band versions used, "standard=version".
	Bands   []string `json:"bands"`
	Catalog string   `json:"catalog"` // sha256 prefix of the indicator catalog
	Binary  string   `json:"binary"`  // module version and VCS revision of the cxstar binary
}

// Revision is one official result of a quarter.
type Revision struct {
	Quarter  string    `json:"quarter"`
	Revision int       `json:"revision"`
	ClosedAt time.Time `json:"closed_at"`
	Reason   string    `json:"reason"`
	RunID    string    `json:"run_id"`
	Inputs   Fingerprint
	// Scorecards are the official scorecards, one per standard, exactly as computed at closing.
	Scorecards []metrics.Scorecard `json:"-"`
}

// Scorecard returns the official scorecard of a standard, or nil.
func (r *Revision) Scorecard(std metrics.Standard) *metrics.Scorecard {
	for i := range r.Scorecards {
		if r.Scorecards[i].Standard == std {
			return &r.Scorecards[i]
		}
	}
	return nil
}

// Close computes quarter req.Quarter for every agency and both standards (req.Agency and
// req.Standards must be empty), stores it (assessments, indicator_details) and records it as the
// next official revision with the fingerprint of its inputs. The first close makes revision 1; a
// later one needs a reason and makes the next revision, keeping the earlier ones. The quarter must
// have settled (quarter end + settle_hours), so that every answer has its final outcome.
func Close(ctx context.Context, conn driver.Conn, req transform.Request, reason string) (*Revision, *transform.Run, error) {
	if req.Agency != "" || len(req.Standards) == 1 {
		return nil, nil, errors.New("a quarter is closed for every agency and both standards: drop --agency and --standard")
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	q, loc, p, err := quarterOf(req)
	if err != nil {
		return nil, nil, err
	}
	settled := q.End().Add(time.Duration(p.SettleHours) * time.Hour)
	if now().Before(settled) {
		return nil, nil, fmt.Errorf("%s cannot be closed before it settles at %s (quarter end + settle_hours): close it after that", q, settled.UTC().Format(time.RFC3339))
	}
	revs, err := Revisions(ctx, conn, q.String())
	if err != nil {
		return nil, nil, err
	}
	next := 1
	if len(revs) > 0 {
		next = revs[len(revs)-1] + 1
		if strings.TrimSpace(reason) == "" {
			return nil, nil, fmt.Errorf("%s is closed (revision %d): publishing revision %d needs --reason saying why", q, revs[len(revs)-1], next)
		}
	}
	fp, err := fingerprint(ctx, conn, q, loc, p)
	if err != nil {
		return nil, nil, err
	}
	req.Standards = nil
	req.Store = true
	run, err := transform.Assess(ctx, conn, req)
	if err != nil {
		return nil, nil, err
	}
	fp.RegistryVersion = run.RegistryVersion
	for _, std := range metrics.Standards {
		if b := run.Bands[std]; b != nil {
			fp.Bands = append(fp.Bands, string(std)+"="+b.Version)
		}
	}
	rev := &Revision{Quarter: q.String(), Revision: next, ClosedAt: run.ComputedAt, Reason: reason, RunID: run.RunID, Inputs: fp, Scorecards: run.Scorecards}
	if err := save(ctx, conn, q, rev); err != nil {
		return nil, nil, err
	}
	return rev, run, nil
}

// quarterOf parses the request's quarter in its time zone and returns the parameters of the
// people band set in force (time zone and settle hours are the same in both standards' files).
func quarterOf(req transform.Request) (quarter.Quarter, *time.Location, metrics.Parameters, error) {
	b := req.Bands[metrics.People]
	if b == nil {
		versions := req.BandVersions[metrics.People]
		if len(versions) == 0 {
			var err error
			if versions, err = metrics.BandVersions(metrics.People); err != nil {
				return quarter.Quarter{}, nil, metrics.Parameters{}, err
			}
		}
		b = versions[len(versions)-1]
	}
	tz := req.Timezone
	if tz == "" {
		tz = b.Parameters.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return quarter.Quarter{}, nil, metrics.Parameters{}, fmt.Errorf("time zone %q: %w (use an IANA name such as Europe/Moscow)", tz, err)
	}
	q, err := quarter.Parse(req.Quarter, loc)
	if err != nil {
		return quarter.Quarter{}, nil, metrics.Parameters{}, err
	}
	return q, loc, b.Parameters, nil
}

// window returns the occurred_at bounds of a raw table for the quarter: appeals up to quarter end
// + settle_hours (their answers count for the quarter), the other tables the quarter itself.
func window(table string, q quarter.Quarter, p metrics.Parameters) (time.Time, time.Time) {
	if table == "appeals" {
		h := p.SettleHours
		if p.Ack() > h {
			h = p.Ack()
		}
		return q.Start(), q.End().Add(time.Duration(h) * time.Hour)
	}
	return q.Start(), q.End()
}

func fingerprint(ctx context.Context, conn driver.Conn, q quarter.Quarter, loc *time.Location, p metrics.Parameters) (Fingerprint, error) {
	fp := Fingerprint{Catalog: catalogVersion(), Binary: binaryVersion()}
	for _, t := range RawTables {
		from, to := window(t, q, p)
		var rows uint64
		var last time.Time
		err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(), max(ingested_at) FROM %s WHERE occurred_at >= toDateTime(%d) AND occurred_at < toDateTime(%d)", t, from.Unix(), to.Unix())).Scan(&rows, &last)
		if err != nil {
			return fp, fmt.Errorf("fingerprint of %s: %w (run `cxstar migrate`)", t, err)
		}
		fp.Tables = append(fp.Tables, TableInput{Table: t, Rows: rows, LastInsert: last.UTC()})
	}
	return fp, nil
}

func catalogVersion() string {
	sum := sha256.Sum256(metrics.CatalogYAML())
	return "sha256:" + hex.EncodeToString(sum[:6])
}

func binaryVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "+modified"
			}
		}
	}
	return v
}

// storedScorecard is a scorecard with what its JSON form leaves out (reasons), so that a revision
// prints exactly as it did when the quarter was closed.
type storedScorecard struct {
	metrics.Scorecard
	Reasons map[string]string `json:"reasons,omitempty"` // "agency/code" → reason
}

func encodeScorecards(reps []metrics.Scorecard) (string, error) {
	var out []storedScorecard
	for _, r := range reps {
		s := storedScorecard{Scorecard: r, Reasons: map[string]string{}}
		for _, a := range r.Agencies {
			for _, x := range a.Indicators {
				if x.Reason != "" {
					s.Reasons[a.AgencyID+"/"+x.Code] = x.Reason
				}
			}
			for _, m := range a.Monitoring {
				if m.Reason != "" {
					s.Reasons[a.AgencyID+"/"+m.Code] = m.Reason
				}
			}
		}
		out = append(out, s)
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodeScorecards(s string) ([]metrics.Scorecard, error) {
	var in []storedScorecard
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("decode stored official scorecards (column reports): %w", err)
	}
	out := make([]metrics.Scorecard, 0, len(in))
	for _, r := range in {
		rep := r.Scorecard
		for i := range rep.Agencies {
			a := &rep.Agencies[i]
			for j := range a.Indicators {
				x := &a.Indicators[j]
				if ind, ok := metrics.DefaultCatalog().Lookup(rep.Standard, x.Code); ok {
					x.ID, x.Table = ind.ID, ind.Table
				}
				x.Reason = r.Reasons[a.AgencyID+"/"+x.Code]
			}
			for j := range a.Monitoring {
				a.Monitoring[j].Reason = r.Reasons[a.AgencyID+"/"+a.Monitoring[j].Code]
			}
		}
		out = append(out, rep)
	}
	return out, nil
}

func save(ctx context.Context, conn driver.Conn, q quarter.Quarter, rev *Revision) error {
	reports, err := encodeScorecards(rev.Scorecards)
	if err != nil {
		return fmt.Errorf("encode official scorecards: %w", err)
	}
	err = store.Insert(ctx, conn, "store the official revision", "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", func(b driver.Batch) error {
		return b.Append(rev.Quarter, q.StartDate(), uint32(rev.Revision), rev.ClosedAt, rev.Reason, rev.RunID, rev.Inputs.RegistryVersion,
			nonNil(rev.Inputs.Bands), rev.Inputs.Catalog, rev.Inputs.Binary, reports)
	})
	if err != nil {
		return err
	}
	return store.Insert(ctx, conn, "store the fingerprint", "INSERT INTO official_inputs (quarter, quarter_start, revision, source_table, rows, last_insert)", func(b driver.Batch) error {
		for _, t := range rev.Inputs.Tables {
			if err := b.Append(rev.Quarter, q.StartDate(), uint32(rev.Revision), t.Table, t.Rows, t.LastInsert); err != nil {
				return err
			}
		}
		return nil
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Revisions returns the revision numbers of a quarter ("2026Q3"), ascending; none when the quarter
// was never closed.
func Revisions(ctx context.Context, conn driver.Conn, q string) ([]int, error) {
	return store.Select(ctx, conn, "read official revisions", "SELECT revision FROM official_revisions WHERE quarter = '"+strings.ReplaceAll(q, "'", "")+"' ORDER BY revision",
		func(rows driver.Rows) (int, error) {
			var r uint32
			err := rows.Scan(&r)
			return int(r), err
		})
}

// Load returns revision rev of quarter q ("2026Q3"); rev 0 means the newest. It returns nil, nil
// when the quarter was never closed.
func Load(ctx context.Context, conn driver.Conn, q string, rev int) (*Revision, error) {
	where := "quarter = '" + strings.ReplaceAll(q, "'", "") + "'"
	if rev > 0 {
		where += fmt.Sprintf(" AND revision = %d", rev)
	}
	rows, err := conn.Query(ctx, "SELECT revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports FROM official_revisions WHERE "+where+" ORDER BY revision DESC LIMIT 1")
	if err != nil {
		return nil, fmt.Errorf("read official revisions: %w (run `cxstar migrate`)", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read official revisions: %w", err)
		}
		if rev > 0 {
			return nil, fmt.Errorf("%s has no official revision %d", q, rev)
		}
		return nil, nil
	}
	r := &Revision{Quarter: q}
	var num uint32
	var reports string
	if err := rows.Scan(&num, &r.ClosedAt, &r.Reason, &r.RunID, &r.Inputs.RegistryVersion, &r.Inputs.Bands, &r.Inputs.Catalog, &r.Inputs.Binary, &reports); err != nil {
		return nil, fmt.Errorf("read official revisions: %w", err)
	}
	rows.Close()
	r.Revision = int(num)
	r.ClosedAt = r.ClosedAt.UTC()
	if r.Scorecards, err = decodeScorecards(reports); err != nil {
		return nil, err
	}
	r.Inputs.Tables, err = store.Select(ctx, conn, "read official inputs", fmt.Sprintf("SELECT source_table, rows, last_insert FROM official_inputs WHERE %s AND revision = %d ORDER BY source_table", where, num),
		func(rows driver.Rows) (TableInput, error) {
			var t TableInput
			err := rows.Scan(&t.Table, &t.Rows, &t.LastInsert)
			t.LastInsert = t.LastInsert.UTC()
			return t, err
		})
	if err != nil {
		return nil, err
	}
	// The order of RawTables, as the fingerprint was taken, so a revision prints as it did at closing.
	order := map[string]int{}
	for i, name := range RawTables {
		order[name] = i
	}
	sort.SliceStable(r.Inputs.Tables, func(i, j int) bool { return order[r.Inputs.Tables[i].Table] < order[r.Inputs.Tables[j].Table] })
	return r, nil
}

// Package tenancy keeps each agency to its own rows on the ClickHouse side: one read-only
// ClickHouse user and one database per agency, holding copies of that agency's assessment rows
// (fed by materialized views from the main tables), and a read-only Project Office user over
// the main database. It is ClickHouse security, independent of Grafana: the dashboards package
// points each Grafana organization's datasource at its tenant, and any other reader (a BI tool,
// an analyst's client) gets the same boundary.
//
// Every statement runs on ClickHouse 18.16 (users in a users.d XML file) and on current
// ClickHouse (the same users as SQL, see UsersSQL).
package tenancy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest/agencyid"
)

// Tenant is the ClickHouse identity one Grafana organization's datasource logs in with.
//
// An agency tenant's user may read only its own database, which holds copies of the agency's
// assessments and indicator_details rows (fed by materialized views from the main tables) and
// assessments_latest / indicator_details_latest views over them. The Project Office tenant reads
// the main database. Both users are readonly=1: no writes, no SET, no table functions (url(),
// remote(), file() would otherwise reach other databases through the server's other users).
type Tenant struct {
	// AgencyID is the agency; empty for the Project Office.
	AgencyID string
	// User and Password log in to ClickHouse; Password is derived from the tenancy secret.
	User, Password string
	// Database is the only database User may read.
	Database string
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,100}$`)

// ValidAgencyID reports whether id matches the event contract's agency_id pattern; only such ids
// are put into SQL, user names and uids.
func ValidAgencyID(id string) error {
	if !agencyid.Valid(id) {
		return fmt.Errorf("agency id %q does not match %s (docs/events.md)", id, agencyid.Pattern)
	}
	return nil
}

// Slug turns an agency id into at most max characters of [a-z0-9_], adding a short hash when
// that changed or shortened it, so that different ids never share a slug.
func Slug(id string, max int) string {
	b := []byte(id)
	changed := false
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
			changed = true
		}
	}
	s := string(b)
	if !changed && len(s) <= max {
		return s
	}
	h := sha256.Sum256([]byte(id))
	suffix := "_" + hex.EncodeToString(h[:4])
	if len(s) > max-len(suffix) {
		s = s[:max-len(suffix)]
	}
	return s + suffix
}

// sqlString quotes s as a ClickHouse string literal.
func sqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// AgencyTenant returns agency id's tenant for the main database mainDB.
func AgencyTenant(mainDB, id string, secret []byte) (Tenant, error) {
	if err := ValidAgencyID(id); err != nil {
		return Tenant{}, err
	}
	if !identRe.MatchString(mainDB) {
		return Tenant{}, fmt.Errorf("database name %q: use letters, digits and _ only", mainDB)
	}
	name := mainDB + "__ag_" + Slug(id, 40)
	return Tenant{AgencyID: id, User: name, Password: password(secret, name), Database: name}, nil
}

// ProjectOfficeTenant returns the Project Office tenant: read-only, the whole main database.
func ProjectOfficeTenant(mainDB string, secret []byte) (Tenant, error) {
	if !identRe.MatchString(mainDB) {
		return Tenant{}, fmt.Errorf("database name %q: use letters, digits and _ only", mainDB)
	}
	name := mainDB + "__po"
	return Tenant{User: name, Password: password(secret, name), Database: mainDB}, nil
}

func password(secret []byte, user string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cxstar-clickhouse-user:" + user))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// PasswordFingerprint is a short hash of t's password, stored beside the datasource so that a
// changed secret is noticed without reading the password back.
func (t Tenant) PasswordFingerprint() string {
	h := sha256.Sum256([]byte(t.Password))
	return hex.EncodeToString(h[:6])
}

// LoadSecret returns the tenancy secret: env CXSTAR_TENANT_SECRET when set, else the contents of
// path, which is created with a random secret (mode 0600) when missing.
func LoadSecret(path string) ([]byte, error) {
	if v := os.Getenv("CXSTAR_TENANT_SECRET"); v != "" {
		return []byte(v), nil
	}
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read tenancy secret %s (or set CXSTAR_TENANT_SECRET): %w", path, err)
	}
	var r [32]byte
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	defer f.Close()
	if _, err := f.Read(r[:]); err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	s := hex.EncodeToString(r[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create folder of tenancy secret %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write tenancy secret %s (or set CXSTAR_TENANT_SECRET): %w", path, err)
	}
	return []byte(s), nil
}

// Columns of the tables of 002_assessments.sql that are copied into agency databases.
const (
	assessmentCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version"
	detailCols     = "run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, dimension, dimension_id, value, n, ci_low, ci_high"
	// priorityCols are the columns of 040_priorities.sql.
	priorityCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, life_situation_id, kind, item_id, rank, score, clients, below_min_n, " +
		"satisfaction, satisfaction_n, ease, ease_n, nps, nps_n, repeat_rate, submitted, repeat_share, why_ru, why_en, weights_version, bands_version"
)

func q(ident string) string { return "`" + ident + "`" }

// AgencyDDL returns the statements that create agency t's database, its copies of the
// assessment tables, the materialized views that feed them from mainDB, and the _latest views.
// Every statement is idempotent and runs on ClickHouse 18.16 and current ClickHouse.
func AgencyDDL(mainDB string, t Tenant) []string {
	db, m, id := q(t.Database), q(mainDB), sqlString(t.AgencyID)
	latest := "(quarter_start, standard, agency_id, computed_at) IN (SELECT quarter_start, standard, agency_id, max(computed_at) FROM " + db + ".assessments GROUP BY quarter_start, standard, agency_id)"
	return append([]string{
		"CREATE DATABASE IF NOT EXISTS " + db,
		"CREATE TABLE IF NOT EXISTS " + db + `.assessments
(
    run_id String, computed_at DateTime('UTC'), quarter String, quarter_start Date,
    standard Enum8('people' = 1, 'business' = 2), agency_id String, indicator String, table_no UInt8,
    value Nullable(Float64), level Nullable(UInt8), n UInt64, ci_low Nullable(Float64), ci_high Nullable(Float64),
    status Enum8('assessed' = 1, 'not_assessed' = 2, 'no_data' = 3), reason String, bands_version String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, computed_at, run_id)`,
		"CREATE TABLE IF NOT EXISTS " + db + `.indicator_details
(
    run_id String, computed_at DateTime('UTC'), quarter String, quarter_start Date,
    standard Enum8('people' = 1, 'business' = 2), agency_id String, indicator String,
    dimension Enum8('service' = 1, 'life_situation' = 2), dimension_id String,
    value Nullable(Float64), n UInt64, ci_low Nullable(Float64), ci_high Nullable(Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, dimension, dimension_id, computed_at, run_id)`,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".assessments_feed TO " + db + ".assessments AS SELECT " + assessmentCols + " FROM " + m + ".assessments WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".indicator_details_feed TO " + db + ".indicator_details AS SELECT " + detailCols + " FROM " + m + ".indicator_details WHERE agency_id = " + id,
		// Rows written before the feeds existed; ReplacingMergeTree + FINAL absorb any overlap.
		"INSERT INTO " + db + ".assessments (" + assessmentCols + ") SELECT " + assessmentCols + " FROM " + m + ".assessments WHERE agency_id = " + id +
			" AND (run_id, indicator) NOT IN (SELECT run_id, indicator FROM " + db + ".assessments)",
		"INSERT INTO " + db + ".indicator_details (" + detailCols + ") SELECT " + detailCols + " FROM " + m + ".indicator_details WHERE agency_id = " + id +
			" AND (run_id, indicator, dimension, dimension_id) NOT IN (SELECT run_id, indicator, dimension, dimension_id FROM " + db + ".indicator_details)",
		"CREATE VIEW IF NOT EXISTS " + db + ".assessments_latest AS SELECT * FROM " + db + ".assessments FINAL WHERE " + latest,
		"CREATE VIEW IF NOT EXISTS " + db + ".indicator_details_latest AS SELECT * FROM " + db + ".indicator_details FINAL WHERE " + latest,
		// The agency's priority lists (040_priorities.sql), fed and viewed the same way.
		"CREATE TABLE IF NOT EXISTS " + db + `.priorities
(
    run_id String, computed_at DateTime('UTC'), quarter String, quarter_start Date,
    standard Enum8('people' = 1, 'business' = 2), agency_id String, life_situation_id String,
    kind Enum8('life_situation' = 1, 'service' = 2, 'segment' = 3, 'channel' = 4), item_id String,
    rank UInt16, score Float64, clients UInt64, below_min_n UInt8,
    satisfaction Nullable(Float64), satisfaction_n UInt64, ease Nullable(Float64), ease_n UInt64,
    nps Nullable(Float64), nps_n UInt64, repeat_rate Nullable(Float64), submitted UInt64, repeat_share Nullable(Float64),
    why_ru String, why_en String, weights_version String, bands_version String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, kind, life_situation_id, item_id, computed_at, run_id)`,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".priorities_feed TO " + db + ".priorities AS SELECT " + priorityCols + " FROM " + m + ".priorities WHERE agency_id = " + id,
		"INSERT INTO " + db + ".priorities (" + priorityCols + ") SELECT " + priorityCols + " FROM " + m + ".priorities WHERE agency_id = " + id +
			" AND (run_id, kind, life_situation_id, item_id) NOT IN (SELECT run_id, kind, life_situation_id, item_id FROM " + db + ".priorities)",
		"CREATE VIEW IF NOT EXISTS " + db + ".priorities_latest AS SELECT * FROM " + db + ".priorities FINAL WHERE (quarter_start, standard, agency_id, computed_at) IN " +
			"(SELECT quarter_start, standard, agency_id, max(computed_at) FROM " + db + ".priorities GROUP BY quarter_start, standard, agency_id)",
	}, signalDDL(db, m, id)...)
}

// Columns of the raw event tables (001_raw_events.sql) copied into agency databases for the
// early-warning alerts: what a rolling window of answers and appeals needs, no free text.
const (
	ratingCols = "event_id, occurred_at, client_type, question, score, service_id, request_id, ingested_at"
	appealCols = "event_id, occurred_at, appeal_id, step, message_type, channel, excluded, ingested_at"
)

// signalDDL returns the agency database's copies of its survey answers and appeals
// (ReplacingMergeTree by event_id, read with FINAL: a redelivered event counts once) and
// feed_seen, the newest ingestion time per source table (read with max()), for the alerts.
func signalDDL(db, m, id string) []string {
	return []string{
		"CREATE TABLE IF NOT EXISTS " + db + `.ratings
(
    event_id String, occurred_at DateTime('UTC'), client_type Enum8('person' = 1, 'business' = 2),
    question Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                   'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                   'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                   'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score UInt8, service_id String, request_id String, ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (question, service_id, event_id)`,
		"CREATE TABLE IF NOT EXISTS " + db + `.appeals
(
    event_id String, occurred_at DateTime('UTC'), appeal_id String,
    step Enum8('received' = 1, 'replied' = 2, 'resolved' = 3),
    message_type Enum8('' = 0, 'mention' = 1, 'official_appeal' = 2, 'comment_on_official_post' = 3, 'written_appeal' = 4),
    channel Enum8('social_network' = 1, 'public_chat' = 2, 'portal' = 3, 'email' = 4, 'letter' = 5, 'phone' = 6, 'chat_bot' = 7),
    excluded UInt8, ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (appeal_id, event_id)`,
		"CREATE TABLE IF NOT EXISTS " + db + ".feed_seen (source String, last_ingested_at DateTime('UTC')) ENGINE = ReplacingMergeTree(last_ingested_at) ORDER BY source",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".ratings_feed TO " + db + ".ratings AS SELECT " + ratingCols + " FROM " + m + ".ratings WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".appeals_feed TO " + db + ".appeals AS SELECT " + appealCols + " FROM " + m + ".appeals WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_events TO " + db + ".feed_seen AS SELECT 'service_events' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".service_events WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_ratings TO " + db + ".feed_seen AS SELECT 'ratings' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".ratings WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_appeals TO " + db + ".feed_seen AS SELECT 'appeals' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".appeals WHERE agency_id = " + id,
		// Rows written before the feeds existed (FINAL and max() absorb any overlap).
		"INSERT INTO " + db + ".ratings (" + ratingCols + ") SELECT " + ratingCols + " FROM " + m + ".ratings WHERE agency_id = " + id +
			" AND event_id NOT IN (SELECT event_id FROM " + db + ".ratings)",
		"INSERT INTO " + db + ".appeals (" + appealCols + ") SELECT " + appealCols + " FROM " + m + ".appeals WHERE agency_id = " + id +
			" AND event_id NOT IN (SELECT event_id FROM " + db + ".appeals)",
		"INSERT INTO " + db + ".feed_seen (source, last_ingested_at) SELECT source, max(t) AS last_ingested_at FROM (" +
			"SELECT 'service_events' AS source, ingested_at AS t FROM " + m + ".service_events WHERE agency_id = " + id +
			" UNION ALL SELECT 'ratings' AS source, ingested_at AS t FROM " + m + ".ratings WHERE agency_id = " + id +
			" UNION ALL SELECT 'appeals' AS source, ingested_at AS t FROM " + m + ".appeals WHERE agency_id = " + id + ") GROUP BY source",
	}
}

// replacingEngine finds a ReplacingMergeTree engine and its optional version column.
var replacingEngine = regexp.MustCompile(`ENGINE = ReplacingMergeTree(?:\(([^)]*)\))?`)

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// AgencyClusterDDL returns AgencyDDL for a main database migrated for cluster: every CREATE runs
// ON CLUSTER, and the agency's tables are ReplicatedReplacingMergeTree with a replica on every
// node. The copy of the rows written before the feeds existed runs once and replicates; an
// assessment inserted later on any node reaches its feed there (the main assessments table is
// replicated to every node, its feeds run where the insert lands) and replicates from it.
func AgencyClusterDDL(mainDB, cluster string, t Tenant) ([]string, error) {
	if !clusterName.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q must match %s", cluster, clusterName)
	}
	db := q(t.Database)
	var out []string
	for _, stmt := range AgencyDDL(mainDB, t) {
		switch {
		case strings.HasPrefix(stmt, "CREATE DATABASE IF NOT EXISTS "):
			stmt += " ON CLUSTER " + cluster
		case strings.HasPrefix(stmt, "CREATE TABLE IF NOT EXISTS "), strings.HasPrefix(stmt, "CREATE MATERIALIZED VIEW IF NOT EXISTS "),
			strings.HasPrefix(stmt, "CREATE VIEW IF NOT EXISTS "):
			// The object's name is the first db-qualified name: "CREATE … `db`.name".
			i := strings.Index(stmt, db+".")
			if i < 0 {
				return nil, fmt.Errorf("agency DDL without %s: %.60s", db, stmt)
			}
			end := i + len(db) + 1
			for end < len(stmt) && (stmt[end] == '_' || stmt[end] >= 'a' && stmt[end] <= 'z' || stmt[end] >= '0' && stmt[end] <= '9') {
				end++
			}
			name := stmt[i+len(db)+1 : end]
			stmt = stmt[:end] + " ON CLUSTER " + cluster + stmt[end:]
			if m := replacingEngine.FindStringSubmatchIndex(stmt); m != nil {
				args := "'/clickhouse/tables/all/" + t.Database + "/" + name + "', '{replica}'"
				if m[2] >= 0 && m[3] > m[2] {
					args += ", " + stmt[m[2]:m[3]] // the version column
				}
				stmt = stmt[:m[0]] + "ENGINE = ReplicatedReplacingMergeTree(" + args + ")" + stmt[m[1]:]
			}
		}
		out = append(out, stmt)
	}
	return out, nil
}

// UsersXML returns the users.d file for ClickHouse 18.16 (also read by current ClickHouse): a
// readonly=1 profile and one user per tenant, limited to its database and to networks.
func UsersXML(mainDB string, tenants []Tenant, networks []string) []byte {
	profile := mainDB + "__tenant"
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!-- Written by `cxstar dashboards push` for database " + mainDB + ": read-only ClickHouse users of the\n")
	b.WriteString("     Grafana organizations (one per agency + the Project Office). Do not edit: rerun the command. -->\n<yandex>\n")
	b.WriteString("  <profiles>\n    <" + profile + ">\n      <readonly>1</readonly>\n      <max_execution_time>60</max_execution_time>\n")
	b.WriteString("      <max_result_rows>1000000</max_result_rows>\n      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>\n    </" + profile + ">\n  </profiles>\n  <users>\n")
	for _, t := range tenants {
		h := sha256.Sum256([]byte(t.Password))
		b.WriteString("    <" + t.User + ">\n")
		b.WriteString("      <password_sha256_hex>" + hex.EncodeToString(h[:]) + "</password_sha256_hex>\n      <networks>")
		for _, n := range networks {
			b.WriteString("<ip>" + n + "</ip>")
		}
		b.WriteString("</networks>\n      <profile>" + profile + "</profile>\n      <quota>default</quota>\n")
		b.WriteString("      <allow_databases><database>" + t.Database + "</database></allow_databases>\n    </" + t.User + ">\n")
	}
	b.WriteString("  </users>\n</yandex>\n")
	return []byte(b.String())
}

// UsersSQL returns the same users for current ClickHouse (SQL-driven access control, which 18.16
// does not have): CREATE USER with readonly=1 and SELECT on the tenant's database only.
func UsersSQL(tenants []Tenant, networks []string) string {
	var b strings.Builder
	hosts := make([]string, len(networks))
	for i, n := range networks {
		hosts[i] = "IP " + sqlString(n)
	}
	for _, t := range tenants {
		h := sha256.Sum256([]byte(t.Password))
		fmt.Fprintf(&b, "CREATE USER IF NOT EXISTS %s IDENTIFIED WITH sha256_hash BY '%s' HOST %s SETTINGS readonly = 1 CONST;\n",
			q(t.User), hex.EncodeToString(h[:]), strings.Join(hosts, ", "))
		fmt.Fprintf(&b, "GRANT SELECT ON %s.* TO %s;\n", q(t.Database), q(t.User))
	}
	return b.String()
}

// Config says where the ClickHouse side of the tenancy goes.
type Config struct {
	// MainDB is the database with the assessments tables (the Project Office reads it).
	MainDB string
	// UsersDir is the ClickHouse server's users.d folder; UsersXML is written there.
	UsersDir string
	// MoreUsersDirs are the users.d folders of the other nodes of a cluster, which get the same
	// file (a dashboard's connection can land on any node). Default: none.
	MoreUsersDirs []string
	// Cluster, when set, is the ClickHouse cluster (remote_servers) the main database was migrated
	// for (`cxstar migrate --cluster`): the agency databases are created on every node with ON
	// CLUSTER DDL and their tables replicated to every node (AgencyClusterDDL). Default: a single node.
	Cluster string
	// Secret derives the tenants' passwords (see LoadSecret).
	Secret []byte
	// Networks the tenants may connect from. Default: 127.0.0.1 and ::1.
	Networks []string
	// Addr is host:port (native protocol) used to check that the users can log in.
	Addr string
	// TLS, when set, is used to reach Addr (the admin connection's TLS settings: see store.Options).
	// Default: nil (plaintext).
	TLS *tls.Config
}

// Tenants returns the Project Office tenant and one tenant per agency.
func (c Config) Tenants(agencyIDs []string) (po Tenant, ag []Tenant, err error) {
	if po, err = ProjectOfficeTenant(c.MainDB, c.Secret); err != nil {
		return po, nil, err
	}
	for _, id := range agencyIDs {
		t, err := AgencyTenant(c.MainDB, id, c.Secret)
		if err != nil {
			return po, nil, err
		}
		ag = append(ag, t)
	}
	return po, ag, nil
}

// Provision creates the agency databases (AgencyDDL) through admin, writes UsersXML
// into c.UsersDir, and waits until every tenant can log in (the server reloads users.d by itself
// within a few seconds). It returns the tenants.
func Provision(ctx context.Context, admin driver.Conn, c Config, agencyIDs []string) (Tenant, []Tenant, error) {
	if len(c.Networks) == 0 {
		c.Networks = []string{"127.0.0.1", "::1"}
	}
	po, ag, err := c.Tenants(agencyIDs)
	if err != nil {
		return po, nil, err
	}
	var tables uint64
	if err := admin.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = "+sqlString(c.MainDB)+
		" AND name IN ('assessments', 'indicator_details')").Scan(&tables); err != nil {
		return po, nil, fmt.Errorf("check the assessments tables of %s: %w", c.MainDB, err)
	}
	if tables != 2 {
		return po, nil, fmt.Errorf("database %s has no assessments/indicator_details tables: run `cxstar migrate` first", c.MainDB)
	}
	for _, t := range ag {
		ddl := AgencyDDL(c.MainDB, t)
		if c.Cluster != "" {
			if ddl, err = AgencyClusterDDL(c.MainDB, c.Cluster, t); err != nil {
				return po, nil, err
			}
		}
		for _, stmt := range ddl {
			if err := admin.Exec(ctx, stmt); err != nil {
				return po, nil, fmt.Errorf("create ClickHouse database of agency %s (%.60s…): %w", t.AgencyID, stmt, err)
			}
		}
	}
	for _, dir := range append([]string{c.UsersDir}, c.MoreUsersDirs...) {
		if err := writeUsers(dir, c.MainDB, UsersXML(c.MainDB, append([]Tenant{po}, ag...), c.Networks)); err != nil {
			return po, nil, err
		}
	}
	if c.Addr != "" {
		for _, t := range append([]Tenant{po}, ag...) {
			if err := waitLogin(ctx, c.Addr, c.TLS, t); err != nil {
				return po, nil, err
			}
		}
	}
	return po, ag, nil
}

// UsersFile is the users.d file name written for main database mainDB.
func UsersFile(mainDB string) string { return "cxstar-" + mainDB + ".xml" }

func writeUsers(dir, mainDB string, xml []byte) error {
	if dir == "" {
		return fmt.Errorf("no ClickHouse users.d folder given: pass --ch-users-dir or set CXSTAR_CH_USERS_DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create ClickHouse users.d folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, UsersFile(mainDB))
	if old, err := os.ReadFile(path); err == nil && string(old) == string(xml) {
		return nil
	}
	tmp := filepath.Join(dir, "."+UsersFile(mainDB)+".tmp")
	if err := os.WriteFile(tmp, xml, 0o640); err != nil {
		return fmt.Errorf("write ClickHouse users file %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install ClickHouse users file %s: %w", path, err)
	}
	return nil
}

func waitLogin(ctx context.Context, addr string, tlsCfg *tls.Config, t Tenant) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		last = PingTLS(ctx, addr, tlsCfg, t)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("ClickHouse user %s cannot log in 30 s after writing users.d (is --ch-users-dir the users.d of the server on %s?): %w", t.User, addr, last)
}

// Conn opens a plaintext native-protocol connection to addr as tenant t.
func Conn(addr string, t Tenant) (driver.Conn, error) { return ConnTLS(addr, nil, t) }

// ConnTLS opens a native-protocol connection to addr as tenant t, over TLS with tlsCfg unless it
// is nil.
func ConnTLS(addr string, tlsCfg *tls.Config, t Tenant) (driver.Conn, error) {
	return clickhouse.Open(&clickhouse.Options{
		Addr: []string{addr},
		Auth: clickhouse.Auth{Database: t.Database, Username: t.User, Password: t.Password},
		TLS:  tlsCfg,
	})
}

// Ping logs in as t (plaintext) and runs SELECT 1.
func Ping(ctx context.Context, addr string, t Tenant) error { return PingTLS(ctx, addr, nil, t) }

// PingTLS logs in as t, over TLS with tlsCfg unless it is nil, and runs SELECT 1.
func PingTLS(ctx context.Context, addr string, tlsCfg *tls.Config, t Tenant) error {
	c, err := ConnTLS(addr, tlsCfg, t)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Ping(ctx)
}

// Map indexes agency tenants by agency id.
func Map(ag []Tenant) map[string]Tenant {
	m := make(map[string]Tenant, len(ag))
	for _, t := range ag {
		m[t.AgencyID] = t
	}
	return m
}

package tenancy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cxstar/cxstar/internal/store"
)

// Columns of the tables of 002_assessments.sql that are copied into agency databases.
const (
	assessmentCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version"
	detailCols     = "run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, dimension, dimension_id, value, n, ci_low, ci_high"
	// priorityCols are the columns of 040_priorities.sql.
	priorityCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, life_situation_id, kind, item_id, rank, score, clients, below_min_n, " +
		"satisfaction, satisfaction_n, ease, ease_n, nps, nps_n, repeat_rate, submitted, repeat_share, why_ru, why_en, weights_version, bands_version"
	// comparisonCols are the columns of 042_indicator_comparisons.sql.
	comparisonCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, value, status, n, num, den, promoters, detractors, " +
		"prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id"
)

func q(ident string) string { return "`" + ident + "`" }

// AgencyDDL returns the statements that create agency t's database, its copies of the
// assessment tables, the materialized views that feed them from mainDB, and the _latest views.
// Every statement is idempotent and runs on ClickHouse 18.16 and current ClickHouse. After each
// copy's feed comes the INSERT … SELECT of the rows mainDB held before the feed existed, then a
// row of the copy in the database's copied table (see copiedDDL).
func AgencyDDL(mainDB string, t Tenant) []string { return agencyStatements(mainDB, t, nil) }

// agencyStatements is AgencyDDL without the INSERTs of the copies in done (and the rows that would
// record them again): copies whose earlier rows the database already holds.
func agencyStatements(mainDB string, t Tenant, done map[string]bool) []string {
	db := q(t.Database)
	stmts := agencyDDL(mainDB, t)
	out := []string{stmts[0], copiedDDL(db)}
	for _, stmt := range stmts[1:] {
		name, ok := copyInsert(db, stmt)
		switch {
		case !ok:
			out = append(out, stmt)
		case !done[name]:
			out = append(out, stmt, markCopied(db, name))
		}
	}
	return out
}

// copiedDDL creates the agency database's record of the copies whose earlier rows have been copied
// from the main database. Provision copies a copy's earlier rows only while it has no row here:
// the INSERT reads the agency's whole history in the main table and holds every event id of the
// copy in memory (NOT IN), a cost that grows with the history and is needed once per copy.
func copiedDDL(db string) string {
	return "CREATE TABLE IF NOT EXISTS " + db + ".copied (name String, copied_at DateTime('UTC')) ENGINE = ReplacingMergeTree(copied_at) ORDER BY name"
}

// copyInsert reports whether stmt is the INSERT … SELECT of a copy's earlier rows, and the copy.
func copyInsert(db, stmt string) (string, bool) {
	rest, ok := strings.CutPrefix(stmt, "INSERT INTO "+db+".")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, " (")
	return name, ok
}

// markCopied records in database db that copy name holds the rows of the main database. It is an
// INSERT … SELECT: over the native protocol, 18.16 waits for data blocks after INSERT … VALUES.
func markCopied(db, name string) string {
	return "INSERT INTO " + db + ".copied (name, copied_at) SELECT " + store.Quote(name) + ", now()"
}

func agencyDDL(mainDB string, t Tenant) []string {
	db, m, id := q(t.Database), q(mainDB), store.Quote(t.AgencyID)
	// The newest official revision's run of a closed quarter, the newest run of any other: the rule
	// of the main database's views (032's assessments_latest, 043's indicator_comparisons_latest),
	// over the agency's copies.
	latestOf := func(table string) string {
		return "(quarter_start, standard, agency_id, computed_at) IN (SELECT quarter_start, standard, agency_id, max(computed_at) FROM " + db + "." + table +
			" WHERE run_id IN (SELECT run_id FROM " + db + ".official_revisions) OR quarter_start NOT IN (SELECT quarter_start FROM " + db + ".official_revisions)" +
			" GROUP BY quarter_start, standard, agency_id)"
	}
	latest := latestOf("assessments")
	return append(append([]string{"CREATE DATABASE IF NOT EXISTS " + db}, officialDDL(db, m)...), append([]string{
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
		// Dropped and created again, so that a database provisioned with an earlier rule gets this one.
		"DROP TABLE IF EXISTS " + db + ".assessments_latest",
		"CREATE VIEW IF NOT EXISTS " + db + ".assessments_latest AS SELECT * FROM " + db + ".assessments FINAL WHERE " + latest,
		"DROP TABLE IF EXISTS " + db + ".indicator_details_latest",
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
		// The agency's changes against the previous quarter and target checks (042), fed the same way;
		// its _latest view follows assessments_latest (the official run of a closed quarter).
		"CREATE TABLE IF NOT EXISTS " + db + `.indicator_comparisons
(
    run_id String, computed_at DateTime('UTC'), quarter String, quarter_start Date,
    standard Enum8('people' = 1, 'business' = 2), agency_id String, indicator String,
    value Nullable(Float64), status Enum8('assessed' = 1, 'not_assessed' = 2, 'no_data' = 3),
    n UInt64, num UInt64, den UInt64, promoters UInt64, detractors UInt64,
    prev_value Nullable(Float64), prev_n UInt64, delta Nullable(Float64),
    test Enum8('none' = 0, 'two_proportion' = 1, 'nps_difference' = 2), z Float64, p Float64, p_adjusted Float64,
    verdict Enum8('no_comparison' = 0, 'no_significant_change' = 1, 'significant_improvement' = 2, 'significant_decline' = 3, 'census_change' = 4),
    target Nullable(Float64), target_deviation Nullable(Float64),
    target_flag Enum8('' = 0, 'within_interval' = 1, 'better_than_target' = 2, 'worse_than_target' = 3, 'not_compared' = 4),
    target_load_id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, computed_at, run_id)`,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".indicator_comparisons_feed TO " + db + ".indicator_comparisons AS SELECT " + comparisonCols + " FROM " + m + ".indicator_comparisons WHERE agency_id = " + id,
		"INSERT INTO " + db + ".indicator_comparisons (" + comparisonCols + ") SELECT " + comparisonCols + " FROM " + m + ".indicator_comparisons WHERE agency_id = " + id +
			" AND (run_id, indicator) NOT IN (SELECT run_id, indicator FROM " + db + ".indicator_comparisons)",
		"DROP TABLE IF EXISTS " + db + ".indicator_comparisons_latest",
		"CREATE VIEW IF NOT EXISTS " + db + ".indicator_comparisons_latest AS SELECT * FROM " + db + ".indicator_comparisons FINAL WHERE " + latestOf("indicator_comparisons"),
	}, append(signalDDL(db, m, id), followupDDL(db, m, id)...)...)...)
}

// officialCols are the columns of official_revisions (030_official.sql) copied into agency
// databases: which revision of a closed quarter is official, when and why. The revision's reports
// and fingerprint are left out: the reports hold every agency's values.
const officialCols = "quarter, quarter_start, revision, closed_at, reason, run_id"

// officialDDL returns the agency database's official_revisions: every revision of every closed
// quarter (not agency-specific), fed from the main table like the assessments, so that the agency's
// dashboard names the official revision of a quarter with the agency's own user and its _latest
// views show that revision's run.
func officialDDL(db, m string) []string {
	return []string{
		"CREATE TABLE IF NOT EXISTS " + db + ".official_revisions (quarter String, quarter_start Date, revision UInt32, closed_at DateTime('UTC'), reason String, run_id String)" +
			" ENGINE = ReplacingMergeTree ORDER BY (quarter_start, revision)",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".official_revisions_feed TO " + db + ".official_revisions AS SELECT " + officialCols + " FROM " + m + ".official_revisions",
		// Revisions published before the feed existed (ReplacingMergeTree absorbs any overlap).
		"INSERT INTO " + db + ".official_revisions (" + officialCols + ") SELECT " + officialCols + " FROM " + m + ".official_revisions" +
			" WHERE (quarter_start, revision) NOT IN (SELECT quarter_start, revision FROM " + db + ".official_revisions)",
	}
}

// Columns of the raw event tables (001_raw_events.sql) copied into agency databases for the
// early-warning alerts: what a rolling window of answers and appeals needs, no free text.
const (
	ratingCols = "event_id, occurred_at, client_type, question, score, service_id, request_id, ingested_at"
	appealCols = "event_id, occurred_at, appeal_id, step, message_type, channel, excluded, ingested_at"
	// serviceCols: the status events of the repeat-request alert (followed_up steps are left out).
	serviceCols = "event_id, occurred_at, client_type, client_id, request_id, service_id, status, ingested_at"
)

// signalDDL returns the agency database's copies of its survey answers, status events and appeals
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
		"CREATE TABLE IF NOT EXISTS " + db + `.service_events
(
    event_id String, occurred_at DateTime('UTC'), client_type Enum8('person' = 1, 'business' = 2),
    client_id String, request_id String, service_id String,
    status Enum8('submitted' = 1, 'in_progress' = 2, 'completed' = 3, 'refused' = 4, 'withdrawn' = 5, 'followed_up' = 6),
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (client_type, service_id, client_id, request_id, event_id)`,
		"CREATE TABLE IF NOT EXISTS " + db + ".feed_seen (source String, last_ingested_at DateTime('UTC')) ENGINE = ReplacingMergeTree(last_ingested_at) ORDER BY source",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".ratings_feed TO " + db + ".ratings AS SELECT " + ratingCols + " FROM " + m + ".ratings WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".appeals_feed TO " + db + ".appeals AS SELECT " + appealCols + " FROM " + m + ".appeals WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".service_events_feed TO " + db + ".service_events AS SELECT " + serviceCols + " FROM " + m + ".service_events WHERE agency_id = " + id + " AND status != 'followed_up'",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_events TO " + db + ".feed_seen AS SELECT 'service_events' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".service_events WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_ratings TO " + db + ".feed_seen AS SELECT 'ratings' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".ratings WHERE agency_id = " + id,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".feed_seen_appeals TO " + db + ".feed_seen AS SELECT 'appeals' AS source, max(ingested_at) AS last_ingested_at FROM " + m + ".appeals WHERE agency_id = " + id,
		// Rows written before the feeds existed (FINAL and max() absorb any overlap).
		"INSERT INTO " + db + ".ratings (" + ratingCols + ") SELECT " + ratingCols + " FROM " + m + ".ratings WHERE agency_id = " + id +
			" AND event_id NOT IN (SELECT event_id FROM " + db + ".ratings)",
		"INSERT INTO " + db + ".service_events (" + serviceCols + ") SELECT " + serviceCols + " FROM " + m + ".service_events WHERE agency_id = " + id +
			" AND status != 'followed_up' AND event_id NOT IN (SELECT event_id FROM " + db + ".service_events)",
		"INSERT INTO " + db + ".appeals (" + appealCols + ") SELECT " + appealCols + " FROM " + m + ".appeals WHERE agency_id = " + id +
			" AND event_id NOT IN (SELECT event_id FROM " + db + ".appeals)",
		"INSERT INTO " + db + ".feed_seen (source, last_ingested_at) SELECT source, max(t) AS last_ingested_at FROM (" +
			"SELECT 'service_events' AS source, ingested_at AS t FROM " + m + ".service_events WHERE agency_id = " + id +
			" UNION ALL SELECT 'ratings' AS source, ingested_at AS t FROM " + m + ".ratings WHERE agency_id = " + id +
			" UNION ALL SELECT 'appeals' AS source, ingested_at AS t FROM " + m + ".appeals WHERE agency_id = " + id + ") GROUP BY source",
	}
}

// Columns of the agency's detractor follow-up copies (050_followup.sql without agency_id).
const (
	followupItemCols = "event_id, answered_at, client_type, client_id, request_id, service_id, question, score, ingested_at"
	followupStepCols = "event_id, occurred_at, request_id, ingested_at"
	// detractor is the rule of 050_followup.sql that makes an answer a follow-up item.
	detractor = "request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2)"
)

// followupDDL returns the agency database's detractor follow-up items and steps, fed from the main
// raw tables by the rule of migration 050 (so that they are fed on a cluster too, where the main
// follow-up tables are written on the shards), and its followup_status view, the same view as the
// main database's for one agency. Like the main tables (migrations 052, 053) the copies are
// partitioned by quarter (Moscow) of the answer and of the step, and their agency_id is an ALIAS
// of the agency's id: the dashboard's follow-up table (transform.FollowUpItemsQuery) runs on them
// and on the main tables alike and reads only the partitions of its quarter. Every copy of an
// answer or a step has its time, so copies meet in one partition and FINAL keeps one.
func followupDDL(db, m, id string) []string {
	items := "SELECT event_id, occurred_at AS answered_at, client_type, client_id, request_id, service_id, question, score, ingested_at FROM " + m + ".ratings WHERE agency_id = " + id + " AND " + detractor
	steps := "SELECT " + followupStepCols + " FROM " + m + ".service_events WHERE agency_id = " + id + " AND status = 'followed_up'"
	return []string{
		"CREATE TABLE IF NOT EXISTS " + db + `.followup_items
(
    event_id String, answered_at DateTime('UTC'), client_type Enum8('person' = 1, 'business' = 2),
    client_id String, request_id String, service_id String,
    question Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                   'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                   'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                   'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score UInt8, ingested_at DateTime('UTC'), agency_id String ALIAS ` + id + `
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toStartOfQuarter(answered_at, 'Europe/Moscow')
ORDER BY event_id`,
		"CREATE TABLE IF NOT EXISTS " + db + ".followups (event_id String, occurred_at DateTime('UTC'), request_id String, ingested_at DateTime('UTC'), agency_id String ALIAS " + id + ")" +
			" ENGINE = ReplacingMergeTree(ingested_at) PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow') ORDER BY (request_id, event_id)",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".followup_items_feed TO " + db + ".followup_items AS " + items,
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + db + ".followups_feed TO " + db + ".followups AS " + steps,
		"INSERT INTO " + db + ".followup_items (" + followupItemCols + ") " + items + " AND event_id NOT IN (SELECT event_id FROM " + db + ".followup_items)",
		"INSERT INTO " + db + ".followups (" + followupStepCols + ") " + steps + " AND event_id NOT IN (SELECT event_id FROM " + db + ".followups)",
		"CREATE VIEW IF NOT EXISTS " + db + ".followup_status AS " + followUpStatusSQL(db, id),
	}
}

// followupCopies are the agency database's follow-up tables and the materialized views that feed them.
var followupCopies = map[string]string{"followup_items": "followup_items_feed", "followups": "followups_feed"}

// followupUpgradeDDL returns the statements that drop the given follow-up tables of agency database
// db (those provisioned before the copies were partitioned by quarter) and their feeds, so that
// AgencyDDL, run next, creates them partitioned and fills them again from the main database's raw
// tables, which hold every row the copies had.
func followupUpgradeDDL(db string, tables []string) []string {
	var out []string
	for _, table := range tables {
		out = append(out, "DROP TABLE IF EXISTS "+db+"."+followupCopies[table], "DROP TABLE IF EXISTS "+db+"."+table)
	}
	return out
}

// followUpStatusSQL is the SELECT of the agency database db's followup_status view: each item of
// followup_items with its first step at or after the answer, and whether that step came within 5
// working days (Monday–Friday in Moscow), as migration 050 defines it for the main database, with
// the same columns (agency_id is the literal id, so that a panel's SQL runs on both).
func followUpStatusSQL(db, id string) string {
	working := func(col, name string) string {
		return "intDiv(toRelativeDayNum(" + col + ", 'Europe/Moscow') + 3, 7) AS " + name + "_w, ((toRelativeDayNum(" + col + ", 'Europe/Moscow') + 3) % 7) * 86400 + toHour(" + col +
			", 'Europe/Moscow') * 3600 + toMinute(" + col + ", 'Europe/Moscow') * 60 + toSecond(" + col + ", 'Europe/Moscow') AS " + name + "_s"
	}
	return `SELECT toString(` + id + `) AS agency_id, client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
       followed_up, if(followed_up = 1, step_at, NULL) AS followed_up_at,
       toUInt8(followed_up AND toInt64(step_w) * 432000 + least(step_s, 432000) + (step_s > 432000)
           - toInt64(answer_w) * 432000 - least(answer_s, 432000) <= 432000) AS within_5_working_days
FROM
(
    SELECT client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
           toUInt8(first_s > 0) AS followed_up, toDateTime(first_s, 'UTC') AS step_at,
           ` + working("answered_at", "answer") + `,
           ` + working("step_at", "step") + `
    FROM
    (
        SELECT client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
               arrayReduce('min', arrayFilter((x, a) -> x >= a, steps, arrayResize([toUInt32(answered_at)], length(steps), toUInt32(answered_at)))) AS first_s
        FROM (SELECT client_type, event_id, answered_at, client_id, request_id, service_id, question, score FROM ` + db + `.followup_items FINAL) AS items
        ANY LEFT JOIN
        (SELECT request_id, groupArray(toUInt32(occurred_at)) AS steps FROM ` + db + `.followups FINAL GROUP BY request_id) AS done USING (request_id)
    )
)`
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
	return onCluster(AgencyDDL(mainDB, t), cluster, t)
}

// onCluster returns agency t's statements (of AgencyDDL or followupUpgradeDDL) for a cluster, as
// AgencyClusterDDL describes.
func onCluster(stmts []string, cluster string, t Tenant) ([]string, error) {
	if !clusterName.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q must match %s", cluster, clusterName)
	}
	db := q(t.Database)
	var out []string
	for _, stmt := range stmts {
		switch {
		case strings.HasPrefix(stmt, "CREATE DATABASE IF NOT EXISTS "), strings.HasPrefix(stmt, "DROP TABLE IF EXISTS "):
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

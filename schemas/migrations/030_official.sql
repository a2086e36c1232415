-- Official results of closed quarters (`cxstar assess --quarter Q --close`). Every close is a new
-- revision of the quarter (1, 2, …); earlier revisions are kept. A revision names the assessment run
-- that holds its rows in assessments and indicator_details, keeps the reports exactly as printed,
-- and the fingerprint of the inputs that produced them.
CREATE TABLE IF NOT EXISTS official_revisions
(
    quarter          String,
    quarter_start    Date,
    revision         UInt32,
    closed_at        DateTime('UTC'),
    reason           String,
    run_id           String,
    registry_version String,
    bands_versions   Array(String),
    catalog_version  String,
    binary_version   String,
    reports          String
)
ENGINE = MergeTree
ORDER BY (quarter_start, revision);

-- The raw-table part of a revision's fingerprint: rows and last insert time per raw table for the
-- quarter when it was closed.
CREATE TABLE IF NOT EXISTS official_inputs
(
    quarter       String,
    quarter_start Date,
    revision      UInt32,
    source_table  String,
    rows          UInt64,
    last_insert   DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (quarter_start, revision, source_table);

-- The newest revision of every closed quarter.
CREATE VIEW IF NOT EXISTS official_revisions_latest AS
SELECT *
FROM official_revisions
WHERE (quarter_start, revision) IN (SELECT quarter_start, max(revision) FROM official_revisions GROUP BY quarter_start);

-- assessments_latest and indicator_details_latest show the newest official revision of a closed
-- quarter (a later recomputation never replaces it) and, as before, the newest run of any other.
DROP TABLE IF EXISTS assessments_latest;

CREATE VIEW IF NOT EXISTS assessments_latest AS
SELECT *
FROM assessments
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at)
     FROM assessments
     WHERE run_id IN (SELECT run_id FROM official_revisions)
        OR quarter_start NOT IN (SELECT quarter_start FROM official_revisions)
     GROUP BY quarter_start, standard, agency_id);

DROP TABLE IF EXISTS indicator_details_latest;

CREATE VIEW IF NOT EXISTS indicator_details_latest AS
SELECT *
FROM indicator_details
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at)
     FROM assessments
     WHERE run_id IN (SELECT run_id FROM official_revisions)
        OR quarter_start NOT IN (SELECT quarter_start FROM official_revisions)
     GROUP BY quarter_start, standard, agency_id);

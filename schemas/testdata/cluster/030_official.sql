CREATE TABLE IF NOT EXISTS cxstar.official_revisions ON CLUSTER cxstar
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/030_official_revisions', '{replica}')
ORDER BY (quarter_start, revision);

CREATE TABLE IF NOT EXISTS cxstar.official_inputs ON CLUSTER cxstar
(
    quarter       String,
    quarter_start Date,
    revision      UInt32,
    source_table  String,
    rows          UInt64,
    last_insert   DateTime('UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/030_official_inputs', '{replica}')
ORDER BY (quarter_start, revision, source_table);

CREATE VIEW IF NOT EXISTS cxstar.official_revisions_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.official_revisions
WHERE (quarter_start, revision) IN (SELECT quarter_start, max(revision) FROM cxstar.official_revisions GROUP BY quarter_start);

DROP TABLE IF EXISTS cxstar.assessments_latest ON CLUSTER cxstar;

CREATE VIEW IF NOT EXISTS cxstar.assessments_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.assessments
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at)
     FROM cxstar.assessments
     WHERE run_id IN (SELECT run_id FROM cxstar.official_revisions)
        OR quarter_start NOT IN (SELECT quarter_start FROM cxstar.official_revisions)
     GROUP BY quarter_start, standard, agency_id);

DROP TABLE IF EXISTS cxstar.indicator_details_latest ON CLUSTER cxstar;

CREATE VIEW IF NOT EXISTS cxstar.indicator_details_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.indicator_details
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at)
     FROM cxstar.assessments
     WHERE run_id IN (SELECT run_id FROM cxstar.official_revisions)
        OR quarter_start NOT IN (SELECT quarter_start FROM cxstar.official_revisions)
     GROUP BY quarter_start, standard, agency_id);


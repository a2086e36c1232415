-- Star-level assessments: one row per run × agency × quarter × standard × indicator.
-- Every run is kept (history); assessments_latest shows the newest run per agency, quarter, standard.
CREATE TABLE IF NOT EXISTS assessments
(
    run_id        String,
    computed_at   DateTime('UTC'),
    quarter       String,
    quarter_start Date,
    standard      Enum8('people' = 1, 'business' = 2),
    agency_id     String,
    indicator     String,
    table_no      UInt8,
    value         Nullable(Float64),
    level         Nullable(UInt8),
    n             UInt64,
    ci_low        Nullable(Float64),
    ci_high       Nullable(Float64),
    status        Enum8('assessed' = 1, 'not_assessed' = 2, 'no_data' = 3),
    reason        String,
    bands_version String
)
ENGINE = MergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, computed_at);

CREATE VIEW IF NOT EXISTS assessments_latest AS
SELECT *
FROM assessments
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM assessments GROUP BY quarter_start, standard, agency_id);

-- Drill-down values behind an assessment: the same indicator per service or per life situation,
-- written by the same run as the assessments rows (join on run_id, agency_id, indicator).
CREATE TABLE IF NOT EXISTS indicator_details
(
    run_id        String,
    computed_at   DateTime('UTC'),
    quarter       String,
    quarter_start Date,
    standard      Enum8('people' = 1, 'business' = 2),
    agency_id     String,
    indicator     String,
    dimension     Enum8('service' = 1, 'life_situation' = 2),
    dimension_id  String,
    value         Nullable(Float64),
    n             UInt64,
    ci_low        Nullable(Float64),
    ci_high       Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, dimension, dimension_id, computed_at);

CREATE VIEW IF NOT EXISTS indicator_details_latest AS
SELECT *
FROM indicator_details
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM assessments GROUP BY quarter_start, standard, agency_id);

CREATE TABLE IF NOT EXISTS cxstar.assessments ON CLUSTER cxstar
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/002_assessments', '{replica}')
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, computed_at);

CREATE VIEW IF NOT EXISTS cxstar.assessments_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.assessments
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM cxstar.assessments GROUP BY quarter_start, standard, agency_id);

CREATE TABLE IF NOT EXISTS cxstar.indicator_details ON CLUSTER cxstar
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/002_indicator_details', '{replica}')
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, dimension, dimension_id, computed_at);

CREATE VIEW IF NOT EXISTS cxstar.indicator_details_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.indicator_details
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM cxstar.assessments GROUP BY quarter_start, standard, agency_id);


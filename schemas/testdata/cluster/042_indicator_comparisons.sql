CREATE TABLE IF NOT EXISTS cxstar.indicator_comparisons ON CLUSTER cxstar
(
    run_id           String,
    computed_at      DateTime('UTC'),
    quarter          String,
    quarter_start    Date,
    standard         Enum8('people' = 1, 'business' = 2),
    agency_id        String,
    indicator        String,
    value            Nullable(Float64),
    status           Enum8('assessed' = 1, 'not_assessed' = 2, 'no_data' = 3),
    n                UInt64,
    num              UInt64,
    den              UInt64,
    promoters        UInt64,
    detractors       UInt64,
    prev_value       Nullable(Float64),
    prev_n           UInt64,
    delta            Nullable(Float64),
    test             Enum8('none' = 0, 'two_proportion' = 1, 'nps_difference' = 2),
    z                Float64,
    p                Float64,
    p_adjusted       Float64,
    verdict          Enum8('no_comparison' = 0, 'no_significant_change' = 1, 'significant_improvement' = 2, 'significant_decline' = 3, 'census_change' = 4),
    target           Nullable(Float64),
    target_deviation Nullable(Float64),
    target_flag      Enum8('' = 0, 'within_interval' = 1, 'better_than_target' = 2, 'worse_than_target' = 3, 'not_compared' = 4),
    target_load_id   String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/042_indicator_comparisons', '{replica}')
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, indicator, computed_at);

CREATE VIEW IF NOT EXISTS cxstar.indicator_comparisons_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.indicator_comparisons
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM cxstar.indicator_comparisons GROUP BY quarter_start, standard, agency_id);


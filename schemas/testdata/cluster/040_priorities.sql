CREATE TABLE IF NOT EXISTS cxstar.priorities ON CLUSTER cxstar
(
    run_id            String,
    computed_at       DateTime('UTC'),
    quarter           String,
    quarter_start     Date,
    standard          Enum8('people' = 1, 'business' = 2),
    agency_id         String,
    life_situation_id String,
    kind              Enum8('life_situation' = 1, 'service' = 2, 'segment' = 3, 'channel' = 4),
    item_id           String,
    rank              UInt16,
    score             Float64,
    clients           UInt64,
    below_min_n       UInt8,
    satisfaction      Nullable(Float64),
    satisfaction_n    UInt64,
    ease              Nullable(Float64),
    ease_n            UInt64,
    nps               Nullable(Float64),
    nps_n             UInt64,
    repeat_rate       Nullable(Float64),
    submitted         UInt64,
    repeat_share      Nullable(Float64),
    why_ru            String,
    why_en            String,
    weights_version   String,
    bands_version     String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/040_priorities', '{replica}')
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, kind, life_situation_id, item_id, computed_at);

CREATE VIEW IF NOT EXISTS cxstar.priorities_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.priorities
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM cxstar.priorities GROUP BY quarter_start, standard, agency_id);


-- Priority life situations ("Where to start", docs/indicators.md): one row per run × agency ×
-- quarter × standard × ranked cell, written by `cxstar priorities`. agency_id '' is the national
-- list. kind says what the row is: a life situation, or a service, client segment or channel inside
-- the life situation life_situation_id (item_id names it; '' for the life situation itself).
-- rank 0 means not ranked: no survey indicator of the cell reaches min_n (below_min_n = 1).
CREATE TABLE IF NOT EXISTS priorities
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
ENGINE = MergeTree
PARTITION BY toYear(quarter_start)
ORDER BY (quarter_start, standard, agency_id, kind, life_situation_id, item_id, computed_at);

-- The newest run per quarter, standard and agency.
CREATE VIEW IF NOT EXISTS priorities_latest AS
SELECT *
FROM priorities
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at) FROM priorities GROUP BY quarter_start, standard, agency_id);

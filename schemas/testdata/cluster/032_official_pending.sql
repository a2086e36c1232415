CREATE TABLE IF NOT EXISTS cxstar.official_checks ON CLUSTER cxstar
(
    quarter        String,
    quarter_start  Date,
    revision       UInt32,
    check_id       String,
    checked_at     DateTime('UTC'),
    checked_ns     UInt64,
    differences    UInt32,
    late_events    UInt64,
    changed_inputs Array(String)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/032_official_checks', '{replica}')
ORDER BY (quarter_start, checked_ns);

CREATE TABLE IF NOT EXISTS cxstar.official_pending ON CLUSTER cxstar
(
    quarter       String,
    quarter_start Date,
    revision      UInt32,
    check_id      String,
    checked_at    DateTime('UTC'),
    kind          Enum8('difference' = 1, 'late' = 2),
    standard      Enum8('' = 0, 'people' = 1, 'business' = 2),
    agency_id     String,
    indicator     String,
    old_value     Nullable(Float64),
    old_level     Nullable(UInt8),
    new_value     Nullable(Float64),
    new_level     Nullable(UInt8),
    source_table  String,
    events        UInt64,
    why_en        String,
    why_ru        String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/032_official_pending', '{replica}')
ORDER BY (quarter_start, check_id, kind, agency_id, indicator, source_table);

CREATE VIEW IF NOT EXISTS cxstar.official_pending_latest ON CLUSTER cxstar AS
SELECT *
FROM cxstar.official_pending
WHERE check_id IN (SELECT argMax(check_id, checked_ns) FROM cxstar.official_checks GROUP BY quarter_start)
  AND (quarter_start, revision) IN (SELECT quarter_start, max(revision) FROM cxstar.official_revisions GROUP BY quarter_start);


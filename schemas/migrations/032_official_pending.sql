-- Pending revisions of closed quarters, as last checked: every `cxstar assess --quarter Q` of a
-- closed quarter (all agencies, both standards) recomputes Q on today's data and records the check
-- in official_checks and what it found in official_pending: one row per value or level that would
-- change (kind 'difference') and one per agency and raw table with events that arrived after
-- closing (kind 'late'). Every check is kept; official_pending_latest shows the newest check of each
-- quarter, and only while it was made against the quarter's newest revision.
CREATE TABLE IF NOT EXISTS official_checks
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
ENGINE = MergeTree
ORDER BY (quarter_start, checked_ns);

CREATE TABLE IF NOT EXISTS official_pending
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
ENGINE = MergeTree
ORDER BY (quarter_start, check_id, kind, agency_id, indicator, source_table);

CREATE VIEW IF NOT EXISTS official_pending_latest AS
SELECT *
FROM official_pending
WHERE check_id IN (SELECT argMax(check_id, checked_ns) FROM official_checks GROUP BY quarter_start)
  AND (quarter_start, revision) IN (SELECT quarter_start, max(revision) FROM official_revisions GROUP BY quarter_start);

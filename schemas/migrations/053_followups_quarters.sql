-- followups (the follow-up steps) partitioned by quarter of the step (Europe/Moscow), as
-- followup_items is since migration 052. The follow-up query of an assessment needs only the steps
-- from the quarter's start on (a step answers an item only at or after the item's answer, and the
-- items are the quarter's), so it now skips the older quarters' partitions instead of merging
-- every step since the start. Every copy of a step has the step's occurred_at, so the copies meet
-- in one partition and FINAL keeps one.
--
-- The steps are those of migrations 051 and 052: the table is derived and is rebuilt from
-- service_events, the source of truth. The feed stops, the new (empty) table takes the name, the
-- feed starts again, then one pass over service_events fills the table. A step inserted after the
-- feed started may be added twice (by the feed and by the pass): FINAL keeps one. An assessment
-- that runs during this migration can see a partly filled table: assess after `cxstar migrate`
-- has finished. Re-running the migration after a failure in any statement starts over and
-- converges.
DROP TABLE IF EXISTS followups_old;

DROP TABLE IF EXISTS followups_new;

CREATE TABLE followups_new
(
    event_id    String,
    occurred_at DateTime('UTC'),
    agency_id   LowCardinality(String),
    client_id   String,
    request_id  String,
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow')
ORDER BY (agency_id, request_id, event_id);

DROP TABLE IF EXISTS followups_feed;

RENAME TABLE followups TO followups_old, followups_new TO followups;

CREATE MATERIALIZED VIEW IF NOT EXISTS followups_feed TO followups AS
SELECT event_id, occurred_at, agency_id, client_id, request_id, ingested_at
FROM service_events
WHERE status = 'followed_up';

-- Rows already in service_events. This is also the statement that refills the table after a TRUNCATE.
INSERT INTO followups
SELECT event_id, occurred_at, agency_id, client_id, request_id, ingested_at
FROM service_events
WHERE status = 'followed_up';

DROP TABLE followups_old;

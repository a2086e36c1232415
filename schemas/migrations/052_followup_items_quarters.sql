-- followup_items partitioned by quarter of the answer (Europe/Moscow), as rating_answers is. In one
-- partition (migration 050), every assessment merged every follow-up item since the start with
-- FINAL before its quarter filter, so its cost grew with the years of history kept; now the
-- quarter's filter on answered_at skips the other quarters' partitions, and `cxstar compact` merges
-- a settled quarter's partition as it does the other inputs'. Every copy of an event has the
-- event's answered_at (event_id is the idempotency key: a copy is the same event), so the copies
-- still meet in one partition and FINAL still keeps one row of each.
--
-- The steps are those of migration 051: the table is derived and is rebuilt from ratings, the
-- source of truth. The feed stops, the new (empty) table takes the name, the feed starts again,
-- then one pass over ratings fills the table. An answer inserted after the feed started may be
-- added twice (by the feed and by the pass): FINAL keeps one. An assessment that runs during this
-- migration can see a partly filled table: assess after `cxstar migrate` has finished. Re-running
-- the migration after a failure in any statement starts over and converges.
DROP TABLE IF EXISTS followup_items_old;

DROP TABLE IF EXISTS followup_items_new;

CREATE TABLE followup_items_new
(
    event_id    String,
    answered_at DateTime('UTC'),
    agency_id   LowCardinality(String),
    client_type Enum8('person' = 1, 'business' = 2),
    client_id   String,
    request_id  String,
    service_id  String,
    question    Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                      'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                      'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                      'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score       UInt8,
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toStartOfQuarter(answered_at, 'Europe/Moscow')
ORDER BY (agency_id, event_id);

DROP TABLE IF EXISTS followup_items_feed;

RENAME TABLE followup_items TO followup_items_old, followup_items_new TO followup_items;

CREATE MATERIALIZED VIEW IF NOT EXISTS followup_items_feed TO followup_items AS
SELECT event_id, occurred_at AS answered_at, agency_id, client_type, client_id, request_id, service_id, question, score, ingested_at
FROM ratings
WHERE request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2);

-- Rows already in ratings. This is also the statement that refills the table after a TRUNCATE.
INSERT INTO followup_items
SELECT event_id, occurred_at AS answered_at, agency_id, client_type, client_id, request_id, service_id, question, score, ingested_at
FROM ratings
WHERE request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2);

DROP TABLE followup_items_old;

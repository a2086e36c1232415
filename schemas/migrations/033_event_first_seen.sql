-- First arrival of every raw event. The raw tables keep, after a merge, only the copy of an event
-- with the newest ingested_at, so a redelivery erases when the event was first stored. This table
-- keeps the earliest ingested_at of each event for ever: min is idempotent, so a copy arriving twice
-- (through a feed and the fill below, or a redelivery) changes nothing. Readers group and use
-- minMerge(first_ingested_at). Official figures of a closed quarter read "stored by closing" from
-- here (open data, late events of a pending revision).
CREATE TABLE IF NOT EXISTS event_first_seen
(
    source_table      String,
    agency_id         LowCardinality(String),
    occurred_at       DateTime('UTC'),
    event_id          String,
    first_ingested_at AggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (source_table, agency_id, event_id, occurred_at);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_first_seen_service_events TO event_first_seen AS
SELECT 'service_events' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM service_events
GROUP BY agency_id, occurred_at, event_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_first_seen_ratings TO event_first_seen AS
SELECT 'ratings' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM ratings
GROUP BY agency_id, occurred_at, event_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_first_seen_appeals TO event_first_seen AS
SELECT 'appeals' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM appeals
GROUP BY agency_id, occurred_at, event_id;

-- Events already stored: the earliest copy still in the raw tables (a copy a merge has already
-- replaced is gone; its redelivery counts as the first arrival).
INSERT INTO event_first_seen
SELECT 'service_events' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM service_events
GROUP BY agency_id, occurred_at, event_id;

INSERT INTO event_first_seen
SELECT 'ratings' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM ratings
GROUP BY agency_id, occurred_at, event_id;

INSERT INTO event_first_seen
SELECT 'appeals' AS source_table, agency_id, occurred_at, event_id, minState(ingested_at) AS first_ingested_at
FROM appeals
GROUP BY agency_id, occurred_at, event_id;

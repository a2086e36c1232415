-- client_service_events without agency_id, sorted by (g, cs1, cs2). The service group g is a hash
-- of the agency, the client type and the service, so every row of one g is one agency's and the
-- agency need not be stored: service_groups names it. The assessment reads this table with FINAL,
-- and on ClickHouse 18.16 that merge compared and copied the LowCardinality agency_id of every row
-- first; without it the merge of the same rows takes about a quarter less CPU (BENCHMARKS.md,
-- assess). An assessment of one agency, or of a share of the agencies, filters by the agency's
-- service groups (transform/load.go).
--
-- The steps are those of migration 023: the table is derived and is rebuilt from service_events,
-- the source of truth. The feed stops, the new (empty) table takes the name, the feed starts again,
-- then one pass over service_events fills the table. An event inserted after the feed started may
-- be added twice (by the feed and by the pass): a copy changes no assessment result. Follow-up
-- steps (status followed_up, migration 050) stay out, in the feed and in the pass. An assessment
-- that runs during this migration can see a partly filled table: assess after `cxstar migrate` has
-- finished. Re-running the migration after a failure in any statement starts over and converges.
DROP TABLE IF EXISTS client_service_events_old;

DROP TABLE IF EXISTS client_service_events_new;

CREATE TABLE client_service_events_new
(
    month     UInt32,
    g         UInt64,
    cs1       UInt64,
    cs2       UInt64,
    req_bits  AggregateFunction(groupArray, UInt64),
    time_bits AggregateFunction(groupArray, UInt64)
)
ENGINE = AggregatingMergeTree()
PARTITION BY month
ORDER BY (g, cs1, cs2);

DROP TABLE IF EXISTS client_service_events_status_feed;

RENAME TABLE client_service_events TO client_service_events_old, client_service_events_new TO client_service_events;

CREATE MATERIALIZED VIEW IF NOT EXISTS client_service_events_status_feed TO client_service_events AS
SELECT
    toYYYYMM(occurred_at) AS month,
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    cityHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs1,
    sipHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs2,
    groupArrayState(bitAnd(cityHash64(request_id), 18446744073709551360) + bitShiftLeft(toUInt64(status), 4)
        + bitShiftLeft(toUInt64(service_kind), 1) + toUInt64(scenario_id != '')) AS req_bits,
    groupArrayState(bitShiftLeft(toUInt64(occurred_at), 32)
        + if(life_situation_id = '', toUInt64(0), toUInt64(bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)))) AS time_bits
FROM service_events
WHERE status != 'followed_up'
GROUP BY month, g, cs1, cs2;

-- Rows already in service_events, one row per event (merges collapse them; no GROUP BY over the
-- whole history). This is also the statement that refills the table after a TRUNCATE.
INSERT INTO client_service_events
SELECT
    toYYYYMM(occurred_at) AS month,
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    cityHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs1,
    sipHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs2,
    arrayReduce('groupArrayState', [bitAnd(cityHash64(request_id), 18446744073709551360) + bitShiftLeft(toUInt64(status), 4)
        + bitShiftLeft(toUInt64(service_kind), 1) + toUInt64(scenario_id != '')]),
    arrayReduce('groupArrayState', [bitShiftLeft(toUInt64(occurred_at), 32)
        + if(life_situation_id = '', toUInt64(0), toUInt64(bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)))])
FROM service_events
WHERE status != 'followed_up';

DROP TABLE client_service_events_old;

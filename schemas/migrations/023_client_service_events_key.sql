-- client_service_events sorted by (agency_id, g, cs1, cs2). The first layout of migration 022 kept
-- agency_id outside the sorting key of the AggregatingMergeTree, which ClickHouse 18.16 accepts and
-- current ClickHouse refuses (every column must be in the key or an aggregate). A database migrated
-- with that layout is rebuilt here; a database created with the current 022 goes through the same
-- steps on an already-right table and ends with the same objects.
--
-- The table is derived (see 022): it is rebuilt from service_events, the source of truth, not
-- copied from the old table, so that events inserted while the feed is being replaced are not lost.
-- Order: the old feed stops, the new (empty) table takes the name, the feed starts again, then one
-- pass over service_events fills the table. An event inserted after the feed started may be added
-- twice (by the feed and by the pass): a copy changes no assessment result. An assessment that runs
-- during this migration can see a partly filled table: assess after `cxstar migrate` has finished.
-- Re-running the migration after a failure in any statement starts over and converges.
DROP TABLE IF EXISTS client_service_events_old;

DROP TABLE IF EXISTS client_service_events_new;

CREATE TABLE client_service_events_new
(
    agency_id LowCardinality(String),
    month     UInt32,
    g         UInt64,
    cs1       UInt64,
    cs2       UInt64,
    req_bits  AggregateFunction(groupArray, UInt64),
    time_bits AggregateFunction(groupArray, UInt64)
)
ENGINE = AggregatingMergeTree()
PARTITION BY month
ORDER BY (agency_id, g, cs1, cs2);

DROP TABLE IF EXISTS client_service_events_feed;

RENAME TABLE client_service_events TO client_service_events_old, client_service_events_new TO client_service_events;

CREATE MATERIALIZED VIEW IF NOT EXISTS client_service_events_feed TO client_service_events AS
SELECT
    agency_id,
    toYYYYMM(occurred_at) AS month,
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    cityHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs1,
    sipHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs2,
    groupArrayState(bitAnd(cityHash64(request_id), 18446744073709551360) + bitShiftLeft(toUInt64(status), 4)
        + bitShiftLeft(toUInt64(service_kind), 1) + toUInt64(scenario_id != '')) AS req_bits,
    groupArrayState(bitShiftLeft(toUInt64(occurred_at), 32)
        + if(life_situation_id = '', toUInt64(0), toUInt64(bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)))) AS time_bits
FROM service_events
GROUP BY agency_id, month, g, cs1, cs2;

INSERT INTO client_service_events
SELECT
    agency_id,
    toYYYYMM(occurred_at) AS month,
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    cityHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs1,
    sipHash64(toString(agency_id), toString(client_type), client_id, service_id) AS cs2,
    arrayReduce('groupArrayState', [bitAnd(cityHash64(request_id), 18446744073709551360) + bitShiftLeft(toUInt64(status), 4)
        + bitShiftLeft(toUInt64(service_kind), 1) + toUInt64(scenario_id != '')]),
    arrayReduce('groupArrayState', [bitShiftLeft(toUInt64(occurred_at), 32)
        + if(life_situation_id = '', toUInt64(0), toUInt64(bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)))])
FROM service_events;

DROP TABLE client_service_events_old;

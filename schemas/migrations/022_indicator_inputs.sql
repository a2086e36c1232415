-- Inputs of the assessment, kept up to date at insert time by materialized views on the raw tables,
-- so that `cxstar assess` reads pre-sorted rows with FINAL (a streaming merge) instead of grouping
-- millions of requests and answers in hash tables (see schemas/README.md, "Indicator inputs").
-- Every table here is derived: it can be dropped and rebuilt from the raw tables with the INSERT …
-- SELECT statements at the end of this file, and inserting the same rows twice changes no result.

-- The counted survey answers: one row per answer key, the newest answer winning on merge and under
-- FINAL (ReplacingMergeTree by version). An answer tied to a request or scenario is keyed by agency ×
-- client type × question × client × request × scenario (A24: only the client's latest answer
-- counts); any other answer is keyed by its event_id (an event delivered twice counts once).
-- Partitions are quarters in Europe/Moscow, the default assessment time zone: a quarter reads its own
-- partition and the later ones (another --tz reads one partition more, with the same result).
CREATE TABLE IF NOT EXISTS rating_answers
(
    agency_id   LowCardinality(String),
    k1          UInt64,
    k2          UInt64,
    version     UInt64,
    occurred_at DateTime('UTC'),
    question    Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                      'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                      'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                      'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score       UInt8,
    grp         UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow')
ORDER BY (k1, k2);

CREATE MATERIALIZED VIEW IF NOT EXISTS rating_answers_feed TO rating_answers AS
SELECT
    agency_id,
    if(request_id = '' AND scenario_id = '', cityHash64('event', event_id),
        cityHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id)) AS k1,
    if(request_id = '' AND scenario_id = '', sipHash64('event', event_id),
        sipHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id)) AS k2,
    bitShiftLeft(toUInt64(occurred_at), 32) + bitAnd(cityHash64(event_id), 4294967295) AS version,
    occurred_at,
    question,
    score,
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp
FROM ratings;

-- The names behind rating_answers.grp.
CREATE TABLE IF NOT EXISTS rating_groups
(
    grp               UInt64,
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    question          Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                            'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                            'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                            'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    service_id        String,
    life_situation_id String,
    channel           Enum8('' = 0, 'portal' = 1, 'mobile_app' = 2, 'mfc' = 3, 'office' = 4, 'phone' = 5, 'chat_bot' = 6, 'api' = 7, 'post' = 8, 'other' = 9)
)
ENGINE = ReplacingMergeTree()
ORDER BY (agency_id, grp);

CREATE MATERIALIZED VIEW IF NOT EXISTS rating_groups_feed TO rating_groups AS
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp,
    agency_id, client_type, question, service_id, life_situation_id, channel
FROM ratings;

-- The status events of each client × service, per UTC month of the event: one row per agency ×
-- service group (g: agency, client type, service) × client after merges, holding two aligned arrays
-- with an element per event:
--   req_bits:  request hash (upper 56 bits) | status << 4 | service kind << 1 | in a scenario (1 bit);
--   time_bits: occurred_at (unix seconds, upper 32 bits) | life-situation hash (lower 32 bits, odd; 0 = none).
-- A repeated delivery adds a copy of an element; the assessment's per-request minima, maxima and
-- "any" flags do not change with copies. agency_id is part of the sorting key (every column of an
-- AggregatingMergeTree is either in the key or an aggregate; current ClickHouse refuses anything
-- else). Databases migrated while this table was sorted by (g, cs1, cs2) alone get this layout
-- from migration 023.
CREATE TABLE IF NOT EXISTS client_service_events
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

-- The names behind client_service_events.g and its life-situation hashes.
CREATE TABLE IF NOT EXISTS service_groups
(
    g                 UInt64,
    ls                UInt32,
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    service_id        String,
    life_situation_id String
)
ENGINE = ReplacingMergeTree()
ORDER BY (agency_id, g, ls);

CREATE MATERIALIZED VIEW IF NOT EXISTS service_groups_feed TO service_groups AS
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    if(life_situation_id = '', toUInt32(0), bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)) AS ls,
    agency_id, client_type, service_id, life_situation_id
FROM service_events;

-- Rows already in the raw tables (a no-op on a new database). Each statement streams: no GROUP BY
-- over the whole history (client_service_events gets one row per event, which merges collapse).
INSERT INTO rating_answers
SELECT
    agency_id,
    if(request_id = '' AND scenario_id = '', cityHash64('event', event_id),
        cityHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id)) AS k1,
    if(request_id = '' AND scenario_id = '', sipHash64('event', event_id),
        sipHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id)) AS k2,
    bitShiftLeft(toUInt64(occurred_at), 32) + bitAnd(cityHash64(event_id), 4294967295) AS version,
    occurred_at,
    question,
    score,
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp
FROM ratings;

INSERT INTO rating_groups
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp,
    agency_id, client_type, question, service_id, life_situation_id, channel
FROM ratings;

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

INSERT INTO service_groups
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    if(life_situation_id = '', toUInt32(0), bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)) AS ls,
    agency_id, client_type, service_id, life_situation_id
FROM service_events;

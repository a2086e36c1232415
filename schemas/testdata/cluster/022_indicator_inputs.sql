CREATE TABLE IF NOT EXISTS cxstar.rating_answers_local ON CLUSTER cxstar
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/022_rating_answers_local', '{replica}', version)
PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow')
ORDER BY (k1, k2);

CREATE TABLE IF NOT EXISTS cxstar.rating_answers ON CLUSTER cxstar
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
ENGINE = Distributed(cxstar, cxstar, rating_answers_local);

CREATE MATERIALIZED VIEW IF NOT EXISTS cxstar.rating_answers_feed ON CLUSTER cxstar TO cxstar.rating_answers_local AS
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
FROM cxstar.ratings_local;

CREATE TABLE IF NOT EXISTS cxstar.rating_groups_local ON CLUSTER cxstar
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/022_rating_groups_local', '{replica}')
ORDER BY (agency_id, grp);

CREATE TABLE IF NOT EXISTS cxstar.rating_groups ON CLUSTER cxstar
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
ENGINE = Distributed(cxstar, cxstar, rating_groups_local);

CREATE MATERIALIZED VIEW IF NOT EXISTS cxstar.rating_groups_feed ON CLUSTER cxstar TO cxstar.rating_groups_local AS
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp,
    agency_id, client_type, question, service_id, life_situation_id, channel
FROM cxstar.ratings_local;

CREATE TABLE IF NOT EXISTS cxstar.client_service_events_local ON CLUSTER cxstar
(
    agency_id LowCardinality(String),
    month     UInt32,
    g         UInt64,
    cs1       UInt64,
    cs2       UInt64,
    req_bits  AggregateFunction(groupArray, UInt64),
    time_bits AggregateFunction(groupArray, UInt64)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/cxstar/022_client_service_events_local', '{replica}')
PARTITION BY month
ORDER BY (agency_id, g, cs1, cs2);

CREATE TABLE IF NOT EXISTS cxstar.client_service_events ON CLUSTER cxstar
(
    agency_id LowCardinality(String),
    month     UInt32,
    g         UInt64,
    cs1       UInt64,
    cs2       UInt64,
    req_bits  AggregateFunction(groupArray, UInt64),
    time_bits AggregateFunction(groupArray, UInt64)
)
ENGINE = Distributed(cxstar, cxstar, client_service_events_local);

CREATE MATERIALIZED VIEW IF NOT EXISTS cxstar.client_service_events_feed ON CLUSTER cxstar TO cxstar.client_service_events_local AS
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
FROM cxstar.service_events_local
GROUP BY agency_id, month, g, cs1, cs2;

CREATE TABLE IF NOT EXISTS cxstar.service_groups_local ON CLUSTER cxstar
(
    g                 UInt64,
    ls                UInt32,
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    service_id        String,
    life_situation_id String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/022_service_groups_local', '{replica}')
ORDER BY (agency_id, g, ls);

CREATE TABLE IF NOT EXISTS cxstar.service_groups ON CLUSTER cxstar
(
    g                 UInt64,
    ls                UInt32,
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    service_id        String,
    life_situation_id String
)
ENGINE = Distributed(cxstar, cxstar, service_groups_local);

CREATE MATERIALIZED VIEW IF NOT EXISTS cxstar.service_groups_feed ON CLUSTER cxstar TO cxstar.service_groups_local AS
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    if(life_situation_id = '', toUInt32(0), bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)) AS ls,
    agency_id, client_type, service_id, life_situation_id
FROM cxstar.service_events_local;

-- on one replica of every shard
INSERT INTO cxstar.rating_answers_local
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
FROM cxstar.ratings_local;

-- on one replica of every shard
INSERT INTO cxstar.rating_groups_local
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, toString(channel)) AS grp,
    agency_id, client_type, question, service_id, life_situation_id, channel
FROM cxstar.ratings_local;

-- on one replica of every shard
INSERT INTO cxstar.client_service_events_local
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
FROM cxstar.service_events_local;

-- on one replica of every shard
INSERT INTO cxstar.service_groups_local
SELECT DISTINCT
    cityHash64(toString(agency_id), toString(client_type), service_id) AS g,
    if(life_situation_id = '', toUInt32(0), bitOr(toUInt32(bitShiftRight(cityHash64(life_situation_id), 32)), 1)) AS ls,
    agency_id, client_type, service_id, life_situation_id
FROM cxstar.service_events_local;


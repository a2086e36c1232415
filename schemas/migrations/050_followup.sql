-- Detractor follow-up (event contract v1.1, see schemas/README.md and docs/events.md).
--
-- 1. service_event.v1 takes the status `followed_up`: the agency contacted the client about the
--    request after a detractor answer. Adding an Enum value changes no stored row.
ALTER TABLE service_events MODIFY COLUMN status Enum8('submitted' = 1, 'in_progress' = 2, 'completed' = 3, 'refused' = 4, 'withdrawn' = 5, 'followed_up' = 6);

-- 2. A follow-up step is not a status change of the service: the indicator inputs of the service
--    history leave it out, so that no request, repeat or life situation of an assessment changes
--    with v1.1 events. The new feed starts before the old one stops; an event inserted in between
--    is added twice to client_service_events, and a copy changes no assessment result (022).
CREATE MATERIALIZED VIEW IF NOT EXISTS client_service_events_status_feed TO client_service_events AS
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
WHERE status != 'followed_up'
GROUP BY agency_id, month, g, cs1, cs2;

DROP TABLE IF EXISTS client_service_events_feed;

-- 3. Follow-up items: every survey answer that names a request and is a detractor's (nps or
--    nps_digital 0–6, satisfaction 1–2), one row per answer event. ReplacingMergeTree keyed by the
--    event id: a redelivered answer is stored again and collapses into one row on merge; readers use
--    FINAL (followup_status below). No partitions, so that every copy of an event meets the others.
CREATE TABLE IF NOT EXISTS followup_items
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
ORDER BY (agency_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS followup_items_feed TO followup_items AS
SELECT event_id, occurred_at AS answered_at, agency_id, client_type, client_id, request_id, service_id, question, score, ingested_at
FROM ratings
WHERE request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2);

-- 4. The follow-up steps themselves, one row per event, keyed by request then event id.
CREATE TABLE IF NOT EXISTS followups
(
    event_id    String,
    occurred_at DateTime('UTC'),
    agency_id   LowCardinality(String),
    client_id   String,
    request_id  String,
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (agency_id, request_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS followups_feed TO followups AS
SELECT event_id, occurred_at, agency_id, client_id, request_id, ingested_at
FROM service_events
WHERE status = 'followed_up';

-- Rows already in the raw tables; FINAL absorbs any overlap with the feeds.
INSERT INTO followup_items
SELECT event_id, occurred_at AS answered_at, agency_id, client_type, client_id, request_id, service_id, question, score, ingested_at
FROM ratings
WHERE request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2);

INSERT INTO followups
SELECT event_id, occurred_at, agency_id, client_id, request_id, ingested_at
FROM service_events
WHERE status = 'followed_up';

-- 5. Each item with its first follow-up step at or after the answer (a step before the answer
--    belongs to an earlier complaint) and whether that step came within 5 working days. Working
--    time is Monday–Friday in Moscow; weekends do not count and public holidays count as working
--    days. An instant's working time is its week number × 5 days + its time since Monday 00:00,
--    capped at 5 days (day numbers count from Thursday 1970-01-01, so day + 3 is 0 on Mondays); a step on a weekend counts as one second after that Friday's end, so that a
--    step on the weekend after the deadline is late. In time: working time of the step − working
--    time of the answer <= 5 × 24 h (an answer on a weekend starts at the next Monday 00:00).
CREATE VIEW IF NOT EXISTS followup_status AS
SELECT agency_id, client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
       followed_up, if(followed_up = 1, step_at, NULL) AS followed_up_at,
       toUInt8(followed_up AND toInt64(step_w) * 432000 + least(step_s, 432000) + (step_s > 432000)
           - toInt64(answer_w) * 432000 - least(answer_s, 432000) <= 432000) AS within_5_working_days
FROM
(
    SELECT agency_id, client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
           toUInt8(first_s > 0) AS followed_up,
           toDateTime(first_s, 'UTC') AS step_at,
           intDiv(toRelativeDayNum(answered_at, 'Europe/Moscow') + 3, 7) AS answer_w,
           ((toRelativeDayNum(answered_at, 'Europe/Moscow') + 3) % 7) * 86400 + toHour(answered_at, 'Europe/Moscow') * 3600
               + toMinute(answered_at, 'Europe/Moscow') * 60 + toSecond(answered_at, 'Europe/Moscow') AS answer_s,
           intDiv(toRelativeDayNum(step_at, 'Europe/Moscow') + 3, 7) AS step_w,
           ((toRelativeDayNum(step_at, 'Europe/Moscow') + 3) % 7) * 86400 + toHour(step_at, 'Europe/Moscow') * 3600
               + toMinute(step_at, 'Europe/Moscow') * 60 + toSecond(step_at, 'Europe/Moscow') AS step_s
    FROM
    (
        SELECT agency_id, client_type, event_id, answered_at, client_id, request_id, service_id, question, score,
               arrayReduce('min', arrayFilter((x, a) -> x >= a, steps, arrayResize([toUInt32(answered_at)], length(steps), toUInt32(answered_at)))) AS first_s
        FROM
        (
            SELECT agency_id, client_type, event_id, answered_at, client_id, request_id, service_id, question, score
            FROM followup_items FINAL
        ) AS items
        GLOBAL ANY LEFT JOIN
        (
            SELECT agency_id, request_id, groupArray(toUInt32(occurred_at)) AS steps
            FROM followups FINAL
            GROUP BY agency_id, request_id
        ) AS done USING (agency_id, request_id)
    )
);

-- The detractor follow-up items answered in [{{QS}}, {{QE}}), one row each, with the columns and
-- values of the view followup_status (migration 050) for those items: its first step at or after
-- the answer and whether that step came within 5 working days (Monday–Friday in Moscow; an answer
-- on a weekend counts from Monday 00:00, a step on a weekend after the deadline is late).
-- followup.sql counts these rows for an assessment, and `cxstar export followup_items` writes them.
-- Neither reads the view: ClickHouse 18.16 does not move a filter into a subquery with FINAL, so
-- through the view every item and step since the start was merged before the quarter's filter.
-- Here the filters are the WHERE of the FINAL reads themselves: the quarter's partition of
-- followup_items (migration 052), and the partitions of followups (053) from the quarter's start
-- on, since a step answers an item only at or after its answer. Every copy of an item or a step has
-- its time, so a filter keeps all copies or none, and FINAL still keeps one. TestFollowUp checks
-- the view and this query on the same hand-computed boundaries; the export's test compares this
-- query's rows with the view's.
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
            WHERE answered_at >= {{QS}} AND answered_at < {{QE}} {{AGENCY}}
        ) AS items
        GLOBAL ANY LEFT JOIN
        (
            SELECT agency_id, request_id, groupArray(toUInt32(occurred_at)) AS steps
            FROM followups FINAL
            WHERE occurred_at >= {{QS}} {{AGENCY}}
            GROUP BY agency_id, request_id
        ) AS done USING (agency_id, request_id)
    )
)

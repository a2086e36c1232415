-- Detractor follow-up items whose answer was given in the quarter, per agency × client type: how
-- many, and how many were answered by a `followed_up` step of their request within 5 working days.
-- An item without a step by the time of the assessment counts as late; the monitor is not assessed
-- until every item's deadline has passed.
-- Each item is decided as the view followup_status (migration 050) decides it, step for step: its
-- first step at or after the answer, and the working time between them. The query does not read
-- the view because ClickHouse 18.16 does not move a filter into a subquery with FINAL: through the
-- view, every item since the start was merged before the quarter's filter. Here the filter is the
-- WHERE of the FINAL read itself, so only the quarter's partition of followup_items (migration 052)
-- is read, and of followups (053) the partitions from the quarter's start on: a step before it
-- cannot answer an item of the quarter, which it must follow. Every copy of an item or a step has
-- its time, so a filter keeps all copies or none, and FINAL still keeps one. TestFollowUp checks
-- the view and this query on the same hand-computed boundaries.
SELECT
    toString(agency_id)                  AS agency,
    toString(client_type)                AS client_type_name,
    count()                              AS n,
    toUInt64(sum(within_5_working_days)) AS in_time
FROM
(
    SELECT agency_id, client_type,
           toUInt8(followed_up AND toInt64(step_w) * 432000 + least(step_s, 432000) + (step_s > 432000)
               - toInt64(answer_w) * 432000 - least(answer_s, 432000) <= 432000) AS within_5_working_days
    FROM
    (
        SELECT agency_id, client_type,
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
            SELECT agency_id, client_type, answered_at,
                   arrayReduce('min', arrayFilter((x, a) -> x >= a, steps, arrayResize([toUInt32(answered_at)], length(steps), toUInt32(answered_at)))) AS first_s
            FROM
            (
                SELECT agency_id, client_type, answered_at, request_id
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
)
GROUP BY agency, client_type_name

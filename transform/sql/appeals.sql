-- Social-media messages received in the quarter (A15): per appeal, the `received` time and type
-- and the first official reply (automated replies only if allowed) up to quarter end + settle
-- hours; unanswered messages carry −1. Aggregated per agency × client type × class
-- (mention | official = official appeal or comment on an official post).
SELECT
    agency_id,
    client_type,
    if(message_type = 'mention', 'mention', 'official') AS class,
    -- sorted: groupArray's order depends on the engine's threads and versions
    arraySort(groupArray(if(has_reply, greatest(toInt64(replied_at) - toInt64(received_at), toInt64(0)), toInt64(-1)))) AS response_seconds
FROM
(
    SELECT
        agency_id,
        toString(client_type)                                         AS client_type,
        appeal_id,
        minIf(occurred_at, step = 'received')                         AS received_at,
        countIf(step = 'received') > 0                                AS has_received,
        anyIf(toString(message_type), step = 'received')              AS message_type,
        anyIf(toString(channel), step = 'received')                   AS channel,
        max(excluded)                                                 AS excluded,
        minIf(occurred_at, step = 'replied' AND {{AUTOMATED}})        AS replied_at,
        countIf(step = 'replied' AND {{AUTOMATED}}) > 0               AS has_reply
    FROM appeals
    WHERE occurred_at >= {{QS}} AND occurred_at < {{SETTLE}} {{AGENCY}}
    GROUP BY agency_id, client_type, appeal_id
)
WHERE has_received AND received_at < {{QE}} AND excluded = 0
  AND has({{SOCIAL}}, channel)
  AND message_type IN ('mention', 'official_appeal', 'comment_on_official_post')
GROUP BY agency_id, client_type, class

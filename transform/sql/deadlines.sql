-- Written appeals received in the quarter and whether each was acknowledged in time (B §4.6.7.3,
-- P §4.6.4.3), counted per agency × client type. The acknowledgement is the earliest `replied`
-- step, automated or not (a receipt notice is what an automatic reply is); it is in time when it
-- comes at most ACK_S seconds after receipt (exactly the limit is in time). The scan ends at
-- quarter end + the limit, so an appeal without an acknowledgement by then is late. Appeals
-- removed under the moderation rules are left out.
SELECT
    agency_id,
    client_type,
    count()          AS n,
    countIf(in_time) AS in_time
FROM
(
    SELECT
        agency_id,
        toString(client_type)                                                                AS client_type,
        appeal_id,
        minIf(occurred_at, step = 'received')                                                AS received_at,
        countIf(step = 'received') > 0                                                       AS has_received,
        anyIf(toString(message_type), step = 'received')                                     AS message_type,
        max(excluded)                                                                        AS excluded,
        countIf(step = 'replied') > 0
            AND toInt64(minIf(occurred_at, step = 'replied')) - toInt64(received_at) <= {{ACK_S}} AS in_time
    FROM appeals
    WHERE occurred_at >= {{QS}} AND occurred_at < {{ACK_END}} {{AGENCY}}
    GROUP BY agency_id, client_type, appeal_id
)
WHERE has_received AND received_at < {{QE}} AND excluded = 0 AND message_type = 'written_appeal'
GROUP BY agency_id, client_type

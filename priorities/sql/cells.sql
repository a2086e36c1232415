-- Priority cells of one quarter and standard (docs/indicators.md, "Where to start"): per agency ×
-- life situation, and per service, client segment and channel inside it,
--   requests: the distinct clients with a request active in the quarter, the requests submitted in
--     the quarter and the repeats among them (A10: an earlier completion t1 of the same client and
--     service with t1 < s <= t1 + window; a request's s is its earliest `submitted`, its t1 its
--     earliest `completed`); a request's life situation and segment are those of its latest event,
--     its channel that of its first;
--   answers: satisfaction, ease and NPS answers, one per client, request, scenario and question —
--     the latest (A24), counted in the quarter it was given in if valid (an answer replaced by a
--     later one counts nowhere); the segment is the client's latest.
-- `followed_up` steps (contract v1.1) are not status changes and are left out.
-- Every cell is one row; a life situation of '' (not named) and empty segment or channel ids are
-- left out. Runs on 18.16 and current ClickHouse: no window functions, one JOIN per SELECT.
SELECT agency, ls, kind, id,
       sum(clients) AS clients, sum(submitted) AS submitted, sum(repeats) AS repeats,
       sum(sat_pos) AS sat_pos, sum(sat_n) AS sat_n, sum(ease_pos) AS ease_pos, sum(ease_n) AS ease_n,
       sum(promoters) AS promoters, sum(detractors) AS detractors, sum(nps_n) AS nps_n
FROM
(
    SELECT agency, ls, tupleElement(cell, 1) AS kind, tupleElement(cell, 2) AS id,
           uniqExact(client_id) AS clients, toUInt64(sum(submitted_q)) AS submitted, toUInt64(sum(rep)) AS repeats,
           toUInt64(0) AS sat_pos, toUInt64(0) AS sat_n, toUInt64(0) AS ease_pos, toUInt64(0) AS ease_n,
           toUInt64(0) AS promoters, toUInt64(0) AS detractors, toUInt64(0) AS nps_n
    FROM
    (
        SELECT agency, client_id, ls, submitted_q, rep,
               arrayJoin([('life_situation', ''), ('service', service_id), ('segment', seg), ('channel', ch)]) AS cell
        FROM
        (
            -- one row per request active in the quarter; 18.16's lambdas cannot read other columns,
            -- so the request's submission time is handed to arrayExists as a second array
            SELECT agency, client_id, service_id, ls, seg, ch,
                   toUInt8(sub >= {{QS_S}} AND sub < {{QE_S}}) AS submitted_q,
                   toUInt8(sub >= {{QS_S}} AND sub < {{QE_S}} AND NOT has({{EXCLUDED}}, service_id)
                           AND arrayExists((c, s) -> c > 0 AND c < s AND s <= c + {{WINDOW}}, comp_a, arrayResize([sub], length(comp_a), sub))) AS rep
            FROM
            (
                SELECT agency, client_id, service_id,
                       groupArray(ls) AS ls_a, groupArray(seg) AS seg_a, groupArray(ch) AS ch_a,
                       groupArray(sub) AS sub_a, groupArray(comp) AS comp_a, groupArray(active) AS act_a
                FROM
                (
                    SELECT toString(agency_id) AS agency, client_id, service_id, request_id,
                           argMax(life_situation_id, occurred_at)                   AS ls,
                           argMax(segment_id, occurred_at)                          AS seg,
                           argMin(toString(channel), occurred_at)                   AS ch,
                           toUInt32(minIf(occurred_at, status = 'submitted'))       AS sub,
                           toUInt32(minIf(occurred_at, status = 'completed'))       AS comp,
                           toUInt8(max(occurred_at) >= toDateTime({{QS_S}}, 'UTC')) AS active
                    FROM service_events FINAL
                    WHERE client_type = {{CLIENT_TYPE}} AND status != 'followed_up'
                      AND occurred_at >= toDateTime({{LOOKBACK_S}}, 'UTC') AND occurred_at < toDateTime({{QE_S}}, 'UTC') {{AGENCY}}
                    GROUP BY agency_id, client_id, service_id, request_id
                )
                GROUP BY agency, client_id, service_id
            )
            ARRAY JOIN ls_a AS ls, seg_a AS seg, ch_a AS ch, sub_a AS sub, act_a AS active
            WHERE active = 1
        )
    )
    WHERE ls != '' AND (kind = 'life_situation' OR id != '')
    GROUP BY agency, ls, kind, id

    UNION ALL

    SELECT agency, ls, tupleElement(cell, 1) AS kind, tupleElement(cell, 2) AS id,
           toUInt64(0) AS clients, toUInt64(0) AS submitted, toUInt64(0) AS repeats,
           countIf(q = 'satisfaction' AND sc >= 3) AS sat_pos, countIf(q = 'satisfaction') AS sat_n,
           countIf(q = 'ease' AND sc >= 3) AS ease_pos, countIf(q = 'ease') AS ease_n,
           countIf(q = 'nps' AND sc >= 9) AS promoters, countIf(q = 'nps' AND sc <= 6) AS detractors,
           countIf(q = 'nps') AS nps_n
    FROM
    (
        SELECT agency, ls, q, sc,
               arrayJoin([('life_situation', ''), ('service', svc), ('segment', seg), ('channel', ch)]) AS cell
        FROM
        (
            SELECT toString(agency_id) AS agency, client_id, toString(question) AS q,
                   argMax(score, ord) AS sc, argMax(life_situation_id, ord) AS ls, argMax(service_id, ord) AS svc,
                   argMax(toString(channel), ord) AS ch, max(occurred_at) AS last
            FROM
            (
                SELECT agency_id, client_id, question, score, life_situation_id, service_id, channel, occurred_at, event_id,
                       request_id, scenario_id,
                       toUInt64(toUInt32(occurred_at)) * 4294967296 + cityHash64(event_id) % 4294967296 AS ord
                FROM ratings FINAL
                -- answers before the quarter cannot be the latest of a key counted in it; answers after
                -- it can replace one given in it
                WHERE client_type = {{CLIENT_TYPE}} AND question IN ('satisfaction', 'ease', 'nps')
                  AND occurred_at >= toDateTime({{QS_S}}, 'UTC') {{AGENCY}}
            )
            GROUP BY agency_id, client_id, question,
                     if(request_id = '' AND scenario_id = '', concat('e:', event_id), concat(request_id, '|', scenario_id))
            -- the kept answer: given in the quarter and valid on its question's scale
            HAVING last >= toDateTime({{QS_S}}, 'UTC') AND last < toDateTime({{QE_S}}, 'UTC')
               AND if(q = 'nps', sc <= 10, sc >= 1 AND sc <= 4)
        ) AS answers
        ANY LEFT JOIN
        (
            SELECT toString(agency_id) AS agency, client_id, argMax(segment_id, occurred_at) AS seg
            FROM service_events
            WHERE client_type = {{CLIENT_TYPE}} AND status != 'followed_up' AND occurred_at < toDateTime({{QE_S}}, 'UTC') {{AGENCY}}
            GROUP BY agency_id, client_id
        ) AS segments USING (agency, client_id)
    )
    WHERE ls != '' AND (kind = 'life_situation' OR id != '')
    GROUP BY agency, ls, kind, id
)
GROUP BY agency, ls, kind, id
ORDER BY agency, ls, kind, id

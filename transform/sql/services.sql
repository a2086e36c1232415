-- Service histories of one quarter plus the repeat-request lookback, aggregated per agency ×
-- client type × service × life situation × service kind. Level 1 folds the status events of each
-- request (duplicates change nothing: min/max/count>0 are idempotent); level 2 gathers, per client
-- and service, the requests active in the quarter and every `completed` time since quarter start −
-- window; level 3 marks a request submitted in the quarter as a repeat when an earlier completion
-- t1 of the same client and service has t1 < submitted ≤ t1 + window (A10). The big GROUP BYs keep
-- only numbers (names as 64-bit hashes, keys as two independent 64-bit hashes: collision odds
-- ~2^-128), which is several times faster on 18.16; the names are joined back at the end.
SELECT
    agency,
    client_type_name,
    service,
    life_situation,
    toString(kind)   AS kind_name,
    active,
    in_scenario,
    submitted,
    repeats
FROM
(
    SELECT
        g0,
        ls_h,
        kind,
        count()                                                   AS active,
        countIf(in_scenario)                                      AS in_scenario,
        countIf(submitted_in_q)                                   AS submitted,
        countIf(submitted_in_q AND repeat_eligible AND is_repeat) AS repeats
    FROM
    (
        SELECT
            g0,
            tupleElement(r, 1) AS submitted_at,
            tupleElement(r, 2) AS submitted_in_q,
            tupleElement(r, 3) AS in_scenario,
            tupleElement(r, 4) AS ls_h,
            tupleElement(r, 5) AS kind,
            tupleElement(r, 6) AS repeat_eligible,
            -- 18.16 cannot capture columns in a lambda inside an aggregate function: flag it here.
            arrayExists(t -> t < submitted_at AND submitted_at <= t + {{WINDOW}}, completions) AS is_repeat
        FROM
        (
            SELECT
                any(g)                                                                                                      AS g0,
                groupArrayIf((submitted_at, has_submitted AND submitted_at >= {{QS}}, in_scen, ls, sk, eligible), active_in_q) AS requests,
                groupArrayIf(completed_at, has_completed)                                                                   AS completions
            FROM
            (
                SELECT
                    any(cityHash64(toString(agency_id), toString(client_type), client_id, service_id)) AS cs1,
                    any(sipHash64(toString(agency_id), toString(client_type), client_id, service_id))  AS cs2,
                    any(cityHash64(toString(agency_id), toString(client_type), service_id))            AS g,
                    any(NOT has({{EXCLUDED}}, service_id))                                             AS eligible,
                    minIf(occurred_at, status = 'submitted')                                           AS submitted_at,
                    countIf(status = 'submitted') > 0                                                  AS has_submitted,
                    minIf(occurred_at, status = 'completed')                                           AS completed_at,
                    countIf(status = 'completed') > 0                                                  AS has_completed,
                    countIf(occurred_at >= {{QS}}) > 0                                                 AS active_in_q,
                    max(scenario_id != '')                                                             AS in_scen,
                    max(if(life_situation_id = '', toUInt64(0), cityHash64(life_situation_id)))        AS ls,
                    max(service_kind)                                                                  AS sk
                FROM service_events
                WHERE occurred_at >= {{LOOKBACK}} AND occurred_at < {{QE}} {{AGENCY}}
                GROUP BY
                    cityHash64(toString(agency_id), toString(client_type), client_id, service_id, request_id) AS rk1,
                    sipHash64(toString(agency_id), toString(client_type), client_id, service_id, request_id)  AS rk2
            )
            GROUP BY cs1, cs2
        )
        ARRAY JOIN requests AS r
    )
    GROUP BY g0, ls_h, kind
) AS counts
ANY LEFT JOIN
(
    SELECT
        cityHash64(toString(agency_id), toString(client_type), service_id)          AS g0,
        if(life_situation_id = '', toUInt64(0), cityHash64(life_situation_id))     AS ls_h,
        any(toString(agency_id))                                                    AS agency,
        any(toString(client_type))                                                  AS client_type_name,
        any(service_id)                                                             AS service,
        any(life_situation_id)                                                      AS life_situation
    FROM service_events
    WHERE occurred_at >= {{LOOKBACK}} AND occurred_at < {{QE}} {{AGENCY}}
    GROUP BY g0, ls_h
) AS names USING (g0, ls_h)

-- Service histories of one quarter plus the repeat-request lookback, aggregated per agency ×
-- client type × service × life situation × service kind. Level 1 folds the status events of each
-- request (duplicates change nothing: min/max/count>0 are idempotent); level 2 gathers, per client
-- and service, the requests active in the quarter and every `completed` time since quarter start −
-- window; level 3 marks a request submitted in the quarter as a repeat when an earlier completion
-- t1 of the same client and service has t1 < submitted ≤ t1 + window (A10).
SELECT
    any(agency_id)                                   AS agency,
    any(client_type)                                 AS client_type_name,
    any(service_id)                                  AS service,
    any(life_situation_id)                           AS life_situation,
    any(service_kind)                                AS kind,
    count()                                          AS active,
    countIf(in_scenario)                             AS in_scenario,
    countIf(submitted_in_q)                          AS submitted,
    countIf(submitted_in_q AND repeat_eligible AND is_repeat) AS repeats
FROM
(
    SELECT
        agency_id,
        client_type,
        service_id,
        tupleElement(r, 1) AS submitted_at,
        tupleElement(r, 2) AS submitted_in_q,
        tupleElement(r, 3) AS in_scenario,
        tupleElement(r, 4) AS life_situation_id,
        tupleElement(r, 5) AS service_kind,
        NOT has({{EXCLUDED}}, service_id) AS repeat_eligible,
        -- 18.16 cannot capture columns in a lambda inside an aggregate function: flag it here.
        arrayExists(t -> t < submitted_at AND submitted_at <= t + {{WINDOW}}, completions) AS is_repeat
    FROM
    (
        SELECT
            any(ag)                                          AS agency_id,
            any(ct)                                          AS client_type,
            any(svc)                                         AS service_id,
            groupArrayIf((submitted_at, has_submitted AND submitted_at >= {{QS}}, in_scenario, life_situation_id, service_kind), active_in_q) AS requests,
            groupArrayIf(completed_at, has_completed)                                                                                  AS completions
        FROM
        (
            -- One row per request. Keys are hashed to two independent 64-bit hashes (collision odds
            -- ~2^-128): on 18.16 a GROUP BY on fixed-size keys is several times faster than on strings.
            SELECT
                any(agency_id)                                 AS ag,
                any(toString(client_type))                     AS ct,
                any(service_id)                                AS svc,
                any(cityHash64(toString(agency_id), toString(client_type), client_id, service_id)) AS cs1,
                any(sipHash64(toString(agency_id), toString(client_type), client_id, service_id))  AS cs2,
                minIf(occurred_at, status = 'submitted')       AS submitted_at,
                countIf(status = 'submitted') > 0              AS has_submitted,
                minIf(occurred_at, status = 'completed')       AS completed_at,
                countIf(status = 'completed') > 0              AS has_completed,
                countIf(occurred_at >= {{QS}}) > 0             AS active_in_q,
                max(scenario_id != '')                         AS in_scenario,
                max(life_situation_id)                         AS life_situation_id,
                toString(max(service_kind))                    AS service_kind
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
-- a few thousand groups: one 64-bit hash of the names is collision-free in practice and fast on 18.16
GROUP BY cityHash64(agency_id, client_type, service_id, life_situation_id, service_kind) AS group_key

-- Survey answers of one quarter, one pass over ratings, aggregated per agency × client type ×
-- question × service × life situation × digital touchpoint. The inner GROUP BY counts each answer
-- once: the same event_id delivered twice collapses (its key is the event_id), and an answer tied
-- to a request or scenario keeps only the client's latest answer per (request, scenario, question)
-- (A12, A24), even when the latest was given in a later quarter: then it counts there, not here. Scores outside the question's scale are not valid answers (R-SURVEY).
SELECT
    any(agency_id)                  AS agency,
    any(toString(client_type))      AS client_type_name,
    any(toString(question))         AS question_name,
    any(service_id)                 AS service,
    any(life_situation_id)          AS life_situation,
    any(has({{DIGITAL}}, channel))  AS digital,
    count()                         AS n,
    countIf(score >= 3)             AS positive,
    countIf(score >= 9)             AS promoters,
    countIf(score <= 6)             AS detractors
FROM
(
    SELECT
        ag                                AS agency_id,
        ct                                AS client_type,
        qn                                AS question,
        score,
        service_id,
        life_situation_id,
        toString(channel)                 AS channel
    FROM
    (
        SELECT
            any(agency_id)               AS ag,
            any(client_type)             AS ct,
            any(question)                AS qn,
            argMax(score, ord)           AS score,
            argMax(service_id, ord)      AS service_id,
            argMax(life_situation_id, ord) AS life_situation_id,
            argMax(channel, ord)         AS channel,
            max(occurred_at)             AS last_at
        FROM
        (
            SELECT
                agency_id, client_type, question, score, service_id, life_situation_id, channel, occurred_at,
                -- latest answer first; ties broken by the event_id (deterministic)
                bitShiftLeft(toUInt64(occurred_at), 32) + bitAnd(cityHash64(event_id), 4294967295) AS ord,
                if(request_id = '' AND scenario_id = '', event_id, concat(client_id, '|', request_id, '|', scenario_id)) AS answer_key,
                -- two independent 64-bit hashes of the answer key (collision odds ~2^-128): on 18.16 a
                -- GROUP BY on fixed-size keys is several times faster than on the strings themselves
                cityHash64(toString(agency_id), toString(client_type), toString(question), answer_key) AS key1,
                sipHash64(toString(agency_id), toString(client_type), toString(question), answer_key)  AS key2
            FROM ratings
            -- answers of the quarter, and later answers tied to a request or scenario, which may
            -- supersede one of them: the latest answer counts in its own quarter only (A24, XC-2)
            WHERE occurred_at >= {{QS}} AND (occurred_at < {{QE}} OR request_id != '' OR scenario_id != '') {{AGENCY}}
        )
        GROUP BY key1, key2
    )
    WHERE last_at < {{QE}}
)
WHERE if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4)
-- a few thousand groups: one 64-bit hash of the names is collision-free in practice and fast on 18.16
GROUP BY cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, has({{DIGITAL}}, channel)) AS group_key

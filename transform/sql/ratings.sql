-- Survey answers of one quarter, one pass over ratings, aggregated per agency × client type ×
-- question × service × life situation × digital touchpoint. The inner GROUP BY counts each answer
-- once: the same event_id delivered twice collapses (its key is the event_id), and an answer tied
-- to a request or scenario keeps only the client's latest answer per (request, scenario, question)
-- (A12, A24). Scores outside the question's scale are not valid answers (R-SURVEY).
SELECT
    agency_id,
    toString(client_type)           AS client_type_name,
    toString(question)              AS question_name,
    service_id,
    life_situation_id,
    has({{DIGITAL}}, channel)       AS digital,
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
        tupleElement(latest, 1)           AS score,
        tupleElement(latest, 2)           AS service_id,
        tupleElement(latest, 3)           AS life_situation_id,
        toString(tupleElement(latest, 4)) AS channel
    FROM
    (
        -- Keys are hashed to two independent 64-bit hashes (collision odds ~2^-128): on 18.16 a
        -- GROUP BY on fixed-size keys is several times faster than on the strings themselves.
        SELECT
            any(agency_id)                                                                   AS ag,
            any(client_type)                                                                 AS ct,
            any(question)                                                                    AS qn,
            argMax((score, service_id, life_situation_id, channel), (occurred_at, event_id)) AS latest
        FROM ratings
        WHERE occurred_at >= {{QS}} AND occurred_at < {{QE}} {{AGENCY}}
        GROUP BY
            cityHash64(toString(agency_id), toString(client_type), toString(question), if(request_id = '' AND scenario_id = '', event_id, concat(client_id, '|', request_id, '|', scenario_id))) AS key1,
            sipHash64(toString(agency_id), toString(client_type), toString(question), if(request_id = '' AND scenario_id = '', event_id, concat(client_id, '|', request_id, '|', scenario_id)))  AS key2
    )
)
WHERE if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4)
GROUP BY agency_id, client_type, question, service_id, life_situation_id, digital

-- Survey answers of one quarter, one pass over ratings, aggregated per agency × client type ×
-- question × service × life situation × digital touchpoint. The inner GROUP BY counts each answer
-- once: the same event_id delivered twice collapses (its key is the event_id), and an answer tied
-- to a request or scenario keeps only the client's latest answer per (request, scenario, question)
-- (A12, A24). Scores outside the question's scale are not valid answers (R-SURVEY).
SELECT
    agency_id,
    toString(client_type)           AS client_type,
    toString(question)              AS question,
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
        agency_id,
        client_type,
        question,
        argMax(score, (occurred_at, event_id))                        AS score,
        argMax(service_id, (occurred_at, event_id))                   AS service_id,
        argMax(life_situation_id, (occurred_at, event_id))            AS life_situation_id,
        toString(argMax(channel, (occurred_at, event_id)))            AS channel
    FROM ratings
    WHERE occurred_at >= {{QS}} AND occurred_at < {{QE}} {{AGENCY}}
    GROUP BY
        agency_id,
        client_type,
        question,
        if(request_id = '' AND scenario_id = '', event_id, concat(client_id, '|', request_id, '|', scenario_id)) AS answer_key
)
WHERE if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4)
GROUP BY agency_id, client_type, question, service_id, life_situation_id, digital

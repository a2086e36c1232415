-- Survey answers of one quarter, aggregated per agency × client type × question × service × life
-- situation × digital touchpoint (g, a 64-bit hash of those names: a few thousand groups). Each
-- answer counts once (A12, A24, R-SURVEY):
--   1. answers not tied to a request or scenario: each event_id once (uniqExact keeps 128-bit hashes
--      of the strings), so an event delivered twice counts once;
--   2. answers tied to a request or scenario: only the client's latest answer per (request, scenario,
--      question) counts, in its own quarter, even when the latest was given in a later quarter (XC-2);
--      the per-answer GROUP BY keeps only numbers in its states (fast on 18.16) and two independent
--      64-bit hashes as key (collision odds ~2^-128);
--   3. the names of the groups of branch 2 (no counts).
-- Scores outside the question's scale are not valid answers; validity is that of the kept answer.
SELECT
    max(agency)                     AS agency,
    max(client_type_name)           AS client_type_name,
    max(question_name)              AS question_name,
    max(service)                    AS service,
    max(life_situation)             AS life_situation,
    max(digital)                    AS digital,
    sum(c)                          AS n,
    sumIf(c, score >= 3)            AS positive,
    sumIf(c, score >= 9)            AS promoters,
    sumIf(c, score <= 6)            AS detractors
FROM
(
    SELECT
        any(toString(agency_id)) AS agency, any(toString(client_type)) AS client_type_name, any(toString(question)) AS question_name,
        any(service_id) AS service, any(life_situation_id) AS life_situation, any(has({{DIGITAL}}, toString(channel))) AS digital,
        score, uniqExact(event_id) AS c,
        cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, has({{DIGITAL}}, toString(channel))) AS g
    FROM ratings
    WHERE occurred_at >= {{QS}} AND occurred_at < {{QE}} AND request_id = '' AND scenario_id = '' {{AGENCY}}
      AND if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4)
    GROUP BY g, score
    UNION ALL
    SELECT
        '' AS agency, '' AS client_type_name, '' AS question_name, '' AS service, '' AS life_situation, toUInt8(0) AS digital,
        sc AS score, count() AS c, gg AS g
    FROM
    (
        SELECT argMax(score, ord) AS sc, argMax(grp, ord) AS gg, max(occurred_at) AS last_at, argMax(valid, ord) AS ok
        FROM
        (
            SELECT score, occurred_at,
                bitShiftLeft(toUInt64(occurred_at), 32) + bitAnd(cityHash64(event_id), 4294967295) AS ord,
                if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4) AS valid,
                cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, has({{DIGITAL}}, toString(channel))) AS grp,
                cityHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id) AS key1,
                sipHash64(toString(agency_id), toString(client_type), toString(question), client_id, request_id, scenario_id)  AS key2
            FROM ratings
            WHERE occurred_at >= {{QS}} AND (request_id != '' OR scenario_id != '') {{AGENCY}}
        )
        GROUP BY key1, key2
    )
    WHERE last_at < {{QE}} AND ok
    GROUP BY gg, sc
    UNION ALL
    SELECT
        any(toString(agency_id)), any(toString(client_type)), any(toString(question)), any(service_id), any(life_situation_id), any(has({{DIGITAL}}, toString(channel))),
        toUInt8(0), toUInt64(0),
        cityHash64(toString(agency_id), toString(client_type), toString(question), service_id, life_situation_id, has({{DIGITAL}}, toString(channel))) AS g
    FROM ratings
    WHERE occurred_at >= {{QS}} AND occurred_at < {{QE}} AND (request_id != '' OR scenario_id != '') {{AGENCY}}
    GROUP BY g
)
GROUP BY g
HAVING n > 0

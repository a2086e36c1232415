-- Survey answers of one quarter, counted per agency × client type × question × service × life
-- situation × digital touchpoint. rating_answers (migration 022) holds one row per answer key and
-- FINAL keeps the newest answer of each key (A12, A24, R-SURVEY):
--   * an answer not tied to a request or scenario is keyed by its event_id: counted once;
--   * an answer tied to a request or scenario counts only if it is the client's latest answer for that
--     (request, scenario, question), in its own quarter, even when the latest was given in a later
--     quarter (XC-2).
-- rating_answers is partitioned by quarter (Europe/Moscow). The PREWHERE drops answers older than
-- the quarter start before the merge, which also skips the older partitions: that changes no result,
-- since such an answer only wins its key when the key has no answer from the quarter start on, and
-- then the time filter drops it. An --agency run filters in the PREWHERE too (every row of a key
-- has the same agency), so only that agency's rows are merged. The time filters on the kept answer
-- (its version is occurred_at << 32 | …) run after the FINAL merge, as a WHERE does on 18.16 and on
-- current ClickHouse. Scores outside the question's scale are not valid answers; validity is that
-- of the kept answer.
SELECT
    agency, client_type_name, question_name, service, life_situation,
    has({{DIGITAL}}, channel_name) AS digital,
    n, positive, promoters, detractors
FROM
(
    SELECT
        grp,
        count()                 AS n,
        countIf(score >= 3)     AS positive,
        countIf(score >= 9)     AS promoters,
        countIf(score <= 6)     AS detractors
    FROM rating_answers FINAL
    PREWHERE occurred_at >= {{QS}} {{AGENCY}}
    WHERE version >= {{QS_V}} AND version < {{QE_V}}
      AND if(question IN ('nps', 'nps_digital'), score <= 10, score >= 1 AND score <= 4)
    GROUP BY grp
) AS counts
ANY LEFT JOIN
(
    -- Names as strings: a count without a names row gets '' (errInputs in assess.go), never an Enum 0.
    SELECT grp, toString(agency_id) AS agency, toString(client_type) AS client_type_name, toString(question) AS question_name,
           service_id AS service, life_situation_id AS life_situation, toString(channel) AS channel_name
    FROM rating_groups
    WHERE 1 {{AGENCY}}
) AS names USING (grp)
-- Blocks of 8192 rows rather than 65536: a few per cent faster here on 18.16, and the same setting as
-- services.sql.
SETTINGS max_block_size = 8192

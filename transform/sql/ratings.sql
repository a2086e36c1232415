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
-- current ClickHouse.
-- Scores outside the question's scale are not valid answers; validity is that of the kept answer.
-- The merge carries only the columns the counts need: the question is not among them, as the group
-- (grp) names it. Each group's answers are counted for both scales at once, two counts to a UInt64
-- (32 bits each; a group has far fewer than 2^32 answers in a quarter), and the names row's question
-- picks the counts of its scale: 0–10 (nps, nps_digital) or 1–4 (the others). A group whose answers
-- are all outside its scale has no row; a group without a names row keeps its row, so
-- that errInputs (assess.go) reports it. Dropping the question column from the merge cuts the
-- query's CPU by about a quarter on 18.16 (BENCHMARKS.md, assess).
SELECT
    agency, client_type_name, question_name, service, life_situation,
    has({{DIGITAL}}, channel_name) AS digital,
    n, positive, promoters, detractors
FROM
(
    SELECT
        agency, client_type_name, question_name, service, life_situation, channel_name,
        question_name IN ('nps', 'nps_digital')                                              AS nps,
        -- 0–10: valid 0–10, positive 3–10, promoters 9–10, detractors 0–6;
        -- 1–4: valid 1–4, positive 3–4, no promoters, every valid answer a detractor (≤ 6)
        if(nps, bitShiftRight(nps_n_pos, 32), bitShiftRight(sat_n_pos, 32))                  AS n,
        if(nps, bitAnd(nps_n_pos, 4294967295), bitAnd(sat_n_pos, 4294967295))               AS positive,
        if(nps, bitShiftRight(nps_prom_det, 32), toUInt64(0))                                AS promoters,
        if(nps, bitAnd(nps_prom_det, 4294967295), bitShiftRight(sat_n_pos, 32))              AS detractors
    FROM
    (
        SELECT
            grp,
            sum(bitShiftLeft(toUInt64(score <= 10), 32) + (score >= 3 AND score <= 10))              AS nps_n_pos,
            sum(bitShiftLeft(toUInt64(score >= 9 AND score <= 10), 32) + (score <= 6))               AS nps_prom_det,
            sum(bitShiftLeft(toUInt64(score >= 1 AND score <= 4), 32) + (score >= 3 AND score <= 4)) AS sat_n_pos
        FROM rating_answers FINAL
        PREWHERE occurred_at >= {{QS}} {{AGENCY}}
        WHERE version >= {{QS_V}} AND version < {{QE_V}}
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
)
WHERE n > 0 OR agency = ''
-- Blocks of 8192 rows rather than 65536: a few per cent faster here on 18.16, and the same setting as
-- services.sql. Read buffers of 128 KiB rather than 1 MiB: see services.sql.
SETTINGS max_block_size = 8192, max_read_buffer_size = 131072

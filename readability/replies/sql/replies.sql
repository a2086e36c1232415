-- Written replies to natural persons in one quarter, grouped by their stored readability counts,
-- per agency and life situation: the readability check of every stored reply (docs/readability.md)
-- computes its indices in Go from these counts, with the same exact formulas as the live check.
-- A reply is a `replied` step not on the phone; its life situation is its own, else the one its
-- appeal carries on another step (looked for from the previous quarter on). Appeals removed under
-- the moderation rules are left out. Read with FINAL: a redelivered event counts once.
SELECT
    agency_id,
    if(ls != '', ls, appeal_ls) AS life_situation,
    reply_chars,
    reply_words,
    reply_sentences,
    reply_syllables,
    count()                     AS replies
FROM
(
    SELECT
        toString(agency_id) AS agency_id,
        appeal_id,
        life_situation_id   AS ls,
        reply_chars,
        reply_words,
        reply_sentences,
        reply_syllables
    FROM appeals FINAL
    WHERE step = 'replied' AND client_type = 'person' AND channel != 'phone'
      AND occurred_at >= {{QS}} AND occurred_at < {{QE}} {{AGENCY}}
) AS reply
ANY LEFT JOIN
(
    SELECT
        toString(agency_id)                                AS agency_id,
        appeal_id,
        anyIf(life_situation_id, life_situation_id != '') AS appeal_ls,
        max(excluded)                                      AS appeal_excluded
    FROM appeals FINAL
    WHERE occurred_at >= {{LOOKBACK}} AND occurred_at < {{QE}} {{AGENCY}}
    GROUP BY agency_id, appeal_id
) AS appeal USING (agency_id, appeal_id)
WHERE appeal_excluded = 0
GROUP BY agency_id, life_situation, reply_chars, reply_words, reply_sentences, reply_syllables

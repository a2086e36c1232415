-- indicator_comparisons_latest follows assessments_latest: the newest official revision of a closed
-- quarter (a later recomputation never replaces it, so the next quarter's change is measured from
-- the published values) and the newest run of any other quarter.
DROP TABLE IF EXISTS indicator_comparisons_latest;

CREATE VIEW IF NOT EXISTS indicator_comparisons_latest AS
SELECT *
FROM indicator_comparisons
WHERE (quarter_start, standard, agency_id, computed_at) IN
    (SELECT quarter_start, standard, agency_id, max(computed_at)
     FROM indicator_comparisons
     WHERE run_id IN (SELECT run_id FROM official_revisions)
        OR quarter_start NOT IN (SELECT quarter_start FROM official_revisions)
     GROUP BY quarter_start, standard, agency_id);

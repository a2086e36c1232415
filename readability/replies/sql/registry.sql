-- The life situations of each agency's client scenarios approved before quarter end (owner or
-- participant) for natural persons: the life situations P-T2-4's readability coverage counts.
SELECT
    agency_id,
    arraySort(groupUniqArray(life_situation_id)) AS life_situations
FROM
(
    SELECT
        arrayJoin(arrayPushFront(participating_agency_ids, owner_agency_id)) AS agency_id,
        life_situation_id
    FROM registry_scenarios_latest
    WHERE status = 'approved' AND approved_at < {{QE}} AND standard != 'business' AND life_situation_id != ''
)
WHERE 1 {{AGENCY}}
GROUP BY agency_id

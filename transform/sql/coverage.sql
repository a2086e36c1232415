-- The services of the approved client scenarios of each agency (owner or participant) as of
-- quarter end, for scenario coverage when an agency's events carry no scenario_id (B-T1-1, P-T1-1:
-- a service counts when it belongs to ≥ 1 approved scenario of the registry).
SELECT
    agency_id,
    standard,
    groupUniqArray(service_id) AS services
FROM
(
    SELECT
        arrayJoin(arrayPushFront(participating_agency_ids, owner_agency_id)) AS agency_id,
        toString(standard)                                                   AS standard,
        arrayJoin(service_ids)                                               AS service_id
    FROM {{REGISTRY}}
    WHERE status = 'approved' AND approved_at < {{QE}}
)
WHERE 1 {{AGENCY}}
GROUP BY agency_id, standard

-- The services of the scenarios of each agency (owner or participant) that count as of quarter end
-- in the registry version of the run (scenarios.sql says which count), for scenario coverage when
-- an agency's events carry no scenario_id (a service counts when it belongs to ≥ 1 such scenario).
SELECT
    agency_id,
    standard,
    arraySort(groupUniqArray(service_id)) AS services -- sorted: the order of a set differs between engines
FROM
(
    SELECT
        arrayJoin(arrayPushFront(r_participants, r_owner)) AS agency_id,
        r_standard                                          AS standard,
        arrayJoin(r_services)                               AS service_id
    FROM
    (
{{SCENARIOS}}
    )
    WHERE in_force
)
WHERE 1 {{AGENCY}}
GROUP BY agency_id, standard

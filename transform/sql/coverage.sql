-- The services of the scenarios of each agency (owner or participant) that count as of quarter end
-- in the registry version of the run (approved before quarter end, not retired before it; see
-- registry.sql), for scenario coverage when an agency's events carry no scenario_id (a service
-- counts when it belongs to ≥ 1 such scenario).
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
        SELECT
            scenario_id,
            argMax(owner_agency_id, loaded_at)          AS r_owner,
            argMax(participating_agency_ids, loaded_at) AS r_participants,
            toString(argMax(standard, loaded_at))       AS r_standard,
            toString(argMax(status, loaded_at))         AS r_status,
            argMax(approved_at, loaded_at)              AS r_approved,
            argMax(retired_at, loaded_at)               AS r_retired,
            argMax(service_ids, loaded_at)              AS r_services
        FROM registry_scenarios
        WHERE {{REG_FILTER}}
        GROUP BY scenario_id
    )
    WHERE r_status IN ('approved', 'retired') AND r_approved > toDateTime(0) AND r_approved < {{QE}}
      AND NOT (r_status = 'retired' AND r_retired < {{QE}})
)
WHERE 1 {{AGENCY}}
GROUP BY agency_id, standard

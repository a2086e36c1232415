-- The registry's client scenarios in the registry version of the run (REG_FILTER: the rows loaded
-- up to it; the newest row per scenario wins), each with in_force as of quarter end: approved
-- before quarter end and not retired before it (a scenario retired without a date never counts).
-- registry.sql and coverage.sql read it as {{SCENARIOS}}.
SELECT
    r_owner,
    r_participants,
    r_standard,
    r_services,
    proactive,
    api,
    r_status IN ('approved', 'retired') AND r_approved > toDateTime(0) AND r_approved < {{QE}}
        AND NOT (r_status = 'retired' AND r_retired < {{QE}}) AS in_force
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
        argMax(service_ids, loaded_at)              AS r_services,
        argMax(proactive_possible, loaded_at)       AS proactive,
        argMax(api_possible, loaded_at)             AS api
    FROM registry_scenarios
    WHERE {{REG_FILTER}}
    GROUP BY scenario_id
)

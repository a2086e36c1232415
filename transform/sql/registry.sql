-- Client scenarios per owner agency and standard in the registry version of the run (REG_FILTER:
-- the rows loaded up to it; the newest row per scenario wins), as of quarter end: a scenario counts
-- when it was approved before quarter end and not retired before it (a scenario retired without a
-- date never counts). Counted: scenarios, counting ones, with proactive provision, with API.
SELECT
    owner_agency_id,
    standard,
    count()                                                    AS scenarios,
    countIf(in_force)                                          AS approved,
    countIf(in_force AND proactive = 1)                        AS proactive,
    countIf(in_force AND api = 1)                              AS api
FROM
(
    SELECT
        r_owner    AS owner_agency_id,
        r_standard AS standard,
        proactive,
        api,
        r_status IN ('approved', 'retired') AND r_approved > toDateTime(0) AND r_approved < {{QE}}
            AND NOT (r_status = 'retired' AND r_retired < {{QE}})   AS in_force
    FROM
    (
        SELECT
            scenario_id,
            argMax(owner_agency_id, loaded_at)          AS r_owner,
            toString(argMax(standard, loaded_at))       AS r_standard,
            toString(argMax(status, loaded_at))         AS r_status,
            argMax(approved_at, loaded_at)              AS r_approved,
            argMax(retired_at, loaded_at)               AS r_retired,
            argMax(proactive_possible, loaded_at)       AS proactive,
            argMax(api_possible, loaded_at)             AS api
        FROM registry_scenarios
        WHERE {{REG_FILTER}}
        GROUP BY scenario_id
    )
    WHERE 1 {{OWNER}}
)
GROUP BY owner_agency_id, standard

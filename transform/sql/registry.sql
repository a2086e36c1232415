-- Client scenarios per owner agency and standard in the registry version of the run, as of quarter
-- end (scenarios.sql says which count). Counted: scenarios, counting ones, with proactive
-- provision, with API.
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
        in_force
    FROM
    (
{{SCENARIOS}}
    )
    WHERE 1 {{OWNER}}
)
GROUP BY owner_agency_id, standard

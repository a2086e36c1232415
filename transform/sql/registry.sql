-- Client scenarios per owner agency and standard from the newest registry state, as of quarter end
-- (approved_at before it): approved, approved with proactive provision, approved with API.
SELECT
    owner_agency_id,
    toString(standard)                                                               AS standard,
    count()                                                                          AS scenarios,
    countIf(status = 'approved' AND approved_at < {{QE}})                            AS approved,
    countIf(status = 'approved' AND approved_at < {{QE}} AND proactive_possible = 1) AS proactive,
    countIf(status = 'approved' AND approved_at < {{QE}} AND api_possible = 1)       AS api
FROM registry_scenarios_latest
WHERE 1 {{OWNER}}
GROUP BY owner_agency_id, standard

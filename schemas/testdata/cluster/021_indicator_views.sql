CREATE VIEW IF NOT EXISTS cxstar.indicator_values_by_service ON CLUSTER cxstar AS
SELECT quarter, quarter_start, standard, agency_id, indicator, dimension_id AS service_id, value, n, ci_low, ci_high, run_id, computed_at
FROM cxstar.indicator_details_latest
WHERE dimension = 'service';

CREATE VIEW IF NOT EXISTS cxstar.indicator_values_by_life_situation ON CLUSTER cxstar AS
SELECT quarter, quarter_start, standard, agency_id, indicator, dimension_id AS life_situation_id, value, n, ci_low, ci_high, run_id, computed_at
FROM cxstar.indicator_details_latest
WHERE dimension = 'life_situation';

CREATE VIEW IF NOT EXISTS cxstar.registry_scenarios_latest ON CLUSTER cxstar AS
SELECT scenario_id,
       argMax(life_situation_id, loaded_at)        AS life_situation_id,
       argMax(owner_agency_id, loaded_at)          AS owner_agency_id,
       argMax(participating_agency_ids, loaded_at) AS participating_agency_ids,
       argMax(standard, loaded_at)                 AS standard,
       argMax(status, loaded_at)                   AS status,
       argMax(approved_at, loaded_at)              AS approved_at,
       argMax(proactive_possible, loaded_at)       AS proactive_possible,
       argMax(api_possible, loaded_at)             AS api_possible,
       argMax(service_ids, loaded_at)              AS service_ids,
       max(loaded_at)                              AS last_loaded_at
FROM cxstar.registry_scenarios
GROUP BY scenario_id;


-- The newest capability declaration per agency × standard × indicator for the quarter, in the
-- registry version of the run (REG_FILTER: the rows loaded up to it).
SELECT
    agency_id,
    toString(standard)                AS standard,
    indicator,
    argMax(flags, loaded_at)          AS flags,
    argMax(metric_names, loaded_at)   AS metric_names,
    argMax(metric_values, loaded_at)  AS metric_values,
    argMax(value, loaded_at)          AS value,
    argMax(num, loaded_at)            AS num,
    argMax(den, loaded_at)            AS den
FROM capability_declarations
WHERE quarter = {{QUARTER}} AND {{REG_FILTER}} {{AGENCY}}
GROUP BY agency_id, standard, indicator

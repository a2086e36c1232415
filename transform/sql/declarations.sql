-- The newest capability declaration per agency × standard × indicator for the quarter.
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
WHERE quarter = {{QUARTER}} {{AGENCY}}
GROUP BY agency_id, standard, indicator

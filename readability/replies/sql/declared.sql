-- The newest declaration of P-T2-4 for the quarter per agency: its metric names and values, of
-- which readability_coverage is the declared share of life situations with the check in place.
SELECT
    agency_id,
    argMax(metric_names, loaded_at)  AS metric_names,
    argMax(metric_values, loaded_at) AS metric_values
FROM capability_declarations
WHERE quarter = {{QUARTER}} AND standard = 'people' AND indicator = 'written_text_accessibility' {{AGENCY}}
GROUP BY agency_id

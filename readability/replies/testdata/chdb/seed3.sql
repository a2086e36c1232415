INSERT INTO capability_declarations (load_id, loaded_at, agency_id, quarter, standard, indicator, flags, metric_names, metric_values, value, num, den, evidence, source) VALUES
('d', '2026-10-01 00:00:00', 'fns', '2026Q3', 'people', 'written_text_accessibility', [], ['readability_coverage'], ['10'], '', 0, 0, '', 't'),
('d', '2026-10-05 00:00:00', 'fns', '2026Q3', 'people', 'written_text_accessibility', [], ['readability_coverage'], ['30'], '', 0, 0, '', 't')

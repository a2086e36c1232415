INSERT INTO registry_scenarios (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, proactive_possible, api_possible, service_ids, source) VALUES
('l', '2026-11-01 00:00:00', 's1', 'ls-birth', 'fns', [], 'people', 'approved', '2026-01-15 00:00:00', 0, 0, [], 't'),
('l', '2026-11-01 00:00:00', 's2', 'ls-move', 'mvd', ['fns'], 'people', 'approved', '2026-01-15 00:00:00', 0, 0, [], 't'),
('l', '2026-11-01 00:00:00', 's4', 'ls-tax', 'fns', [], 'business', 'approved', '2026-01-15 00:00:00', 0, 0, [], 't')

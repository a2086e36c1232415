INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source) VALUES
('e1', '2026-07-01 09:00:00', 'fns', 'person', 'c', 'a1', 'received', 'written_appeal', 'email', 0, 0, 0, 0, 0, 0, '', 'ls-birth', '2026-11-01 00:00:00', 't'),
('e2', '2026-07-02 09:00:00', 'fns', 'person', 'c', 'a1', 'replied', '', 'email', 0, 0, 50, 11, 3, 21, '', '', '2026-11-01 00:00:00', 't'),
('e3', '2026-08-02 09:00:00', 'fns', 'person', 'c', 'a2', 'replied', '', 'portal', 0, 0, 182, 21, 1, 76, '', 'ls-birth', '2026-11-01 00:00:00', 't'),
('e6', '2026-07-03 09:00:00', 'fns', 'person', 'c', 'a5', 'received', 'mention', 'social_network', 0, 1, 0, 0, 0, 0, '', 'ls-birth', '2026-11-01 00:00:00', 't'),
('e7', '2026-07-03 10:00:00', 'fns', 'person', 'c', 'a5', 'replied', '', 'social_network', 0, 0, 50, 11, 3, 21, '', '', '2026-11-01 00:00:00', 't'),
('e8', '2026-07-04 10:00:00', 'fns', 'person', 'c', 'a6', 'replied', '', 'phone', 0, 0, 0, 0, 0, 0, '', 'ls-birth', '2026-11-01 00:00:00', 't'),
('e12', '2026-07-05 10:00:00', 'fns', 'person', 'c', 'a3', 'replied', '', 'email', 0, 0, 0, 0, 0, 0, '', 'ls-move', '2026-11-01 00:00:00', 't'),
('e13', '2026-07-05 11:00:00', 'fns', 'person', 'c', 'a4', 'replied', '', 'email', 0, 0, 50, 11, 3, 21, '', 'ls-move', '2026-11-01 00:00:00', 't')

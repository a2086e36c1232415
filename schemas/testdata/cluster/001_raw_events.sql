CREATE TABLE IF NOT EXISTS cxstar.service_events_local ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    request_id        String,
    service_id        String,
    service_kind      Enum8('service' = 1, 'support_measure' = 2, 'digital_service' = 3),
    status            Enum8('submitted' = 1, 'in_progress' = 2, 'completed' = 3, 'refused' = 4, 'withdrawn' = 5),
    channel           Enum8('portal' = 1, 'mobile_app' = 2, 'mfc' = 3, 'office' = 4, 'phone' = 5, 'chat_bot' = 6, 'api' = 7, 'post' = 8, 'other' = 9),
    life_situation_id String,
    scenario_id       String,
    segment_id        String,
    proactive         UInt8,
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/001_service_events_local', '{replica}', ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (agency_id, client_type, service_id, client_id, request_id, event_id);

CREATE TABLE IF NOT EXISTS cxstar.service_events ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    request_id        String,
    service_id        String,
    service_kind      Enum8('service' = 1, 'support_measure' = 2, 'digital_service' = 3),
    status            Enum8('submitted' = 1, 'in_progress' = 2, 'completed' = 3, 'refused' = 4, 'withdrawn' = 5),
    channel           Enum8('portal' = 1, 'mobile_app' = 2, 'mfc' = 3, 'office' = 4, 'phone' = 5, 'chat_bot' = 6, 'api' = 7, 'post' = 8, 'other' = 9),
    life_situation_id String,
    scenario_id       String,
    segment_id        String,
    proactive         UInt8,
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = Distributed(cxstar, cxstar, service_events_local, cityHash64(toString(agency_id), client_id));

CREATE TABLE IF NOT EXISTS cxstar.ratings_local ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    question          Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                            'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                            'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                            'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score             UInt8,
    service_id        String,
    request_id        String,
    life_situation_id String,
    scenario_id       String,
    channel           Enum8('' = 0, 'portal' = 1, 'mobile_app' = 2, 'mfc' = 3, 'office' = 4, 'phone' = 5, 'chat_bot' = 6, 'api' = 7, 'post' = 8, 'other' = 9),
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/001_ratings_local', '{replica}', ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (agency_id, client_type, question, service_id, event_id);

CREATE TABLE IF NOT EXISTS cxstar.ratings ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    question          Enum8('nps' = 1, 'nps_digital' = 2, 'satisfaction' = 3, 'ease' = 4, 'sat_phone' = 5,
                            'sat_compliance_costs' = 6, 'sat_assessment_costs' = 7, 'sat_requirements_evaluation' = 8,
                            'sat_informing_training' = 9, 'sat_feedback_channels' = 10, 'sat_path_time' = 11,
                            'sat_risk_profile' = 12, 'sat_control_activities' = 13),
    score             UInt8,
    service_id        String,
    request_id        String,
    life_situation_id String,
    scenario_id       String,
    channel           Enum8('' = 0, 'portal' = 1, 'mobile_app' = 2, 'mfc' = 3, 'office' = 4, 'phone' = 5, 'chat_bot' = 6, 'api' = 7, 'post' = 8, 'other' = 9),
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = Distributed(cxstar, cxstar, ratings_local, cityHash64(toString(agency_id), client_id));

CREATE TABLE IF NOT EXISTS cxstar.appeals_local ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    appeal_id         String,
    step              Enum8('received' = 1, 'replied' = 2, 'resolved' = 3),
    message_type      Enum8('' = 0, 'mention' = 1, 'official_appeal' = 2, 'comment_on_official_post' = 3, 'written_appeal' = 4),
    channel           Enum8('social_network' = 1, 'public_chat' = 2, 'portal' = 3, 'email' = 4, 'letter' = 5, 'phone' = 6, 'chat_bot' = 7),
    automated         UInt8,
    excluded          UInt8,
    reply_chars       UInt32,
    reply_words       UInt32,
    reply_sentences   UInt32,
    reply_syllables   UInt32,
    service_id        String,
    life_situation_id String,
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cxstar/001_appeals_local', '{replica}', ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (agency_id, client_type, appeal_id, event_id);

CREATE TABLE IF NOT EXISTS cxstar.appeals ON CLUSTER cxstar
(
    event_id          String,
    occurred_at       DateTime('UTC'),
    agency_id         LowCardinality(String),
    client_type       Enum8('person' = 1, 'business' = 2),
    client_id         String,
    appeal_id         String,
    step              Enum8('received' = 1, 'replied' = 2, 'resolved' = 3),
    message_type      Enum8('' = 0, 'mention' = 1, 'official_appeal' = 2, 'comment_on_official_post' = 3, 'written_appeal' = 4),
    channel           Enum8('social_network' = 1, 'public_chat' = 2, 'portal' = 3, 'email' = 4, 'letter' = 5, 'phone' = 6, 'chat_bot' = 7),
    automated         UInt8,
    excluded          UInt8,
    reply_chars       UInt32,
    reply_words       UInt32,
    reply_sentences   UInt32,
    reply_syllables   UInt32,
    service_id        String,
    life_situation_id String,
    ingested_at       DateTime('UTC'),
    source            String
)
ENGINE = Distributed(cxstar, cxstar, appeals_local, cityHash64(appeal_id));


CREATE TABLE IF NOT EXISTS cxstar.registry_scenarios ON CLUSTER cxstar
(
    load_id                  String,
    loaded_at                DateTime('UTC'),
    scenario_id              String,
    life_situation_id        String,
    owner_agency_id          String,
    participating_agency_ids Array(String),
    standard                 Enum8('' = 0, 'people' = 1, 'business' = 2),
    status                   Enum8('draft' = 1, 'approved' = 2, 'retired' = 3),
    approved_at              DateTime('UTC'),
    proactive_possible       UInt8,
    api_possible             UInt8,
    service_ids              Array(String),
    source                   String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/020_registry_scenarios', '{replica}')
ORDER BY (owner_agency_id, scenario_id, loaded_at);

CREATE TABLE IF NOT EXISTS cxstar.capability_declarations ON CLUSTER cxstar
(
    load_id       String,
    loaded_at     DateTime('UTC'),
    agency_id     String,
    quarter       String,
    standard      Enum8('people' = 1, 'business' = 2),
    indicator     String,
    flags         Array(String),
    metric_names  Array(String),
    metric_values Array(String),
    value         String,
    num           Int64,
    den           Int64,
    evidence      String,
    source        String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/020_capability_declarations', '{replica}')
ORDER BY (quarter, standard, agency_id, indicator, loaded_at);


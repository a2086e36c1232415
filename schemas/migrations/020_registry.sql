-- Reference data loaded by `cxstar registry import FILE` (not streamed): client scenarios of the
-- life-situation registry and agencies' capability declarations. Every import appends rows with its
-- own load_id and loaded_at; readers take the newest row per key (argMax by loaded_at), so a past
-- state stays visible and a reload is a new version, never an update in place.
CREATE TABLE IF NOT EXISTS registry_scenarios
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
ENGINE = MergeTree
ORDER BY (owner_agency_id, scenario_id, loaded_at);

CREATE TABLE IF NOT EXISTS capability_declarations
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
ENGINE = MergeTree
ORDER BY (quarter, standard, agency_id, indicator, loaded_at);

-- The registry as of a moment. A scenario carries its own dates: approved_at and, once retired,
-- retired_at (0 = not given: a scenario retired without a date counts as retired from the start, as
-- before). Every `cxstar registry import` is a version: registry_loads records its load time and
-- what it added, changed and retired, and the registry of a version is the newest row per scenario
-- loaded up to that version's loaded_at (each import gets a loaded_at later than every earlier one).
-- registry_scenarios is rebuilt with the retired_at column (its rows copied, retired_at 0).
DROP TABLE IF EXISTS registry_scenarios_old;

DROP TABLE IF EXISTS registry_scenarios_new;

CREATE TABLE registry_scenarios_new
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
    retired_at               DateTime('UTC'),
    proactive_possible       UInt8,
    api_possible             UInt8,
    service_ids              Array(String),
    source                   String
)
ENGINE = MergeTree
ORDER BY (owner_agency_id, scenario_id, loaded_at);

INSERT INTO registry_scenarios_new (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, retired_at, proactive_possible, api_possible, service_ids, source)
SELECT load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, toDateTime(0), proactive_possible, api_possible, service_ids, source
FROM registry_scenarios;

RENAME TABLE registry_scenarios TO registry_scenarios_old, registry_scenarios_new TO registry_scenarios;

DROP TABLE registry_scenarios_old;

CREATE TABLE IF NOT EXISTS registry_loads
(
    load_id      String,
    loaded_at    DateTime('UTC'),
    source       String,
    scenarios    UInt32,
    declarations UInt32,
    added        Array(String),
    changed      Array(String),
    retired      Array(String)
)
ENGINE = MergeTree
ORDER BY loaded_at;

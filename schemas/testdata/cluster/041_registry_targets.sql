CREATE TABLE IF NOT EXISTS cxstar.registry_targets ON CLUSTER cxstar
(
    load_id   String,
    loaded_at DateTime('UTC'),
    agency_id String,
    standard  Enum8('people' = 1, 'business' = 2),
    indicator String,
    year      UInt16,
    value     Float64,
    withdrawn UInt8,
    source    String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cxstar/041_registry_targets', '{replica}')
ORDER BY (year, standard, agency_id, indicator, loaded_at);


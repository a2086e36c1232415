-- The Project Office's targets: one value per agency × standard × indicator × year, loaded with the
-- registry (`cxstar registry import`, a file's targets section) under the load's load_id and
-- loaded_at. Every load is kept. A quarter reads, per key, the newest row loaded up to the
-- quarter's end; a key first loaded after the quarter ended reads its first row (see
-- docs/indicators.md). withdrawn = 1 removes the target from the quarters that read that row.
CREATE TABLE IF NOT EXISTS registry_targets
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
ENGINE = MergeTree
ORDER BY (year, standard, agency_id, indicator, loaded_at);

-- llmcost ledger, schema version 6: `rollups_model`, the hourly rollups by
-- model and currency alone (the other dimensions summed over): what daily,
-- weekly, monthly and model reports read, a few rows per hour whatever the
-- number of projects, devices or keys. Kept and rebuilt with `rollups`
-- (src/rollup.rs); filled from the records by this migration.
CREATE TABLE rollups_model (
    hour             INTEGER NOT NULL,
    model            INTEGER NOT NULL,
    currency         INTEGER NOT NULL,
    records          INTEGER NOT NULL,
    input            INTEGER NOT NULL,
    cache_read       INTEGER NOT NULL,
    cache_write      INTEGER NOT NULL,
    cache_write_1h   INTEGER NOT NULL,
    output           INTEGER NOT NULL,
    reasoning        INTEGER NOT NULL,
    input_audio      INTEGER NOT NULL,
    cache_read_audio INTEGER NOT NULL,
    output_audio     INTEGER NOT NULL,
    input_image      INTEGER NOT NULL,
    output_image     INTEGER NOT NULL,
    cost             TEXT    NOT NULL,
    unpriced_records INTEGER NOT NULL,
    unpriced_tokens  INTEGER NOT NULL,
    PRIMARY KEY (hour, model, currency)
) WITHOUT ROWID;

-- llmcost ledger, schema version 5: devices and hourly rollups.
--
-- * `entries.device`: the machine (or proxy instance) that recorded the row;
--   `entries.provider`: the provider, copied from the details so rollups and
--   filters need not decode them (the migration code fills it for old rows).
-- * `rollups`: per UTC hour × model × project × source × provider × tag set ×
--   key fingerprint × device × currency (string ids, 0 for none), the sums of
--   the records: tokens per bucket, records, the exact cost of the priced
--   ones (decimal TEXT), and the unpriced records and their tokens. Kept by
--   every insert in its transaction; rebuilt by repricing and by this
--   migration (src/rollup.rs).
ALTER TABLE entries ADD COLUMN provider INTEGER REFERENCES strings (id);
ALTER TABLE entries ADD COLUMN device INTEGER REFERENCES strings (id);

CREATE TABLE rollups (
    hour             INTEGER NOT NULL,  -- UTC hours since the Unix epoch
    model            INTEGER NOT NULL,
    project          INTEGER NOT NULL,
    source           INTEGER NOT NULL,
    provider         INTEGER NOT NULL,
    tags             INTEGER NOT NULL,
    key_fingerprint  INTEGER NOT NULL,
    device           INTEGER NOT NULL,
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
    PRIMARY KEY (hour, model, project, source, provider, tags, key_fingerprint, device, currency)
) WITHOUT ROWID;

DROP VIEW records;
CREATE VIEW records AS
    SELECT e.id, e.at, src.s AS source, mdl.s AS model, prj.s AS project, ses.s AS session,
           e.input, e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning,
           tier.s AS service_tier, e.cost, cur.s AS currency, pref.s AS price_ref,
           tg.s AS tags, kf.s AS key_fingerprint, e.incomplete,
           e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image,
           prov.s AS provider, dev.s AS device
    FROM entries e
    JOIN strings src ON src.id = e.source
    JOIN strings mdl ON mdl.id = e.model
    JOIN strings tier ON tier.id = e.service_tier
    LEFT JOIN strings prj ON prj.id = e.project
    LEFT JOIN strings ses ON ses.id = e.session
    LEFT JOIN strings cur ON cur.id = e.currency
    LEFT JOIN strings pref ON pref.id = e.price_ref
    LEFT JOIN strings tg ON tg.id = e.tags
    LEFT JOIN strings kf ON kf.id = e.key_fingerprint
    LEFT JOIN strings prov ON prov.id = e.provider
    LEFT JOIN strings dev ON dev.id = e.device;

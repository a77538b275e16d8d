-- llmcost ledger, schema version 2: the v1 `records` table becomes
--
-- * `entries`: what reports, budgets and repricing read (time, tokens, cost),
--   with repeated text (model, project, session, source...) stored once in
--   `strings` and referenced by id: ~70 bytes a row instead of ~720;
-- * `detail_blocks`: the rest of each record (dedup key, origin file and line,
--   raw usage, billed amount, proxy status and latencies), LZ4-compressed
--   many records to a row (crates/llmcost-ledger-sqlite/src/details.rs);
--   `entries.detail` is (block id << 16) | index in the block;
-- * `records`: a view with the v1 column names for ad-hoc queries
--   (`sqlite3 ledger.db 'SELECT model, cost FROM records'`).
--
-- The rows of v1 are copied by the migration code (it computes the 128-bit
-- key hashes), which then drops `records_v1`.
ALTER TABLE records RENAME TO records_v1;
DROP INDEX IF EXISTS records_at;
DROP INDEX IF EXISTS records_collided;

CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    s  TEXT NOT NULL UNIQUE
);

CREATE TABLE entries (
    id              INTEGER PRIMARY KEY,
    -- xxh3-128 of the dedup key: the low 64 bits (signed) are unique; a
    -- different key whose low bits are taken is stored with key_hash NULL
    -- and listed in `collided_keys`. key_check holds the high 64 bits.
    key_hash        INTEGER UNIQUE,
    key_check       INTEGER NOT NULL,
    -- UTC nanoseconds since the Unix epoch.
    at              INTEGER NOT NULL,
    source          INTEGER NOT NULL REFERENCES strings (id),
    model           INTEGER NOT NULL REFERENCES strings (id),
    project         INTEGER REFERENCES strings (id),
    session         INTEGER REFERENCES strings (id),
    input           INTEGER NOT NULL DEFAULT 0,
    cache_read      INTEGER NOT NULL DEFAULT 0,
    cache_write     INTEGER NOT NULL DEFAULT 0,
    cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    output          INTEGER NOT NULL DEFAULT 0,
    reasoning       INTEGER NOT NULL DEFAULT 0,
    service_tier    INTEGER NOT NULL REFERENCES strings (id),
    -- Exact decimal text (NULL: not priced, never 0).
    cost            TEXT,
    currency        INTEGER REFERENCES strings (id),
    price_ref       INTEGER REFERENCES strings (id),
    -- JSON array of tags, interned.
    tags            INTEGER REFERENCES strings (id),
    key_fingerprint INTEGER REFERENCES strings (id),
    incomplete      INTEGER NOT NULL DEFAULT 0,
    detail          INTEGER NOT NULL
);

CREATE TABLE detail_blocks (
    id      INTEGER PRIMARY KEY,
    records INTEGER NOT NULL,
    data    BLOB NOT NULL
);

-- Keys stored with key_hash NULL (their low 64 bits were taken by another key).
CREATE TABLE collided_keys (
    key_hash  INTEGER NOT NULL,
    key_check INTEGER NOT NULL,
    id        INTEGER NOT NULL REFERENCES entries (id),
    PRIMARY KEY (key_hash, key_check)
) WITHOUT ROWID;

CREATE VIEW records AS
    SELECT e.id, e.at, src.s AS source, mdl.s AS model, prj.s AS project, ses.s AS session,
           e.input, e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning,
           tier.s AS service_tier, e.cost, cur.s AS currency, pref.s AS price_ref,
           tg.s AS tags, kf.s AS key_fingerprint, e.incomplete
    FROM entries e
    JOIN strings src ON src.id = e.source
    JOIN strings mdl ON mdl.id = e.model
    JOIN strings tier ON tier.id = e.service_tier
    LEFT JOIN strings prj ON prj.id = e.project
    LEFT JOIN strings ses ON ses.id = e.session
    LEFT JOIN strings cur ON cur.id = e.currency
    LEFT JOIN strings pref ON pref.id = e.price_ref
    LEFT JOIN strings tg ON tg.id = e.tags
    LEFT JOIN strings kf ON kf.id = e.key_fingerprint;

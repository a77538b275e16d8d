-- llmcost ledger, schema version 1.
-- Money is exact decimal TEXT (SQLite has no decimal type and REAL is lossy).
-- `at` is nanoseconds since the Unix epoch, UTC.
CREATE TABLE records (
    id              INTEGER PRIMARY KEY,
    -- xxh3-64 of dedup_key (as a signed integer): the unique key inserts
    -- are de-duplicated on. A small integer index is several times faster to
    -- maintain than a unique index on the text. A different key with the same
    -- hash (about 3 in 10^8 over a million records) is stored with key_hash
    -- NULL and de-duplicated on its text (records_collided).
    key_hash        INTEGER UNIQUE,
    dedup_key       TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    origin          TEXT,
    line            INTEGER,
    provider        TEXT,
    model           TEXT    NOT NULL,
    project         TEXT,
    session         TEXT,
    input           INTEGER NOT NULL DEFAULT 0,
    cache_read      INTEGER NOT NULL DEFAULT 0,
    cache_write     INTEGER NOT NULL DEFAULT 0,
    cache_write_1h  INTEGER NOT NULL DEFAULT 0,
    output          INTEGER NOT NULL DEFAULT 0,
    reasoning       INTEGER NOT NULL DEFAULT 0,
    service_tier    TEXT    NOT NULL DEFAULT 'standard',
    cost            TEXT,
    currency        TEXT,
    price_ref       TEXT,
    billed          TEXT,
    billed_currency TEXT,
    raw_usage       TEXT,
    tags            TEXT,
    status          INTEGER,
    latency_ms      INTEGER,
    ttfb_ms         INTEGER,
    key_fingerprint TEXT,
    incomplete      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX records_at ON records (at);
CREATE INDEX records_collided ON records (dedup_key) WHERE key_hash IS NULL;

CREATE TABLE file_progress (
    path      TEXT    PRIMARY KEY,
    offset    INTEGER NOT NULL,
    head_hash TEXT    NOT NULL,
    lines     INTEGER NOT NULL
);

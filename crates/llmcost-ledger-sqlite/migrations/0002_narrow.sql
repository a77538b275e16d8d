-- llmcost ledger, schema version 2: the v1 `records` table split in three.
--
-- `entries` holds what reports, budgets and repricing read (time, tokens,
-- cost), with repeated text (model, project, session, source...) stored once
-- in `strings` and referenced by id: a row is ~80 bytes instead of ~720, so
-- a report scans a tenth of the pages and an import writes a third of them.
-- `entry_details` holds the rest (dedup key, origin, raw usage, proxy fields)
-- under the same id. A view named `records` shows the v1 columns for ad-hoc
-- queries (`sqlite3 ledger.db 'SELECT model, sum(cost) FROM records ...'`).
CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    s  TEXT NOT NULL UNIQUE
);

INSERT OR IGNORE INTO strings (s)
    SELECT source FROM records
    UNION SELECT origin FROM records WHERE origin IS NOT NULL
    UNION SELECT provider FROM records WHERE provider IS NOT NULL
    UNION SELECT model FROM records
    UNION SELECT project FROM records WHERE project IS NOT NULL
    UNION SELECT session FROM records WHERE session IS NOT NULL
    UNION SELECT service_tier FROM records
    UNION SELECT currency FROM records WHERE currency IS NOT NULL
    UNION SELECT price_ref FROM records WHERE price_ref IS NOT NULL
    UNION SELECT billed_currency FROM records WHERE billed_currency IS NOT NULL;

CREATE TABLE entries (
    id             INTEGER PRIMARY KEY,
    -- xxh3-64 of the dedup key (signed). A different key with the same hash
    -- is stored with key_hash NULL and listed in `collided_keys`.
    key_hash       INTEGER UNIQUE,
    -- UTC nanoseconds since the Unix epoch.
    at             INTEGER NOT NULL,
    source         INTEGER NOT NULL REFERENCES strings (id),
    model          INTEGER NOT NULL REFERENCES strings (id),
    project        INTEGER REFERENCES strings (id),
    session        INTEGER REFERENCES strings (id),
    input          INTEGER NOT NULL DEFAULT 0,
    cache_read     INTEGER NOT NULL DEFAULT 0,
    cache_write    INTEGER NOT NULL DEFAULT 0,
    cache_write_1h INTEGER NOT NULL DEFAULT 0,
    output         INTEGER NOT NULL DEFAULT 0,
    reasoning      INTEGER NOT NULL DEFAULT 0,
    service_tier   INTEGER NOT NULL REFERENCES strings (id),
    -- Exact decimal text (NULL: not priced, never 0).
    cost           TEXT,
    currency       INTEGER REFERENCES strings (id),
    incomplete     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE entry_details (
    id              INTEGER PRIMARY KEY REFERENCES entries (id),
    dedup_key       TEXT NOT NULL,
    origin          INTEGER REFERENCES strings (id),
    line            INTEGER,
    provider        INTEGER REFERENCES strings (id),
    price_ref       INTEGER REFERENCES strings (id),
    billed          TEXT,
    billed_currency INTEGER REFERENCES strings (id),
    raw_usage       TEXT,
    tags            TEXT,
    status          INTEGER,
    latency_ms      INTEGER,
    ttfb_ms         INTEGER,
    key_fingerprint TEXT
);

-- Keys stored with key_hash NULL (their hash was taken by another key).
CREATE TABLE collided_keys (
    dedup_key TEXT PRIMARY KEY,
    id        INTEGER NOT NULL REFERENCES entries (id)
) WITHOUT ROWID;

INSERT INTO entries (id, key_hash, at, source, model, project, session, input, cache_read,
                     cache_write, cache_write_1h, output, reasoning, service_tier, cost,
                     currency, incomplete)
    SELECT r.id, r.key_hash, r.at,
           (SELECT id FROM strings WHERE s = r.source),
           (SELECT id FROM strings WHERE s = r.model),
           (SELECT id FROM strings WHERE s = r.project),
           (SELECT id FROM strings WHERE s = r.session),
           r.input, r.cache_read, r.cache_write, r.cache_write_1h, r.output, r.reasoning,
           (SELECT id FROM strings WHERE s = r.service_tier),
           r.cost,
           (SELECT id FROM strings WHERE s = r.currency),
           r.incomplete
    FROM records r ORDER BY r.id;

INSERT INTO entry_details (id, dedup_key, origin, line, provider, price_ref, billed,
                           billed_currency, raw_usage, tags, status, latency_ms, ttfb_ms,
                           key_fingerprint)
    SELECT r.id, r.dedup_key,
           (SELECT id FROM strings WHERE s = r.origin),
           r.line,
           (SELECT id FROM strings WHERE s = r.provider),
           (SELECT id FROM strings WHERE s = r.price_ref),
           r.billed,
           (SELECT id FROM strings WHERE s = r.billed_currency),
           r.raw_usage, r.tags, r.status, r.latency_ms, r.ttfb_ms, r.key_fingerprint
    FROM records r ORDER BY r.id;

INSERT INTO collided_keys (dedup_key, id)
    SELECT dedup_key, id FROM records WHERE key_hash IS NULL;

DROP TABLE records;

CREATE INDEX entries_at ON entries (at);

CREATE VIEW records AS
    SELECT e.id, e.key_hash, d.dedup_key, e.at,
           src.s AS source, org.s AS origin, d.line, prv.s AS provider, mdl.s AS model,
           prj.s AS project, ses.s AS session,
           e.input, e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning,
           tier.s AS service_tier, e.cost, cur.s AS currency, pref.s AS price_ref,
           d.billed, bcur.s AS billed_currency, d.raw_usage, d.tags, d.status,
           d.latency_ms, d.ttfb_ms, d.key_fingerprint, e.incomplete
    FROM entries e
    JOIN entry_details d ON d.id = e.id
    JOIN strings src ON src.id = e.source
    JOIN strings mdl ON mdl.id = e.model
    JOIN strings tier ON tier.id = e.service_tier
    LEFT JOIN strings prj ON prj.id = e.project
    LEFT JOIN strings ses ON ses.id = e.session
    LEFT JOIN strings cur ON cur.id = e.currency
    LEFT JOIN strings org ON org.id = d.origin
    LEFT JOIN strings prv ON prv.id = d.provider
    LEFT JOIN strings pref ON pref.id = d.price_ref
    LEFT JOIN strings bcur ON bcur.id = d.billed_currency;

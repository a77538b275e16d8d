//! Versioned schema migrations. Each migration runs once, in order, in one
//! transaction with the version it brings; a database already at a newer
//! version than this build knows is refused.

use llmcost_ledger::{LedgerError, Result};
use postgres::Client;

use crate::backend;

/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i64 = 5;

/// Advisory lock keys (`llmcost` in ASCII, plus a suffix).
const LOCK_MIGRATE: i64 = 0x6c6c_6d63_6f73_7401;
/// Serialises partition creation between writers.
pub(crate) const LOCK_PARTITIONS: i64 = 0x6c6c_6d63_6f73_7402;

/// Migrations, oldest first: `(version, SQL)`. Never edit a released one; add a new one.
/// Version 2 (devices and hourly rollups) is built by [`crate::rollup::migration`];
/// version 3 (fleet budgets) is [`BUDGETS`]; version 4 (leaner writes) is [`LEAN_WRITES`];
/// version 5 (compact records) is [`COMPACT`] and [`rehash_keys`].
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE record_keys (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dedup_key text NOT NULL UNIQUE,
        at timestamptz NOT NULL
    );
    CREATE SEQUENCE records_id_seq;
    CREATE TABLE records (
        id bigint NOT NULL DEFAULT nextval('records_id_seq'),
        at timestamptz NOT NULL,
        at_nanos smallint NOT NULL DEFAULT 0 CHECK (at_nanos BETWEEN 0 AND 999),
        dedup_key text NOT NULL,
        source text NOT NULL,
        origin text,
        line bigint,
        provider text,
        model text NOT NULL,
        project text,
        session text,
        input bigint NOT NULL DEFAULT 0,
        cache_read bigint NOT NULL DEFAULT 0,
        cache_write bigint NOT NULL DEFAULT 0,
        cache_write_1h bigint NOT NULL DEFAULT 0,
        output bigint NOT NULL DEFAULT 0,
        reasoning bigint NOT NULL DEFAULT 0,
        input_audio bigint NOT NULL DEFAULT 0,
        cache_read_audio bigint NOT NULL DEFAULT 0,
        output_audio bigint NOT NULL DEFAULT 0,
        input_image bigint NOT NULL DEFAULT 0,
        output_image bigint NOT NULL DEFAULT 0,
        service_tier text NOT NULL DEFAULT 'standard',
        cost numeric,
        currency text,
        price_ref text,
        billed numeric,
        billed_currency text,
        raw_usage text,
        tags text[] NOT NULL DEFAULT '{}',
        status integer,
        latency_ms bigint,
        ttfb_ms bigint,
        key_fingerprint text,
        incomplete boolean NOT NULL DEFAULT false,
        PRIMARY KEY (at, id)
    ) PARTITION BY RANGE (at);
    CREATE INDEX records_dedup_key ON records (dedup_key);
    CREATE INDEX records_model_at ON records (model, at);
    CREATE TABLE file_progress (
        path text PRIMARY KEY,
        byte_offset bigint NOT NULL,
        head_hash text NOT NULL,
        lines bigint NOT NULL
    );",
)];

/// Version 3, fleet budgets: the stored spend per account and period, kept in the
/// records' insert transaction, and each proxy's holds (reservations of calls in
/// flight, spend not stored yet), alive while `seen` is fresh.
const BUDGETS: &str = "CREATE TABLE budget_spend (
        account text NOT NULL,
        period_start timestamptz NOT NULL,
        spent numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (account, period_start)
    );
    CREATE TABLE budget_holds (
        account text NOT NULL,
        period_start timestamptz NOT NULL,
        proxy text NOT NULL,
        reserved numeric NOT NULL DEFAULT 0,
        pending numeric NOT NULL DEFAULT 0,
        calls bigint NOT NULL DEFAULT 0,
        seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, period_start, proxy)
    );
    CREATE FUNCTION llmcost_budget_admit(p_proxy text, p_accounts text[], p_starts timestamptz[],
            p_limits numeric[], p_ests numeric[], p_stale double precision)
        RETURNS TABLE (refused boolean, spent numeric, pending numeric, reserved numeric, calls bigint)
        LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    DECLARE
        n int := coalesce(array_length(p_accounts, 1), 0);
        any_refused boolean := false;
    BEGIN
        -- Admissions of an account serialise across the fleet (the caller sorts the accounts).
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_xact_lock(hashtextextended(p_accounts[i] || '@' || p_starts[i]::text, 7));
        END LOOP;
        FOR i IN 1..n LOOP
            SELECT coalesce((SELECT b.spent FROM budget_spend b
                              WHERE b.account = p_accounts[i] AND b.period_start = p_starts[i]), 0),
                   coalesce(sum(h.pending), 0), coalesce(sum(h.reserved), 0), coalesce(sum(h.calls), 0)::bigint
              INTO spent, pending, reserved, calls
              FROM budget_holds h
             WHERE h.account = p_accounts[i] AND h.period_start = p_starts[i]
               AND h.seen > clock_timestamp() - make_interval(secs => p_stale);
            refused := spent + pending >= p_limits[i]
                OR (calls > 0 AND spent + pending + reserved + p_ests[i] > p_limits[i]);
            any_refused := any_refused OR refused;
            RETURN NEXT;
        END LOOP;
        IF NOT any_refused THEN
            FOR i IN 1..n LOOP
                INSERT INTO budget_holds AS h (account, period_start, proxy, reserved, calls, seen)
                VALUES (p_accounts[i], p_starts[i], p_proxy, p_ests[i], 1, clock_timestamp())
                ON CONFLICT (account, period_start, proxy) DO UPDATE
                   SET reserved = h.reserved + excluded.reserved, calls = h.calls + 1, seen = excluded.seen;
            END LOOP;
        END IF;
    END
    $fn$;";

/// Version 4, leaner writes: records are found by key through `record_keys`
/// (its `at` and the month partition), so `records` keeps no index of keys
/// and `record_keys` no surrogate id; reports by model read `rollups_model`,
/// so `records` keeps no index by model either; record ids come in blocks of 2^20 from
/// `llmcost_record_batches`, starting above every id given before. It also
/// brings `rollups_model` ([`crate::rollup::model_migration`]).
const LEAN_WRITES: &str = "DROP INDEX IF EXISTS records_dedup_key;
    DROP INDEX IF EXISTS records_model_at;
    ALTER TABLE record_keys DROP COLUMN id;
    CREATE SEQUENCE llmcost_record_batches;
    SELECT setval('llmcost_record_batches',
        (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM records_id_seq) / 1048576 + 1);";

/// Version 5, compact records ([`crate::compact`]): `record_keys` holds the
/// 16-byte hash of each key instead of the key (rebuilt by [`rehash_keys`]),
/// and new records reference their origin and price reference in `strings`
/// (`origin_id`, `price_ref_id`) instead of repeating the text, and store a
/// zero token count or no tags as NULL (nothing) instead of 8 and 13 bytes;
/// records stored before keep their text, zeros and empty arrays, and reads
/// take either. `{buckets}` is where the token columns drop `NOT NULL`.
const COMPACT: &str = "CREATE TABLE strings (
        string_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        value text NOT NULL UNIQUE
    );
    ALTER TABLE records ADD COLUMN origin_id integer, ADD COLUMN price_ref_id integer,
        ALTER COLUMN tags DROP NOT NULL, {buckets};
    ALTER TABLE record_keys RENAME TO record_keys_v4;
    CREATE TABLE record_keys (key_hash uuid NOT NULL, at timestamptz NOT NULL);";

/// Keys read and hashed per round of [`rehash_keys`].
const REHASH_BATCH: i64 = 100_000;

/// Version 5's second step: fills `record_keys` with the hash of every key of
/// `record_keys_v4`, then makes it unique and drops the old table.
fn rehash_keys(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    use postgres::types::Type;

    use crate::compact::KeyHash;
    tx.batch_execute(
        "DECLARE llmcost_keys NO SCROLL CURSOR FOR SELECT dedup_key, at FROM record_keys_v4",
    )
    .map_err(backend)?;
    loop {
        let rows = tx
            .query(&format!("FETCH {REHASH_BATCH} FROM llmcost_keys"), &[])
            .map_err(backend)?;
        if rows.is_empty() {
            break;
        }
        let mut hashes = Vec::with_capacity(rows.len());
        let mut ats = Vec::with_capacity(rows.len());
        for row in &rows {
            let key: &str = row.try_get(0).map_err(backend)?;
            hashes.push(KeyHash::of(key));
            ats.push(
                row.try_get::<_, std::time::SystemTime>(1)
                    .map_err(backend)?,
            );
        }
        tx.execute_typed(
            "INSERT INTO record_keys (key_hash, at) SELECT * FROM unnest($1, $2)",
            &[(&hashes, Type::UUID_ARRAY), (&ats, Type::TIMESTAMPTZ_ARRAY)],
        )
        .map_err(backend)?;
    }
    tx.batch_execute(
        "CLOSE llmcost_keys;
         ALTER TABLE record_keys ADD PRIMARY KEY (key_hash);
         DROP TABLE record_keys_v4;",
    )
    .map_err(backend)
}

/// Per-connection setup after migrating.
pub(crate) const SESSION_SQL: &str = "SET TIME ZONE 'UTC'";

/// A writing transaction's setup: memory for its sorts, and the savepoint a
/// failed plain claim of keys rolls back to (`write::claim`).
pub(crate) const WRITE_SQL: &str = "SET LOCAL work_mem = '64MB'; SAVEPOINT llmcost_claim";

/// Brings the schema to [`SCHEMA_VERSION`], or refuses a newer one.
pub(crate) fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction().map_err(backend)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATE])
        .map_err(backend)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version bigint PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(backend)?;
    let found: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    if found > SCHEMA_VERSION {
        return Err(LedgerError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let rollups = crate::rollup::migration();
    let lean = format!("{LEAN_WRITES}\n    {}", crate::rollup::model_migration());
    let nullable: Vec<String> = crate::BUCKET_COLS
        .iter()
        .map(|c| format!("ALTER COLUMN {c} DROP NOT NULL"))
        .collect();
    let compact = COMPACT.replace("{buckets}", &nullable.join(", "));
    let steps = MIGRATIONS
        .iter()
        .map(|(v, sql)| (v, *sql))
        .chain(std::iter::once((&2, rollups.as_str())))
        .chain(std::iter::once((&3, BUDGETS)))
        .chain(std::iter::once((&4, lean.as_str())))
        .chain(std::iter::once((&5, compact.as_str())));
    if found < 2 {
        check_server_version(&mut tx)?;
    }
    for (version, sql) in steps.filter(|(v, _)| **v > found) {
        tx.batch_execute(sql).map_err(backend)?;
        if *version == 5 {
            rehash_keys(&mut tx)?;
        }
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

/// Rollups need `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15).
fn check_server_version(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let v: String = tx
        .query_one("SHOW server_version_num", &[])
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    match v.trim().parse::<u32>() {
        Ok(n) if n < 150_000 => Err(LedgerError::Conflict(format!(
            "the PostgreSQL ledger needs PostgreSQL 15 or newer (this server is version {n}); upgrade the server"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        let mut versions: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        versions.extend([2, 3, 4, 5]);
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }
}

//! Versioned schema migrations. Each migration runs once, in order, in one
//! transaction with the version it brings; a database already at a newer
//! version than this build knows is refused.

use llmcost_ledger::{LedgerError, Result};
use postgres::Client;

use crate::backend;

/// The newest schema version this build writes.
pub const SCHEMA_VERSION: i64 = 2;

/// Advisory lock keys (`llmcost` in ASCII, plus a suffix).
const LOCK_MIGRATE: i64 = 0x6c6c_6d63_6f73_7401;
/// Serialises partition creation between writers.
pub(crate) const LOCK_PARTITIONS: i64 = 0x6c6c_6d63_6f73_7402;

/// Migrations, oldest first: `(version, SQL)`. Never edit a released one; add a new one.
/// Version 2 (devices and hourly rollups) is built by [`crate::rollup::migration`].
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

/// Per-connection setup after migrating: UTC, and the staging table COPY fills.
pub(crate) const SESSION_SQL: &str = "SET TIME ZONE 'UTC';
    CREATE TEMP TABLE IF NOT EXISTS llmcost_stage (
        ord bigint NOT NULL,
        at timestamptz NOT NULL,
        at_nanos smallint NOT NULL,
        dedup_key text NOT NULL,
        source text NOT NULL,
        origin text,
        line bigint,
        provider text,
        model text NOT NULL,
        project text,
        session text,
        input bigint NOT NULL,
        cache_read bigint NOT NULL,
        cache_write bigint NOT NULL,
        cache_write_1h bigint NOT NULL,
        output bigint NOT NULL,
        reasoning bigint NOT NULL,
        input_audio bigint NOT NULL,
        cache_read_audio bigint NOT NULL,
        output_audio bigint NOT NULL,
        input_image bigint NOT NULL,
        output_image bigint NOT NULL,
        service_tier text NOT NULL,
        cost numeric,
        currency text,
        price_ref text,
        billed numeric,
        billed_currency text,
        raw_usage text,
        tags text[] NOT NULL,
        status integer,
        latency_ms bigint,
        ttfb_ms bigint,
        key_fingerprint text,
        incomplete boolean NOT NULL,
        device text
    ) ON COMMIT DELETE ROWS;";

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
    let steps = MIGRATIONS
        .iter()
        .map(|(v, sql)| (v, *sql))
        .chain(std::iter::once((&2, rollups.as_str())));
    if found < 2 {
        check_server_version(&mut tx)?;
    }
    for (version, sql) in steps.filter(|(v, _)| **v > found) {
        tx.batch_execute(sql).map_err(backend)?;
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
        versions.push(2);
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }
}

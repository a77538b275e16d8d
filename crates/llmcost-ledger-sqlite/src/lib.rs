//! The SQLite backend of the llmcost usage ledger.
//!
//! [`SqliteLedger`] implements [`llmcost_ledger::Ledger`] over one SQLite file
//! (or an in-memory database). The schema is created and upgraded by embedded
//! migrations tracked in `PRAGMA user_version`; the file is opened in WAL mode
//! with a busy timeout, so another process (a second import, the metering
//! proxy, a report) can use the same file at the same time. Writes run in
//! `BEGIN IMMEDIATE` transactions and inserts are `INSERT OR IGNORE` on the
//! unique `dedup_key`, so two concurrent imports of one file never duplicate.
//!
//! Money is stored as exact decimal TEXT and read back with `rust_decimal`;
//! a value that does not parse is reported as [`LedgerError::Corrupt`], never
//! read as zero. Instants are stored as UTC nanoseconds since the Unix epoch.
//!
//! This crate must not price, parse logs or print: it stores and returns
//! [`UsageRecord`]s as they are given.
#![deny(missing_docs)]

use std::path::PathBuf;

use llmcost_core::{Currency, Timestamp};
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, LeanRecord, Ledger, LedgerError, Result,
    UsageRecord,
};
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;

mod admin;
mod caps;
mod conn;
mod details;
mod filter;
mod read;
mod rekey;
mod rollup;
mod schema;
mod strings;
mod write;

pub use caps::CHECKPOINT_INTERVAL;
pub use conn::AUTO_CHECKPOINT_PAGES;
pub use llmcost_ledger::identity::key_hashes;
pub use rekey::write_v2_ledger;
pub use schema::SCHEMA_VERSION;

use write::int;

/// The default ledger file: `<data dir>/llmcost/ledger.db` (for example
/// `~/.local/share/llmcost/ledger.db` on Linux), or `None` when the platform
/// has no data directory.
#[must_use]
pub fn default_ledger_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("llmcost").join("ledger.db"))
}

/// A usage ledger in one SQLite database.
///
/// One value is one connection: it is `Send` but not `Sync`. Threads or
/// processes that write at the same time each open their own
/// ([`SqliteLedger::open`] or [`SqliteLedger::reopen`]); SQLite serialises
/// their transactions.
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    path: Option<PathBuf>,
    /// Ids of strings this connection has interned (committed rows of the
    /// append-only `strings` table, so they stay valid).
    interned: FxHashMap<String, i64>,
    /// Rows between two `yield_now` calls in a write (0: never).
    yield_every: usize,
    /// Opened with [`SqliteLedger::open_read_only`]: never writes.
    read_only: bool,
}

/// The oldest schema a read-only connection reads without migrating (schema
/// 4 changed keys, not tables; schema 3 added the modality columns).
pub const MIN_READ_VERSION: i64 = 3;

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> LedgerError {
    LedgerError::Backend(Box::new(e))
}

fn sql(e: rusqlite::Error) -> LedgerError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => LedgerError::NotFound,
        e => backend(e),
    }
}

fn corrupt(row: i64, message: impl Into<String>) -> LedgerError {
    LedgerError::Corrupt {
        row,
        message: message.into(),
    }
}

impl Ledger for SqliteLedger {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<InsertSummary> {
        self.write(|tx, strings, y| Self::insert_in(tx, strings, records, y))
    }

    fn set_yield_every(&mut self, rows: usize) {
        self.yield_every = rows;
    }

    fn insert_with_progress(
        &mut self,
        records: &[UsageRecord],
        progress: &FileProgress,
    ) -> Result<InsertSummary> {
        self.insert_with_progresses(records, std::slice::from_ref(progress))
    }

    fn insert_with_progresses(
        &mut self,
        records: &[UsageRecord],
        progress: &[FileProgress],
    ) -> Result<InsertSummary> {
        self.write(|tx, strings, y| {
            let summary = Self::insert_in(tx, strings, records, y)?;
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO file_progress (path, offset, head_hash, lines) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, \
                     head_hash = excluded.head_hash, lines = excluded.lines",
                )
                .map_err(sql)?;
            for p in progress {
                stmt.execute(params![p.path, int(p.offset)?, p.head_hash, int(p.lines)?])
                    .map_err(sql)?;
            }
            Ok(summary)
        })
    }

    fn file_progress(&self, path: &str) -> Result<Option<FileProgress>> {
        let row = self
            .conn
            .prepare_cached("SELECT offset, head_hash, lines FROM file_progress WHERE path = ?1")
            .and_then(|mut s| {
                s.query_row([path], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .optional()
            })
            .map_err(sql)?;
        row.map(|(offset, head_hash, lines)| {
            let bad = |what: &str, v: i64| {
                corrupt(0, format!("file progress of {path}: negative {what} {v}"))
            };
            Ok(FileProgress {
                path: path.to_string(),
                offset: u64::try_from(offset).map_err(|_| bad("offset", offset))?,
                head_hash,
                lines: u64::try_from(lines).map_err(|_| bad("line count", lines))?,
            })
        })
        .transpose()
    }

    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        self.select_from(filter, " ORDER BY e.at, e.id", f)
    }

    fn for_each_unordered(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        self.select_from(filter, "", f)
    }

    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_lean_in(filter, None, f)
    }

    fn lean_parts(
        &self,
        parts: usize,
        min_records: u64,
    ) -> Result<Vec<Box<dyn llmcost_ledger::LeanPart>>> {
        caps::lean_parts(self, parts, min_records)
    }

    fn reader(&self) -> Result<Box<dyn Ledger>> {
        caps::reader(self)
    }

    fn bulk_load(&mut self) -> Result<llmcost_ledger::BulkLoad> {
        caps::bulk_load(self, CHECKPOINT_INTERVAL)
    }

    fn update_costs(&mut self, costs: &[CostUpdate]) -> Result<u64> {
        self.write(|tx, strings, _| {
            let mut updated = 0;
            let mut hours = rustc_hash::FxHashSet::default();
            let mut entry = tx
                .prepare_cached(
                    "UPDATE entries SET cost = ?2, currency = ?3, price_ref = ?4 WHERE id = ?1 \
                     RETURNING at",
                )
                .map_err(sql)?;
            for (key, cost, currency, price_ref) in costs {
                let (hash, check) = key_hashes(key);
                let Some(id) = Self::stored_id(tx, hash, check)? else {
                    continue;
                };
                let currency = strings.opt(tx, currency.as_ref().map(Currency::as_str))?;
                let price_ref = strings.opt(tx, price_ref.as_deref())?;
                let at: i64 = entry
                    .query_row(
                        params![id, cost.map(|d| d.to_string()), currency, price_ref],
                        |r| r.get(0),
                    )
                    .map_err(sql)?;
                hours.insert(rollup::hour(at));
                updated += 1;
            }
            drop(entry);
            // The rollups of the hours whose records changed, from the records.
            rollup::rebuild(tx, Some(&hours))?;
            Ok(updated)
        })
    }

    fn rollup(
        &self,
        q: &llmcost_ledger::RollupQuery,
    ) -> Result<Option<Vec<llmcost_ledger::RollupRow>>> {
        // A schema-3 or -4 ledger read as it is has no rollups yet; schema 5
        // has no `rollups_model`.
        let version = self.schema_version()?;
        if version < 5 {
            return Ok(None);
        }
        rollup::query(&self.conn, q, version >= 6)
    }

    fn count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
            .map_err(sql)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn for_each_after(
        &self,
        after: i64,
        f: &mut dyn FnMut(i64, UsageRecord) -> Result<()>,
    ) -> Result<bool> {
        self.select_after(after, f)?;
        Ok(true)
    }

    fn prune(
        &mut self,
        before: Timestamp,
        apply: bool,
    ) -> Result<Option<llmcost_ledger::PruneSummary>> {
        self.prune_before(before, apply).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_ends_in_llmcost_ledger_db() {
        if let Some(p) = default_ledger_path() {
            assert!(p.ends_with("llmcost/ledger.db"), "{}", p.display());
        }
    }
}

/// Helpers shared by the tests of the modules.
#[cfg(test)]
mod testutil {
    use llmcost_core::Timestamp;

    pub(crate) fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }
}

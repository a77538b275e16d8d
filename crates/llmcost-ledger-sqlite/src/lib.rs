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

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use llmcost_core::{Bucket, Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, LeanRecord, Ledger, LedgerError, Result,
    UsageRecord,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use rustc_hash::FxHashMap;

mod details;
mod rekey;
use details::{BlockWriter, Details};
pub use rekey::write_v2_ledger;

/// Migrations, in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_narrow.sql"),
    include_str!("../migrations/0003_modal_buckets.sql"),
    include_str!("../migrations/0004_identity.sql"),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Page size of new ledger files.
const PAGE_SIZE: u32 = 16_384;

/// Pages (16 KiB in new files) of write-ahead log after which a connection
/// checkpoints.
pub const AUTO_CHECKPOINT_PAGES: u32 = 8_192;

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Interned strings kept per connection before the cache is emptied.
const INTERN_CACHE_MAX: usize = 100_000;

/// Columns read back by [`Ledger::for_each`], in [`read_record`] order.
const COLUMNS: &str = "e.id, e.at, e.source, e.model, e.project, e.session, e.input, \
     e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning, e.service_tier, \
     e.cost, e.currency, e.price_ref, e.tags, e.key_fingerprint, e.incomplete, e.detail, \
     e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image";

/// Columns read back by [`Ledger::for_each_lean`], in [`read_lean`] order.
const LEAN_COLUMNS: &str = "e.id, e.at, e.source, e.model, e.project, e.session, e.input, \
     e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning, e.service_tier, \
     e.cost, e.currency, \
     e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image";

const INSERT_ENTRY_SQL: &str = "INSERT OR IGNORE INTO entries (key_hash, key_check, at, source, \
     model, project, session, input, cache_read, cache_write, cache_write_1h, output, reasoning, \
     service_tier, cost, currency, price_ref, tags, key_fingerprint, incomplete, detail, \
     input_audio, cache_read_audio, output_audio, input_image, output_image) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";

/// Columns of one entry in [`INSERT_ENTRY_SQL`].
const ENTRY_PARAMS: usize = 26;

/// Rows per multi-row insert: one statement keeps its cursors open and
/// positioned from row to row (appends need no seek from the root), and
/// opens and frees them once instead of once a row.
const INSERT_GROUP: usize = 32;

/// `INSERT_ENTRY_SQL` with [`INSERT_GROUP`] rows of values.
fn insert_group_sql() -> String {
    let head = &INSERT_ENTRY_SQL[..INSERT_ENTRY_SQL.find("VALUES").unwrap_or(0)];
    let mut sql = String::with_capacity(head.len() + INSERT_GROUP * ENTRY_PARAMS * 6);
    sql.push_str(head);
    sql.push_str("VALUES ");
    for row in 0..INSERT_GROUP {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for col in 0..ENTRY_PARAMS {
            if col > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

/// Records a full read holds before fetching their details.
const READ_WINDOW: usize = 16_384;

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

/// A `file:` URI opening `path` as immutable (percent-encoding what a URI
/// path cannot hold).
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Whether `e` is another connection's lock (worth waiting for and retrying).
fn is_busy(e: &LedgerError) -> bool {
    match e {
        LedgerError::Backend(b) => b.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        }),
        LedgerError::Conflict(m) => m.starts_with(WAL_REFUSED),
        _ => false,
    }
}

const WAL_REFUSED: &str = "the ledger could not switch to WAL mode";

fn io_error(path: &Path, e: std::io::Error) -> LedgerError {
    backend(std::io::Error::new(
        e.kind(),
        format!("cannot create the ledger directory {}: {e}", path.display()),
    ))
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger file at `path`, creating its
    /// parent directories, and brings its schema up to date.
    ///
    /// # Errors
    /// The directory or file cannot be created or opened, it is not an SQLite
    /// database, or its schema is newer than this build
    /// ([`LedgerError::SchemaTooNew`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        // Switching a new file to WAL and creating its schema take locks that
        // SQLite's busy handler does not always wait for (a second process
        // opening the same fresh file gets SQLITE_BUSY at once), so the whole
        // open is retried with a short backoff up to the busy timeout.
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match Self::open_once(path) {
                Ok(ledger) => return Ok(ledger),
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn open_once(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let mut ledger = SqliteLedger {
            conn,
            path: Some(path.to_path_buf()),
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: false,
        };
        // Only takes effect on a new, empty file (an existing ledger keeps its
        // page size). 16 KiB pages: a quarter of the write-ahead-log frames of
        // 4 KiB ones for the same rows, and shallower B-trees (measured ~20%
        // faster imports, `examples/insert_speed.rs`).
        ledger
            .conn
            .execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))
            .map_err(sql)?;
        ledger.configure(true)?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing ledger file for reading only: nothing is created or
    /// written (no file, no folder, no migration, no journal mode change),
    /// so it works on a read-only folder or file. A ledger of an older schema
    /// that reads the same ([`MIN_READ_VERSION`]) is read as it is.
    ///
    /// # Errors
    /// The file does not exist or cannot be opened, is not an llmcost ledger,
    /// needs a migration first (`schema version N is older...`), or is newer
    /// than this build ([`LedgerError::SchemaTooNew`]).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(LedgerError::NotFound);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match Connection::open_with_flags(path, flags).and_then(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .map(|_| c)
        }) {
            Ok(c) => c,
            // A WAL file in a folder where the shared-memory file cannot be
            // created: no one can be writing it, so read it as immutable.
            Err(_) => {
                Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(sql)?
            }
        };
        let ledger = SqliteLedger {
            conn,
            path: Some(path.to_path_buf()),
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: true,
        };
        ledger.conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        ledger
            .conn
            .execute_batch(
                "PRAGMA cache_size = -131072; PRAGMA mmap_size = 4294967296; \
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(sql)?;
        let found = ledger.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == 0 {
            return Err(LedgerError::Conflict(
                "this is not an llmcost ledger (no schema version)".into(),
            ));
        }
        if found < MIN_READ_VERSION {
            return Err(LedgerError::Conflict(format!(
                "the ledger has schema version {found}, older than this llmcost reads without upgrading it; run `llmcost import` once to upgrade it"
            )));
        }
        Ok(ledger)
    }

    /// Whether this connection was opened read-only.
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A fresh ledger in memory (tests, `report` straight from paths).
    ///
    /// # Errors
    /// SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(sql)?;
        let mut ledger = SqliteLedger {
            conn,
            path: None,
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: false,
        };
        ledger.configure(false)?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Another connection to the same file, for another thread. An in-memory
    /// ledger cannot be shared and gets [`LedgerError::Conflict`].
    ///
    /// # Errors
    /// As [`SqliteLedger::open`].
    pub fn reopen(&self) -> Result<Self> {
        match &self.path {
            Some(p) if self.read_only => SqliteLedger::open_read_only(p),
            Some(p) => SqliteLedger::open(p),
            None => Err(LedgerError::Conflict(
                "an in-memory ledger cannot be opened twice".into(),
            )),
        }
    }

    /// The file this ledger is stored in (`None` in memory).
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying connection, for backend-specific queries (aggregates in
    /// reports, tests). Do not change the schema through it.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Copies what it can of the write-ahead log into the database without
    /// waiting for anyone (`PRAGMA wal_checkpoint(PASSIVE)`). A bulk writer
    /// can turn its automatic checkpoints off ([`SqliteLedger::set_auto_checkpoint`])
    /// and let another connection call this from another thread, so the
    /// copying runs beside the inserts instead of between them.
    ///
    /// # Errors
    /// Backend failures.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(sql)
    }

    /// Sets after how many log pages this connection checkpoints by itself
    /// (0: never; the default is [`AUTO_CHECKPOINT_PAGES`]).
    ///
    /// # Errors
    /// Backend failures.
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(sql)
    }

    /// The schema version stored in the file.
    ///
    /// # Errors
    /// Backend failures.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)
    }

    fn configure(&mut self, file: bool) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        if file {
            // WAL lets readers (reports, the dashboard) run while one writer
            // imports; NORMAL sync is durable across application crashes.
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(sql)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(LedgerError::Conflict(format!(
                    "{WAL_REFUSED} (journal mode is `{mode}`)"
                )));
            }
        }
        self.conn
            .execute_batch(
                // 128 MiB page cache (used only as needed), reads through a
                // memory map, and a write-ahead log checkpointed every 128 MiB
                // (AUTO_CHECKPOINT_PAGES): fewer checkpoints copy each hot
                // index page fewer times.
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA cache_size = -131072; PRAGMA mmap_size = 4294967296; \
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(sql)?;
        self.set_auto_checkpoint(AUTO_CHECKPOINT_PAGES)
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        // Another process may have migrated while this one waited for the lock.
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        for (i, m) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            tx.execute_batch(m).map_err(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(sql)?;
        }
        // v1 rows are copied once every table has its newest columns (the
        // copy inserts as the current code does).
        if found <= 1 {
            copy_v1(&tx, &mut Interner::new(&mut self.interned))?;
        }
        // Schema 4: JSON Lines and CSV records (copied v1 rows too) get their identity keys.
        if found <= 3 {
            rekey::rekey_v2(&tx)?;
        }
        let done = tx.commit().map_err(sql);
        // Ids interned in a migration that failed may have been rolled back.
        if done.is_err() {
            self.interned.clear();
        }
        done
    }

    /// Runs `SELECT COLUMNS FROM entries<WHERE><order>` and calls `f` per
    /// row in that order, with its details. Rows are taken a window at a
    /// time and each details block the window needs is decoded once, so a
    /// read in time order (whose rows come from blocks all over the file)
    /// costs at most one decode per block and window.
    fn select_from(
        &self,
        filter: &Filter,
        order: &str,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let dict = Dict::load(&self.conn)?;
        let (clause, params) = where_clause(filter)?;
        let query = format!("SELECT {COLUMNS} FROM entries AS e{clause}{order}");
        let mut stmt = self.conn.prepare(&query).map_err(sql)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(sql)?;
        let mut window: Vec<(i64, i64, UsageRecord)> = Vec::with_capacity(READ_WINDOW);
        while let Some(row) = rows.next().map_err(sql)? {
            window.push(read_record(row, &dict)?);
            if window.len() == READ_WINDOW {
                self.with_details(&mut window, f)?;
            }
        }
        self.with_details(&mut window, f)
    }

    /// Fills in the details of a window of records (row id, detail
    /// reference, record) and hands them to `f` in order; empties `window`.
    fn with_details(
        &self,
        window: &mut Vec<(i64, i64, UsageRecord)>,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let mut ids: Vec<i64> = window
            .iter()
            .map(|(_, d, _)| d >> details::INDEX_BITS)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut blocks: FxHashMap<i64, Vec<Details>> = FxHashMap::default();
        let mut load = self
            .conn
            .prepare_cached("SELECT data FROM detail_blocks WHERE id = ?1")
            .map_err(sql)?;
        for block in ids {
            let data: Option<Vec<u8>> = load
                .query_row([block], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            if let Some(data) = data {
                let decoded = details::decode(&data).map_err(|e| {
                    corrupt(
                        window.first().map_or(0, |w| w.0),
                        format!("details block {block}: {e}"),
                    )
                })?;
                blocks.insert(block, decoded);
            }
        }
        for (row, detail, mut r) in window.drain(..) {
            let block = detail >> details::INDEX_BITS;
            let index = usize::try_from(detail & ((1 << details::INDEX_BITS) - 1))
                .map_err(|_| corrupt(row, "bad detail reference"))?;
            let d = blocks
                .get_mut(&block)
                .ok_or_else(|| corrupt(row, format!("details block {block} is missing")))?
                .get_mut(index)
                .ok_or_else(|| {
                    corrupt(row, format!("details block {block} has no record {index}"))
                })?;
            r.dedup_key = std::mem::take(&mut d.dedup_key);
            r.origin = d.origin.take();
            r.line = d.line;
            r.provider = d.provider.take();
            r.billed = d.billed;
            r.billed_currency = d.billed_currency;
            r.raw_usage = d.raw_usage.take();
            r.status = d.status;
            r.latency_ms = d.latency_ms;
            r.ttfb_ms = d.ttfb_ms;
            f(r)?;
        }
        Ok(())
    }

    /// Splits the stored rows into at most `n` ranges of row ids of about
    /// equal size (`[from, to)`), to read them on several threads, each with
    /// its own connection ([`SqliteLedger::reopen`]) and
    /// [`SqliteLedger::for_each_lean_in`]. Empty when nothing is stored.
    ///
    /// # Errors
    /// Backend failures.
    pub fn id_ranges(&self, n: usize) -> Result<Vec<(i64, i64)>> {
        let (lo, hi): (Option<i64>, Option<i64>) = self
            .conn
            // Two subqueries: each is one B-tree descent, `min(id), max(id)`
            // together would scan the table.
            .query_row(
                "SELECT (SELECT min(id) FROM entries), (SELECT max(id) FROM entries)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql)?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let n = i64::try_from(n.max(1)).unwrap_or(1);
        let span = hi - lo + 1;
        let step = (span + n - 1) / n;
        Ok((0..n)
            .map(|i| (lo + i * step, (lo + (i + 1) * step).min(hi + 1)))
            .filter(|(a, b)| a < b)
            .collect())
    }

    /// [`Ledger::for_each_lean`] over the rows whose id is in `ids`
    /// (`[from, to)`; `None`: all), in storage order.
    ///
    /// # Errors
    /// As [`Ledger::for_each_lean`].
    pub fn for_each_lean_in(
        &self,
        filter: &Filter,
        ids: Option<(i64, i64)>,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        let dict = Dict::load(&self.conn)?;
        let (mut clause, mut params) = where_clause(filter)?;
        if let Some((from, to)) = ids {
            clause.push_str(if clause.is_empty() {
                " WHERE "
            } else {
                " AND "
            });
            clause.push_str("e.id >= ? AND e.id < ?");
            params.push(Value::Integer(from));
            params.push(Value::Integer(to));
        }
        let query = format!("SELECT {LEAN_COLUMNS} FROM entries AS e{clause}");
        let mut stmt = self.conn.prepare(&query).map_err(sql)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            f(read_lean(row, &dict)?)?;
        }
        Ok(())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committing when it
    /// succeeds. On failure nothing is stored, and the interned ids of this
    /// connection are forgotten (some may have been rolled back).
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &mut Interner, usize) -> Result<T>,
    ) -> Result<T> {
        if self.interned.len() > INTERN_CACHE_MAX {
            self.interned.clear();
        }
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let out = f(
                &tx,
                &mut Interner::new(&mut self.interned),
                self.yield_every,
            )?;
            tx.commit().map_err(sql)?;
            Ok(out)
        })();
        if result.is_err() {
            self.interned.clear();
        }
        result
    }

    fn insert_in(
        tx: &rusqlite::Transaction<'_>,
        strings: &mut Interner,
        records: &[UsageRecord],
        yield_every: usize,
    ) -> Result<InsertSummary> {
        // The details go to blocks in the records' own order (neighbours share
        // their origin and session, which LZ4 finds again), so a record's block
        // and place in it follow from its index. A large insert encodes and
        // compresses them on a helper thread while this one inserts the entries
        // (measured: a fifth of the writer's time moved off it).
        std::thread::scope(|s| {
            let helper =
                (records.len() >= PARALLEL_DETAILS_MIN).then(|| s.spawn(|| encode_blocks(records)));
            Self::insert_entries(tx, strings, records, yield_every, helper)
        })
    }

    fn insert_entries(
        tx: &rusqlite::Transaction<'_>,
        strings: &mut Interner,
        records: &[UsageRecord],
        yield_every: usize,
        helper: Option<std::thread::ScopedJoinHandle<'_, Vec<Vec<u8>>>>,
    ) -> Result<InsertSummary> {
        // This transaction holds the write lock: no one else takes block ids.
        let first_block: i64 = tx
            .query_row(
                "SELECT coalesce(max(id), 0) + 1 FROM detail_blocks",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        // Text ids first, in the records' own order: neighbours mostly share
        // their source, model, project and session, so each field is checked
        // against the one before it before the map (`Interner::field`).
        // Kept per thread from insert to insert: a fresh one (tens of MB for a
        // large insert) would cost a page fault and a zeroed page every 4 KB.
        let mut prepared = PREPARED.with(|p| std::mem::take(&mut *p.borrow_mut()));
        prepared.clear();
        prepared.reserve(records.len());
        for (i, r) in records.iter().enumerate() {
            let (hash, check) = key_hashes(&r.dedup_key);
            let tags = if r.tags.is_empty() {
                None
            } else {
                Some(strings.id(tx, &serde_json::to_string(&r.tags).map_err(backend)?)?)
            };
            prepared.push(Prepared {
                hash,
                check,
                index: i,
                text: [
                    Some(strings.field(tx, 0, &r.source)?),
                    Some(strings.field(tx, 1, &r.model)?),
                    strings.opt_field(tx, 2, r.project.as_deref())?,
                    strings.opt_field(tx, 3, r.session.as_deref())?,
                    Some(strings.field(tx, 4, r.service_tier.key())?),
                    strings.opt_field(tx, 5, r.currency.as_ref().map(Currency::as_str))?,
                    strings.opt_field(tx, 6, r.price_ref.as_deref())?,
                    tags,
                    strings.opt_field(tx, 7, r.key_fingerprint.as_deref())?,
                ],
            });
        }
        // Then rows in the order of their key hashes: the unique index is
        // updated from one end to the other instead of at random (measured
        // ~17% faster for 1M records). Storage order does not matter to reads.
        prepared.sort_unstable_by_key(|p| (p.hash, p.check, p.index));
        let mut rows = Rows {
            tx,
            records,
            first_block,
            single: tx.prepare_cached(INSERT_ENTRY_SQL).map_err(sql)?,
            group: tx.prepare_cached(&insert_group_sql()).map_err(sql)?,
            text: String::new(),
            summary: InsertSummary::default(),
            used: vec![false; records.len().div_ceil(details::BLOCK_RECORDS)],
        };
        // Rows whose hashes differ from one another, for one statement.
        let mut group: Vec<&Prepared> = Vec::with_capacity(INSERT_GROUP);
        for (n, p) in prepared.iter().enumerate() {
            if yield_every > 0 && n > 0 && n % yield_every == 0 {
                std::thread::yield_now();
            }
            match n.checked_sub(1).map(|m| &prepared[m]) {
                // The same key twice in this batch (sorted next to each other).
                Some(q) if q.hash == p.hash && q.check == p.check => rows.summary.duplicates += 1,
                // Two keys of this batch share a slot: the first must be
                // stored before this one is looked at.
                Some(q) if q.hash == p.hash => {
                    rows.flush(&mut group)?;
                    rows.one(p)?;
                }
                _ => {
                    group.push(p);
                    if group.len() == INSERT_GROUP {
                        rows.flush(&mut group)?;
                    }
                }
            }
        }
        rows.flush(&mut group)?;
        let Rows { summary, used, .. } = rows;
        PREPARED.with(|p| *p.borrow_mut() = prepared);
        let blocks = match helper {
            Some(h) => h
                .join()
                .map_err(|_| LedgerError::Conflict("the detail encoder panicked".into()))?,
            None => encode_blocks(records),
        };
        let mut store = tx
            .prepare_cached("INSERT INTO detail_blocks (id, records, data) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        for ((k, data), chunk) in blocks
            .iter()
            .enumerate()
            .zip(records.chunks(details::BLOCK_RECORDS))
        {
            if used[k] {
                store
                    .execute(params![first_block + k as i64, chunk.len() as i64, data])
                    .map_err(sql)?;
            }
        }
        Ok(summary)
    }

    /// The id of the record stored with this key hash (in its slot, or among
    /// the unhashed records whose slot was taken).
    fn stored_id(tx: &rusqlite::Transaction<'_>, hash: i64, check: i64) -> Result<Option<i64>> {
        let id: Option<i64> = tx
            .prepare_cached("SELECT id FROM entries WHERE key_hash = ?1 AND key_check = ?2")
            .and_then(|mut s| s.query_row(params![hash, check], |r| r.get(0)).optional())
            .map_err(sql)?;
        if id.is_some() {
            return Ok(id);
        }
        tx.prepare_cached("SELECT id FROM collided_keys WHERE key_hash = ?1 AND key_check = ?2")
            .and_then(|mut s| s.query_row(params![hash, check], |r| r.get(0)).optional())
            .map_err(sql)
    }
}

thread_local! {
    /// The rows of the last insert on this thread, cleared, kept for the next.
    static PREPARED: std::cell::RefCell<Vec<Prepared>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records from which one insert encodes its details on a helper thread.
const PARALLEL_DETAILS_MIN: usize = 2 * details::BLOCK_RECORDS;

/// The compressed detail blocks of `records`, [`details::BLOCK_RECORDS`] to a block.
fn encode_blocks(records: &[UsageRecord]) -> Vec<Vec<u8>> {
    let mut block = BlockWriter::default();
    records
        .chunks(details::BLOCK_RECORDS)
        .map(|chunk| {
            for r in chunk {
                block.push(r);
            }
            block.finish()
        })
        .collect()
}

/// Copies the rows of a v1 ledger (`records_v1`) into the v2 tables, then
/// drops them. Part of the migration's transaction.
fn copy_v1(tx: &rusqlite::Transaction<'_>, strings: &mut Interner) -> Result<()> {
    let mut last = i64::MIN;
    loop {
        let mut batch = Vec::new();
        {
            let mut stmt = tx
                .prepare(
                    "SELECT id, dedup_key, at, source, origin, line, provider, model, project, \
                     session, input, cache_read, cache_write, cache_write_1h, output, reasoning, \
                     service_tier, cost, currency, price_ref, billed, billed_currency, raw_usage, \
                     tags, status, latency_ms, ttfb_ms, key_fingerprint, incomplete \
                     FROM records_v1 WHERE id > ?1 ORDER BY id LIMIT 8192",
                )
                .map_err(sql)?;
            let mut rows = stmt.query([last]).map_err(sql)?;
            while let Some(row) = rows.next().map_err(sql)? {
                last = col_i64(row, 0)?;
                batch.push(read_v1(row, last)?);
            }
        }
        if batch.is_empty() {
            break;
        }
        SqliteLedger::insert_in(tx, strings, &batch, 0)?;
    }
    tx.execute_batch("DROP TABLE records_v1").map_err(sql)
}

/// One row of the v1 `records` table.
fn read_v1(row: &Row<'_>, id: i64) -> Result<UsageRecord> {
    let text = |idx: usize| -> Result<Option<String>> { row.get(idx).map_err(sql) };
    let currency = |idx: usize, name: &str| -> Result<Option<Currency>> {
        text(idx)?
            .map(|c| Currency::new(&c).map_err(|e| corrupt(id, format!("`{name}`: {e}"))))
            .transpose()
    };
    let tier: String = row.get(16).map_err(sql)?;
    let tags = match text(23)? {
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| corrupt(id, format!("bad tags `{t}`: {e}")))?
        }
        None => Vec::new(),
    };
    let status: Option<i64> = row.get(24).map_err(sql)?;
    Ok(UsageRecord {
        dedup_key: row.get(1).map_err(sql)?,
        at: timestamp(id, col_i64(row, 2)?)?,
        source: row.get(3).map_err(sql)?,
        origin: text(4)?,
        line: col_opt_u64(row, id, 5, "line")?,
        provider: text(6)?,
        model: row.get(7).map_err(sql)?,
        project: text(8)?,
        session: text(9)?,
        usage: col_usage(row, id, 10, None)?,
        service_tier: ServiceTier::from_str(&tier)
            .map_err(|_| corrupt(id, format!("unknown service tier `{tier}`")))?,
        cost: col_decimal(row, id, 17, "cost")?,
        currency: currency(18, "currency")?,
        price_ref: text(19)?,
        billed: col_decimal(row, id, 20, "billed")?,
        billed_currency: currency(21, "billed_currency")?,
        raw_usage: text(22)?,
        tags,
        status: status
            .map(|s| u16::try_from(s).map_err(|_| corrupt(id, format!("bad HTTP status {s}"))))
            .transpose()?,
        latency_ms: col_opt_u64(row, id, 25, "latency_ms")?,
        ttfb_ms: col_opt_u64(row, id, 26, "ttfb_ms")?,
        key_fingerprint: text(27)?,
        incomplete: row.get(28).map_err(sql)?,
        device: None,
    })
}

/// Interns strings in the `strings` table for one write transaction.
struct Interner<'a> {
    ids: &'a mut FxHashMap<String, i64>,
    /// The last string of each record field and its id.
    last: [Option<(String, i64)>; 8],
}

impl<'a> Interner<'a> {
    fn new(ids: &'a mut FxHashMap<String, i64>) -> Self {
        Interner {
            ids,
            last: Default::default(),
        }
    }

    /// The id of `s`, the value of record field `slot`.
    fn field(&mut self, tx: &rusqlite::Transaction<'_>, slot: usize, s: &str) -> Result<i64> {
        if let Some((l, id)) = &self.last[slot]
            && l == s
        {
            return Ok(*id);
        }
        let id = self.id(tx, s)?;
        match &mut self.last[slot] {
            Some((l, i)) => {
                l.clear();
                l.push_str(s);
                *i = id;
            }
            none => *none = Some((s.to_owned(), id)),
        }
        Ok(id)
    }

    fn opt_field(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        slot: usize,
        s: Option<&str>,
    ) -> Result<Option<i64>> {
        s.map(|s| self.field(tx, slot, s)).transpose()
    }

    fn id(&mut self, tx: &rusqlite::Transaction<'_>, s: &str) -> Result<i64> {
        if let Some(&id) = self.ids.get(s) {
            return Ok(id);
        }
        tx.prepare_cached("INSERT OR IGNORE INTO strings (s) VALUES (?1)")
            .and_then(|mut st| st.execute([s]))
            .map_err(sql)?;
        let id: i64 = tx
            .prepare_cached("SELECT id FROM strings WHERE s = ?1")
            .and_then(|mut st| st.query_row([s], |r| r.get(0)))
            .map_err(sql)?;
        self.ids.insert(s.to_owned(), id);
        Ok(id)
    }

    fn opt(&mut self, tx: &rusqlite::Transaction<'_>, s: Option<&str>) -> Result<Option<i64>> {
        s.map(|s| self.id(tx, s)).transpose()
    }
}

/// The `strings` table read into memory for one query (ids are dense rowids),
/// with the currency and service tier each string names, if any.
struct Dict {
    strings: Vec<Option<Box<str>>>,
    currencies: Vec<Option<Currency>>,
    tiers: Vec<Option<ServiceTier>>,
}

/// Largest string id a query accepts (far above any real ledger's count).
const MAX_STRING_ID: usize = 1 << 28;

impl Dict {
    fn load(conn: &Connection) -> Result<Dict> {
        let mut stmt = conn
            .prepare_cached("SELECT id, s FROM strings")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        let mut strings: Vec<Option<Box<str>>> = Vec::new();
        while let Some(r) = rows.next().map_err(sql)? {
            let id: i64 = r.get(0).map_err(sql)?;
            let s: String = r.get(1).map_err(sql)?;
            let i = usize::try_from(id)
                .ok()
                .filter(|&i| i < MAX_STRING_ID)
                .ok_or_else(|| corrupt(0, format!("string id {id} is out of range")))?;
            if i >= strings.len() {
                strings.resize(i + 1, None);
            }
            strings[i] = Some(s.into_boxed_str());
        }
        let currencies = strings
            .iter()
            .map(|s| s.as_deref().and_then(|s| Currency::new(s).ok()))
            .collect();
        let tiers = strings
            .iter()
            .map(|s| s.as_deref().and_then(|s| ServiceTier::from_str(s).ok()))
            .collect();
        Ok(Dict {
            strings,
            currencies,
            tiers,
        })
    }

    fn index(row: i64, id: i64, name: &str) -> Result<usize> {
        usize::try_from(id).map_err(|_| corrupt(row, format!("`{name}`: bad string id {id}")))
    }

    fn str(&self, row: i64, id: i64, name: &str) -> Result<&str> {
        self.strings
            .get(Self::index(row, id, name)?)
            .and_then(Option::as_deref)
            .ok_or_else(|| corrupt(row, format!("`{name}`: no string with id {id}")))
    }

    fn opt_str(&self, row: i64, id: Option<i64>, name: &str) -> Result<Option<&str>> {
        id.map(|id| self.str(row, id, name)).transpose()
    }

    fn currency(&self, row: i64, id: Option<i64>, name: &str) -> Result<Option<Currency>> {
        let Some(id) = id else { return Ok(None) };
        match self.currencies.get(Self::index(row, id, name)?) {
            Some(Some(c)) => Ok(Some(*c)),
            _ => Err(corrupt(
                row,
                format!("`{name}`: `{}` is not a currency", self.str(row, id, name)?),
            )),
        }
    }

    fn tier(&self, row: i64, id: i64) -> Result<ServiceTier> {
        match self.tiers.get(Self::index(row, id, "service_tier")?) {
            Some(Some(t)) => Ok(*t),
            _ => Err(corrupt(
                row,
                format!(
                    "unknown service tier `{}`",
                    self.str(row, id, "service_tier")?
                ),
            )),
        }
    }
}

/// The stable 128-bit hash of a dedup key (xxh3-128) as SQLite's two signed
/// integers: (low 64 bits, high 64 bits). The low half is the unique
/// `key_hash`; the pair identifies the key (a collision of both halves over
/// any real ledger is beyond practical chance: about 10^-27 per million keys).
///
/// A *sequenced* key, `seq:<stem>:<n>` (a stem that is never reused, such as a
/// process's start id, and a counter), gets a `key_hash` made of the stem's
/// hash (high 32 bits) and `n` (low 32 bits): consecutive keys are neighbours
/// in the unique index, so a batch of them rewrites a page or two of it
/// instead of one page per key, however large the ledger (what the proxy's
/// small, frequent writes need). The high half stays the key's own hash, and
/// two keys that share a `key_hash` are handled as any collision.
#[must_use]
pub fn key_hashes(key: &str) -> (i64, i64) {
    let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
    let low = match sequenced(key) {
        Some((stem, n)) => {
            (xxhash_rust::xxh3::xxh3_64(stem.as_bytes()) & 0xFFFF_FFFF_0000_0000)
                | (n & 0xFFFF_FFFF)
        }
        None => h as u64,
    };
    let low = i64::from_ne_bytes(low.to_ne_bytes());
    let high = i64::from_ne_bytes(((h >> 64) as u64).to_ne_bytes());
    (low, high)
}

/// The stem and counter of a sequenced key (`seq:<stem>:<n>`, `n` decimal).
fn sequenced(key: &str) -> Option<(&str, u64)> {
    let (stem, n) = key.strip_prefix("seq:")?.rsplit_once(':')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, n.parse().ok()?))
}

/// A record about to be stored: its key hash halves, its index in the
/// batch, and the ids of its text (source, model, project, session, tier,
/// currency, price reference, tags, key fingerprint).
struct Prepared {
    hash: i64,
    check: i64,
    index: usize,
    text: [Option<i64>; 9],
}

/// The entries of one insert being written: single-row and multi-row
/// statements, and what was stored.
struct Rows<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    records: &'a [UsageRecord],
    first_block: i64,
    single: rusqlite::CachedStatement<'a>,
    group: rusqlite::CachedStatement<'a>,
    /// Scratch for cost text.
    text: String,
    summary: InsertSummary,
    /// Blocks of which some record was stored (one of duplicates only is not).
    used: Vec<bool>,
}

impl Rows<'_> {
    /// Where a record's details go: its block (in record order) and place in it.
    fn detail(&self, p: &Prepared) -> i64 {
        ((self.first_block + (p.index / details::BLOCK_RECORDS) as i64) << details::INDEX_BITS)
            | (p.index % details::BLOCK_RECORDS) as i64
    }

    fn stored(&mut self, p: &Prepared) {
        self.summary.inserted += 1;
        self.used[p.index / details::BLOCK_RECORDS] = true;
    }

    /// Stores one record on its own: in its slot, or, when another key has
    /// taken the slot, unhashed and listed in `collided_keys`.
    fn one(&mut self, p: &Prepared) -> Result<()> {
        let r = &self.records[p.index];
        let detail = self.detail(p);
        if insert_one(&mut self.single, r, p, Some(p.hash), detail, &mut self.text)?.is_some() {
            self.stored(p);
            return Ok(());
        }
        if SqliteLedger::stored_id(self.tx, p.hash, p.check)?.is_some() {
            self.summary.duplicates += 1;
            return Ok(());
        }
        // Another key has these low 64 bits: store this one unhashed and
        // list it in `collided_keys`, where `stored_id` looks too.
        insert_one(&mut self.single, r, p, None, detail, &mut self.text)?
            .ok_or_else(|| LedgerError::Conflict("an unhashed insert was ignored".into()))?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached(
                "INSERT INTO collided_keys (key_hash, key_check, id) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![p.hash, p.check, id]))
            .map_err(sql)?;
        self.stored(p);
        Ok(())
    }

    /// Stores a gathered group (rows of distinct hashes): in one statement
    /// when it is full, else row by row. Empties `group`.
    fn flush(&mut self, group: &mut Vec<&Prepared>) -> Result<()> {
        if group.len() < INSERT_GROUP {
            for p in group.drain(..) {
                self.one(p)?;
            }
            return Ok(());
        }
        for (g, p) in group.iter().enumerate() {
            let detail = self.detail(p);
            bind_entry(
                &mut self.group,
                g * ENTRY_PARAMS,
                &self.records[p.index],
                p,
                Some(p.hash),
                detail,
                &mut self.text,
            )?;
        }
        let n = self.group.raw_execute().map_err(sql)?;
        if n == group.len() {
            for p in group.drain(..) {
                self.stored(p);
            }
            return Ok(());
        }
        // Some slots were taken: the rows this statement stored have the
        // last `n` ids; each other row is a duplicate or a collision.
        let last = self.tx.last_insert_rowid();
        let ours = (last - n as i64 + 1)..=last;
        for p in group.drain(..) {
            match SqliteLedger::stored_id(self.tx, p.hash, p.check)? {
                Some(id) if n > 0 && ours.contains(&id) => self.stored(p),
                Some(_) => self.summary.duplicates += 1,
                None => self.one(p)?,
            }
        }
        Ok(())
    }
}

/// Stores one record's entry, its details going to `detail`; `Some` when
/// stored (its id is the connection's last insert rowid), `None` when its
/// `key_hash` was already taken. `cost` is a scratch buffer.
fn insert_one(
    entry: &mut rusqlite::CachedStatement<'_>,
    r: &UsageRecord,
    p: &Prepared,
    hash: Option<i64>,
    detail: i64,
    cost: &mut String,
) -> Result<Option<()>> {
    bind_entry(entry, 0, r, p, hash, detail, cost)?;
    let n = entry.raw_execute().map_err(sql)?;
    Ok((n == 1).then_some(()))
}

/// Binds one entry's [`ENTRY_PARAMS`] values after the first `base`
/// parameters of `stmt`. `cost` is a scratch buffer (SQLite copies text).
fn bind_entry(
    stmt: &mut rusqlite::CachedStatement<'_>,
    base: usize,
    r: &UsageRecord,
    p: &Prepared,
    hash: Option<i64>,
    detail: i64,
    cost: &mut String,
) -> Result<()> {
    use std::fmt::Write as _;
    let t = &p.text;
    let cost = match r.cost {
        Some(c) => {
            cost.clear();
            let _ = write!(cost, "{c}");
            Some(cost.as_str())
        }
        None => None,
    };
    let values: [&dyn rusqlite::ToSql; ENTRY_PARAMS] = [
        &hash,
        &p.check,
        &nanos(r.at)?,
        &t[0],
        &t[1],
        &t[2],
        &t[3],
        &int(r.usage.input)?,
        &int(r.usage.cache_read)?,
        &int(r.usage.cache_write)?,
        &int(r.usage.cache_write_1h)?,
        &int(r.usage.output)?,
        &int(r.usage.reasoning)?,
        &t[4],
        &cost,
        &t[5],
        &t[6],
        &t[7],
        &t[8],
        &r.incomplete,
        &detail,
        &int(r.usage.input_audio)?,
        &int(r.usage.cache_read_audio)?,
        &int(r.usage.output_audio)?,
        &int(r.usage.input_image)?,
        &int(r.usage.output_image)?,
    ];
    for (i, v) in values.into_iter().enumerate() {
        stmt.raw_bind_parameter(base + i + 1, v).map_err(sql)?;
    }
    Ok(())
}

/// Nanoseconds since the epoch as an SQLite integer (1677 to 2262).
fn nanos(at: Timestamp) -> Result<i64> {
    i64::try_from(at.as_nanosecond()).map_err(|_| {
        LedgerError::Conflict(format!(
            "timestamp {at} is outside the ledger's range (1677 to 2262)"
        ))
    })
}

fn int(v: u64) -> Result<i64> {
    i64::try_from(v)
        .map_err(|_| LedgerError::Conflict(format!("{v} does not fit in a ledger integer")))
}

fn corrupt(row: i64, message: impl Into<String>) -> LedgerError {
    LedgerError::Corrupt {
        row,
        message: message.into(),
    }
}

fn col_u64(row: &Row<'_>, id: i64, idx: usize, name: &str) -> Result<u64> {
    let v: i64 = row.get(idx).map_err(sql)?;
    u64::try_from(v).map_err(|_| corrupt(id, format!("negative `{name}`: {v}")))
}

/// The six text buckets from column `first` and the five modality buckets
/// (schema v3) from column `modal` (`None`: a v1 row, which has none).
fn col_usage(row: &Row<'_>, id: i64, first: usize, modal: Option<usize>) -> Result<Usage> {
    let mut u = Usage {
        input: col_u64(row, id, first, "input")?,
        cache_read: col_u64(row, id, first + 1, "cache_read")?,
        cache_write: col_u64(row, id, first + 2, "cache_write")?,
        cache_write_1h: col_u64(row, id, first + 3, "cache_write_1h")?,
        output: col_u64(row, id, first + 4, "output")?,
        reasoning: col_u64(row, id, first + 5, "reasoning")?,
        ..Usage::default()
    };
    if let Some(m) = modal {
        for (i, b) in Bucket::MODAL.into_iter().enumerate() {
            u.set(b, col_u64(row, id, m + i, b.key())?);
        }
    }
    Ok(u)
}

fn col_opt_u64(row: &Row<'_>, id: i64, idx: usize, name: &str) -> Result<Option<u64>> {
    let v: Option<i64> = row.get(idx).map_err(sql)?;
    v.map(|v| u64::try_from(v).map_err(|_| corrupt(id, format!("negative `{name}`: {v}"))))
        .transpose()
}

fn col_decimal(row: &Row<'_>, id: i64, idx: usize, name: &str) -> Result<Option<Decimal>> {
    col_opt_str(row, id, idx, name)?
        .map(|s| {
            Decimal::from_str(s)
                .map_err(|e| corrupt(id, format!("`{name}` is not an exact decimal: `{s}` ({e})")))
        })
        .transpose()
}

fn col_opt_str<'r>(row: &'r Row<'_>, id: i64, idx: usize, name: &str) -> Result<Option<&'r str>> {
    row.get_ref(idx)
        .map_err(sql)?
        .as_str_or_null()
        .map_err(|e| corrupt(id, format!("`{name}`: {e}")))
}

fn col_i64(row: &Row<'_>, idx: usize) -> Result<i64> {
    row.get(idx).map_err(sql)
}

fn col_opt_i64(row: &Row<'_>, idx: usize) -> Result<Option<i64>> {
    row.get(idx).map_err(sql)
}

fn timestamp(id: i64, at_ns: i64) -> Result<Timestamp> {
    Timestamp::from_nanosecond(i128::from(at_ns))
        .map_err(|e| corrupt(id, format!("bad timestamp {at_ns}: {e}")))
}

/// Reads one row selected with [`LEAN_COLUMNS`], borrowing its text from `dict`.
fn read_lean<'d>(row: &Row<'_>, dict: &'d Dict) -> Result<LeanRecord<'d>> {
    let id = col_i64(row, 0)?;
    Ok(LeanRecord {
        at: timestamp(id, col_i64(row, 1)?)?,
        source: dict.str(id, col_i64(row, 2)?, "source")?,
        model: dict.str(id, col_i64(row, 3)?, "model")?,
        project: dict.opt_str(id, col_opt_i64(row, 4)?, "project")?,
        session: dict.opt_str(id, col_opt_i64(row, 5)?, "session")?,
        usage: col_usage(row, id, 6, Some(15))?,
        service_tier: dict.tier(id, col_i64(row, 12)?)?,
        cost: col_decimal(row, id, 13, "cost")?,
        currency: dict.currency(id, col_opt_i64(row, 14)?, "currency")?,
    })
}

/// Reads one row selected with [`COLUMNS`]: (row id, detail reference, the
/// record without its details).
fn read_record(row: &Row<'_>, dict: &Dict) -> Result<(i64, i64, UsageRecord)> {
    let id = col_i64(row, 0)?;
    let owned = |idx: usize, name: &str| -> Result<Option<String>> {
        Ok(dict
            .opt_str(id, col_opt_i64(row, idx)?, name)?
            .map(str::to_owned))
    };
    let tags = match dict.opt_str(id, col_opt_i64(row, 16)?, "tags")? {
        Some(t) => {
            serde_json::from_str(t).map_err(|e| corrupt(id, format!("bad tags `{t}`: {e}")))?
        }
        None => Vec::new(),
    };
    let mut r = UsageRecord::new(
        String::new(),
        timestamp(id, col_i64(row, 1)?)?,
        dict.str(id, col_i64(row, 2)?, "source")?,
        dict.str(id, col_i64(row, 3)?, "model")?,
        col_usage(row, id, 6, Some(20))?,
    );
    r.project = owned(4, "project")?;
    r.session = owned(5, "session")?;
    r.service_tier = dict.tier(id, col_i64(row, 12)?)?;
    r.cost = col_decimal(row, id, 13, "cost")?;
    r.currency = dict.currency(id, col_opt_i64(row, 14)?, "currency")?;
    r.price_ref = owned(15, "price_ref")?;
    r.tags = tags;
    r.key_fingerprint = owned(17, "key_fingerprint")?;
    r.incomplete = row.get(18).map_err(sql)?;
    Ok((id, col_i64(row, 19)?, r))
}

/// The WHERE clause and parameters of a filter, over `entries AS e`.
fn where_clause(filter: &Filter) -> Result<(String, Vec<Value>)> {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(s) = filter.since {
        conds.push("e.at >= ?".into());
        params.push(Value::Integer(nanos(s)?));
    }
    if let Some(u) = filter.until {
        conds.push("e.at < ?".into());
        params.push(Value::Integer(nanos(u)?));
    }
    for (column, values) in [("e.model", &filter.models), ("e.source", &filter.sources)] {
        if !values.is_empty() {
            let marks = vec!["?"; values.len()].join(", ");
            conds.push(format!(
                "{column} IN (SELECT id FROM strings WHERE s IN ({marks}))"
            ));
            params.extend(values.iter().map(|v| Value::Text(v.clone())));
        }
    }
    if let Some(p) = &filter.project {
        conds.push("e.project IN (SELECT id FROM strings WHERE s = ?)".into());
        params.push(Value::Text(p.clone()));
    }
    if let Some(t) = &filter.tag {
        // `tags` references the interned JSON array of a record's tags.
        conds.push(
            "e.tags IN (SELECT t.id FROM strings AS t WHERE t.s LIKE '[%' AND EXISTS \
             (SELECT 1 FROM json_each(CASE WHEN json_valid(t.s) THEN t.s ELSE '[]' END) AS j \
             WHERE j.value = ?))"
                .into(),
        );
        params.push(Value::Text(t.clone()));
    }
    if let Some(k) = &filter.key_fingerprint {
        conds.push("e.key_fingerprint IN (SELECT id FROM strings WHERE s = ?)".into());
        params.push(Value::Text(k.clone()));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    Ok((clause, params))
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

    fn update_costs(&mut self, costs: &[CostUpdate]) -> Result<u64> {
        self.write(|tx, strings, _| {
            let mut updated = 0;
            let mut entry = tx
                .prepare_cached(
                    "UPDATE entries SET cost = ?2, currency = ?3, price_ref = ?4 WHERE id = ?1",
                )
                .map_err(sql)?;
            for (key, cost, currency, price_ref) in costs {
                let (hash, check) = key_hashes(key);
                let Some(id) = Self::stored_id(tx, hash, check)? else {
                    continue;
                };
                let currency = strings.opt(tx, currency.as_ref().map(Currency::as_str))?;
                let price_ref = strings.opt(tx, price_ref.as_deref())?;
                entry
                    .execute(params![
                        id,
                        cost.map(|d| d.to_string()),
                        currency,
                        price_ref
                    ])
                    .map_err(sql)?;
                updated += 1;
            }
            Ok(updated)
        })
    }

    fn count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
            .map_err(sql)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn round_trips_every_field() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let mut r = UsageRecord::new(
            "proxy:1",
            ts("2025-01-15T12:00:00.123456789Z"),
            "proxy",
            "deepseek-chat",
            Usage {
                input: 1,
                cache_read: 2,
                cache_write: 3,
                cache_write_1h: 4,
                output: 5,
                reasoning: 6,
                input_audio: 7,
                cache_read_audio: 8,
                output_audio: 9,
                input_image: 10,
                output_image: 11,
            },
        );
        r.origin = Some("up".into());
        r.line = Some(7);
        r.provider = Some("deepseek".into());
        r.project = Some("p".into());
        r.session = Some("s".into());
        r.service_tier = ServiceTier::Batch;
        r.cost = Some(Decimal::from_str("0.0000012345678901234567890").expect("dec"));
        r.currency = Some(Currency::CNY);
        r.price_ref = Some("ref".into());
        r.billed = Some(Decimal::from_str("1.10").expect("dec"));
        r.billed_currency = Some(Currency::USD);
        r.raw_usage = Some("{\"x\":1}".into());
        r.tags = vec!["a".into(), "b".into()];
        r.status = Some(200);
        r.latency_ms = Some(12);
        r.ttfb_ms = Some(3);
        r.key_fingerprint = Some("fp".into());
        r.incomplete = true;
        assert_eq!(
            l.insert(std::slice::from_ref(&r)).expect("insert").inserted,
            1
        );
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |x| {
            got.push(x);
            Ok(())
        })
        .expect("read");
        assert_eq!(got, vec![r]);
        // `1.10` keeps its scale: exact text, not a float.
        assert_eq!(
            got[0].billed.map(|b| b.to_string()).as_deref(),
            Some("1.10")
        );
        let cost: String = l
            .connection()
            .query_row("SELECT cost FROM records", [], |x| x.get(0))
            .expect("q");
        assert_eq!(cost, "0.0000012345678901234567890");
    }

    #[test]
    fn a_hash_collision_stores_both_records_exactly_once() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let usage = Usage {
            input: 1,
            ..Usage::default()
        };
        let (h2, _) = key_hashes("x:2");
        // A stored record whose low 64 bits are (as if by collision) those of `x:2`.
        l.insert(&[UsageRecord::new(
            "x:1",
            ts("2025-01-01T00:00:00Z"),
            "t",
            "m",
            usage,
        )])
        .expect("insert");
        l.connection()
            .execute("UPDATE entries SET key_hash = ?1", [h2])
            .expect("fake the collision");
        let two = UsageRecord::new("x:2", ts("2025-01-02T00:00:00Z"), "t", "m", usage);
        let s = l
            .insert(std::slice::from_ref(&two))
            .expect("insert colliding");
        assert_eq!((s.inserted, s.duplicates), (1, 0));
        let s = l.insert(std::slice::from_ref(&two)).expect("insert again");
        assert_eq!((s.inserted, s.duplicates), (0, 1));
        assert_eq!(l.count().expect("count"), 2);
        let n = l
            .update_costs(&[("x:2".into(), Some(Decimal::ONE), Some(Currency::USD), None)])
            .expect("update unhashed");
        assert_eq!(n, 1);
        let mut keys = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            keys.push((r.dedup_key, r.cost));
            Ok(())
        })
        .expect("read");
        assert_eq!(
            keys,
            vec![
                ("x:1".to_string(), None),
                ("x:2".to_string(), Some(Decimal::ONE))
            ]
        );
    }

    #[test]
    fn a_version_1_ledger_is_migrated_without_loss() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v1.db");
        {
            let c = Connection::open(&path).expect("create");
            c.execute_batch(MIGRATIONS[0]).expect("v1 schema");
            c.pragma_update(None, "user_version", 1).expect("v1");
            c.execute_batch(
                "INSERT INTO records (key_hash, dedup_key, at, source, origin, line, provider, \
                 model, project, session, input, cache_read, cache_write, cache_write_1h, output, \
                 reasoning, service_tier, cost, currency, price_ref, billed, billed_currency, \
                 raw_usage, tags, status, latency_ms, ttfb_ms, key_fingerprint, incomplete) VALUES \
                 (7, 'a:1', 1736942400000000000, 'proxy', 'up', 3, 'deepseek', 'deepseek-chat', \
                  'p', 's', 1, 2, 3, 4, 5, 6, 'batch', '0.0012', 'CNY', 'ref', '1.10', 'USD', \
                  '{\"x\":1}', '[\"t\"]', 200, 12, 3, 'fp', 1), \
                 (NULL, 'a:2', 1736942400000000001, 'jsonl', NULL, NULL, NULL, 'gpt-4o', \
                  NULL, NULL, 10, 0, 0, 0, 20, 0, 'standard', NULL, NULL, NULL, NULL, NULL, \
                  NULL, NULL, NULL, NULL, NULL, NULL, 0);",
            )
            .expect("v1 rows");
        }
        let mut l = SqliteLedger::open(&path).expect("migrate");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            got.push(r);
            Ok(())
        })
        .expect("read");
        assert_eq!(got.len(), 2);
        let a = &got[0];
        assert_eq!(
            (
                a.dedup_key.as_str(),
                a.source.as_str(),
                a.origin.as_deref(),
                a.line
            ),
            ("a:1", "proxy", Some("up"), Some(3))
        );
        assert_eq!(a.at, ts("2025-01-15T12:00:00Z"));
        assert_eq!(
            (a.model.as_str(), a.project.as_deref()),
            ("deepseek-chat", Some("p"))
        );
        assert_eq!(a.usage.reasoning, 6);
        assert_eq!(a.service_tier, ServiceTier::Batch);
        assert_eq!(a.cost, Some(Decimal::from_str("0.0012").expect("dec")));
        assert_eq!(a.currency, Some(Currency::CNY));
        assert_eq!(a.billed.map(|b| b.to_string()), Some("1.10".into()));
        assert_eq!(a.tags, vec!["t".to_string()]);
        assert_eq!(
            (a.status, a.key_fingerprint.as_deref(), a.incomplete),
            (Some(200), Some("fp"), true)
        );
        let b = &got[1];
        assert_eq!(
            (b.model.as_str(), b.cost, b.origin.as_deref()),
            ("gpt-4o", None, None)
        );
        // A JSON Lines row gets the schema-3 identity (`a:2` was no id).
        assert!(b.dedup_key.starts_with("jsonl:row:"), "{}", b.dedup_key);
        // The unhashed (collided) v1 row is found by its key.
        let n = l
            .update_costs(&[(
                b.dedup_key.clone(),
                Some(Decimal::ONE),
                Some(Currency::USD),
                None,
            )])
            .expect("update the unhashed row");
        assert_eq!(n, 1);
        // The `records` view keeps the v1 columns for ad-hoc queries.
        let (model, cost): (String, String) = l
            .connection()
            .query_row(
                "SELECT model, cost FROM records WHERE project = 'p'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("view");
        assert_eq!((model.as_str(), cost.as_str()), ("deepseek-chat", "0.0012"));
    }

    /// A record with every bucket set, text and modality.
    fn modal_record(key: &str, n: u64) -> UsageRecord {
        let mut u = Usage::default();
        for (i, b) in Bucket::ALL.into_iter().enumerate() {
            u.set(b, n * 100 + i as u64);
        }
        let mut r = UsageRecord::new(key, ts("2026-03-01T10:00:00Z"), "proxy", "gpt-realtime", u);
        r.cost = Some(Decimal::from_str("0.0354").expect("dec"));
        r.currency = Some(Currency::USD);
        r
    }

    fn read_all(l: &SqliteLedger) -> Vec<UsageRecord> {
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            got.push(r);
            Ok(())
        })
        .expect("read");
        got.sort_by(|a, b| a.dedup_key.cmp(&b.dedup_key));
        got
    }

    #[test]
    fn a_version_2_ledger_gains_the_modality_columns_without_loss() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v2.db");
        // A v2 file: the current schema written, then the v3 columns dropped
        // and the v2 view put back, as a build of schema 2 left it.
        let text_only = |mut r: UsageRecord| {
            for b in Bucket::MODAL {
                r.usage.set(b, 0);
            }
            r
        };
        let before: Vec<UsageRecord> = (1..=3)
            .map(|n| text_only(modal_record(&format!("k:{n}"), n)))
            .collect();
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            assert_eq!(l.insert(&before).expect("insert").inserted, 3);
            let v2_view = &MIGRATIONS[1][MIGRATIONS[1].find("CREATE VIEW").expect("view")..];
            let mut down = String::from("DROP VIEW records;");
            for b in Bucket::MODAL {
                down.push_str(&format!("ALTER TABLE entries DROP COLUMN {};", b.key()));
            }
            down.push_str(v2_view);
            l.connection().execute_batch(&down).expect("back to v2");
            l.connection()
                .pragma_update(None, "user_version", 2)
                .expect("v2");
        }
        let mut l = SqliteLedger::open(&path).expect("migrate");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        assert_eq!(read_all(&l), before, "every v2 record reads back unchanged");
        // The new columns take modality tokens, and the view shows them.
        assert_eq!(
            l.insert(&[modal_record("k:4", 4)])
                .expect("insert")
                .inserted,
            1
        );
        let got = read_all(&l);
        assert_eq!(got.len(), 4);
        assert_eq!(got[3].usage, modal_record("k:4", 4).usage);
        let audio: i64 = l
            .connection()
            .query_row(
                "SELECT input_audio + output_image FROM records WHERE output_audio = 408",
                [],
                |r| r.get(0),
            )
            .expect("view");
        // input_audio = 400 + 6, output_image = 400 + 10.
        assert_eq!(audio, 816);
        // Lean reads (reports) see the modality buckets too.
        let mut lean = Vec::new();
        l.for_each_lean(&Filter::default(), &mut |r| {
            lean.push(r.usage);
            Ok(())
        })
        .expect("lean");
        assert!(lean.contains(&modal_record("k:4", 4).usage));
        // Opening again changes nothing.
        drop(l);
        let l = SqliteLedger::open(&path).expect("reopen");
        assert_eq!(read_all(&l).len(), 4);
    }

    #[test]
    fn key_hashes_are_stable() {
        // xxh3-128 of the empty string is 0x99aa06d3014798d86001c324468d497f.
        assert_eq!(
            key_hashes(""),
            (
                0x6001_c324_468d_497f_u64 as i64,
                0x99aa_06d3_0147_98d8_u64 as i64
            )
        );
    }

    #[test]
    fn sequenced_keys_are_neighbours_in_the_index() {
        let (a, ca) = key_hashes("seq:proxy-1f-2a:41");
        let (b, cb) = key_hashes("seq:proxy-1f-2a:42");
        assert_eq!(b, a + 1);
        assert_eq!(a & 0xFFFF_FFFF, 41);
        assert_ne!(ca, cb, "the high half is each key's own hash");
        // Another stem lands elsewhere; a key that is not sequenced is hashed whole.
        assert_ne!(key_hashes("seq:proxy-other:41").0 >> 32, a >> 32);
        for plain in ["seq:x:", "seq:x:1a", "seq:nocounter", "proxy:x:41"] {
            let h = xxhash_rust::xxh3::xxh3_128(plain.as_bytes());
            assert_eq!(key_hashes(plain).0, h as u64 as i64, "{plain}");
        }
    }

    #[test]
    fn sequenced_keys_that_share_a_slot_are_both_kept_once() {
        // n and n + 2^32 share the low 32 bits: the second is a collision.
        let keys = ["seq:s:1", "seq:s:4294967297", "seq:s:2"];
        assert_eq!(key_hashes(keys[0]).0, key_hashes(keys[1]).0);
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let recs: Vec<UsageRecord> = keys
            .iter()
            .map(|k| {
                UsageRecord::new(
                    (*k).to_string(),
                    ts("2025-01-01T00:00:00Z"),
                    "proxy",
                    "gpt-4o",
                    Usage {
                        input: 10,
                        ..Usage::default()
                    },
                )
            })
            .collect();
        let first = l.insert(&recs).expect("insert");
        assert_eq!((first.inserted, first.duplicates), (3, 0));
        let again = l.insert(&recs).expect("insert again");
        assert_eq!((again.inserted, again.duplicates), (0, 3));
        assert_eq!(l.count().expect("count"), 3);
    }

    #[test]
    fn details_span_several_blocks() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let n = details::BLOCK_RECORDS + 10;
        let recs: Vec<UsageRecord> = (0..n)
            .map(|i| {
                let mut r = UsageRecord::new(
                    format!("k:{i}"),
                    ts("2025-01-01T00:00:00Z"),
                    "jsonl",
                    "m",
                    Usage::default(),
                );
                r.line = Some(i as u64);
                r
            })
            .collect();
        assert_eq!(l.insert(&recs).expect("insert").inserted, n as u64);
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 2);
        let mut lines = Vec::new();
        l.for_each_unordered(&Filter::default(), &mut |r| {
            assert_eq!(r.dedup_key, format!("k:{}", r.line.expect("line")));
            lines.push(r.line.expect("line"));
            Ok(())
        })
        .expect("read");
        lines.sort_unstable();
        assert_eq!(lines, (0..n as u64).collect::<Vec<_>>());
        // A second insert of the same records stores nothing, not even a block.
        assert_eq!(l.insert(&recs).expect("again").duplicates, n as u64);
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 2);
    }

    #[test]
    fn a_large_insert_with_duplicates_keeps_every_new_records_details() {
        // Large enough for the helper thread (PARALLEL_DETAILS_MIN): blocks
        // 0 and 1 are known already, block 2 half, block 3 not at all.
        let b = details::BLOCK_RECORDS;
        let rec = |i: usize| {
            let mut r = UsageRecord::new(
                format!("k:{i}"),
                ts("2025-01-01T00:00:00Z"),
                "jsonl",
                "m",
                Usage {
                    input: i as u64,
                    ..Usage::default()
                },
            );
            r.line = Some(i as u64);
            r.origin = Some(format!("/logs/{}.jsonl", i / 100));
            r
        };
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let known: Vec<UsageRecord> = (0..2 * b + b / 2).map(rec).collect();
        assert_eq!(
            l.insert(&known).expect("first").inserted,
            known.len() as u64
        );
        let all: Vec<UsageRecord> = (0..4 * b).map(rec).collect();
        assert!(all.len() >= PARALLEL_DETAILS_MIN);
        let s = l.insert(&all).expect("second");
        assert_eq!(
            (s.inserted, s.duplicates),
            ((b + b / 2) as u64, known.len() as u64)
        );
        // 3 blocks for the first insert; blocks 2 and 3 of the second (0 and 1
        // held duplicates only and were not stored).
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 5);
        let mut seen = 0;
        l.for_each_unordered(&Filter::default(), &mut |r| {
            let i = usize::try_from(r.line.expect("line")).expect("line");
            assert_eq!(r.dedup_key, format!("k:{i}"));
            assert_eq!(r.usage.input, i as u64);
            assert_eq!(r.origin, Some(format!("/logs/{}.jsonl", i / 100)));
            seen += 1;
            Ok(())
        })
        .expect("read");
        assert_eq!(seen, 4 * b);
    }

    #[test]
    fn multi_row_inserts_sort_out_duplicates_and_collisions() {
        let rec = |key: String, input: u64| {
            let mut r = UsageRecord::new(
                key,
                ts("2025-01-01T00:00:00Z"),
                "proxy",
                "m",
                Usage {
                    input,
                    ..Usage::default()
                },
            );
            r.line = Some(input);
            r
        };
        let mut l = SqliteLedger::open_in_memory().expect("open");
        // Stored first: k:0..99 and a sequenced key whose slot a later key wants.
        let mut first: Vec<UsageRecord> = (0..100).map(|i| rec(format!("k:{i}"), i)).collect();
        first.push(rec("seq:s:1".into(), 1_000));
        assert_eq!(l.insert(&first).expect("first").inserted, 101);
        // Then k:50..249 (50 known, in full groups of new ones), the same key
        // twice, and a key colliding with the stored sequenced one.
        let mut second: Vec<UsageRecord> = (50..250).map(|i| rec(format!("k:{i}"), i)).collect();
        second.push(rec("k:200".into(), 200));
        second.push(rec("seq:s:4294967297".into(), 2_000));
        assert!(second.len() > 4 * INSERT_GROUP);
        let s = l.insert(&second).expect("second");
        assert_eq!((s.inserted, s.duplicates), (151, 51));
        assert_eq!(l.count().expect("count"), 252);
        let mut inputs = Vec::new();
        l.for_each_unordered(&Filter::default(), &mut |r| {
            assert_eq!(r.line, Some(r.usage.input), "details of {}", r.dedup_key);
            inputs.push(r.usage.input);
            Ok(())
        })
        .expect("read");
        inputs.sort_unstable();
        let mut want: Vec<u64> = (0..250).collect();
        want.extend([1_000, 2_000]);
        assert_eq!(inputs, want);
        // Everything again: all duplicates, the collided key included.
        let again = l.insert(&second).expect("again");
        assert_eq!((again.inserted, again.duplicates), (0, second.len() as u64));
    }

    #[test]
    fn a_read_in_time_order_takes_details_from_many_blocks() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        // Three inserts (three sets of blocks) whose times interleave.
        for part in 0..3u64 {
            let recs: Vec<UsageRecord> = (0..5_000u64)
                .map(|i| {
                    let t = i * 3 + part;
                    let mut r = UsageRecord::new(
                        format!("k:{t}"),
                        Timestamp::from_second(1_735_689_600 + t as i64).expect("ts"),
                        "jsonl",
                        "m",
                        Usage::default(),
                    );
                    r.line = Some(t);
                    r.raw_usage = Some(format!("{{\"n\":{t}}}"));
                    r
                })
                .collect();
            l.insert(&recs).expect("insert");
        }
        let mut n = 0u64;
        l.for_each(&Filter::default(), &mut |r| {
            assert_eq!(r.line, Some(n));
            assert_eq!(r.dedup_key, format!("k:{n}"));
            assert_eq!(r.raw_usage, Some(format!("{{\"n\":{n}}}")));
            n += 1;
            Ok(())
        })
        .expect("read");
        assert_eq!(n, 15_000);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a/b/ledger.db");
        let l = SqliteLedger::open(&path).expect("open creates parents");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        let page: i64 = l
            .connection()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        assert_eq!(page, i64::from(PAGE_SIZE));
        l.connection()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        drop(l);
        match SqliteLedger::open(&path) {
            Err(LedgerError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }

    #[test]
    fn default_path_ends_in_llmcost_ledger_db() {
        if let Some(p) = default_ledger_path() {
            assert!(p.ends_with("llmcost/ledger.db"), "{}", p.display());
        }
    }
}

#[cfg(test)]
mod read_only_tests {
    use super::*;

    #[test]
    fn a_read_only_open_creates_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = dir.path().join("sub").join("l.db");
        assert!(matches!(
            SqliteLedger::open_read_only(&missing),
            Err(LedgerError::NotFound)
        ));
        assert!(!dir.path().join("sub").exists(), "no folder created");
        let path = dir.path().join("l.db");
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            l.insert(&[UsageRecord::new(
                "k",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .expect("insert");
        }
        let mut l = SqliteLedger::open_read_only(&path).expect("open");
        assert!(l.is_read_only());
        assert_eq!(l.count().expect("count"), 1);
        assert_eq!(l.reopen().expect("again").count().expect("count"), 1);
        assert!(
            l.insert(&[UsageRecord::new(
                "k2",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .is_err()
        );
        // Not a ledger.
        let other = dir.path().join("x.db");
        std::fs::write(&other, b"").expect("write");
        assert!(SqliteLedger::open_read_only(&other).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_ledger_in_a_read_only_folder_can_be_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let sub = dir.path().join("ro");
        let path = sub.join("l.db");
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            l.insert(&[UsageRecord::new(
                "k",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .expect("insert");
        }
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let got = SqliteLedger::open_read_only(&path).and_then(|l| l.count());
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(got.expect("read"), 1);
    }
}

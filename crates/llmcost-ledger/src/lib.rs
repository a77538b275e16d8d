//! The usage ledger: what one recorded LLM call (or log entry) looks like, how
//! the ledger is queried, and the [`Ledger`] trait storage backends implement.
//!
//! This crate holds no driver and does no I/O. Importers, the metering proxy and
//! the reports talk to a `dyn Ledger` (or a generic `L: Ledger`); only binaries
//! choose a backend.
#![deny(missing_docs)]

pub mod copy;
pub mod identity;
pub mod rollup;

use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use serde::{Deserialize, Serialize};

pub use rollup::{Dim, RollupQuery, RollupRow};

/// One usage record: a request, or one de-duplicated log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Unique per logical request across every import; inserting a record whose
    /// key is already stored is a no-op (idempotent imports). Examples:
    /// `claude:<message.id>:<requestId>`, `codex:<time>:<totals>`,
    /// `jsonl:id:<response id>:<digest>`, `csv:row:<digest>:<occurrence>`
    /// ([`identity`] has the rule), `seq:<proxy start id>:<n>`.
    pub dedup_key: String,
    /// When the tokens were used (UTC).
    pub at: Timestamp,
    /// Which importer or component produced it: `claude-code`, `codex`, `jsonl`,
    /// `openai-usage`, `anthropic-usage`, `csv`, `proxy`.
    pub source: String,
    /// Where it came from: a file path, or the proxy upstream name.
    pub origin: Option<String>,
    /// Line in `origin` (1-based), for files.
    pub line: Option<u64>,
    /// Provider key (`anthropic`, `openai`, `deepseek`...) when known.
    pub provider: Option<String>,
    /// Model as reported by the source (priced through the catalog's aliases).
    pub model: String,
    /// Project (a directory, a repository, a proxy tag...).
    pub project: Option<String>,
    /// Session or conversation id.
    pub session: Option<String>,
    /// Tokens per bucket, normalised and disjoint.
    pub usage: Usage,
    /// Service tier the provider reported (batch, flex, priority) or standard.
    pub service_tier: ServiceTier,
    /// Cost priced when recorded; `None` when the model has no price (never zero by default).
    pub cost: Option<Decimal>,
    /// Currency of `cost`.
    pub currency: Option<Currency>,
    /// Which catalog row priced it (`model@from currency source`), for provenance.
    pub price_ref: Option<String>,
    /// An amount the provider itself reported (xAI `cost_in_usd_ticks`, an export's cost).
    pub billed: Option<Decimal>,
    /// Currency of `billed`.
    pub billed_currency: Option<Currency>,
    /// The raw usage JSON as received, so the record can be repriced or re-read.
    pub raw_usage: Option<String>,
    /// Free-form tags (the proxy's `x-llmcost-tag`).
    pub tags: Vec<String>,
    /// Proxy only: HTTP status returned to the client.
    pub status: Option<u16>,
    /// Proxy only: total latency in milliseconds.
    pub latency_ms: Option<u64>,
    /// Proxy only: time to first byte in milliseconds.
    pub ttfb_ms: Option<u64>,
    /// Proxy only: fingerprint of the API key (never the key).
    pub key_fingerprint: Option<String>,
    /// The device that recorded it: the machine an import ran on (`import
    /// --device`, default its host name) or the proxy instance. Not part of
    /// the record's identity: two machines importing one log store it once.
    #[serde(default)]
    pub device: Option<String>,
    /// The usage may be partial (a stream the client dropped, a truncated log).
    pub incomplete: bool,
}

impl UsageRecord {
    /// A record with the required fields set and everything else empty.
    #[must_use]
    pub fn new(
        dedup_key: impl Into<String>,
        at: Timestamp,
        source: impl Into<String>,
        model: impl Into<String>,
        usage: Usage,
    ) -> Self {
        UsageRecord {
            dedup_key: dedup_key.into(),
            at,
            source: source.into(),
            origin: None,
            line: None,
            provider: None,
            model: model.into(),
            project: None,
            session: None,
            usage,
            service_tier: ServiceTier::Standard,
            cost: None,
            currency: None,
            price_ref: None,
            billed: None,
            billed_currency: None,
            raw_usage: None,
            tags: Vec::new(),
            status: None,
            latency_ms: None,
            ttfb_ms: None,
            key_fingerprint: None,
            device: None,
            incomplete: false,
        }
    }
}

/// The fields of a record that aggregates (reports, budgets) read, borrowed
/// from the backend's row where possible: much cheaper to produce than a full
/// [`UsageRecord`] (no origin, raw usage, price reference or tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeanRecord<'a> {
    /// When the tokens were used (UTC).
    pub at: Timestamp,
    /// Which importer or component produced it.
    pub source: &'a str,
    /// Model as reported by the source.
    pub model: &'a str,
    /// Project, when known.
    pub project: Option<&'a str>,
    /// Session or conversation id, when known.
    pub session: Option<&'a str>,
    /// Tokens per bucket.
    pub usage: Usage,
    /// Service tier.
    pub service_tier: ServiceTier,
    /// Cost priced when recorded (`None` when unpriced).
    pub cost: Option<Decimal>,
    /// Currency of `cost`.
    pub currency: Option<Currency>,
}

impl<'a> LeanRecord<'a> {
    /// The lean view of a full record.
    #[must_use]
    pub fn of(r: &'a UsageRecord) -> Self {
        LeanRecord {
            at: r.at,
            source: &r.source,
            model: &r.model,
            project: r.project.as_deref(),
            session: r.session.as_deref(),
            usage: r.usage,
            service_tier: r.service_tier,
            cost: r.cost,
            currency: r.currency,
        }
    }
}

/// Which records a query selects. Empty fields select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// At or after this instant.
    pub since: Option<Timestamp>,
    /// Before this instant.
    pub until: Option<Timestamp>,
    /// Only these models (as recorded).
    pub models: Vec<String>,
    /// Only these sources.
    pub sources: Vec<String>,
    /// Only this project.
    pub project: Option<String>,
    /// Only records carrying this tag.
    pub tag: Option<String>,
    /// Only this key fingerprint.
    pub key_fingerprint: Option<String>,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InsertSummary {
    /// New records stored.
    pub inserted: u64,
    /// Records whose `dedup_key` was already stored (skipped).
    pub duplicates: u64,
}

/// How far a file has been imported, so a grown log is read from where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProgress {
    /// The file path as given to the importer (canonicalised).
    pub path: String,
    /// Bytes already imported (a prefix of the file ending at a line boundary).
    pub offset: u64,
    /// Hash of that prefix's first bytes, to notice a file that was replaced or truncated.
    pub head_hash: String,
    /// Lines already read.
    pub lines: u64,
}

/// Errors of ledger backends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// Nothing matched.
    #[error("not found")]
    NotFound,
    /// A constraint was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The ledger was written by a newer llmcost.
    #[error(
        "the ledger schema version {found} is newer than this llmcost supports ({supported}); upgrade llmcost"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest this build knows.
        supported: i64,
    },
    /// A stored value could not be read back (corrupt money text, unknown bucket).
    #[error("corrupt ledger row {row}: {message}")]
    Corrupt {
        /// Row id.
        row: i64,
        /// What is wrong.
        message: String,
    },
    /// The database driver failed.
    #[error(transparent)]
    Backend(#[from] Box<dyn std::error::Error + Send + Sync>),
    /// The backend cannot do what was asked (an optional capability).
    #[error("{0}")]
    Unsupported(String),
}

/// A new cost for the record with this `dedup_key`: (key, cost, currency, price_ref).
pub type CostUpdate = (String, Option<Decimal>, Option<Currency>, Option<String>);

/// A stored record's part of a shared budget account (fleet budgets): added
/// to the account's spend in the insert's transaction, only if the record is
/// new (a duplicate adds nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendDelta {
    /// Index of the record in the inserted slice.
    pub record: usize,
    /// The account: who, currency and period (`global|USD|day`, `tag:ci|USD|month`).
    pub account: String,
    /// Start of the period the record falls in.
    pub period_start: Timestamp,
    /// What the record spends in the account's currency.
    pub amount: Decimal,
    /// The proxy instance that holds this spend as pending until the record is
    /// stored (its hold is lowered by `amount` in the same transaction).
    pub holder: Option<String>,
}

/// What one budget account asks of a fleet admission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAsk {
    /// The account (as in [`SpendDelta::account`]).
    pub account: String,
    /// Start of the current period.
    pub period_start: Timestamp,
    /// The limit.
    pub limit: Decimal,
    /// What the call is expected to cost (its reservation).
    pub estimate: Decimal,
}

/// The fleet's state of one account, as an admission saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSpend {
    /// Spend of the records stored.
    pub spent: Decimal,
    /// Spend of finished calls whose records are not stored yet (every live proxy).
    pub pending: Decimal,
    /// Reservations of the calls in flight (every live proxy).
    pub reserved: Decimal,
    /// Calls in flight (every live proxy).
    pub calls: i64,
    /// This account refuses the call.
    pub refused: bool,
}

/// A change of one proxy's hold on an account: a call admitted, or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldDelta {
    /// The account.
    pub account: String,
    /// Start of the period.
    pub period_start: Timestamp,
    /// Change of the reservations in flight.
    pub reserved: Decimal,
    /// Change of the spend finished but not stored.
    pub pending: Decimal,
    /// Change of the calls in flight.
    pub calls: i64,
}

/// Budgets shared by every proxy writing one ledger (a capability of
/// backends that several processes share, such as PostgreSQL): one
/// connection of its own, used from the proxy's serving threads.
pub trait FleetBudgets: Send {
    /// Admits a call for `proxy` or refuses it, atomically across the fleet:
    /// an account refuses when its spend (stored + pending) has reached the
    /// limit, or when calls are in flight and spend + reservations + the
    /// estimate would pass it. If no account refuses, the call's estimates and
    /// one call in flight are added to `proxy`'s holds. Returns each account's
    /// state, in `asks` order.
    ///
    /// # Errors
    /// The database cannot be reached.
    fn admit(&mut self, proxy: &str, asks: &[BudgetAsk]) -> Result<Vec<FleetSpend>>;

    /// Applies finished calls' changes to `proxy`'s holds and marks it alive.
    ///
    /// # Errors
    /// The database cannot be reached.
    fn settle(&mut self, proxy: &str, deltas: &[HoldDelta]) -> Result<()>;

    /// Drops `proxy`'s holds (a clean stop with nothing left unstored).
    ///
    /// # Errors
    /// The database cannot be reached.
    fn release(&mut self, proxy: &str) -> Result<()>;
}

/// What [`Ledger::prune`] removed, or would remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneSummary {
    /// Records removed (or that would be).
    pub records: u64,
    /// Whole partitions dropped (PostgreSQL months), by name.
    pub partitions: Vec<String>,
    /// Bounded delete batches run (or that would run, at most).
    pub batches: u64,
}

/// Result with [`LedgerError`].
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

/// A store of usage records. Implementations must make `insert` atomic per call
/// (all or nothing) and idempotent on `dedup_key`, and safe against concurrent
/// writers in other processes (two imports of the same file never duplicate).
pub trait Ledger: Send {
    /// Stores records, skipping those whose `dedup_key` exists. Atomic.
    ///
    /// # Errors
    /// Backend failures; nothing is stored then.
    fn insert(&mut self, records: &[UsageRecord]) -> Result<InsertSummary>;

    /// Asks a backend that inserts on the calling thread to give up the CPU
    /// (`std::thread::yield_now`) after every `rows` rows of a write (0: never).
    /// A writer that shares the machine with latency-sensitive work (the proxy)
    /// then holds a core for a few microseconds at a time, however large its
    /// transactions. The default ignores it.
    fn set_yield_every(&mut self, rows: usize) {
        let _ = rows;
    }

    /// Stores records and the new progress of the file they came from, in one
    /// transaction, so an interrupted import never leaves the two out of step.
    ///
    /// # Errors
    /// Backend failures; nothing is stored then.
    fn insert_with_progress(
        &mut self,
        records: &[UsageRecord],
        progress: &FileProgress,
    ) -> Result<InsertSummary>;

    /// Stores records and the new progress of several files (records of many
    /// small files in one transaction, which is much faster than one each).
    /// The default stores the records with the first progress and then each
    /// other progress apart: a progress is never stored before its records, so
    /// an interruption only makes the next import read some lines again.
    /// Backends override it to do it all in one transaction.
    ///
    /// # Errors
    /// Backend failures; nothing is stored then (or, with the default, some
    /// progress is not stored).
    fn insert_with_progresses(
        &mut self,
        records: &[UsageRecord],
        progress: &[FileProgress],
    ) -> Result<InsertSummary> {
        let Some((first, rest)) = progress.split_first() else {
            return self.insert(records);
        };
        let summary = self.insert_with_progress(records, first)?;
        for p in rest {
            self.insert_with_progress(&[], p)?;
        }
        Ok(summary)
    }

    /// Progress of a file, if it was imported before.
    ///
    /// # Errors
    /// Backend failures.
    fn file_progress(&self, path: &str) -> Result<Option<FileProgress>>;

    /// Progress of several files, in the order of `paths`: what
    /// [`Ledger::file_progress`] gives for each, in one round trip where the
    /// backend is a server (an import plans a thousand files before reading).
    ///
    /// # Errors
    /// Backend failures.
    fn files_progress(&self, paths: &[&str]) -> Result<Vec<Option<FileProgress>>> {
        paths.iter().map(|p| self.file_progress(p)).collect()
    }

    /// Calls `f` for every record matching `filter`, in time order.
    ///
    /// # Errors
    /// Backend failures, corrupt rows, or an error returned by `f`.
    fn for_each(&self, filter: &Filter, f: &mut dyn FnMut(UsageRecord) -> Result<()>)
    -> Result<()>;

    /// Calls `f` for every record matching `filter`, in whatever order the
    /// backend reads fastest (storage order). For aggregates (reports,
    /// budgets) that do not need time order; the default is [`Ledger::for_each`].
    ///
    /// # Errors
    /// As [`Ledger::for_each`].
    fn for_each_unordered(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        self.for_each(filter, f)
    }

    /// Calls `f` with the [`LeanRecord`] of every record matching `filter`, in
    /// storage order like [`Ledger::for_each_unordered`]: the fast read of
    /// aggregates. The default builds full records with
    /// [`Ledger::for_each_unordered`]; backends override it to read only the
    /// lean columns.
    ///
    /// # Errors
    /// As [`Ledger::for_each`].
    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        self.for_each_unordered(filter, &mut |r| f(LeanRecord::of(&r)))
    }

    /// Replaces the stored cost of records (repricing), keyed by `dedup_key`. Atomic.
    ///
    /// # Errors
    /// Backend failures.
    fn update_costs(&mut self, costs: &[CostUpdate]) -> Result<u64>;

    /// The hourly rollups summed as `q` asks ([`rollup`] has the rules), or
    /// `None` when this backend keeps no rollups or cannot answer `q` from
    /// them (time bounds inside an hour): read the records then
    /// ([`rollup::scan`] gives the same answer). The default is `None`.
    ///
    /// # Errors
    /// Backend failures.
    fn rollup(&self, q: &RollupQuery) -> Result<Option<Vec<RollupRow>>> {
        let _ = q;
        Ok(None)
    }

    /// Number of records stored.
    ///
    /// # Errors
    /// Backend failures.
    fn count(&self) -> Result<u64>;

    /// Splits a lean read ([`Ledger::for_each_lean`]) into at most `parts`
    /// parts of about equal size, each with its own read handle, to read on
    /// as many threads. Empty when the backend does not split reads, or holds
    /// fewer than about `min_records` records (then read on this thread).
    /// The default does not split.
    ///
    /// # Errors
    /// Backend failures.
    fn lean_parts(&self, parts: usize, min_records: u64) -> Result<Vec<Box<dyn LeanPart>>> {
        let _ = (parts, min_records);
        Ok(Vec::new())
    }

    /// Another handle on the same ledger, to read (or write) from another
    /// thread while this one is busy, e.g. a dashboard beside the proxy's
    /// writer. The default cannot: [`LedgerError::Unsupported`].
    ///
    /// # Errors
    /// Backend failures, or [`LedgerError::Unsupported`].
    fn reader(&self) -> Result<Box<dyn Ledger>> {
        Err(LedgerError::Unsupported(
            "this ledger cannot open a second handle".into(),
        ))
    }

    /// Prepares this handle for a long run of large writes (an import, the
    /// proxy's writer) until the returned guard is dropped. SQLite moves its
    /// write-ahead-log checkpoints to a thread of their own, beside the
    /// inserts. The default does nothing.
    ///
    /// # Errors
    /// Backend failures.
    fn bulk_load(&mut self) -> Result<BulkLoad> {
        Ok(BulkLoad::none())
    }

    /// Stores records like [`Ledger::insert`] and, in the same transaction,
    /// adds to shared budget accounts the `spend` of the records that were
    /// new. The default ignores `spend` (a ledger without fleet budgets).
    ///
    /// # Errors
    /// As [`Ledger::insert`].
    fn insert_with_spend(
        &mut self,
        records: &[UsageRecord],
        spend: &[SpendDelta],
    ) -> Result<InsertSummary> {
        let _ = spend;
        self.insert(records)
    }

    /// A connection to this ledger's fleet budgets, when several processes
    /// share it (PostgreSQL); `None` (the default) when budgets stay local.
    ///
    /// # Errors
    /// The connection cannot be made.
    fn fleet_budgets(&self) -> Result<Option<Box<dyn FleetBudgets>>> {
        Ok(None)
    }

    /// Calls `f` with every record stored after insertion position `after`
    /// (0: from the start), in insertion order, with its position: the
    /// cursor of `ledger copy`. Returns false (the default) when the backend
    /// has no such order that is safe to resume from; copies then read every
    /// record and rely on the target's deduplication.
    ///
    /// # Errors
    /// As [`Ledger::for_each`].
    fn for_each_after(
        &self,
        after: i64,
        f: &mut dyn FnMut(i64, UsageRecord) -> Result<()>,
    ) -> Result<bool> {
        let _ = (after, f);
        Ok(false)
    }

    /// Removes the records before `before` (UTC), in bounded steps, when
    /// `apply`; otherwise only says what it would remove. `None` (the
    /// default) when the backend cannot prune.
    ///
    /// # Errors
    /// Backend failures; what was removed before stays removed.
    fn prune(&mut self, before: Timestamp, apply: bool) -> Result<Option<PruneSummary>> {
        let _ = (before, apply);
        Ok(None)
    }
}

/// One part of a split lean read ([`Ledger::lean_parts`]): it owns its read
/// handle and may be sent to another thread.
pub trait LeanPart: Send {
    /// Calls `f` with the [`LeanRecord`] of every record of this part that
    /// matches `filter`, in storage order.
    ///
    /// # Errors
    /// As [`Ledger::for_each`].
    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()>;
}

/// A bulk load in progress ([`Ledger::bulk_load`]); dropping it ends it.
#[must_use = "the bulk load ends when this guard is dropped"]
pub struct BulkLoad {
    end: Option<Box<dyn FnOnce() + Send>>,
}

impl BulkLoad {
    /// A guard with nothing to end.
    pub fn none() -> BulkLoad {
        BulkLoad { end: None }
    }

    /// A guard that runs `end` when dropped.
    pub fn new(end: impl FnOnce() + Send + 'static) -> BulkLoad {
        BulkLoad {
            end: Some(Box::new(end)),
        }
    }
}

impl std::fmt::Debug for BulkLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoad")
            .field("active", &self.end.is_some())
            .finish()
    }
}

impl Drop for BulkLoad {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end();
        }
    }
}

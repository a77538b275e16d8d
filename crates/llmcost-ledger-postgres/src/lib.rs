//! The PostgreSQL backend of the llmcost usage ledger.
//!
//! Records live in `records`, range-partitioned by month on the record time
//! (`at`), so old months can be dropped whole. A record's identity is its
//! `dedup_key`, kept unique across all partitions by the unpartitioned
//! `record_keys` table, which holds the 16-byte hash of each key; repeated
//! text is stored once in `strings` (`compact.rs`). Money is `NUMERIC` end
//! to end (written as binary `NUMERIC` or decimal text and read as text,
//! never a float). Writes claim
//! their keys in one statement, then `COPY` the new records (binary format)
//! straight into `records` ([`write`]).
//! `docs/ledger-postgres.md` describes the schema.
#![deny(missing_docs)]

mod binary;
mod compact;
mod conn;
mod fleet;
mod prune;
mod rollup;
mod schema;
mod tls;
mod write;

use std::cell::{RefCell, RefMut};
use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;

use llmcost_core::{Bucket, Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, LeanRecord, Ledger, LedgerError, Result,
    UsageRecord,
};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Row};
use rustc_hash::FxHashMap;

pub use conn::{pgpass_lookup, redact};
pub use schema::SCHEMA_VERSION;

/// Errors of connecting; they reach callers as [`LedgerError::Backend`] and
/// never contain the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The URL could not be read.
    #[error("invalid PostgreSQL URL `{url}`: {message}")]
    Url {
        /// The URL, password redacted.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The TLS settings (`sslmode`, `sslrootcert`) cannot be used.
    #[error("TLS settings of `{url}`: {message}")]
    Tls {
        /// The URL, password redacted.
        url: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The server could not be reached or refused the login.
    #[error("cannot connect to the PostgreSQL ledger `{url}`: {message}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's message, password removed.
        message: String,
    },
}

/// Bucket columns, in [`Bucket::ALL`] order (a unit test checks it).
const BUCKET_COLS: [&str; 11] = [
    "input",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "output",
    "reasoning",
    "input_audio",
    "cache_read_audio",
    "output_audio",
    "input_image",
    "output_image",
];

/// Data columns of `records` and the staging table, in COPY order.
const HEAD_COLS: &str =
    "at, at_nanos, dedup_key, source, origin_id, line, provider, model, project, session";
const TAIL_COLS: &str = "service_tier, cost, currency, price_ref_id, billed, billed_currency, \
                         raw_usage, tags, status, latency_ms, ttfb_ms, key_fingerprint, incomplete, device";

pub(crate) fn data_cols() -> String {
    format!("{HEAD_COLS}, {}, {TAIL_COLS}", BUCKET_COLS.join(", "))
}

/// A ledger in a PostgreSQL database.
pub struct PgLedger {
    client: RefCell<Client>,
    /// Months (`year * 12 + month - 1`) whose partition is known to exist.
    months: BTreeSet<i64>,
    /// The second connection big batches are written with (opened when first needed).
    second: Option<Client>,
    /// To reconnect after the server went away (a restart, a network cut).
    connector: Connector,
    /// Whether keys are claimed by a plain insert first (see `write::claim`).
    plain_claims: AtomicBool,
    /// Ids of the strings this handle interned or met (see [`compact::Strings`]).
    strings: RefCell<compact::Strings>,
}

impl std::fmt::Debug for PgLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLedger").finish_non_exhaustive()
    }
}

/// How to (re)connect: the driver's settings, the TLS set-up, and what errors may show.
#[derive(Clone)]
pub(crate) struct Connector {
    cfg: postgres::Config,
    tls: tls::Tls,
    tls_config: Option<rustls::ClientConfig>,
    /// The URL as given (kept to scrub its password out of messages).
    url: String,
}

impl Connector {
    /// Reads `url` with the TLS `sslmode` asks for, the environment filling
    /// what the URL leaves out.
    pub(crate) fn new(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let (cfg, tls) = conn::config(url, env).map_err(|e| LedgerError::Backend(Box::new(e)))?;
        let tls_config = tls::client_config(&tls).map_err(|message| {
            LedgerError::Backend(Box::new(PgError::Tls {
                url: conn::redact(url),
                message,
            }))
        })?;
        Ok(Connector {
            cfg,
            tls,
            tls_config,
            url: url.to_string(),
        })
    }

    /// A new connection; errors never hold the password.
    pub(crate) fn connect(&self) -> Result<Client> {
        connect(self)
    }

    /// A new connection set up for this crate's statements (UTC, staging tables).
    pub(crate) fn session(&self) -> Result<Client> {
        let mut c = self.connect()?;
        c.batch_execute(schema::SESSION_SQL).map_err(backend)?;
        Ok(c)
    }
}

fn connect(k: &Connector) -> Result<Client> {
    let (cfg, tls, url) = (&k.cfg, &k.tls, k.url.as_str());
    let connected = match &k.tls_config {
        None => cfg.connect(NoTls),
        Some(c) => cfg.connect(tokio_postgres_rustls::MakeRustlsConnect::new(c.clone())),
    };
    connected.map_err(|e| {
        let mut message = conn::scrub(&error_chain(&e), url);
        if let Some(pw) = cfg.get_password() {
            let pw = String::from_utf8_lossy(pw);
            if !pw.is_empty() {
                message = message.replace(pw.as_ref(), "***");
            }
        }
        if message.contains("certificate") && tls.mode != tls::SslMode::Prefer {
            message.push_str(&format!(
                " (sslmode={} checks the server's certificate against sslrootcert: give the CA that signed it)",
                match tls.mode {
                    tls::SslMode::VerifyFull => "verify-full",
                    tls::SslMode::VerifyCa => "verify-ca",
                    _ => "require",
                }
            ));
        }
        LedgerError::Backend(Box::new(PgError::Connect {
            url: conn::redact(url),
            message,
        }))
    })
}

/// An error with its sources (the driver's top message hides the TLS reason).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

pub(crate) fn backend(e: postgres::Error) -> LedgerError {
    LedgerError::Backend(Box::new(e))
}

impl PgLedger {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`),
    /// taking what the URL leaves out from `PGPASSWORD`, `~/.pgpass`
    /// (`PGPASSFILE`), `PGUSER`, `PGHOST`, `PGPORT` and `PGDATABASE`, and
    /// brings the schema up to date.
    ///
    /// # Errors
    /// [`PgError`] (as [`LedgerError::Backend`]) when the URL is bad or the
    /// server cannot be reached; [`LedgerError::SchemaTooNew`] when a newer
    /// llmcost wrote the schema.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with_env(url, &|k| std::env::var(k).ok())
    }

    /// [`PgLedger::open`] with the environment read through `env`.
    ///
    /// # Errors
    /// As [`PgLedger::open`].
    pub fn open_with_env(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let connector = Connector::new(url, env)?;
        let mut client = connector.connect()?;
        schema::migrate(&mut client)?;
        client.batch_execute(schema::SESSION_SQL).map_err(backend)?;
        Ok(PgLedger {
            client: RefCell::new(client),
            months: BTreeSet::new(),
            second: None,
            plain_claims: AtomicBool::new(true),
            strings: RefCell::default(),
            connector,
        })
    }

    /// The connection, for tests and administration (e.g. dropping partitions).
    ///
    /// # Errors
    /// When a callback of a running read calls back into the ledger.
    pub fn client(&self) -> Result<RefMut<'_, Client>> {
        let mut c = self.client.try_borrow_mut().map_err(|_| {
            LedgerError::Conflict(
                "the ledger was used again from inside one of its own reads".into(),
            )
        })?;
        // The server went away (restarted, network cut): the next use reconnects.
        if c.is_closed() {
            *c = self.connector.session()?;
        }
        Ok(c)
    }

    /// Creates the monthly partitions the records need, each in its own
    /// short transaction under an advisory lock (so two writers never race).
    fn ensure_partitions(&mut self, records: &[UsageRecord]) -> Result<()> {
        let need: BTreeSet<i64> = records
            .iter()
            .map(|r| month_index(r.at))
            .filter(|m| !self.months.contains(m))
            .collect();
        if need.is_empty() {
            return Ok(());
        }
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(backend)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&schema::LOCK_PARTITIONS],
        )
        .map_err(backend)?;
        for &m in &need {
            tx.batch_execute(&partition_sql(m)).map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        drop(client);
        self.months.extend(need);
        Ok(())
    }

    fn write(
        &mut self,
        records: &[UsageRecord],
        progress: &[FileProgress],
    ) -> Result<InsertSummary> {
        self.write_spend(records, progress, &[])
    }

    fn write_spend(
        &mut self,
        records: &[UsageRecord],
        progress: &[FileProgress],
        spend: &[llmcost_ledger::SpendDelta],
    ) -> Result<InsertSummary> {
        if let Some(d) = spend.iter().find(|d| d.record >= records.len()) {
            return Err(LedgerError::Conflict(format!(
                "spend of record {} of a batch of {}",
                d.record,
                records.len()
            )));
        }
        let progress_rows = progress
            .iter()
            .map(|p| {
                Ok((
                    p.path.as_str(),
                    to_i64(p.offset, "offset")?,
                    p.head_hash.as_str(),
                    to_i64(p.lines, "lines")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut kept = write::first_occurrences(records);
        // Stored in time order (stable: records at one instant keep the
        // batch's order, hence their ids insertion order): each partition and
        // the `(at, id)` index are filled in runs, and the halves of a big
        // batch touch different ranges.
        kept.sort_by_key(|(_, r)| r.at);
        let total = records.len() as u64;
        if kept.is_empty() && progress_rows.is_empty() {
            return Ok(InsertSummary {
                inserted: 0,
                duplicates: total,
            });
        }
        self.ensure_partitions(records)?;
        let blocks = if kept.is_empty() {
            Vec::new()
        } else {
            let mut client = self.client()?;
            self.strings.borrow_mut().intern(
                &mut client,
                kept.iter()
                    .flat_map(|(_, r)| [r.origin.as_deref(), r.price_ref.as_deref()])
                    .flatten(),
            )?;
            write::reserve_blocks(&mut client, kept.len())?
        };
        // Position of each record of `records` among the kept ones.
        let mut position: Vec<Option<usize>> = vec![None; records.len()];
        let mut with_ids = Vec::with_capacity(kept.len());
        for (pos, (i, r)) in kept.iter().enumerate() {
            position[*i] = Some(pos);
            with_ids.push((write::id_of(&blocks, pos)?, *r));
        }
        // The spend of a repeated key goes with the record stored (the first).
        let spend: Vec<(usize, &llmcost_ledger::SpendDelta)> = spend
            .iter()
            .filter_map(|d| Some(((*position.get(d.record)?)?, d)))
            .collect();
        let split = if spend.is_empty() && with_ids.len() >= write::PARALLEL_MIN {
            with_ids.len() / 2
        } else {
            with_ids.len()
        };
        let part = |from: usize, to: usize| {
            let (spend_at, spend): (Vec<usize>, Vec<_>) = spend
                .iter()
                .filter(|(p, _)| (from..to).contains(p))
                .map(|(p, d)| (p - from, *d))
                .unzip();
            write::Part {
                records: with_ids[from..to].to_vec(),
                spend,
                spend_at,
            }
        };
        let parts = [part(0, split), part(split, with_ids.len())];
        let inserted = self.write_parts(records, &parts, &progress_rows)?;
        Ok(InsertSummary {
            inserted,
            duplicates: total - inserted.min(total),
        })
    }

    /// Writes `parts[0]` with `progress` (the only part of a small batch), or
    /// both parts at once on two connections and `progress` after them.
    /// A failed part is tried again (deadlock, serialisation failure, a month
    /// partition pruned meanwhile); a part once committed is not.
    fn write_parts(
        &mut self,
        records: &[UsageRecord],
        parts: &[write::Part<'_>; 2],
        progress: &[write::ProgressRow<'_>],
    ) -> Result<u64> {
        let both = !parts[1].records.is_empty();
        // Done parts: the halves and the progress (which goes with the records,
        // in their transaction, when there is one part).
        let mut done: [Option<u64>; 3] = if both {
            [None; 3]
        } else {
            [None, Some(0), Some(0)]
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.write_parts_once(parts, progress, both, &mut done);
            match result {
                Err(e) if attempt < 5 && retryable(&e) => {}
                // A month partition was dropped (pruned) since this ledger made it.
                Err(e) if attempt < 5 && sql_state(&e) == Some(&SqlState::CHECK_VIOLATION) => {
                    self.months.clear();
                    self.ensure_partitions(records)?;
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(done.iter().map(|d| d.unwrap_or(0)).sum()),
            }
        }
    }

    fn write_parts_once(
        &mut self,
        parts: &[write::Part<'_>; 2],
        progress: &[write::ProgressRow<'_>],
        both: bool,
        done: &mut [Option<u64>; 3],
    ) -> Result<()> {
        if !both {
            if done[0].is_none() {
                let mut client = self.client()?;
                done[0] = Some(write::write_part(
                    &mut client,
                    &parts[0],
                    progress,
                    &self.plain_claims,
                    &self.strings.borrow(),
                )?);
            }
            return Ok(());
        }
        if self.second.as_ref().is_none_or(Client::is_closed) {
            self.second = Some(self.connector.session()?);
        }
        let strings = self.strings.borrow();
        let (first, second, plain) = (&self.client, &mut self.second, &self.plain_claims);
        let strings: &compact::Strings = &strings;
        let (a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| match (done[1], second.as_mut()) {
                (Some(n), _) => Ok(n),
                (None, Some(c)) => write::write_part(c, &parts[1], &[], plain, strings),
                (None, None) => Err(LedgerError::Conflict("no second connection".into())),
            });
            let a = match done[0] {
                Some(n) => Ok(n),
                None => first
                    .try_borrow_mut()
                    .map_err(|_| LedgerError::Conflict("the ledger is busy".into()))
                    .and_then(|mut c| write::write_part(&mut c, &parts[0], &[], plain, strings)),
            };
            let b = b
                .join()
                .unwrap_or_else(|_| Err(LedgerError::Conflict("a writer thread failed".into())));
            (a, b)
        });
        let b = b.inspect(|n| done[1] = Some(*n));
        done[0] = Some(a?);
        b?;
        if done[2].is_none() {
            let empty = write::Part {
                records: Vec::new(),
                spend: Vec::new(),
                spend_at: Vec::new(),
            };
            write::write_part(
                &mut *self.client()?,
                &empty,
                progress,
                &self.plain_claims,
                &compact::Strings::default(),
            )?;
            done[2] = Some(0);
        }
        Ok(())
    }

    /// Calls `f` on each row of `SELECT {cols_from}` (columns and their
    /// tables) that `filter` keeps.
    fn walk(
        &self,
        filter: &Filter,
        cols_from: &str,
        ordered: bool,
        f: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let (where_sql, params) = where_clause(filter)?;
        let order = if ordered {
            " ORDER BY at, at_nanos, id"
        } else {
            ""
        };
        let sql = format!("SELECT {cols_from}{where_sql}{order}");
        let mut client = self.client()?;
        let mut rows = client
            .query_raw(&sql, params.iter().map(|p| &**p as &dyn ToSql))
            .map_err(backend)?;
        use postgres::fallible_iterator::FallibleIterator as _;
        while let Some(row) = rows.next().map_err(backend)? {
            f(&row)?;
        }
        Ok(())
    }
}

fn sql_state(e: &LedgerError) -> Option<&SqlState> {
    let LedgerError::Backend(b) = e else {
        return None;
    };
    b.downcast_ref::<postgres::Error>()?.code()
}

fn retryable(e: &LedgerError) -> bool {
    matches!(
        sql_state(e),
        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    )
}

pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| {
        LedgerError::Conflict(format!(
            "`{what}` = {v} does not fit the ledger's signed 64-bit integer"
        ))
    })
}

/// `year * 12 + month - 1` of an instant (UTC).
pub(crate) fn month_index(at: Timestamp) -> i64 {
    let d = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    i64::from(d.year()) * 12 + i64::from(d.month()) - 1
}

fn partition_sql(m: i64) -> String {
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    let (ny, nmo) = ((m + 1).div_euclid(12), (m + 1).rem_euclid(12) + 1);
    let bound = |y: i64, mo: i64| {
        if y <= 0 {
            // Year 0 is 1 BC in PostgreSQL's calendar.
            format!("{:04}-{mo:02}-01 00:00:00+00 BC", 1 - y)
        } else {
            format!("{y:04}-{mo:02}-01 00:00:00+00")
        }
    };
    let name = if y <= 0 {
        format!("records_bc{:04}m{mo:02}", 1 - y)
    } else {
        format!("records_y{y:04}m{mo:02}")
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {name} PARTITION OF records \
         FOR VALUES FROM ('{}') TO ('{}')",
        bound(y, mo),
        bound(ny, nmo)
    )
}

/// Microseconds since the epoch and the nanoseconds below them.
pub(crate) fn split_time(at: Timestamp) -> (i64, i16) {
    let ns = at.as_nanosecond();
    let us = ns.div_euclid(1000);
    let rest = ns.rem_euclid(1000);
    // jiff's range (years -9999..=9999) fits i64 microseconds.
    (
        i64::try_from(us).unwrap_or(i64::MAX),
        i16::try_from(rest).unwrap_or(0),
    )
}

pub(crate) fn micros_text(us: i64) -> String {
    // The UTC text PostgreSQL reads exactly (microseconds, `Z`).
    match Timestamp::from_microsecond(us) {
        Ok(t) => format!("{t:.6}"),
        Err(_) => "infinity".into(),
    }
}

/// A `text[]` literal: `{"a","b \"c\""}`.
pub(crate) fn array_literal(items: &[String]) -> String {
    let mut s = String::from("{");
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        for c in t.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
    }
    s.push('}');
    s
}

type Param = Box<dyn ToSql + Sync>;

fn where_clause(filter: &Filter) -> Result<(String, Vec<Param>)> {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let next = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        params.len()
    };
    if let Some(s) = filter.since {
        let (us, ns) = split_time(s);
        let a = next(&mut params, Box::new(micros_text(us)));
        let b = next(&mut params, Box::new(ns));
        conds.push(format!(
            "at >= ${a}::text::timestamptz AND NOT (at = ${a}::text::timestamptz AND at_nanos < ${b})"
        ));
    }
    if let Some(u) = filter.until {
        let (us, ns) = split_time(u);
        let a = next(&mut params, Box::new(micros_text(us)));
        let b = next(&mut params, Box::new(ns));
        conds.push(format!(
            "at <= ${a}::text::timestamptz AND NOT (at = ${a}::text::timestamptz AND at_nanos >= ${b})"
        ));
    }
    if !filter.models.is_empty() {
        let a = next(&mut params, Box::new(filter.models.clone()));
        conds.push(format!("model = ANY(${a}::text[])"));
    }
    if !filter.sources.is_empty() {
        let a = next(&mut params, Box::new(filter.sources.clone()));
        conds.push(format!("source = ANY(${a}::text[])"));
    }
    if let Some(p) = &filter.project {
        let a = next(&mut params, Box::new(p.clone()));
        conds.push(format!("project = ${a}::text"));
    }
    if let Some(t) = &filter.tag {
        let a = next(&mut params, Box::new(t.clone()));
        conds.push(format!("${a}::text = ANY(tags)"));
    }
    if let Some(k) = &filter.key_fingerprint {
        let a = next(&mut params, Box::new(k.clone()));
        conds.push(format!("key_fingerprint = ${a}::text"));
    }
    let sql = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    Ok((sql, params))
}

/// Columns a full read selects, in [`full_record`] order, and the tables
/// they come from: a record's origin and price reference are its own text
/// (stored before schema 5) or the `strings` its ids name.
fn full_cols() -> String {
    let mut s = String::from(
        "id, (extract(epoch FROM at) * 1000000)::bigint, at_nanos, dedup_key, source, \
         coalesce(origin, so.value), line, provider, model, project, session, ",
    );
    s.push_str(&BUCKET_COLS.join(", "));
    s.push_str(
        ", service_tier, cost::text, currency, coalesce(price_ref, sp.value), billed::text, \
         billed_currency, raw_usage, tags, status, latency_ms, ttfb_ms, key_fingerprint, \
         incomplete, device FROM records \
         LEFT JOIN strings so ON so.string_id = origin_id \
         LEFT JOIN strings sp ON sp.string_id = price_ref_id",
    );
    s
}

/// Columns a lean read selects, in [`lean_record`] order, and their table.
fn lean_cols() -> String {
    format!(
        "id, (extract(epoch FROM at) * 1000000)::bigint, at_nanos, source, model, project, \
         session, {}, service_tier, cost::text, currency FROM records",
        BUCKET_COLS.join(", ")
    )
}

struct Reader<'r> {
    row: &'r Row,
    id: i64,
}

impl<'r> Reader<'r> {
    fn new(row: &'r Row) -> Result<Self> {
        let id = row.try_get(0).map_err(backend)?;
        Ok(Reader { row, id })
    }

    fn corrupt(&self, message: String) -> LedgerError {
        LedgerError::Corrupt {
            row: self.id,
            message,
        }
    }

    fn get<T: postgres::types::FromSql<'r>>(&self, i: usize) -> Result<T> {
        self.row.try_get(i).map_err(backend)
    }

    fn opt_unsigned(&self, i: usize, what: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self.get(i)?;
        v.map(|v| u64::try_from(v).map_err(|_| self.corrupt(format!("`{what}` is negative: {v}"))))
            .transpose()
    }

    fn at(&self) -> Result<Timestamp> {
        let us: i64 = self.get(1)?;
        let ns: i16 = self.get(2)?;
        let total = i128::from(us) * 1000 + i128::from(ns);
        Timestamp::from_nanosecond(total)
            .map_err(|e| self.corrupt(format!("`at` is out of range: {e}")))
    }

    fn money(&self, i: usize, what: &str) -> Result<Option<Decimal>> {
        let v: Option<&str> = self.get(i)?;
        v.map(|s| {
            Decimal::from_str(s)
                .map_err(|_| self.corrupt(format!("`{what}` is not an exact decimal: `{s}`")))
        })
        .transpose()
    }

    fn currency(&self, i: usize, what: &str) -> Result<Option<Currency>> {
        let v: Option<&str> = self.get(i)?;
        v.map(|s| {
            Currency::new(s).map_err(|_| self.corrupt(format!("`{what}` is not a currency: `{s}`")))
        })
        .transpose()
    }

    fn tier(&self, i: usize) -> Result<ServiceTier> {
        let s: &str = self.get(i)?;
        ServiceTier::from_str(s).map_err(|_| self.corrupt(format!("unknown service tier `{s}`")))
    }

    /// The token counts (NULL is zero: schema 5 stores no zeros).
    fn usage(&self, first: usize) -> Result<Usage> {
        let mut u = Usage::default();
        for (i, b) in Bucket::ALL.into_iter().enumerate() {
            u.set(b, self.opt_unsigned(first + i, b.key())?.unwrap_or(0));
        }
        Ok(u)
    }
}

fn full_record(row: &Row) -> Result<UsageRecord> {
    let r = Reader::new(row)?;
    let nb = BUCKET_COLS.len();
    let t = 11 + nb;
    let status: Option<i32> = r.get(t + 8)?;
    Ok(UsageRecord {
        at: r.at()?,
        dedup_key: r.get(3)?,
        source: r.get(4)?,
        origin: r.get(5)?,
        line: r.opt_unsigned(6, "line")?,
        provider: r.get(7)?,
        model: r.get(8)?,
        project: r.get(9)?,
        session: r.get(10)?,
        usage: r.usage(11)?,
        service_tier: r.tier(t)?,
        cost: r.money(t + 1, "cost")?,
        currency: r.currency(t + 2, "currency")?,
        price_ref: r.get(t + 3)?,
        billed: r.money(t + 4, "billed")?,
        billed_currency: r.currency(t + 5, "billed_currency")?,
        raw_usage: r.get(t + 6)?,
        tags: r.get::<Option<Vec<String>>>(t + 7)?.unwrap_or_default(),
        status: status
            .map(|s| {
                u16::try_from(s)
                    .map_err(|_| r.corrupt(format!("`status` is not an HTTP status: {s}")))
            })
            .transpose()?,
        latency_ms: r.opt_unsigned(t + 9, "latency_ms")?,
        ttfb_ms: r.opt_unsigned(t + 10, "ttfb_ms")?,
        key_fingerprint: r.get(t + 11)?,
        incomplete: r.get(t + 12)?,
        device: r.get(t + 13)?,
    })
}

fn lean_record(row: &Row) -> Result<LeanRecord<'_>> {
    let r = Reader::new(row)?;
    let t = 7 + BUCKET_COLS.len();
    Ok(LeanRecord {
        at: r.at()?,
        source: r.get(3)?,
        model: r.get(4)?,
        project: r.get(5)?,
        session: r.get(6)?,
        usage: r.usage(7)?,
        service_tier: r.tier(t)?,
        cost: r.money(t + 1, "cost")?,
        currency: r.currency(t + 2, "currency")?,
    })
}

impl Ledger for PgLedger {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<InsertSummary> {
        self.write(records, &[])
    }

    fn insert_with_progress(
        &mut self,
        records: &[UsageRecord],
        progress: &FileProgress,
    ) -> Result<InsertSummary> {
        self.write(records, std::slice::from_ref(progress))
    }

    fn insert_with_progresses(
        &mut self,
        records: &[UsageRecord],
        progress: &[FileProgress],
    ) -> Result<InsertSummary> {
        self.write(records, progress)
    }

    fn file_progress(&self, path: &str) -> Result<Option<FileProgress>> {
        Ok(self.files_progress(&[path])?.pop().flatten())
    }

    fn files_progress(&self, paths: &[&str]) -> Result<Vec<Option<FileProgress>>> {
        let rows = self
            .client()?
            .query_typed(
                "SELECT path, byte_offset, head_hash, lines FROM file_progress \
                 WHERE path = ANY($1)",
                &[(&paths, Type::TEXT_ARRAY)],
            )
            .map_err(backend)?;
        let mut found: FxHashMap<&str, FileProgress> = FxHashMap::default();
        for row in &rows {
            let path: &str = row.try_get(0).map_err(backend)?;
            let offset: i64 = row.try_get(1).map_err(backend)?;
            let lines: i64 = row.try_get(3).map_err(backend)?;
            let bad = |what: &str, v: i64| {
                LedgerError::Conflict(format!("file progress of `{path}`: negative {what} {v}"))
            };
            let p = FileProgress {
                path: path.to_string(),
                offset: u64::try_from(offset).map_err(|_| bad("offset", offset))?,
                head_hash: row.try_get(2).map_err(backend)?,
                lines: u64::try_from(lines).map_err(|_| bad("lines", lines))?,
            };
            found.insert(path, p);
        }
        Ok(paths.iter().map(|p| found.get(p).cloned()).collect())
    }

    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        self.walk(filter, &full_cols(), true, &mut |row| f(full_record(row)?))
    }

    fn for_each_unordered(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        self.walk(filter, &full_cols(), false, &mut |row| f(full_record(row)?))
    }

    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        self.walk(filter, &lean_cols(), false, &mut |row| f(lean_record(row)?))
    }

    fn update_costs(&mut self, costs: &[CostUpdate]) -> Result<u64> {
        if costs.is_empty() {
            return Ok(0);
        }
        let keys: Vec<&str> = costs.iter().map(|c| c.0.as_str()).collect();
        let hashes: Vec<compact::KeyHash> = keys.iter().map(|k| compact::KeyHash::of(k)).collect();
        let cost: Vec<Option<String>> = costs.iter().map(|c| c.1.map(|d| d.to_string())).collect();
        let cur: Vec<Option<String>> = costs
            .iter()
            .map(|c| c.2.map(|c| c.as_str().to_string()))
            .collect();
        let mut client = self.client()?;
        let mut strings = self.strings.borrow_mut();
        strings.intern(&mut client, costs.iter().filter_map(|c| c.3.as_deref()))?;
        let pref = costs
            .iter()
            .map(|c| strings.id(c.3.as_deref()))
            .collect::<Result<Vec<Option<i32>>>>()?;
        let mut tx = client.transaction().map_err(backend)?;
        // The rollups of the hours of the changed records are rebuilt with them.
        let n = rollup::update_and_rebuild(
            &mut tx,
            "UPDATE records r SET cost = u.cost::numeric, currency = u.cur, price_ref = NULL, \
                 price_ref_id = u.pref \
             FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::int4[]) \
                 AS u(k, h, cost, cur, pref) \
             JOIN record_keys rk ON rk.key_hash = u.h \
             WHERE r.at = rk.at AND r.dedup_key = u.k",
            &[&keys, &hashes, &cost, &cur, &pref],
        )?;
        tx.commit().map_err(backend)?;
        Ok(n)
    }

    fn rollup(
        &self,
        q: &llmcost_ledger::RollupQuery,
    ) -> Result<Option<Vec<llmcost_ledger::RollupRow>>> {
        rollup::query(&mut *self.client()?, q)
    }

    fn count(&self) -> Result<u64> {
        let mut client = self.client()?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM records", &[])
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn insert_with_spend(
        &mut self,
        records: &[UsageRecord],
        spend: &[llmcost_ledger::SpendDelta],
    ) -> Result<InsertSummary> {
        self.write_spend(records, &[], spend)
    }

    fn fleet_budgets(&self) -> Result<Option<Box<dyn llmcost_ledger::FleetBudgets>>> {
        Ok(Some(Box::new(fleet::PgFleet::new(self.connector.clone())?)))
    }

    fn prune(
        &mut self,
        before: Timestamp,
        apply: bool,
    ) -> Result<Option<llmcost_ledger::PruneSummary>> {
        let summary = {
            let mut client = self.client()?;
            prune::prune(&mut client, before, apply)?
        };
        // Dropped months are made again if a record for them comes.
        self.months.clear();
        Ok(Some(summary))
    }

    /// A new connection to the same database (the schema is up to date already).
    fn reader(&self) -> Result<Box<dyn Ledger>> {
        Ok(Box::new(PgLedger {
            client: RefCell::new(self.connector.session()?),
            months: BTreeSet::new(),
            second: None,
            connector: self.connector.clone(),
            plain_claims: AtomicBool::new(true),
            strings: RefCell::default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_columns_follow_the_core_buckets() {
        let keys: Vec<&str> = Bucket::ALL.iter().map(|b| b.key()).collect();
        assert_eq!(
            keys, BUCKET_COLS,
            "a new bucket needs a column and a migration"
        );
    }

    #[test]
    fn partitions_are_named_and_bounded_by_month() {
        let m = month_index("2025-12-31T23:59:59.999999999Z".parse().unwrap());
        assert_eq!(m, 2025 * 12 + 11);
        assert_eq!(
            partition_sql(m),
            "CREATE TABLE IF NOT EXISTS records_y2025m12 PARTITION OF records \
             FOR VALUES FROM ('2025-12-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')"
        );
    }

    #[test]
    fn array_literals_quote_and_escape() {
        assert_eq!(
            array_literal(&["x".into(), "say \"hi\" \\o/".into()]),
            "{\"x\",\"say \\\"hi\\\" \\\\o/\"}"
        );
        assert_eq!(array_literal(&[]), "{}");
    }

    #[test]
    fn time_splits_into_micros_and_nanos() {
        let t: Timestamp = "2025-01-01T00:00:00.123456789Z".parse().unwrap();
        let (us, ns) = split_time(t);
        assert_eq!(ns, 789);
        assert_eq!(micros_text(us), "2025-01-01T00:00:00.123456Z");
        let before: Timestamp = "1969-12-31T23:59:59.999999999Z".parse().unwrap();
        assert_eq!(split_time(before), (-1, 999));
    }
}

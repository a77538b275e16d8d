//! `llmcost report daily|weekly|monthly|model|session [PATH...]`: usage and
//! cost per period, per model or per session.
//!
//! Two modes:
//! * **paths** (positional `PATH`s or `--path DIR`, the two are the same list):
//!   the logs are read directly, without importing — files in parallel, each
//!   streamed; across files only fixed-size hashes are kept, to de-duplicate.
//!   Claude Code side-chain copies of a message counted outside the side chain
//!   are dropped across files too. `--logs` reads the default log folders
//!   (Claude Code and Codex CLI) the same way.
//! * **ledger** (no path): the records of the ledger (`--ledger PATH`, else
//!   `$LLMCOST_LEDGER`, else the data directory). A record's stored cost is
//!   used when it is in the report's currency; otherwise it is priced again.
//!
//! Every record is priced at the price in force at its own timestamp
//! (time-of-day windows and long-context tiers included) in one currency
//! (`--currency`, USD by default; `--fx CUR=RATE` converts a model listed only
//! in another currency). A model with no price is listed in `unpriced[]` with
//! its tokens and never counted as zero.
//!
//! Days are cut in `--tz`, else the `TZ` environment variable, else UTC.
//!
//! # Wire format (`--format json`)
//!
//! `report`, `currency`, `tz`, `mode` (`paths`|`ledger`), `rows[]`, `totals`,
//! `unpriced[]`, `fx[]`, `issues` (`count`, `first[]` with `path`, `line`,
//! `message`), `notes[]` (only when there are some: `path`, `line`,
//! `message` of a last line still being written, left for the next read),
//! `files`. A row: `period` (daily and weekly: `YYYY-MM-DD`, the
//! week's Monday for weekly; monthly `YYYY-MM`; model: the model; session:
//! the session id, with `project`), `input`, `cache_read`, `cache_write`,
//! `cache_write_1h`, `output`, `reasoning`, `total_tokens`, `records`, `cost`
//! (exact decimal string, priced records only), `currency`,
//! `cost_per_million` (per million priced tokens, 10 decimals at most, or
//! null), `unpriced_tokens`, and with `--breakdown` `models[]` (the same keys
//! with `model` instead of `period`; `cost` is null for an unpriced model).
//! `totals` has the row keys but `period`. `unpriced[]`: `model`, `records`,
//! the bucket keys, `total_tokens`, `reason`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use jiff::tz::TimeZone;
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal, PriceRow, ServiceTier, Timestamp, Usage};
use llmcost_ledger::Filter;
use llmcost_ledger_sqlite::SqliteLedger;
use llmcost_logs::{Entry, Issue, SourceKind};
use rayon::prelude::*;
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::PriceOpts;
use crate::common::{PriceSettings, parse_time};
use crate::output::{Align, Display, Table, int};

/// Issues kept in full; the rest are counted.
const MAX_ISSUES_SHOWN: usize = 20;

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One row per day.
    Daily,
    /// One row per week (Monday to Sunday), labelled with its Monday.
    Weekly,
    /// One row per month.
    Monthly,
    /// One row per model.
    Model,
    /// One row per session.
    Session,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned table with a cost bar (figures rounded for display, and it says so).
    #[default]
    Table,
    /// Stable JSON; amounts are exact decimal strings.
    Json,
    /// CSV, one line per row (and per model with --breakdown).
    Csv,
}

/// Usage and cost per day, week, month, model or session — from the ledger, or straight from log files.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Group by: daily, weekly, monthly, model or session.
    #[arg(value_enum)]
    pub period: Period,
    /// Log files or directories to read directly, without importing (same as --path).
    /// Without any, the ledger is read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A log file or directory to read directly (repeatable; added to the PATHs).
    #[arg(long = "path", value_name = "DIR")]
    pub path: Vec<PathBuf>,
    /// Read the default log folders directly, without importing: `$CLAUDE_CONFIG_DIR/projects`
    /// (else `~/.claude/projects` and `~/.config/claude/projects`) and
    /// `${CODEX_HOME:-~/.codex}/sessions`.
    #[arg(long, conflicts_with_all = ["paths", "path", "ledger"])]
    pub logs: bool,
    /// Source format of the paths when it cannot be told from path and content: claude,
    /// codex, jsonl, openai-usage, anthropic-usage or csv.
    #[arg(long, value_name = "KIND")]
    pub source: Option<String>,
    /// Ledger file, when no path is given (default: `$LLMCOST_LEDGER`, else the data directory).
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Also break each row down per model.
    #[arg(long)]
    pub breakdown: bool,
    /// Only usage at or after this time (RFC 3339, or a date: midnight in --tz).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only usage before this time (RFC 3339), or up to the end of this date in --tz.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only these models (as recorded; repeatable).
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<String>,
    /// Time zone days are cut in (IANA name such as `Europe/Paris`, or `UTC`).
    /// Default: the `TZ` environment variable, else UTC.
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
    /// Currency of the report: each provider's own list in it (default USD).
    #[arg(long, value_name = "CUR")]
    pub currency: Option<String>,
    /// Exchange rate for models with no list in --currency: `CUR=RATE` (one CUR in
    /// --currency), repeatable.
    #[arg(long, value_name = "CUR=RATE")]
    pub fx: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

// ---------------------------------------------------------------------------
// Settings

/// Resolved settings shared by `report` and `reconcile`.
pub(crate) struct Settings {
    pub price: PriceSettings,
    pub currency: Currency,
    pub tz: TimeZone,
    pub tz_name: String,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub models: Vec<String>,
}

/// The time zone: `--tz`, else `TZ`, else UTC.
pub(crate) fn resolve_tz(tz: Option<&str>) -> Result<(TimeZone, String)> {
    if let Some(name) = tz {
        let t = name.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok((TimeZone::UTC, "UTC".into()));
        }
        let z = TimeZone::get(t).with_context(|| {
            format!("--tz: unknown time zone `{t}`\nhint: use an IANA name such as `Europe/Paris` or `America/New_York`, or `UTC`")
        })?;
        return Ok((z, t.to_string()));
    }
    match std::env::var("TZ") {
        Ok(v) if !v.trim().is_empty() => {
            let name = v.trim().trim_start_matches(':');
            if name.eq_ignore_ascii_case("utc") || name == "UTC0" {
                return Ok((TimeZone::UTC, "UTC".into()));
            }
            match TimeZone::get(name).or_else(|_| TimeZone::try_system()) {
                Ok(z) => Ok((z, name.to_string())),
                Err(_) => Ok((TimeZone::UTC, "UTC".into())),
            }
        }
        _ => Ok((TimeZone::UTC, "UTC".into())),
    }
}

/// A bound: an instant, or a date (midnight in `tz`; `end_of_day` moves it to the next midnight).
pub(crate) fn parse_bound(
    s: &str,
    tz: &TimeZone,
    end_of_day: bool,
    what: &str,
) -> Result<Timestamp> {
    let t = s.trim();
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        let d = if end_of_day {
            d.tomorrow().map_err(|e| anyhow!("{what}: {e}"))?
        } else {
            d
        };
        return Ok(d
            .to_zoned(tz.clone())
            .map_err(|e| anyhow!("{what}: {e}"))?
            .timestamp());
    }
    parse_time(t).with_context(|| format!("invalid {what}"))
}

impl Settings {
    pub(crate) fn resolve(
        currency: Option<&str>,
        fx: &[String],
        tz: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        models: &[String],
    ) -> Result<Settings> {
        let (tz, tz_name) = resolve_tz(tz)?;
        let cur = currency.unwrap_or("USD").to_string();
        let price = PriceSettings::resolve(&PriceOpts {
            at: None,
            currency: Some(cur),
            fx: fx.to_vec(),
            format: crate::args::Format::Table,
        })?;
        let currency = price.currency.unwrap_or(Currency::USD);
        let since = since
            .map(|s| parse_bound(s, &tz, false, "--since"))
            .transpose()?;
        let until = until
            .map(|s| parse_bound(s, &tz, true, "--until"))
            .transpose()?;
        if let (Some(a), Some(b)) = (since, until)
            && a >= b
        {
            crate::common::usage_bail!("--since ({a}) is not before --until ({b})");
        }
        Ok(Settings {
            price,
            currency,
            tz,
            tz_name,
            since,
            until,
            models: models.to_vec(),
        })
    }

    fn keeps(&self, at: Timestamp, model: &str) -> bool {
        self.since.is_none_or(|s| at >= s)
            && self.until.is_none_or(|u| at < u)
            && (self.models.is_empty() || self.models.iter().any(|m| m == model))
    }

    /// Days since the epoch of the civil date of `at` in the report's zone.
    pub(crate) fn day(&self, at: Timestamp) -> i64 {
        let off = if self.tz == TimeZone::UTC {
            0
        } else {
            i64::from(self.tz.to_offset(at).seconds())
        };
        (at.as_second() + off).div_euclid(86_400)
    }
}

// ---------------------------------------------------------------------------
// Pricing with a per-thread cache of the row in force

/// A cached resolution: valid for instants in `[from, until)`.
struct Cached {
    from: Timestamp,
    until: Option<Timestamp>,
    row: Arc<PriceRow>,
    rate: Option<(Currency, Decimal)>,
    /// The end of the row's holiday calendar, if any (records at or after it
    /// are noted once in `Pricer::calendars`).
    calendar_end: Option<Timestamp>,
}

/// Prices usages of many records; caches per model the row in force and its
/// validity, so most records cost one comparison and the row's arithmetic.
pub(crate) struct Pricer<'a> {
    cat: &'a Catalog,
    s: &'a PriceSettings,
    cache: Vec<(Arc<str>, Cached)>,
    /// Models whose name is unknown (time-independent), with the reason.
    unknown: HashMap<Arc<str>, String, foldhash::fast::RandomState>,
    /// Conversions used.
    pub fx: BTreeMap<Currency, Decimal>,
    /// Schedules whose holiday calendar had ended at a record priced.
    pub calendars: super::calendar::Ended,
}

impl<'a> Pricer<'a> {
    pub(crate) fn new(cat: &'a Catalog, s: &'a PriceSettings) -> Pricer<'a> {
        Pricer {
            cat,
            s,
            cache: Vec::new(),
            unknown: HashMap::default(),
            fx: BTreeMap::new(),
            calendars: super::calendar::Ended::default(),
        }
    }

    /// The exact cost, or why there is none.
    pub(crate) fn price(
        &mut self,
        model: &Arc<str>,
        at: Timestamp,
        usage: &Usage,
        tier: ServiceTier,
    ) -> Result<Decimal, String> {
        if let Some(why) = self.unknown.get(model) {
            return Err(why.clone());
        }
        // Models are few: a linear scan (pointer first) beats hashing the name.
        let pos = self
            .cache
            .iter()
            .position(|(m, _)| Arc::ptr_eq(m, model) || **m == **model);
        let fresh = pos.filter(|&i| {
            let c = &self.cache[i].1;
            at >= c.from && c.until.is_none_or(|u| at < u)
        });
        let i = match fresh {
            Some(i) => i,
            None => self.refresh(model, at)?,
        };
        let c = &self.cache[i].1;
        let total = c.row.total(usage, at, tier).map_err(|e| e.to_string())?;
        // One comparison; past the calendar the row's schedule is noted once.
        if c.calendar_end.is_some_and(|e| at >= e) {
            let row = c.row.clone();
            self.cache[i].1.calendar_end = None;
            self.calendars.note_row(&row, at);
        }
        let c = &self.cache[i].1;
        Ok(match c.rate {
            Some((from, rate)) => {
                self.fx.insert(from, rate);
                (total * rate).normalize()
            }
            None => total,
        })
    }

    fn refresh(&mut self, model: &Arc<str>, at: Timestamp) -> Result<usize, String> {
        match crate::common::resolve(self.cat, model, at, self.s) {
            Ok((r, conv)) => {
                let spec = r.row.spec();
                let mut from = spec.from;
                let mut until = spec.until;
                for a in &r.via {
                    from = from.max(a.from);
                    until = match (until, a.until) {
                        (Some(x), Some(y)) => Some(x.min(y)),
                        (x, y) => x.or(y),
                    };
                }
                if let Some(ret) = r.model.retired {
                    until = Some(until.map_or(ret, |u| u.min(ret)));
                }
                let cached = Cached {
                    from,
                    until,
                    row: r.row.clone(),
                    rate: conv.map(|(from, _, rate)| (from, rate)),
                    calendar_end: spec
                        .off_peak
                        .as_ref()
                        .and_then(|o| o.schedule.calendar_end()),
                };
                let i = match self.cache.iter().position(|(m, _)| **m == **model) {
                    Some(i) => {
                        self.cache[i].1 = cached;
                        i
                    }
                    None => {
                        self.cache.push((model.clone(), cached));
                        self.cache.len() - 1
                    }
                };
                Ok(i)
            }
            Err(e) => {
                let msg = format!("{e:#}");
                let reason = msg.lines().next().unwrap_or("no price").to_string();
                if !self.cat.knows(model) {
                    self.unknown.insert(model.clone(), reason.clone());
                }
                self.cache.retain(|(m, _)| **m != **model);
                Err(reason)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Aggregation

/// What a row is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A day, week start or month, as days since the epoch (month: first day).
    Day(i64),
    /// A model or session.
    Name(Arc<str>, Option<Arc<str>>),
}

/// Sums of one row (or one model in a row).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sum {
    pub usage: Usage,
    pub records: u64,
    pub cost: Decimal,
    pub priced_tokens: u128,
    pub unpriced_tokens: u128,
    pub unpriced_records: u64,
}

impl Sum {
    fn merge(&mut self, o: &Sum) {
        self.usage += o.usage;
        self.records += o.records;
        self.cost += o.cost;
        self.priced_tokens += o.priced_tokens;
        self.unpriced_tokens += o.unpriced_tokens;
        self.unpriced_records += o.unpriced_records;
    }
}

/// An unpriced model: tokens and why.
#[derive(Debug, Clone, Default)]
pub(crate) struct Unpriced {
    pub usage: Usage,
    pub records: u64,
    pub reason: String,
}

/// Aggregates of a report.
#[derive(Default)]
pub(crate) struct Agg {
    pub cells: HashMap<(Key, Arc<str>), Sum, foldhash::fast::RandomState>,
    pub unpriced: BTreeMap<Arc<str>, Unpriced>,
    pub issues: Vec<Issue>,
    pub issue_count: u64,
    /// Not problems: a last line still being written (path mode).
    pub notes: Vec<Issue>,
    pub fx: BTreeMap<Currency, Decimal>,
    /// Schedules whose holiday calendar had ended at a record priced.
    pub calendars: super::calendar::Ended,
    pub files: u64,
    /// Claude Code message ids counted outside a side chain (path mode).
    pub parents: Vec<u64>,
}

impl Agg {
    fn merge(mut self, o: Agg) -> Agg {
        for (k, v) in o.cells {
            self.cells.entry(k).or_default().merge(&v);
        }
        for (k, v) in o.unpriced {
            let e = self.unpriced.entry(k).or_default();
            e.usage += v.usage;
            e.records += v.records;
            if e.reason.is_empty() {
                e.reason = v.reason;
            }
        }
        self.issue_count += o.issue_count;
        self.issues.extend(o.issues);
        self.issues
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        self.issues.truncate(MAX_ISSUES_SHOWN);
        self.notes.extend(o.notes);
        self.fx.extend(o.fx);
        self.calendars.extend(o.calendars);
        self.files += o.files;
        self.parents.extend(o.parents);
        self
    }

    /// Adds one record.
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of one record, kept apart to avoid building a record"
    )]
    pub(crate) fn add(
        &mut self,
        period: Period,
        s: &Settings,
        pricer: &mut Pricer<'_>,
        at: Timestamp,
        model: &Arc<str>,
        usage: &Usage,
        tier: ServiceTier,
        stored: Option<Decimal>,
        session: Option<(&Arc<str>, Option<&Arc<str>>)>,
    ) {
        let key = match period {
            Period::Daily => Key::Day(s.day(at)),
            Period::Weekly => {
                let d = s.day(at);
                // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
                Key::Day(d - (d + 3).rem_euclid(7))
            }
            Period::Monthly => {
                let d = s.day(at);
                let (y, m, _) = civil_from_days(d);
                Key::Day(days_from_civil(y, m, 1))
            }
            Period::Model => Key::Name(model.clone(), None),
            Period::Session => match session {
                Some((sess, proj)) => Key::Name(sess.clone(), proj.cloned()),
                None => Key::Name(Arc::from("-"), None),
            },
        };
        let tokens = total_tokens(usage);
        let cost = match stored {
            Some(c) => Ok(c),
            None => pricer.price(model, at, usage, tier),
        };
        let cell = self.cells.entry((key, model.clone())).or_default();
        cell.usage += *usage;
        cell.records += 1;
        match cost {
            Ok(c) => {
                cell.cost += c;
                cell.priced_tokens += tokens;
            }
            Err(why) => {
                cell.unpriced_tokens += tokens;
                cell.unpriced_records += 1;
                let u = self.unpriced.entry(model.clone()).or_default();
                u.usage += *usage;
                u.records += 1;
                if u.reason.is_empty() {
                    u.reason = why;
                }
            }
        }
    }

    fn issue(&mut self, i: Issue) {
        self.issue_count += 1;
        if self.issues.len() < MAX_ISSUES_SHOWN {
            self.issues.push(i);
        }
    }
}

/// Every token of a usage, modality buckets included; exact (`u128`).
pub(crate) fn total_tokens(u: &Usage) -> u128 {
    u.total()
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashSet64 = HashSet<u64, BuildHasherDefault<PassHasher>>;

/// A set of 64-bit hashes shared by threads: a lock-free open-addressing
/// table (linear probing, compare-and-swap into empty slots, never deleted)
/// with a locked set for the keys whose probe window is full. One cache miss
/// per insert instead of a lock and two misses (measured: the sharded
/// `Mutex<HashSet>` it replaces cost ~0.35 s of CPU per million entries).
///
/// Correct without locks because slots only ever go from empty to a key: all
/// threads probe one key's window in the same order, so two inserts of a key
/// meet at the same first empty slot (one CAS wins, the other sees the key),
/// and a window once full stays full, so such a key always goes to `overflow`.
struct Seen {
    slots: Vec<std::sync::atomic::AtomicU64>,
    mask: usize,
    overflow: Mutex<HashSet64>,
}

/// Slots probed before a key goes to the overflow set.
const SEEN_PROBE: usize = 32;

impl Seen {
    /// A table with room for about `expected` hashes at half load.
    fn with_capacity(expected: usize) -> Seen {
        let n = expected
            .saturating_mul(2)
            .clamp(1 << 16, 1 << 26)
            .next_power_of_two();
        let slots: Vec<std::sync::atomic::AtomicU64> = (0..n)
            .map(|_| std::sync::atomic::AtomicU64::new(0))
            .collect();
        // Each page written once here (atomic stores are not elided): left to
        // the allocator's lazily zeroed pages, a first read maps a shared zero
        // page and the write after it costs a copy-on-write fault that
        // interrupts every core (measured: ~3% of a report's CPU at 1M entries).
        for s in slots.iter().step_by(4096 / 8) {
            s.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        Seen {
            slots,
            mask: n - 1,
            overflow: Mutex::new(HashSet64::default()),
        }
    }

    /// The first slot `h` probes.
    fn start(h: u64) -> usize {
        (h ^ (h >> 29)) as usize
    }

    /// Starts loading the cache line of `h`'s first slot, so that an
    /// [`Seen::insert`] of it a little later does not wait for memory (the
    /// table is tens of MB: nearly every insert would miss the cache). A
    /// hint only: it changes no result.
    #[inline]
    fn prefetch(&self, h: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot = &self.slots[Self::start(h.max(1)) & self.mask];
            // SAFETY: a prefetch never faults and reads nothing into the
            // program, whatever the address (this one is a live slot); SSE is
            // part of the x86_64 baseline.
            #[allow(unsafe_code)]
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    std::ptr::from_ref(slot).cast::<i8>(),
                );
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = h;
    }

    /// Inserts; true when the hash was not there yet.
    fn insert(&self, h: u64) -> bool {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        // 0 marks an empty slot.
        let h = h.max(1);
        let start = Self::start(h);
        for i in 0..SEEN_PROBE {
            let slot = &self.slots[(start.wrapping_add(i)) & self.mask];
            let cur = slot.load(Acquire);
            if cur == h {
                return false;
            }
            if cur == 0 {
                match slot.compare_exchange(0, h, AcqRel, Acquire) {
                    Ok(_) => return true,
                    Err(now) if now == h => return false,
                    Err(_) => {}
                }
            }
        }
        match self.overflow.lock() {
            Ok(mut s) => s.insert(h),
            Err(p) => p.into_inner().insert(h),
        }
    }
}

/// Files fetched ahead of the one being read, per thread.
const READ_AHEAD: usize = 4;

thread_local! {
    /// The end of the files already asked for by this thread's run.
    static AHEAD_UNTIL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A side-chain entry held back until every file is read, with its session and project.
type Deferred = (Entry, Arc<str>, Option<Arc<str>>);

/// Reads files straight into an aggregate, in parallel.
pub(crate) fn aggregate_paths(
    period: Period,
    s: &Settings,
    paths: &[PathBuf],
    source: Option<SourceKind>,
) -> Result<Agg> {
    let found = llmcost_logs::find(paths, source).context("cannot list the usage files")?;
    let files = found.files;
    let cat = catalog()?;
    // Claude Code lines average about 1 KB: size the set of identities for
    // one per KB of input (at most 16 M, 128 MiB) so it never rehashes.
    let bytes: u64 = files
        .iter()
        .filter_map(|(p, _)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let seen = Seen::with_capacity(usize::try_from(bytes / 2048).unwrap_or(0).min(16 << 20));
    let per_file = |(path, kind): &(PathBuf, SourceKind)| -> (Agg, Vec<Deferred>) {
        let mut agg = Agg {
            files: 1,
            ..Agg::default()
        };
        let mut deferred = Vec::new();
        let mut pricer = Pricer::new(cat, &s.price);
        let stem: Arc<str> = Arc::from(
            path.file_stem()
                .map(|x| x.to_string_lossy())
                .unwrap_or_default()
                .as_ref(),
        );
        let project: Option<Arc<str>> = project_of(path, *kind).map(|p| Arc::from(p.as_str()));
        // Counts an entry unless another file had it already.
        let count = |e: Entry, agg: &mut Agg, pricer: &mut Pricer| {
            if !seen.insert(e.key) {
                return;
            }
            // sessions matter to the session report only
            let sess =
                (period == Period::Session).then(|| e.session.as_ref().unwrap_or(&stem).clone());
            agg.add(
                period,
                s,
                pricer,
                e.at,
                &e.model,
                &e.usage,
                e.tier,
                None,
                sess.as_ref().map(|sess| (sess, project.as_ref())),
            );
        };
        // Each entry's slot in `seen` is fetched into the cache while the
        // next line is parsed: the entry is counted one entry later.
        let mut held: Option<Entry> = None;
        let res = llmcost_logs::scan_entries(path, *kind, 0, false, &mut |e: Entry| {
            if !s.keeps(e.at, &e.model) {
                return;
            }
            if e.sidechain {
                deferred.push((e, stem.clone(), project.clone()));
                return;
            }
            if e.parent != 0 {
                agg.parents.push(e.parent);
            }
            seen.prefetch(e.key);
            if let Some(prev) = held.replace(e) {
                count(prev, &mut agg, &mut pricer);
            }
        });
        if let Some(prev) = held.take() {
            count(prev, &mut agg, &mut pricer);
        }
        match res {
            Ok(o) => {
                agg.issue_count += o.issue_count.saturating_sub(o.issues.len() as u64);
                for i in o.issues {
                    agg.issue(i);
                }
                agg.notes.extend(o.notes);
            }
            Err(e) => agg.issue(Issue {
                path: path.clone(),
                line: 0,
                message: e.to_string(),
            }),
        }
        agg.fx.extend(std::mem::take(&mut pricer.fx));
        agg.calendars.extend(std::mem::take(&mut pricer.calendars));
        (agg, deferred)
    };
    // While a file is read, the next few in its thread's run are fetched
    // from the disk in the background (rayon hands out runs of neighbours):
    // a page cache that has dropped part of the logs then costs little more
    // than the disk's throughput. Each file is asked for once per run.
    let per_file = |(i, f): (usize, &(PathBuf, SourceKind))| {
        AHEAD_UNTIL.with(|until| {
            let from = if until.get() > i && until.get() <= i + READ_AHEAD {
                until.get() // the same run: only the one newly in reach
            } else {
                i + 1 // a new run
            };
            for (next, _) in files.iter().take(i + READ_AHEAD + 1).skip(from) {
                llmcost_logs::read_ahead(next);
            }
            until.set(i + READ_AHEAD + 1);
        });
        per_file(f)
    };
    let (mut agg, deferred) = files.par_iter().enumerate().map(per_file).reduce(
        || (Agg::default(), Vec::new()),
        |(a, mut da), (b, db)| {
            da.extend(db);
            (a.merge(b), da)
        },
    );
    // Side-chain entries: a copy of a message already counted is a replay.
    let parents: HashSet64 = if deferred.is_empty() {
        HashSet64::default()
    } else {
        agg.parents.iter().copied().collect()
    };
    agg.parents = Vec::new();
    for i in found.skipped {
        agg.issue(i);
    }
    let mut pricer = Pricer::new(cat, &s.price);
    for (e, stem, project) in deferred {
        if e.parent != 0 && parents.contains(&e.parent) {
            continue;
        }
        if !seen.insert(e.key) {
            continue;
        }
        let sess = e.session.clone().unwrap_or(stem);
        agg.add(
            period,
            s,
            &mut pricer,
            e.at,
            &e.model,
            &e.usage,
            e.tier,
            None,
            Some((&sess, project.as_ref())),
        );
    }
    agg.fx.extend(pricer.fx);
    agg.calendars.extend(pricer.calendars);
    Ok(agg)
}

fn project_of(path: &Path, kind: SourceKind) -> Option<String> {
    let comps: Vec<_> = path.components().collect();
    if kind == SourceKind::ClaudeCode {
        for w in comps.windows(2) {
            if w[0].as_os_str() == "projects" {
                return Some(w[1].as_os_str().to_string_lossy().into_owned());
            }
        }
    }
    if kind == SourceKind::Codex {
        return None;
    }
    path.parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
}

/// Reads the ledger into an aggregate.
pub(crate) fn aggregate_ledger(period: Period, s: &Settings, ledger: Option<&Path>) -> Result<Agg> {
    let led = crate::ledger::open_ledger_read(ledger)?;
    // Rows are read on every core, each thread over its own range of row ids
    // with its own connection; the sums do not depend on the order.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    aggregate_ledger_on(led, period, s, threads, 100_000)
}

/// Sums the ledger on up to `threads` threads when it holds at least
/// `min_rows` rows (row ids are dense: a span of ids is about the number of
/// rows), else on this one.
fn aggregate_ledger_on(
    led: SqliteLedger,
    period: Period,
    s: &Settings,
    threads: usize,
    min_rows: i64,
) -> Result<Agg> {
    let cat = catalog()?;
    let filter = Filter {
        since: s.since,
        until: s.until,
        models: s.models.clone(),
        ..Filter::default()
    };
    let ranges = if threads > 1 {
        led.id_ranges(threads).context("cannot read the ledger")?
    } else {
        Vec::new()
    };
    let span: i64 = ranges.iter().map(|(a, b)| b - a).sum();
    if ranges.len() < 2 || span < min_rows {
        return aggregate_range(&led, cat, period, s, &filter, None);
    }
    let mut conns = Vec::with_capacity(ranges.len());
    for _ in 1..ranges.len() {
        conns.push(led.reopen().context("cannot open the ledger again")?);
    }
    conns.push(led);
    let aggs: Vec<Result<Agg>> = std::thread::scope(|sc| {
        let handles: Vec<_> = conns
            .into_iter()
            .zip(ranges)
            .map(|(own, r)| {
                let filter = &filter;
                sc.spawn(move || aggregate_range(&own, cat, period, s, filter, Some(r)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a ledger reader stopped")))
            })
            .collect()
    });
    let mut total = Agg::default();
    for a in aggs {
        total = total.merge(a?);
    }
    Ok(total)
}

/// Sums the ledger rows whose ids are in `ids` (all when `None`).
fn aggregate_range(
    led: &SqliteLedger,
    cat: &Catalog,
    period: Period,
    s: &Settings,
    filter: &Filter,
    ids: Option<(i64, i64)>,
) -> Result<Agg> {
    let mut pricer = Pricer::new(cat, &s.price);
    let mut agg = Agg::default();
    // Names shared by the rows: records of one session come in runs, so the
    // last name of each column is checked before the map.
    let mut names: HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState> = HashMap::default();
    let mut intern = move |last: &mut Option<Arc<str>>, x: &str| -> Arc<str> {
        if let Some(l) = last.as_ref().filter(|l| &***l == x) {
            return l.clone();
        }
        let a = if let Some(a) = names.get(x) {
            a.clone()
        } else {
            let a: Arc<str> = Arc::from(x);
            names.insert(Box::from(x), a.clone());
            a
        };
        *last = Some(a.clone());
        a
    };
    let (mut last_model, mut last_session, mut last_project) = (None, None, None);
    led.for_each_lean_in(filter, ids, &mut |r| {
        let model = intern(&mut last_model, r.model);
        let stored = match (r.cost, r.currency) {
            (Some(c), Some(cur)) if cur == s.currency => Some(c),
            _ => None,
        };
        // sessions and projects matter to the session report only
        let (sess, proj) = if period == Period::Session {
            let sess = intern(&mut last_session, r.session.unwrap_or("-"));
            (Some(sess), r.project.map(|p| intern(&mut last_project, p)))
        } else {
            (None, None)
        };
        agg.add(
            period,
            s,
            &mut pricer,
            r.at,
            &model,
            &r.usage,
            r.service_tier,
            stored,
            sess.as_ref().map(|sess| (sess, proj.as_ref())),
        );
        Ok(())
    })
    .context("cannot read the ledger")?;
    agg.fx = pricer.fx;
    agg.calendars = pricer.calendars;
    Ok(agg)
}

// ---------------------------------------------------------------------------
// Civil dates

pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) fn day_label(d: i64) -> String {
    let (y, m, dd) = civil_from_days(d);
    format!("{y:04}-{m:02}-{dd:02}")
}

fn month_label(d: i64) -> String {
    let (y, m, _) = civil_from_days(d);
    format!("{y:04}-{m:02}")
}

// ---------------------------------------------------------------------------
// Result rows

#[derive(Debug, Clone, Serialize)]
struct Tokens {
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
    // Modality buckets (audio, image): keys present only when non-zero.
    #[serde(skip_serializing_if = "is_zero")]
    input_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    cache_read_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    output_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    input_image: u64,
    #[serde(skip_serializing_if = "is_zero")]
    output_image: u64,
    total_tokens: u128,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tokens {
    fn of(u: &Usage) -> Tokens {
        Tokens {
            input: u.input,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
            cache_write_1h: u.cache_write_1h,
            output: u.output,
            reasoning: u.reasoning,
            input_audio: u.input_audio,
            cache_read_audio: u.cache_read_audio,
            output_audio: u.output_audio,
            input_image: u.input_image,
            output_image: u.output_image,
            total_tokens: total_tokens(u),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct ModelRow {
    model: String,
    #[serde(flatten)]
    tokens: Tokens,
    records: u64,
    #[serde(with = "rust_decimal::serde::str_option")]
    cost: Option<Decimal>,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str_option")]
    cost_per_million: Option<Decimal>,
    unpriced_tokens: u128,
}

#[derive(Debug, Clone, Serialize)]
struct Row {
    period: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    #[serde(flatten)]
    tokens: Tokens,
    records: u64,
    #[serde(with = "rust_decimal::serde::str")]
    cost: Decimal,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str_option")]
    cost_per_million: Option<Decimal>,
    unpriced_tokens: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    models: Option<Vec<ModelRow>>,
}

#[derive(Debug, Clone, Serialize)]
struct Totals {
    #[serde(flatten)]
    tokens: Tokens,
    records: u64,
    #[serde(with = "rust_decimal::serde::str")]
    cost: Decimal,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str_option")]
    cost_per_million: Option<Decimal>,
    unpriced_tokens: u128,
}

#[derive(Debug, Clone, Serialize)]
struct UnpricedRow {
    model: String,
    records: u64,
    #[serde(flatten)]
    tokens: Tokens,
    reason: String,
}

#[derive(Debug, Clone, Serialize)]
struct FxRow {
    from: Currency,
    to: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    rate: Decimal,
}

#[derive(Debug, Clone, Serialize)]
struct IssueRow {
    path: String,
    line: u64,
    message: String,
}

impl IssueRow {
    fn of(i: Issue) -> IssueRow {
        IssueRow {
            path: i.path.display().to_string(),
            line: i.line,
            message: i.message,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Issues {
    count: u64,
    first: Vec<IssueRow>,
}

#[derive(Debug, Clone, Serialize)]
struct Report {
    report: Period,
    currency: Currency,
    tz: String,
    mode: &'static str,
    rows: Vec<Row>,
    totals: Totals,
    unpriced: Vec<UnpricedRow>,
    fx: Vec<FxRow>,
    issues: Issues,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<IssueRow>,
    files: Option<u64>,
    /// A holiday calendar that ended before some records (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

fn per_million(cost: Decimal, tokens: u128) -> Option<Decimal> {
    let t = Decimal::try_from_i128_with_scale(i128::try_from(tokens).ok()?, 0).ok()?;
    (tokens > 0).then(|| {
        (cost * Decimal::from(1_000_000) / t)
            .round_dp(10)
            .normalize()
    })
}

fn build(period: Period, s: &Settings, agg: Agg, mode: &'static str, breakdown: bool) -> Report {
    let mut rows: BTreeMap<Key, (Sum, BTreeMap<Arc<str>, Sum>)> = BTreeMap::new();
    for ((key, model), sum) in agg.cells {
        let e = rows.entry(key).or_default();
        e.0.merge(&sum);
        e.1.entry(model).or_default().merge(&sum);
    }
    let cur = s.currency;
    let mut total = Sum::default();
    let mut out_rows = Vec::new();
    for (key, (sum, models)) in rows {
        total.merge(&sum);
        let (label, project) = match &key {
            Key::Day(d) => (
                if period == Period::Monthly {
                    month_label(*d)
                } else {
                    day_label(*d)
                },
                None,
            ),
            Key::Name(n, p) => (n.to_string(), p.as_ref().map(|p| p.to_string())),
        };
        let models = breakdown.then(|| {
            models
                .iter()
                .map(|(m, ms)| ModelRow {
                    model: m.to_string(),
                    tokens: Tokens::of(&ms.usage),
                    records: ms.records,
                    cost: (ms.unpriced_records < ms.records).then_some(ms.cost.normalize()),
                    currency: cur,
                    cost_per_million: per_million(ms.cost, ms.priced_tokens),
                    unpriced_tokens: ms.unpriced_tokens,
                })
                .collect()
        });
        out_rows.push(Row {
            period: label,
            project,
            tokens: Tokens::of(&sum.usage),
            records: sum.records,
            cost: sum.cost.normalize(),
            currency: cur,
            cost_per_million: per_million(sum.cost, sum.priced_tokens),
            unpriced_tokens: sum.unpriced_tokens,
            models,
        });
    }
    if period == Period::Model {
        out_rows.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.period.cmp(&b.period)));
    }
    Report {
        report: period,
        currency: cur,
        tz: s.tz_name.clone(),
        mode,
        rows: out_rows,
        totals: Totals {
            tokens: Tokens::of(&total.usage),
            records: total.records,
            cost: total.cost.normalize(),
            currency: cur,
            cost_per_million: per_million(total.cost, total.priced_tokens),
            unpriced_tokens: total.unpriced_tokens,
        },
        unpriced: agg
            .unpriced
            .into_iter()
            .map(|(m, u)| UnpricedRow {
                model: m.to_string(),
                records: u.records,
                tokens: Tokens::of(&u.usage),
                reason: u.reason,
            })
            .collect(),
        fx: agg
            .fx
            .into_iter()
            .map(|(from, rate)| FxRow {
                from,
                to: cur,
                rate,
            })
            .collect(),
        issues: Issues {
            count: agg.issue_count,
            first: agg.issues.into_iter().map(IssueRow::of).collect(),
        },
        notes: agg.notes.into_iter().map(IssueRow::of).collect(),
        files: (mode == "paths").then_some(agg.files),
        warnings: agg.calendars.warnings_at(None),
    }
}

// ---------------------------------------------------------------------------
// Command

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = Settings::resolve(
        args.currency.as_deref(),
        &args.fx,
        args.tz.as_deref(),
        args.since.as_deref(),
        args.until.as_deref(),
        &args.model,
    )
    .map_err(crate::common::into_usage)?;
    let mut paths = args.paths.clone();
    paths.extend(args.path.iter().cloned());
    let source = args
        .source
        .as_deref()
        .map(str::parse::<SourceKind>)
        .transpose()
        .context("invalid --source")?;
    if args.logs {
        let roots = llmcost_logs::default_roots();
        if roots.is_empty() {
            crate::common::usage_bail!(
                "no Claude Code or Codex log folder was found\nhint: set CLAUDE_CONFIG_DIR or CODEX_HOME, or give the PATHs to read"
            );
        }
        paths = roots;
    }
    let (agg, mode) = if paths.is_empty() {
        if source.is_some() {
            crate::common::usage_bail!(
                "--source applies to paths read directly; give the PATHs to read"
            );
        }
        (
            aggregate_ledger(args.period, &s, args.ledger.as_deref())?,
            "ledger",
        )
    } else {
        if args.ledger.is_some() {
            crate::common::usage_bail!(
                "give either PATHs to read directly or --ledger, not both\nhint: `llmcost import PATH... --ledger FILE` adds logs to a ledger"
            );
        }
        (aggregate_paths(args.period, &s, &paths, source)?, "paths")
    };
    let mut report = build(args.period, &s, agg, mode, args.breakdown);
    let unread = report.issues.clone();
    // Exit policy: a model left unpriced is an issue too (exit 1).
    for u in &report.unpriced {
        report.issues.count += 1;
        report.issues.first.push(IssueRow {
            path: String::new(),
            line: 0,
            message: format!(
                "`{}` has no price ({}): {} records left out of the cost",
                u.model, u.reason, u.records
            ),
        });
    }
    match args.format {
        ReportFormat::Json => crate::output::write_json(out, &report)?,
        ReportFormat::Csv => write_csv(out, &report)?,
        ReportFormat::Table => write_table(out, &report)?,
    }
    report_issues(&unread, &report.notes);
    crate::common::warn_unpriced(report.unpriced.iter().map(|u| u.model.as_str()));
    // Skipped input or unpriced usage: done, but not everything is counted.
    Ok(if report.issues.count > 0 || !report.unpriced.is_empty() {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

#[expect(
    clippy::print_stderr,
    reason = "issues with the input go to stderr, data to stdout"
)]
fn report_issues(i: &Issues, notes: &[IssueRow]) {
    for n in notes {
        eprintln!("note: {}:{}: {}", n.path, n.line, n.message);
    }
    if i.count == 0 {
        return;
    }
    eprintln!(
        "warning: {} line{} could not be read (everything else was counted):",
        i.count,
        if i.count == 1 { "" } else { "s" }
    );
    for x in &i.first {
        if x.line == 0 {
            eprintln!("  {}: {}", x.path, x.message);
        } else {
            eprintln!("  {}:{}: {}", x.path, x.line, x.message);
        }
    }
    if i.count > i.first.len() as u64 {
        eprintln!("  ... and {} more", i.count - i.first.len() as u64);
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut dyn Write, r: &Report) -> Result<()> {
    writeln!(
        out,
        "period,project,model,input,cache_read,cache_write,cache_write_1h,output,reasoning,total_tokens,records,cost,currency,cost_per_million,unpriced_tokens"
    )?;
    let dec = |d: Option<Decimal>| d.map(|x| x.to_string()).unwrap_or_default();
    let line = |out: &mut dyn Write,
                period: &str,
                project: &str,
                model: &str,
                t: &Tokens,
                records: u64,
                cost: Option<Decimal>,
                cpm: Option<Decimal>,
                unpriced: u128|
     -> Result<()> {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_cell(period),
            csv_cell(project),
            csv_cell(model),
            t.input,
            t.cache_read,
            t.cache_write,
            t.cache_write_1h,
            t.output,
            t.reasoning,
            t.total_tokens,
            records,
            dec(cost),
            r.currency,
            dec(cpm),
            unpriced
        )?;
        Ok(())
    };
    for row in &r.rows {
        let project = row.project.as_deref().unwrap_or("");
        line(
            out,
            &row.period,
            project,
            "",
            &row.tokens,
            row.records,
            Some(row.cost),
            row.cost_per_million,
            row.unpriced_tokens,
        )?;
        for m in row.models.iter().flatten() {
            line(
                out,
                &row.period,
                project,
                &m.model,
                &m.tokens,
                m.records,
                m.cost,
                m.cost_per_million,
                m.unpriced_tokens,
            )?;
        }
    }
    let t = &r.totals;
    line(
        out,
        "total",
        "",
        "",
        &t.tokens,
        t.records,
        Some(t.cost),
        t.cost_per_million,
        t.unpriced_tokens,
    )?;
    Ok(())
}

/// A bar of `width` eighths-resolution blocks for `v` out of `max`.
fn bar(v: Decimal, max: Decimal, width: u32) -> String {
    if max <= Decimal::ZERO || v <= Decimal::ZERO {
        return String::new();
    }
    let eighths = (v / max * Decimal::from(width * 8)).round();
    let n = u32::try_from(eighths.mantissa().max(0) / 10i128.pow(eighths.scale()))
        .unwrap_or(0)
        .max(1);
    let full = n / 8;
    let part = n % 8;
    let mut s = "█".repeat(full as usize);
    if part > 0 {
        s.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][part as usize - 1]);
    }
    s
}

fn write_table(out: &mut dyn Write, r: &Report) -> Result<()> {
    let mut d = Display::default();
    let first = match r.report {
        Period::Daily => "day",
        Period::Weekly => "week of",
        Period::Monthly => "month",
        Period::Model => "model",
        Period::Session => "session",
    };
    let show_1h = r.totals.tokens.cache_write_1h > 0;
    let show_reasoning = r.totals.tokens.reasoning > 0;
    let show_project = r.rows.iter().any(|x| x.project.is_some());
    let show_bar = matches!(r.report, Period::Daily | Period::Weekly | Period::Monthly);
    let cost_head = format!("cost {}", r.currency);
    let mut head: Vec<(&str, Align)> = vec![(first, Align::Left)];
    if show_project {
        head.push(("project", Align::Left));
    }
    head.extend([
        ("input", Align::Right),
        ("cache read", Align::Right),
        ("cache write", Align::Right),
    ]);
    if show_1h {
        head.push(("write 1h", Align::Right));
    }
    head.push(("output", Align::Right));
    if show_reasoning {
        head.push(("reasoning", Align::Right));
    }
    head.extend([
        ("total tokens", Align::Right),
        (cost_head.as_str(), Align::Right),
        ("per 1M", Align::Right),
    ]);
    if show_bar {
        head.push(("", Align::Left));
    }
    let mut t = Table::new(&head);
    let max = r.rows.iter().map(|x| x.cost).max().unwrap_or_default();
    // Cents for large amounts, four decimals for small ones.
    let dp = if r.totals.cost >= Decimal::ONE_HUNDRED {
        2
    } else {
        4
    };
    let cells = |d: &mut Display,
                 label: String,
                 project: Option<&str>,
                 tk: &Tokens,
                 cost: Option<Decimal>,
                 cpm: Option<Decimal>,
                 unpriced: u128,
                 barv: Option<String>| {
        let mut c = vec![label];
        if show_project {
            c.push(project.unwrap_or("").to_string());
        }
        c.extend([int(tk.input), int(tk.cache_read), int(tk.cache_write)]);
        if show_1h {
            c.push(int(tk.cache_write_1h));
        }
        c.push(int(tk.output));
        if show_reasoning {
            c.push(int(tk.reasoning));
        }
        c.push(int(tk.total_tokens));
        let mut cost_s = cost.map_or_else(|| "unpriced".to_string(), |x| d.rounded(x, dp));
        if unpriced > 0 && cost.is_some() {
            cost_s.push('*');
        }
        c.push(cost_s);
        c.push(cpm.map_or_else(String::new, |x| d.rounded(x, 4)));
        if let Some(b) = barv {
            c.push(b);
        }
        c
    };
    for row in &r.rows {
        let b = show_bar.then(|| bar(row.cost, max, 16));
        let c = cells(
            &mut d,
            row.period.clone(),
            row.project.as_deref(),
            &row.tokens,
            (row.unpriced_tokens == 0 || row.unpriced_tokens < row.tokens.total_tokens)
                .then_some(row.cost),
            row.cost_per_million,
            row.unpriced_tokens,
            b,
        );
        t.row(c);
        for m in row.models.iter().flatten() {
            let b = show_bar.then(String::new);
            let c = cells(
                &mut d,
                format!("  {}", m.model),
                None,
                &m.tokens,
                m.cost,
                m.cost_per_million,
                m.unpriced_tokens,
                b,
            );
            t.row(c);
        }
    }
    t.rule();
    let tt = &r.totals;
    let b = show_bar.then(String::new);
    let c = cells(
        &mut d,
        "total".into(),
        None,
        &tt.tokens,
        Some(tt.cost),
        tt.cost_per_million,
        tt.unpriced_tokens,
        b,
    );
    t.row(c);
    let mut s = t.render();
    if r.rows.is_empty() {
        s.push_str("(no usage in this period)\n");
        if r.mode == "ledger" {
            s.push_str("hint: `llmcost import PATH...` adds logs to the ledger; `llmcost report daily --logs` or `llmcost report daily PATH...` reads logs directly\n");
        }
    }
    if !r.unpriced.is_empty() {
        s.push_str("\nunpriced (not counted in the cost; * marks rows that include them):\n");
        for u in &r.unpriced {
            let _ = writeln!(
                s,
                "  {}: {} record{}, {} tokens — {}",
                u.model,
                int(u.records),
                if u.records == 1 { "" } else { "s" },
                int(u.tokens.total_tokens),
                u.reason
            );
        }
    }
    for f in &r.fx {
        let _ = writeln!(
            s,
            "fx: 1 {} = {} {} (given with --fx)",
            f.from, f.rate, f.to
        );
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = write!(
        s,
        "\ndays cut in {}; every record priced at its own time",
        r.tz
    );
    s.push('\n');
    if let Some(n) = d.footnote() {
        s.push_str(n);
        s.push('\n');
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-1000, 0, 59, 60, 365, 20_000, 20_270] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(day_label(0), "1970-01-01");
        assert_eq!(day_label(20_240), "2025-06-01");
    }

    #[test]
    fn a_ledger_read_on_several_threads_sums_like_one() {
        use llmcost_ledger::{Ledger, UsageRecord};
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("l.db");
        let mut led = SqliteLedger::open(&path).expect("open");
        let models = ["gpt-4o-mini", "deepseek-chat", "no-such-model"];
        let recs: Vec<UsageRecord> = (0..3_000u64)
            .map(|i| {
                let mut r = UsageRecord::new(
                    format!("k:{i}"),
                    Timestamp::from_second(1_735_689_600 + (i as i64) * 3_011).expect("ts"),
                    "jsonl",
                    models[(i % 3) as usize],
                    Usage {
                        input: 1_000 + i,
                        output: 10 * i,
                        ..Usage::default()
                    },
                );
                r.session = Some(format!("s{}", i % 7));
                r
            })
            .collect();
        led.insert(&recs).expect("insert");
        let settings = Settings {
            price: PriceSettings {
                at: Timestamp::from_second(1_735_689_600).expect("ts"),
                at_given: false,
                currency: None,
                fx: crate::common::Fx::default(),
            },
            currency: Currency::USD,
            tz: TimeZone::UTC,
            tz_name: "UTC".into(),
            since: None,
            until: None,
            models: Vec::new(),
        };
        let sums = |threads: usize, period: Period| {
            let led = SqliteLedger::open(&path).expect("open");
            let a = aggregate_ledger_on(led, period, &settings, threads, 0).expect("agg");
            let mut cells: Vec<_> = a
                .cells
                .iter()
                .map(|((k, m), v)| {
                    (
                        format!("{k:?}"),
                        m.to_string(),
                        v.cost,
                        v.usage,
                        v.records,
                        v.unpriced_tokens,
                    )
                })
                .collect();
            cells.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            let unpriced: Vec<_> = a
                .unpriced
                .iter()
                .map(|(m, u)| (m.to_string(), u.records))
                .collect();
            (cells, unpriced)
        };
        for period in [Period::Daily, Period::Monthly, Period::Session] {
            let one = sums(1, period);
            assert_eq!(one.1, vec![("no-such-model".to_string(), 1_000)]);
            assert_eq!(sums(3, period), one);
        }
    }

    #[test]
    fn seen_counts_each_hash_once_across_threads_and_overflow() {
        // A small table: most of 200,000 keys go through full probe windows
        // to the overflow set; every key is inserted by two threads at once.
        let seen = Seen::with_capacity(1);
        let keys: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let news: Vec<u64> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..2)
                .map(|_| sc.spawn(|| keys.iter().filter(|&&k| seen.insert(k)).count() as u64))
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        // 0 and 1 share a slot value; the multiplier never maps i > 0 to 0 or 1.
        assert_eq!(news.iter().sum::<u64>(), 200_000);
        assert!(!seen.insert(keys[123]));
        assert!(seen.insert(0xdead_beef));
    }

    #[test]
    fn a_prefetch_changes_nothing() {
        // Any hash, the extremes included, stays inside the table; inserts
        // after a prefetch answer as they would without it.
        let seen = Seen::with_capacity(1);
        for h in [0, 1, 2, u64::MAX, u64::MAX - 1, 0x9E37_79B9_7F4A_7C15] {
            seen.prefetch(h);
        }
        assert!(seen.insert(u64::MAX));
        seen.prefetch(u64::MAX);
        assert!(!seen.insert(u64::MAX));
        // 0 is stored as 1 (0 marks an empty slot): the same key to the set.
        seen.prefetch(0);
        assert!(seen.insert(0));
        assert!(!seen.insert(1));
    }

    #[test]
    fn bars() {
        assert_eq!(bar(Decimal::from(2), Decimal::from(2), 2), "██");
        assert_eq!(bar(Decimal::from(1), Decimal::from(2), 2), "█");
        assert_eq!(bar(Decimal::ZERO, Decimal::from(2), 2), "");
    }
}

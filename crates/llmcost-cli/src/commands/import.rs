//! `llmcost import [PATH...]`: read usage logs and exports into the ledger.
//!
//! Files are found by `llmcost_logs::discover` (the default roots when no path
//! is given). Each file is read from where the last import stopped (its
//! recorded progress) unless the part of its first 4 KiB that was imported
//! changed (the file was replaced or truncated): then it is read again from
//! the start and the records' dedup keys keep the ledger free of doubles.
//! Every record is priced at its own timestamp in one currency; a model
//! without a price is stored with no cost (never zero).
//!
//! Files are scanned and priced on worker threads; this thread writes to the
//! ledger in transactions of [`COMMIT_RECORDS`] records, each with the progress
//! of the files finished by then, so a progress is never stored before its
//! records. An interrupted import leaves the ledger consistent: what was
//! committed stays, the progress of unfinished files does not move, and the
//! next import reads those lines again and skips them as duplicates. A second
//! connection checkpoints the write-ahead log beside the inserts.
//!
//! # Wire format (`--format json`)
//!
//! `ledger` (path), `currency`, `files` (files found), `files_read` (files with
//! new bytes), `files_unchanged`, `files_reread` (replaced or truncated, read
//! from the start), `lines`, `records_read`, `records_new`, `duplicates`,
//! `unpriced[]` (`model`, `records`, `tokens`, `reason`), `issues` (`count`,
//! `first[]` with `path`, `line`, `message`), `notes[]` (only when there are
//! some: `path`, `line`, `message` of a last line still being written),
//! `failed_files[]` (`path`,
//! `error`: files and folders not read).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use llmcost_app::ledger::{Location, OpenMode};
use llmcost_catalog::{Catalog, PriceRefs};
use llmcost_core::{Currency, Usage};
use llmcost_ledger::{FileProgress, Ledger, UsageRecord};
use llmcost_logs::SourceKind;
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::Format;
use crate::args::ImportArgs;
use crate::output::int;

/// Records a scanning worker hands to the writer at a time.
const BATCH: usize = 8_192;
/// Records written per transaction (with the progress of every file finished
/// by then). Large transactions are what make SQLite fast here: each commit
/// writes every index page it touched to the write-ahead log again.
const COMMIT_RECORDS: usize = 131_072;
/// The first transaction's size: the writer starts as soon as this many
/// records are read instead of idling while a whole `COMMIT_RECORDS` gathers;
/// each next transaction is twice as large, up to `COMMIT_RECORDS`.
const FIRST_COMMIT_RECORDS: usize = 16_384;
/// Issues kept in full for the summary; the rest are counted.
const MAX_ISSUES_SHOWN: usize = 20;

/// Models read without a price, with what they used.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Unpriced {
    pub records: u64,
    pub tokens: u128,
    pub reason: String,
}

/// A currency no model has a price list in is refused before anything is
/// read or written: every record would be stored (or repriced) without a cost.
///
/// # Errors
/// [`UnknownCurrency`] naming the currencies there are lists in.
pub fn check_currency(cat: &Catalog, currency: Currency) -> Result<()> {
    if cat
        .models()
        .iter()
        .any(|m| m.currencies().contains(&currency))
    {
        return Ok(());
    }
    let mut known: Vec<Currency> = cat.models().iter().flat_map(|m| m.currencies()).collect();
    known.sort();
    known.dedup();
    Err(UnknownCurrency {
        currency,
        known: known
            .iter()
            .map(Currency::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    }
    .into())
}

/// `--currency` names a currency no model is priced in (a usage error:
/// nothing was done).
#[derive(Debug)]
pub struct UnknownCurrency {
    pub currency: Currency,
    pub known: String,
}

impl std::fmt::Display for UnknownCurrency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no model has a price list in {}; nothing was changed\nhint: price lists exist in {}; to report in another currency use `llmcost report --currency {} --fx FROM=RATE`",
            self.currency, self.known, self.currency
        )
    }
}

impl std::error::Error for UnknownCurrency {}

/// Prices `r` at its own time in `currency`; a record that cannot be priced
/// gets no cost and is counted in `unpriced`.
pub fn price_record(
    cat: &Catalog,
    r: &mut UsageRecord,
    currency: Currency,
    unpriced: &mut BTreeMap<String, Unpriced>,
    refs: &mut PriceRefs,
) {
    match cat.price_usage_with(&r.model, r.at, currency, &r.usage, r.service_tier, refs) {
        Ok((cost, price_ref)) => {
            r.cost = Some(cost);
            r.currency = Some(currency);
            r.price_ref = Some(price_ref);
        }
        Err(e) => {
            r.cost = None;
            r.currency = None;
            r.price_ref = None;
            let u = unpriced.entry(r.model.clone()).or_default();
            if u.records == 0 {
                u.reason = e.to_string();
            }
            u.records += 1;
            u.tokens += total_tokens(&r.usage);
        }
    }
}

fn total_tokens(u: &Usage) -> u128 {
    u.total()
}

fn merge_unpriced(into: &mut BTreeMap<String, Unpriced>, from: BTreeMap<String, Unpriced>) {
    for (model, u) in from {
        let e = into.entry(model).or_default();
        if e.records == 0 {
            e.reason = u.reason;
        }
        e.records += u.records;
        e.tokens += u.tokens;
    }
}

/// What to do with one file.
#[derive(Debug, Clone)]
struct Plan {
    path: PathBuf,
    kind: SourceKind,
    /// Key of the file's progress (the canonical path).
    key: String,
    start: u64,
    lines_before: u64,
    size: u64,
    /// Imported before, but replaced or truncated since: read from the start.
    reread: bool,
}

/// A line that could not be read, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct IssueJson {
    pub path: String,
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuesJson {
    pub count: u64,
    pub first: Vec<IssueJson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedFile {
    pub path: String,
    pub error: String,
}

/// The summary of an import (also its JSON).
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub ledger: String,
    pub currency: Currency,
    pub files: u64,
    pub files_read: u64,
    pub files_unchanged: u64,
    pub files_reread: u64,
    pub lines: u64,
    pub records_read: u64,
    pub records_new: u64,
    pub duplicates: u64,
    pub unpriced: Vec<UnpricedJson>,
    pub issues: IssuesJson,
    /// Not problems: a last line still being written, left for the next import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<IssueJson>,
    pub failed_files: Vec<FailedFile>,
    /// A holiday calendar that ended before some records (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnpricedJson {
    pub model: String,
    pub records: u64,
    pub tokens: u128,
    pub reason: String,
}

/// Messages from the scanning workers to the writer.
/// Records and the progress of the files they complete, written together.
type Chunk = (Vec<UsageRecord>, Vec<FileProgress>);

enum Msg {
    /// Records of a file, more to come.
    Batch(Vec<UsageRecord>),
    /// The last records of a file, how its scan ended, and the hash of the
    /// head of what was read.
    Done(
        usize,
        Vec<UsageRecord>,
        Result<(llmcost_logs::ScanOutcome, String), String>,
    ),
}

pub fn run(args: &ImportArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let kind = args
        .source
        .as_deref()
        .map(SourceKind::from_str)
        .transpose()
        .context("invalid --source")?;
    let currency = Currency::new(&args.currency).context("invalid --currency")?;
    check_currency(catalog()?, currency)?;
    let found = llmcost_logs::find(&args.paths, kind).context("cannot find the files to import")?;
    let files = found.files;
    // A ledger this import creates is removed again if the import fails
    // before storing anything: no empty ledger is left behind.
    let at = crate::ledger::location(args.ledger.as_deref())?;
    let created = !at.exists();
    let result = import_into(args, &at, &files, currency);
    if created && result.is_err() {
        llmcost_app::ledger::remove_if_empty(&at);
    }
    let mut summary = result?;
    for i in found.skipped {
        summary.failed_files.push(FailedFile {
            path: i.path.display().to_string(),
            error: i.message,
        });
    }
    report(&summary, args.format, out)
}

fn import_into(
    args: &ImportArgs,
    at: &Location,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
) -> Result<ImportSummary> {
    let mut ledger = crate::ledger::open_at(at, OpenMode::Create)?;
    let ledger_name = at.to_string();
    if files.is_empty() {
        warn(if args.paths.is_empty() {
            "nothing to import: no Claude Code or Codex CLI logs in their default folders; give PATHs"
        } else {
            "nothing to import: no usage files under the given paths"
        });
    }
    // `import -q` and the global `-q` both make the printer quiet (see main).
    let show_bar = crate::printer::Printer::current().shows_progress();
    // SQLite: the write-ahead log is checkpointed beside the inserts.
    let bulk = ledger
        .bulk_load()
        .context("cannot prepare the ledger for the import")?;
    let result = import_files(ledger.as_mut(), files, currency, show_bar, ledger_name);
    drop(bulk);
    result
}

/// Imports `files` into `ledger`. Public to the crate for tests (any `Ledger`).
pub fn import_files<L: Ledger + ?Sized>(
    ledger: &mut L,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
    show_bar: bool,
    ledger_name: String,
) -> Result<ImportSummary> {
    import_files_with(
        ledger,
        files,
        currency,
        show_bar,
        ledger_name,
        COMMIT_RECORDS,
    )
}

fn import_files_with<L: Ledger + ?Sized>(
    ledger: &mut L,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
    show_bar: bool,
    ledger_name: String,
    commit_every: usize,
) -> Result<ImportSummary> {
    let cat = catalog()?;
    let mut summary = ImportSummary {
        ledger: ledger_name,
        currency,
        files: files.len() as u64,
        files_read: 0,
        files_unchanged: 0,
        files_reread: 0,
        lines: 0,
        records_read: 0,
        records_new: 0,
        duplicates: 0,
        unpriced: Vec::new(),
        issues: IssuesJson {
            count: 0,
            first: Vec::new(),
        },
        notes: Vec::new(),
        failed_files: Vec::new(),
        warnings: Vec::new(),
    };

    // Plan each file: where to start reading.
    let mut plans = Vec::with_capacity(files.len());
    for (path, kind) in files {
        match plan(ledger, path, *kind) {
            Ok(p) if p.start >= p.size && p.start > 0 => summary.files_unchanged += 1,
            Ok(p) => {
                summary.files_reread += u64::from(p.reread);
                plans.push(p);
            }
            Err(e) => summary.failed_files.push(FailedFile {
                path: path.display().to_string(),
                error: format!("{e:#}"),
            }),
        }
    }

    let total_bytes: u64 = plans.iter().map(|p| p.size.saturating_sub(p.start)).sum();
    let bar =
        if show_bar {
            let b = ProgressBar::new(total_bytes);
            b.set_style(
            ProgressStyle::with_template(
                "{spinner} importing [{bar:30}] {binary_bytes}/{binary_total_bytes} {msg} ({eta})",
            )
            .map_or_else(|_| ProgressStyle::default_bar(), |s| s.progress_chars("=> ")),
        );
            b
        } else {
            ProgressBar::hidden()
        };

    // One core is left to the ledger writer, the slowest stage: a scan
    // worker more would only take CPU from it.
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .saturating_sub(1)
        .clamp(1, 4)
        .min(plans.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<Msg>(workers * 4);
    let mut unpriced_all = BTreeMap::new();
    let mut calendars = super::calendar::Ended::default();
    let mut issues_first: Vec<IssueJson> = Vec::new();

    let write_result: Result<()> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let tx = tx.clone();
                let plans = &plans;
                let next = &next;
                s.spawn(move || {
                    let mut unpriced = BTreeMap::new();
                    let mut refs = PriceRefs::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = plans.get(i) else { break };
                        let mut buf: Vec<UsageRecord> = Vec::with_capacity(BATCH);
                        let mut gone = false;
                        let outcome =
                            llmcost_logs::scan_file(&p.path, p.kind, p.start, &mut |mut r| {
                                if gone {
                                    return;
                                }
                                price_record(cat, &mut r, currency, &mut unpriced, &mut refs);
                                buf.push(r);
                                if buf.len() >= BATCH {
                                    let batch =
                                        std::mem::replace(&mut buf, Vec::with_capacity(BATCH));
                                    gone = tx.send(Msg::Batch(batch)).is_err();
                                }
                            });
                        let outcome = outcome.map_err(|e| e.to_string()).and_then(|o| {
                            let head =
                                head_hash(&p.path, o.end_offset).map_err(|e| format!("{e:#}"))?;
                            Ok((o, head))
                        });
                        if gone || tx.send(Msg::Done(i, buf, outcome)).is_err() {
                            break;
                        }
                    }
                    (unpriced, refs)
                })
            })
            .collect();
        drop(tx);

        // The writer stores one chunk while this thread gathers the next: the
        // workers never wait for a commit (double buffering; at most two
        // chunks of records are held).
        let (to_writer, chunks) = mpsc::sync_channel::<Chunk>(1);
        // Written chunks come back to be emptied and filled again: a chunk is
        // tens of MB, and a fresh one costs page faults to map and zero.
        let (give_back, returned) = mpsc::sync_channel::<Vec<UsageRecord>>(2);
        let writer = s.spawn(move || -> (u64, u64, llmcost_ledger::Result<()>) {
            let (mut new, mut dup) = (0, 0);
            for (records, progress) in chunks {
                match ledger.insert_with_progresses(&records, &progress) {
                    Ok(s) => {
                        new += s.inserted;
                        dup += s.duplicates;
                    }
                    Err(e) => return (new, dup, Err(e)),
                }
                // Handed back full: the reading thread drops the records
                // (millions of small frees) off this, the slowest, thread.
                let _ = give_back.try_send(records);
            }
            (new, dup, Ok(()))
        });
        let fresh = || Vec::with_capacity(commit_every.saturating_add(BATCH).min(1 << 20));
        // Records and finished files not yet written: handed to the writer
        // together once `commit_every` records are waiting, and at the end.
        let mut pending: Vec<UsageRecord> = fresh();
        let mut pending_progress: Vec<FileProgress> = Vec::new();
        let mut writer_gone = false;
        let mut threshold = FIRST_COMMIT_RECORDS.min(commit_every);
        let mut msgs = rx.iter();
        loop {
            let msg = msgs.next();
            let last = msg.is_none();
            match msg {
                None => {}
                Some(Msg::Batch(records)) => {
                    summary.records_read += records.len() as u64;
                    pending.extend(records);
                }
                Some(Msg::Done(i, records, outcome)) => {
                    let p = &plans[i];
                    bar.inc(p.size.saturating_sub(p.start));
                    summary.records_read += records.len() as u64;
                    pending.extend(records);
                    match outcome {
                        Ok((o, head)) => {
                            summary.files_read += 1;
                            summary.lines += o.lines;
                            summary.issues.count += o.issue_count;
                            summary.notes.extend(o.notes.into_iter().map(|n| IssueJson {
                                path: n.path.display().to_string(),
                                line: n.line,
                                message: n.message,
                            }));
                            let room = MAX_ISSUES_SHOWN.saturating_sub(issues_first.len());
                            issues_first.extend(o.issues.into_iter().take(room).map(|issue| {
                                IssueJson {
                                    path: issue.path.display().to_string(),
                                    line: issue.line,
                                    message: issue.message,
                                }
                            }));
                            pending_progress.push(FileProgress {
                                path: p.key.clone(),
                                offset: o.end_offset,
                                head_hash: head,
                                lines: p.lines_before + o.lines,
                            });
                        }
                        // Keep what was read; the progress stays where it was.
                        Err(e) => summary.failed_files.push(FailedFile {
                            path: p.path.display().to_string(),
                            error: e,
                        }),
                    }
                }
            }
            bar.set_message(format!("{} records", int(summary.records_read)));
            if pending.len() >= threshold
                || (last && (!pending.is_empty() || !pending_progress.is_empty()))
            {
                threshold = threshold.saturating_mul(2).min(commit_every);
                let next = returned.try_recv().map_or_else(
                    |_| fresh(),
                    |mut used| {
                        used.clear();
                        used
                    },
                );
                let chunk = (
                    std::mem::replace(&mut pending, next),
                    std::mem::take(&mut pending_progress),
                );
                // A closed channel means the writer failed: its error is below.
                if to_writer.send(chunk).is_err() {
                    writer_gone = true;
                    break;
                }
            }
            if last {
                break;
            }
        }
        drop(to_writer);
        let mut result = match writer.join() {
            Ok((new, dup, written)) => {
                summary.records_new += new;
                summary.duplicates += dup;
                written.map_err(|e| anyhow::Error::new(e).context("cannot write to the ledger"))
            }
            Err(_) => Err(anyhow::anyhow!("the ledger writer stopped unexpectedly")),
        };
        if writer_gone && result.is_ok() {
            result = Err(anyhow::anyhow!("the ledger writer stopped unexpectedly"));
        }
        // Dropping the receiver stops the workers at their next send.
        drop(rx);
        for h in handles {
            match h.join() {
                Ok((u, refs)) => {
                    merge_unpriced(&mut unpriced_all, u);
                    for sc in refs.calendars_ended() {
                        calendars.note(sc);
                    }
                }
                Err(_) => {
                    if result.is_ok() {
                        result = Err(anyhow::anyhow!("an import worker stopped unexpectedly"));
                    }
                }
            }
        }
        result
    });
    bar.finish_and_clear();
    write_result.with_context(|| {
        format!(
            "the import stopped after {} new records; the ledger is consistent and a new import continues from there",
            summary.records_new
        )
    })?;
    summary.issues.first = issues_first;
    summary.warnings = calendars.warnings_at(None);
    summary.unpriced = unpriced_all
        .into_iter()
        .map(|(model, u)| UnpricedJson {
            model,
            records: u.records,
            tokens: u.tokens,
            reason: u.reason,
        })
        .collect();
    Ok(summary)
}

/// Where to start reading `path`: after its recorded progress when its head is
/// unchanged and it has not shrunk, else from the start.
fn plan<L: Ledger + ?Sized>(ledger: &L, path: &Path, kind: SourceKind) -> Result<Plan> {
    let canonical =
        std::fs::canonicalize(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = canonical.display().to_string();
    let size = std::fs::metadata(&canonical)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let prev = ledger
        .file_progress(&key)
        .with_context(|| format!("cannot read the import progress of {}", path.display()))?;
    let (start, lines_before, reread) = match prev {
        Some(p) if p.offset <= size && head_hash(&canonical, p.offset)? == p.head_hash => {
            (p.offset, p.lines, false)
        }
        Some(p) => (0, 0, p.offset > 0),
        None => (0, 0, false),
    };
    Ok(Plan {
        path: path.to_path_buf(),
        kind,
        key,
        start,
        lines_before,
        size,
        reread,
    })
}

/// Bytes of a file's head compared between imports.
const HEAD: u64 = 4096;

/// A hash of the first `min(4 KiB, offset)` bytes of `path`: the part of the
/// head that was already imported. Appending to a file (even a small one)
/// leaves it unchanged; replacing or truncating the file changes it. Written
/// as `<length>:<FNV-1a 64 hex>`.
fn head_hash(path: &Path, offset: u64) -> Result<String> {
    use std::io::Read;
    let len = offset.min(HEAD);
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    std::fs::File::open(path)
        .and_then(|f| f.take(len).read_to_end(&mut buf))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &buf {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(format!("{}:{h:016x}", buf.len()))
}

fn report(s: &ImportSummary, format: Format, out: &mut dyn Write) -> Result<ExitStatus> {
    warn_issues(s);
    for w in &s.warnings {
        warn(w);
    }
    match format {
        Format::Json => {
            // Exit policy: a model left unpriced is an issue too (exit 1).
            let mut j = s.clone();
            for u in &s.unpriced {
                j.issues.count += 1;
                j.issues.first.push(IssueJson {
                    path: String::new(),
                    line: 0,
                    message: format!(
                        "`{}` has no price ({}): {} records stored without a cost",
                        u.model, u.reason, u.records
                    ),
                });
            }
            crate::output::write_json(out, &j)?;
        }
        Format::Table => {
            writeln!(out, "ledger:              {}", s.ledger)?;
            writeln!(
                out,
                "files:               {} found, {} read, {} unchanged, {} read again from the start",
                int(s.files),
                int(s.files_read),
                int(s.files_unchanged),
                int(s.files_reread)
            )?;
            writeln!(out, "lines read:          {}", int(s.lines))?;
            writeln!(out, "records read:        {}", int(s.records_read))?;
            writeln!(out, "new records:         {}", int(s.records_new))?;
            writeln!(out, "duplicates skipped:  {}", int(s.duplicates))?;
            writeln!(out, "malformed lines:     {}", int(s.issues.count))?;
            if !s.failed_files.is_empty() {
                writeln!(
                    out,
                    "files not read:      {}",
                    int(s.failed_files.len() as u64)
                )?;
            }
            if !s.unpriced.is_empty() {
                writeln!(
                    out,
                    "\nunpriced models (stored without a cost in {}):",
                    s.currency
                )?;
                for u in &s.unpriced {
                    writeln!(
                        out,
                        "  {}: {} records, {} tokens — {}",
                        u.model,
                        int(u.records),
                        int(u.tokens),
                        u.reason
                    )?;
                }
            }
        }
    }
    crate::common::warn_unpriced(s.unpriced.iter().map(|u| u.model.as_str()));
    // Skipped input or records stored without a cost: done, but not all of it.
    Ok(
        if s.issues.count > 0 || !s.failed_files.is_empty() || !s.unpriced.is_empty() {
            ExitStatus::Partial
        } else {
            ExitStatus::Success
        },
    )
}

fn warn(msg: &str) {
    crate::printer::Printer::current().warn(msg);
}

/// Notes, skipped lines and failed files, on stderr through the printer.
fn warn_issues(s: &ImportSummary) {
    let p = crate::printer::Printer::current();
    for n in &s.notes {
        p.note(&format!("{}:{}: {}", n.path, n.line, n.message));
    }
    for i in &s.issues.first {
        if i.line == 0 {
            p.warn(&format!("{}: skipped: {}", i.path, i.message));
        } else {
            p.warn(&format!("{}:{}: skipped: {}", i.path, i.line, i.message));
        }
    }
    let shown = s.issues.first.len() as u64;
    if s.issues.count > shown {
        p.warn(&format!(
            "{} more malformed lines not shown",
            int(s.issues.count - shown)
        ));
    }
    for f in &s.failed_files {
        p.warn(&format!("{}: not imported: {}", f.path, f.error));
    }
}

#[cfg(test)]
mod tests {
    use llmcost_core::Decimal;
    use llmcost_ledger::{CostUpdate, Filter, InsertSummary, LedgerError};
    use llmcost_ledger_sqlite::SqliteLedger;

    use super::*;

    /// A ledger whose writes fail after `writes_left` successful ones, as a
    /// full disk or a killed process would stop an import.
    struct Failing<'a> {
        inner: &'a mut SqliteLedger,
        writes_left: usize,
    }

    impl Failing<'_> {
        fn write(&mut self) -> llmcost_ledger::Result<()> {
            if self.writes_left == 0 {
                return Err(LedgerError::Conflict("disk full (simulated)".into()));
            }
            self.writes_left -= 1;
            Ok(())
        }
    }

    impl Ledger for Failing<'_> {
        fn insert(&mut self, records: &[UsageRecord]) -> llmcost_ledger::Result<InsertSummary> {
            self.write()?;
            self.inner.insert(records)
        }
        fn insert_with_progress(
            &mut self,
            records: &[UsageRecord],
            progress: &FileProgress,
        ) -> llmcost_ledger::Result<InsertSummary> {
            self.write()?;
            self.inner.insert_with_progress(records, progress)
        }
        fn insert_with_progresses(
            &mut self,
            records: &[UsageRecord],
            progress: &[FileProgress],
        ) -> llmcost_ledger::Result<InsertSummary> {
            self.write()?;
            self.inner.insert_with_progresses(records, progress)
        }
        fn file_progress(&self, path: &str) -> llmcost_ledger::Result<Option<FileProgress>> {
            self.inner.file_progress(path)
        }
        fn for_each(
            &self,
            filter: &Filter,
            f: &mut dyn FnMut(UsageRecord) -> llmcost_ledger::Result<()>,
        ) -> llmcost_ledger::Result<()> {
            self.inner.for_each(filter, f)
        }
        fn update_costs(&mut self, costs: &[CostUpdate]) -> llmcost_ledger::Result<u64> {
            self.inner.update_costs(costs)
        }
        fn count(&self) -> llmcost_ledger::Result<u64> {
            self.inner.count()
        }
    }

    fn write_lines(path: &Path, from: u64, to: u64) {
        use std::fmt::Write as _;
        let mut text = String::new();
        for i in from..to {
            let _ = writeln!(
                text,
                r#"{{"id":"r{i}","created":1735689600,"model":"gpt-4o-mini","usage":{{"prompt_tokens":1000,"completion_tokens":500}}}}"#
            );
        }
        std::fs::write(path, text).expect("write");
    }

    fn import<L: Ledger + ?Sized>(
        l: &mut L,
        files: &[(PathBuf, SourceKind)],
        commit_every: usize,
    ) -> Result<ImportSummary> {
        import_files_with(l, files, Currency::USD, false, "test".into(), commit_every)
    }

    #[test]
    fn an_import_interrupted_mid_file_leaves_the_ledger_consistent() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("big.jsonl");
        let n = BATCH as u64 + 1_808;
        write_lines(&path, 0, n);
        let files = vec![(path.clone(), SourceKind::Jsonl)];
        let mut ledger = SqliteLedger::open(dir.path().join("l.db")).expect("open");

        // The first batch is written; the file's last batch (with its progress) fails.
        let err = import(
            &mut Failing {
                inner: &mut ledger,
                writes_left: 1,
            },
            &files,
            BATCH,
        )
        .expect_err("the second write fails");
        let msg = format!("{err:#}");
        assert!(msg.contains("the ledger is consistent"), "{msg}");
        assert!(msg.contains("disk full (simulated)"), "{msg}");
        assert_eq!(ledger.count().expect("count"), BATCH as u64);
        let key = std::fs::canonicalize(&path)
            .expect("canonical")
            .display()
            .to_string();
        assert_eq!(
            ledger.file_progress(&key).expect("progress"),
            None,
            "progress not moved"
        );

        // The next import reads the file again; what was written is skipped.
        let s = import(&mut ledger, &files, COMMIT_RECORDS).expect("import");
        assert_eq!((s.records_new, s.duplicates), (1_808, BATCH as u64));
        assert_eq!(ledger.count().expect("count"), n);
        let p = ledger
            .file_progress(&key)
            .expect("progress")
            .expect("stored");
        assert_eq!(
            (p.offset, p.lines),
            (std::fs::metadata(&path).expect("meta").len(), n)
        );
        // Every record priced: 1000×0.15 + 500×0.6 = 450 per 1M.
        let mut total = Decimal::ZERO;
        ledger
            .for_each(&Filter::default(), &mut |r| {
                total += r.cost.expect("priced");
                Ok(())
            })
            .expect("read");
        assert_eq!(total, Decimal::new(45, 5) * Decimal::from(n));
    }

    #[test]
    fn an_import_interrupted_between_files_keeps_whole_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let files: Vec<(PathBuf, SourceKind)> = (0..3u64)
            .map(|f| {
                let p = dir.path().join(format!("f{f}.jsonl"));
                write_lines(&p, f * 10, f * 10 + 3);
                (p, SourceKind::Jsonl)
            })
            .collect();
        let mut ledger = SqliteLedger::open(dir.path().join("l.db")).expect("open");
        import(
            &mut Failing {
                inner: &mut ledger,
                writes_left: 1,
            },
            &files,
            1,
        )
        .expect_err("fails");
        // Exactly one file went in, whole, with its progress.
        assert_eq!(ledger.count().expect("count"), 3);
        let done: Vec<FileProgress> = files
            .iter()
            .filter_map(|(p, _)| {
                let key = std::fs::canonicalize(p)
                    .expect("canonical")
                    .display()
                    .to_string();
                ledger.file_progress(&key).expect("progress")
            })
            .collect();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].lines, 3);
        let s = import(&mut ledger, &files, COMMIT_RECORDS).expect("import");
        assert_eq!((s.files_unchanged, s.records_new, s.duplicates), (1, 6, 0));
        assert_eq!(ledger.count().expect("count"), 9);
    }

    #[test]
    fn head_hash_covers_only_the_imported_head() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "abc\n").expect("write");
        let before = head_hash(&p, 4).expect("hash");
        std::fs::write(&p, "abc\ndef\n").expect("grow");
        assert_eq!(
            head_hash(&p, 4).expect("hash"),
            before,
            "appending keeps the head"
        );
        std::fs::write(&p, "abd\ndef\n").expect("replace");
        assert_ne!(head_hash(&p, 4).expect("hash"), before);
        // FNV-1a 64 of the empty input is the offset basis.
        assert_eq!(head_hash(&p, 0).expect("hash"), "0:cbf29ce484222325");
    }
}

//! The import pipeline: usage logs and exports into a ledger, idempotently.
//!
//! Each file is read from where the last import stopped (its recorded
//! progress) unless the part of its first 4 KiB that was imported changed
//! (the file was replaced or truncated): then it is read again from the
//! start and the records' dedup keys keep the ledger free of doubles. Every
//! record is priced at its own timestamp in one currency; a model without a
//! price is stored with no cost (never zero).
//!
//! Files are scanned and priced on worker threads; one thread writes to the
//! ledger in transactions of [`COMMIT_RECORDS`] records, each with the
//! progress of the files finished by then, so a progress is never stored
//! before its records. An interrupted import leaves the ledger consistent:
//! what was committed stays, the progress of unfinished files does not move,
//! and the next import reads those lines again and skips them as duplicates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use llmcost_catalog::{Catalog, PriceRefs};
use llmcost_core::Currency;
use llmcost_ledger::{FileProgress, Ledger, UsageRecord};
use llmcost_logs::SourceKind;
use serde::Serialize;

use crate::error::{Error, Result, ResultExt, UnknownCurrency};
use crate::quote::calendar::Ended;
use crate::quote::chain;

/// How an import is going, for a progress bar. Called on the thread that
/// runs the import.
pub trait Progress {
    /// The import reads about `bytes` bytes in all.
    fn start(&mut self, bytes: u64);
    /// Another `bytes` bytes were read (a file done).
    fn advance(&mut self, bytes: u64);
    /// `records` records have been read so far.
    fn records(&mut self, records: u64);
    /// The import is over (done or failed).
    fn finish(&mut self);
}

/// No progress shown.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn records(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// Records a scanning worker hands to the writer at a time.
pub(crate) const BATCH: usize = 8_192;
/// Records written per transaction (with the progress of every file finished
/// by then). Large transactions are what make SQLite fast here: each commit
/// writes every index page it touched to the write-ahead log again. Up to
/// three such chunks are held at once (filling, queued, being written), so
/// this bounds an import's memory too: against 131,072, 65,536 took the
/// 1M-entry import's peak resident memory from about 810,000 to 490,000 KB
/// (SQLite) and 740,000 to 390,000 KB (PostgreSQL), and both imports ran as
/// fast or faster (fewer fresh pages to fault in and zero; bench/RESULTS.md).
pub const COMMIT_RECORDS: usize = 65_536;
/// The first transaction's size: the writer starts as soon as this many
/// records are read instead of idling while a whole `COMMIT_RECORDS` gathers;
/// each next transaction is twice as large, up to `COMMIT_RECORDS`.
const FIRST_COMMIT_RECORDS: usize = 16_384;
/// Issues kept in full for the summary; the rest are counted.
const MAX_ISSUES_SHOWN: usize = 20;

/// Models read without a price, with what they used.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Unpriced {
    /// Records.
    pub records: u64,
    /// Every token of them.
    pub tokens: u128,
    /// Why there is no price (the first record's reason).
    pub reason: String,
}

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
            u.tokens += r.usage.total();
        }
    }
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
/// A line that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct IssueJson {
    /// The file (empty: not about a file).
    pub path: String,
    /// 1-based line (0: none).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// How many lines could not be read, and the first ones.
#[derive(Debug, Clone, Serialize)]
pub struct IssuesJson {
    /// How many.
    pub count: u64,
    /// The first ones, in full.
    pub first: Vec<IssueJson>,
}

/// A file or folder not read.
#[derive(Debug, Clone, Serialize)]
pub struct FailedFile {
    /// The path.
    pub path: String,
    /// Why.
    pub error: String,
}

/// The summary of an import (also its JSON).
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// The ledger (a path, or a URL without its password).
    pub ledger: String,
    /// The currency records were priced in.
    pub currency: Currency,
    /// Files found.
    pub files: u64,
    /// Files with new bytes, read.
    pub files_read: u64,
    /// Files unchanged since the last import.
    pub files_unchanged: u64,
    /// Files replaced or truncated, read from the start.
    pub files_reread: u64,
    /// Lines read.
    pub lines: u64,
    /// Records read.
    pub records_read: u64,
    /// Records new to the ledger.
    pub records_new: u64,
    /// Records already stored (skipped).
    pub duplicates: u64,
    /// Models with no price (stored without a cost).
    pub unpriced: Vec<UnpricedJson>,
    /// Lines that could not be read.
    pub issues: IssuesJson,
    /// Not problems: a last line still being written, left for the next import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<IssueJson>,
    /// Files and folders not read.
    pub failed_files: Vec<FailedFile>,
    /// A holiday calendar that ended before some records (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A model with no price.
#[derive(Debug, Clone, Serialize)]
pub struct UnpricedJson {
    /// The model, as recorded.
    pub model: String,
    /// Records.
    pub records: u64,
    /// Every token of them.
    pub tokens: u128,
    /// Why there is no price.
    pub reason: String,
}

impl ImportSummary {
    /// The summary as `llmcost import --format json` prints it: a model
    /// left unpriced is an issue too.
    #[must_use]
    pub fn wire(&self) -> ImportSummary {
        let mut j = self.clone();
        for u in &self.unpriced {
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
        j
    }
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

/// Imports `files` into `ledger` as a bulk load ([`Ledger::bulk_load`]),
/// pricing every record in `currency`; `ledger_name` names it in the summary.
///
/// # Errors
/// The ledger cannot be prepared or written (what was committed stays, and
/// the message says so), or a worker stopped.
pub fn import(
    cat: &Catalog,
    ledger: &mut dyn Ledger,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
    device: &str,
    ledger_name: String,
    progress: &mut dyn Progress,
) -> Result<ImportSummary> {
    // SQLite: the write-ahead log is checkpointed beside the inserts.
    let bulk = ledger
        .bulk_load()
        .map_err(|e| Error::ledger("cannot prepare the ledger for the import", e))?;
    let result = import_files(cat, ledger, files, currency, device, ledger_name, progress);
    drop(bulk);
    result
}

/// Imports `files` into `ledger` (any backend), without a bulk load.
///
/// # Errors
/// As [`import`].
pub fn import_files<L: Ledger + ?Sized>(
    cat: &Catalog,
    ledger: &mut L,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
    device: &str,
    ledger_name: String,
    progress: &mut dyn Progress,
) -> Result<ImportSummary> {
    import_files_with(
        cat,
        ledger,
        files,
        currency,
        device,
        ledger_name,
        progress,
        COMMIT_RECORDS,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "import_files' arguments plus the commit interval that tests shorten"
)]
fn import_files_with<L: Ledger + ?Sized>(
    cat: &Catalog,
    ledger: &mut L,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
    device: &str,
    ledger_name: String,
    progress: &mut dyn Progress,
    commit_every: usize,
) -> Result<ImportSummary> {
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
    let mut failed = |path: &Path, e: &Error| {
        summary.failed_files.push(FailedFile {
            path: path.display().to_string(),
            error: chain(e),
        });
    };
    let mut found = Vec::with_capacity(files.len());
    for (path, kind) in files {
        match locate(path) {
            Ok((key, size)) => found.push((path, *kind, key, size)),
            Err(e) => failed(path, &e),
        }
    }
    let keys: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
    let before = ledger.files_progress(&keys).map_err(|e| {
        Error::ledger(
            format!("cannot read the import progress of {} files", keys.len()),
            e,
        )
    })?;
    for ((path, kind, key, size), prev) in found.into_iter().zip(before) {
        match plan(path, kind, key, size, prev) {
            Ok(p) if p.start >= p.size && p.start > 0 => summary.files_unchanged += 1,
            Ok(p) => {
                summary.files_reread += u64::from(p.reread);
                plans.push(p);
            }
            Err(e) => failed(path, &e),
        }
    }

    let total_bytes: u64 = plans.iter().map(|p| p.size.saturating_sub(p.start)).sum();
    progress.start(total_bytes);

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
    let mut calendars = Ended::default();
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
                                r.device = Some(device.to_owned());
                                price_record(cat, &mut r, currency, &mut unpriced, &mut refs);
                                buf.push(r);
                                if buf.len() >= BATCH {
                                    let batch =
                                        std::mem::replace(&mut buf, Vec::with_capacity(BATCH));
                                    gone = tx.send(Msg::Batch(batch)).is_err();
                                }
                            });
                        let outcome = outcome.map_err(|e| e.to_string()).and_then(|o| {
                            let head = head_hash(&p.path, o.end_offset).map_err(|e| chain(&e))?;
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
                    progress.advance(p.size.saturating_sub(p.start));
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
            progress.records(summary.records_read);
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
                written.map_err(|e| Error::ledger("cannot write to the ledger", e))
            }
            Err(_) => Err(Error::Stopped(
                "the ledger writer stopped unexpectedly".into(),
            )),
        };
        if writer_gone && result.is_ok() {
            result = Err(Error::Stopped(
                "the ledger writer stopped unexpectedly".into(),
            ));
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
                        result = Err(Error::Stopped(
                            "an import worker stopped unexpectedly".into(),
                        ));
                    }
                }
            }
        }
        result
    });
    progress.finish();
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

/// The progress key of `path` (its canonical path) and its size.
fn locate(path: &Path) -> Result<(String, u64)> {
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let size = std::fs::metadata(&canonical)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?
        .len();
    Ok((canonical.display().to_string(), size))
}

/// Where to start reading `path` (progress key `key`, `size` bytes): after its
/// recorded progress `prev` when its head is unchanged and it has not shrunk,
/// else from the start.
fn plan(
    path: &Path,
    kind: SourceKind,
    key: String,
    size: u64,
    prev: Option<FileProgress>,
) -> Result<Plan> {
    let (start, lines_before, reread) = match prev {
        Some(p) if p.offset <= size && head_hash(Path::new(&key), p.offset)? == p.head_hash => {
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
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &buf {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(format!("{}:{h:016x}", buf.len()))
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
        let cat = Catalog::builtin().expect("catalog");
        import_files_with(
            cat,
            l,
            files,
            Currency::USD,
            "test-device",
            "test".into(),
            &mut NoProgress,
            commit_every,
        )
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
        let msg = chain(&err);
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

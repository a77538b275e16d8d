//! The ledger writer: one dedicated thread that owns the ledger, reads records
//! from a bounded queue and inserts them in batches.
//!
//! * The writer sleeps until a record arrives, lets `flush_interval` (50 ms by
//!   default) pass while the batch gathers, then writes everything queued, in
//!   transactions of at most `batch_size` records. A record is therefore in the
//!   ledger at most `flush_interval` plus the time of one write after its call
//!   finished; that is what survives a `kill -9`. (Senders never wake the
//!   writer while it gathers: no context switch per call.)
//! * The writer shares the machine with the calls it records, so it never
//!   holds a core for long: the ledger gives up the CPU every `yield_every`
//!   rows (8 by default, a few microseconds of work) inside its transactions,
//!   unless more than a transaction (`batch_size`) has queued up and it must
//!   catch up first. A call whose thread wakes up on the writer's core waits
//!   that long at most, whatever the size of the batch, so batches can stay
//!   large: with the proxy's sequenced keys a 50 ms batch writes ~0.8 KB of
//!   log per record at 5,000 calls/s, where the many small transactions of
//!   an earlier design wrote ~7 KB — the I/O that, with the writer's bursts,
//!   made up most of the p99 latency the proxy added at concurrency 1.
//! * A failed insert is retried twice (after 50 and 250 ms); then the records
//!   go to the spill file ([`crate::spill`]) and the writer is *degraded*: it
//!   spills every batch and tries the ledger again every 500 ms, replaying the
//!   spill file when it works. Records it can neither write nor spill are held
//!   in memory (up to the queue's capacity) and, by default, new calls are
//!   refused meanwhile ([`SpillFull`]).
//! * Shutdown drains the queue, writes (or spills) what is left and returns the totals.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use llmcost_ledger::{Ledger, SpendDelta, UsageRecord};

/// What records spend in fleet budget accounts (stored in their insert's transaction).
pub(crate) type SpendFn = Arc<dyn Fn(&[UsageRecord]) -> Vec<SpendDelta> + Send + Sync>;

/// Told of records that are lost (never stored), to release their fleet spend.
pub(crate) type LostFn = Arc<dyn Fn(&[UsageRecord]) + Send + Sync>;

use crate::config::WriterSettings;
use crate::metrics::Metrics;
use crate::spill::Spill;

/// A message to the writer.
#[derive(Debug)]
pub(crate) enum Msg {
    Record(Box<UsageRecord>),
    Shutdown,
}

/// What the writer did over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterReport {
    /// Records inserted (including those replayed from the spill file).
    pub written: u64,
    /// Records the ledger already had (same `dedup_key`).
    pub duplicates: u64,
    /// Records lost: neither written nor spilled.
    pub failed: u64,
    /// Records written to the spill file because the ledger failed.
    pub spilled: u64,
    /// Records replayed from the spill file into the ledger.
    pub replayed: u64,
    /// Records left in the spill file at the end, replayed at the next start.
    pub left_in_spill: u64,
}

/// What the writer does when records can be neither written nor spilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpillFull {
    /// Answer new calls 503 until the held records are written or spilled (default).
    #[default]
    Refuse,
    /// Keep serving; records beyond the writer queue's capacity are lost (counted).
    Serve,
}

/// Starts the writer thread. `spill` is where records go while the ledger
/// fails; records already in it are replayed first. `fleet`: what records
/// spend in fleet budgets, and who is told of records lost.
pub(crate) fn spawn(
    ledger: Box<dyn Ledger>,
    fleet: Option<(SpendFn, LostFn)>,
    spill: Option<Spill>,
    policy: SpillFull,
    settings: WriterSettings,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<(SyncSender<Msg>, JoinHandle<WriterReport>)> {
    let (tx, rx) = sync_channel(settings.queue_capacity);
    let (spend, lost) = fleet.unzip();
    let handle = std::thread::Builder::new()
        .name("llmcost-ledger-writer".into())
        .spawn(move || {
            let mut w = Writer {
                ledger,
                spend,
                lost,
                spill,
                policy,
                held: Vec::new(),
                hold_max: settings.queue_capacity,
                metrics: &metrics,
                report: WriterReport::default(),
                next_probe: Instant::now(),
            };
            w.publish();
            run(&mut w, &rx, settings, &stop);
            w.report
        })?;
    Ok((tx, handle))
}

/// How long the writer sleeps between two looks at the queue while a batch gathers.
const SLICE: Duration = Duration::from_millis(5);

/// How often a degraded writer tries the ledger again.
const PROBE: Duration = Duration::from_millis(500);

/// Inserts records, with their fleet budget spend when budgets are shared.
fn insert(
    ledger: &mut Box<dyn Ledger>,
    spend: Option<&SpendFn>,
    records: &[UsageRecord],
) -> llmcost_ledger::Result<llmcost_ledger::InsertSummary> {
    match spend {
        Some(f) => {
            let deltas = f(records);
            ledger.insert_with_spend(records, &deltas)
        }
        None => ledger.insert(records),
    }
}

struct Writer<'a> {
    ledger: Box<dyn Ledger>,
    spend: Option<SpendFn>,
    lost: Option<LostFn>,
    spill: Option<Spill>,
    policy: SpillFull,
    /// Records neither written nor spilled, oldest first.
    held: Vec<UsageRecord>,
    hold_max: usize,
    metrics: &'a Metrics,
    report: WriterReport,
    next_probe: Instant,
}

impl Writer<'_> {
    fn backlog(&self) -> u64 {
        self.spill.as_ref().map_or(0, Spill::records)
    }

    fn degraded(&self) -> bool {
        self.backlog() > 0 || !self.held.is_empty()
    }

    /// Updates the health gauges.
    fn publish(&self) {
        let h = &self.metrics.health;
        h.spill_backlog.store(self.backlog(), Relaxed);
        h.spill_bytes
            .store(self.spill.as_ref().map_or(0, Spill::bytes), Relaxed);
        h.held.store(self.held.len() as u64, Relaxed);
        h.refusing.store(
            self.policy == SpillFull::Refuse && !self.held.is_empty(),
            Relaxed,
        );
        if !self.degraded() {
            h.set_reason(None);
        }
    }

    fn count_inserted(&mut self, sum: llmcost_ledger::InsertSummary) {
        self.report.written += sum.inserted;
        self.report.duplicates += sum.duplicates;
        self.metrics.written.fetch_add(sum.inserted, Relaxed);
    }

    /// Tries to write the held records and replay the spill file; true when
    /// nothing is left behind.
    fn recover(&mut self) -> bool {
        self.next_probe = Instant::now() + PROBE;
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            match insert(&mut self.ledger, self.spend.as_ref(), &held) {
                Ok(sum) => self.count_inserted(sum),
                Err(e) => {
                    self.held = held;
                    self.metrics.health.set_reason(Some(format!("ledger: {e}")));
                    return false;
                }
            }
        }
        if let Some(spill) = self.spill.as_mut()
            && spill.records() > 0
        {
            let records = match spill.read() {
                Ok(r) => r,
                Err(e) => {
                    self.metrics.health.set_reason(Some(format!(
                        "reading the spill file {}: {e}",
                        spill.path().display()
                    )));
                    return false;
                }
            };
            let mut sum = llmcost_ledger::InsertSummary::default();
            for chunk in records.chunks(1_000) {
                match insert(&mut self.ledger, self.spend.as_ref(), chunk) {
                    Ok(s) => {
                        sum.inserted += s.inserted;
                        sum.duplicates += s.duplicates;
                    }
                    Err(e) => {
                        // What went in stays in; the rest is replayed later (keys are idempotent).
                        self.report.written += sum.inserted;
                        self.report.duplicates += sum.duplicates;
                        self.metrics.written.fetch_add(sum.inserted, Relaxed);
                        self.metrics.health.set_reason(Some(format!("ledger: {e}")));
                        return false;
                    }
                }
            }
            let n = records.len() as u64;
            self.report.written += sum.inserted;
            self.report.duplicates += sum.duplicates;
            self.metrics.written.fetch_add(sum.inserted, Relaxed);
            if let Err(e) = spill.clear() {
                // Replayed again later: the ledger skips what it has.
                self.metrics.health.set_reason(Some(format!(
                    "clearing the spill file {}: {e}",
                    spill.path().display()
                )));
                return false;
            }
            self.report.replayed += n;
            self.metrics.replayed.fetch_add(n, Relaxed);
            tracing::info!(
                records = n,
                "the ledger can be written again: spill file replayed"
            );
        }
        self.publish();
        true
    }

    /// Writes one chunk: to the ledger when it works, else to the spill file,
    /// else held in memory.
    fn write(&mut self, records: Vec<UsageRecord>) {
        if self.degraded() && Instant::now() >= self.next_probe {
            self.recover();
        }
        if !self.degraded() {
            let mut delays = [Duration::from_millis(50), Duration::from_millis(250)].into_iter();
            loop {
                match insert(&mut self.ledger, self.spend.as_ref(), &records) {
                    Ok(sum) => {
                        self.count_inserted(sum);
                        return;
                    }
                    Err(e) => match delays.next() {
                        Some(d) => {
                            tracing::warn!(error = %e, records = records.len(), "ledger insert failed; retrying");
                            std::thread::sleep(d);
                        }
                        None => {
                            tracing::error!(error = %e, records = records.len(), "ledger insert failed; spilling");
                            self.metrics.health.set_reason(Some(format!("ledger: {e}")));
                            self.next_probe = Instant::now() + PROBE;
                            break;
                        }
                    },
                }
            }
        }
        self.spill_or_hold(records);
    }

    fn spill_or_hold(&mut self, records: Vec<UsageRecord>) {
        let n = records.len() as u64;
        let spilled = match self.spill.as_mut() {
            Some(s) => s.append(&records).map_err(|e| e.to_string()),
            None => Err("no spill file".to_string()),
        };
        match spilled {
            Ok(()) => {
                self.report.spilled += n;
                self.metrics.spilled.fetch_add(n, Relaxed);
            }
            Err(why) => {
                let reason = self.metrics.health.reason().unwrap_or_default();
                if !reason.contains(&why) {
                    tracing::error!(error = %why, "records cannot be spilled: held in memory");
                    self.metrics
                        .health
                        .set_reason(Some(format!("{reason}; {why}")));
                }
                let room = self.hold_max.saturating_sub(self.held.len());
                let mut records = records;
                if records.len() > room {
                    let lost = (records.len() - room) as u64;
                    if let Some(f) = &self.lost {
                        f(&records[room..]);
                    }
                    records.truncate(room);
                    tracing::error!(
                        records = lost,
                        "ledger and spill file failing, memory full: records lost"
                    );
                    self.report.failed += lost;
                    self.metrics.ledger_errors.fetch_add(lost, Relaxed);
                }
                self.held.extend(records);
            }
        }
        self.publish();
    }

    /// At shutdown: one last try; what is left is spilled, else lost (counted).
    fn finish(&mut self) {
        if self.degraded() {
            self.recover();
        }
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            let n = held.len() as u64;
            if let Some(Ok(())) = self.spill.as_mut().map(|s| s.append(&held)) {
                self.report.spilled += n;
                self.metrics.spilled.fetch_add(n, Relaxed);
            } else {
                tracing::error!(
                    records = n,
                    "records lost at shutdown: the ledger and the spill file both fail"
                );
                if let Some(f) = &self.lost {
                    f(&held);
                }
                self.report.failed += n;
                self.metrics.ledger_errors.fetch_add(n, Relaxed);
            }
        }
        self.report.left_in_spill = self.backlog();
        self.publish();
    }
}

fn run(w: &mut Writer<'_>, rx: &Receiver<Msg>, s: WriterSettings, stop: &AtomicBool) {
    let metrics = w.metrics;
    let mut batch: Vec<UsageRecord> = Vec::with_capacity(s.batch_size);
    let take = |batch: &mut Vec<UsageRecord>, r: Box<UsageRecord>| {
        metrics.queue_depth.fetch_sub(1, Relaxed);
        batch.push(*r);
    };
    // Moves every queued record into `batch`; true once the queue says stop.
    let drain = |batch: &mut Vec<UsageRecord>| loop {
        match rx.try_recv() {
            Ok(Msg::Record(r)) => take(batch, r),
            Ok(Msg::Shutdown) | Err(TryRecvError::Disconnected) => return true,
            Err(TryRecvError::Empty) => return false,
        }
    };
    loop {
        let mut shutting = false;
        if w.degraded() {
            // Wake up now and then to replay the spill file without traffic.
            let wait = w.next_probe.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait.max(SLICE)) {
                Ok(Msg::Record(r)) => take(&mut batch, r),
                Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => shutting = true,
                Err(RecvTimeoutError::Timeout) => {
                    if !stop.load(Relaxed) {
                        w.recover();
                    }
                    continue;
                }
            }
        } else {
            match rx.recv() {
                Ok(Msg::Record(r)) => take(&mut batch, r),
                Ok(Msg::Shutdown) | Err(_) => shutting = true,
            }
        }
        if !shutting {
            // Sleep rather than wait on the queue: a sender never has to wake the
            // writer while a batch gathers, which would cost a context switch per call.
            // Sliced, so that a shutdown does not wait out a long interval.
            let deadline = Instant::now() + s.flush_interval;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || stop.load(Relaxed) {
                    break;
                }
                std::thread::sleep(left.min(SLICE));
                if drain(&mut batch) {
                    shutting = true;
                    break;
                }
            }
            shutting |= drain(&mut batch);
        }
        if shutting {
            loop {
                match rx.try_recv() {
                    Ok(Msg::Record(r)) => take(&mut batch, r),
                    Ok(Msg::Shutdown) => {}
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
        }
        // A backlog of more than one transaction means the writer has to catch
        // up: it stops giving way inside its transactions until it has.
        let behind = batch.len() > s.batch_size;
        w.ledger
            .set_yield_every(if behind { 0 } else { s.yield_every });
        let mut first = true;
        while !batch.is_empty() {
            if !first {
                // Let a thread that waits for this core (a call in flight) go first.
                std::thread::yield_now();
            }
            first = false;
            let rest = batch.split_off(batch.len().min(s.batch_size.max(1)));
            let chunk = std::mem::replace(&mut batch, rest);
            w.write(chunk);
        }
        if shutting {
            w.finish();
            return;
        }
    }
}

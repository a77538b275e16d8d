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
//! * A failed insert is retried twice (after 50 and 250 ms), then logged and
//!   counted; it never reaches the client, whose response has already gone.
//! * Shutdown drains the queue, writes what is left and returns the totals.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use llmcost_ledger::{Ledger, UsageRecord};

use crate::config::WriterSettings;
use crate::metrics::Metrics;

/// A message to the writer.
#[derive(Debug)]
pub(crate) enum Msg {
    Record(Box<UsageRecord>),
    Shutdown,
}

/// What the writer did over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterReport {
    /// Records inserted.
    pub written: u64,
    /// Records the ledger already had (same `dedup_key`).
    pub duplicates: u64,
    /// Records lost to ledger errors.
    pub failed: u64,
}

/// Starts the writer thread.
pub(crate) fn spawn(
    ledger: Box<dyn Ledger>,
    settings: WriterSettings,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<(SyncSender<Msg>, JoinHandle<WriterReport>)> {
    let (tx, rx) = sync_channel(settings.queue_capacity);
    let handle = std::thread::Builder::new()
        .name("llmcost-ledger-writer".into())
        .spawn(move || run(ledger, &rx, settings, &metrics, &stop))?;
    Ok((tx, handle))
}

/// How long the writer sleeps between two looks at the queue while a batch gathers.
const SLICE: Duration = Duration::from_millis(5);

fn run(
    mut ledger: Box<dyn Ledger>,
    rx: &Receiver<Msg>,
    s: WriterSettings,
    metrics: &Metrics,
    stop: &AtomicBool,
) -> WriterReport {
    let mut report = WriterReport::default();
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
        match rx.recv() {
            Ok(Msg::Record(r)) => take(&mut batch, r),
            Ok(Msg::Shutdown) | Err(_) => shutting = true,
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
        ledger.set_yield_every(if behind { 0 } else { s.yield_every });
        for (i, chunk) in batch.chunks(s.batch_size.max(1)).enumerate() {
            if i > 0 {
                // Let a thread that waits for this core (a call in flight) go first.
                std::thread::yield_now();
            }
            write(ledger.as_mut(), chunk, &mut report, metrics);
        }
        batch.clear();
        if shutting {
            return report;
        }
    }
}

fn write(
    ledger: &mut dyn Ledger,
    records: &[UsageRecord],
    report: &mut WriterReport,
    metrics: &Metrics,
) {
    let mut delays = [Duration::from_millis(50), Duration::from_millis(250)].into_iter();
    loop {
        match ledger.insert(records) {
            Ok(sum) => {
                report.written += sum.inserted;
                report.duplicates += sum.duplicates;
                metrics.written.fetch_add(sum.inserted, Relaxed);
                return;
            }
            Err(e) => match delays.next() {
                Some(d) => {
                    tracing::warn!(error = %e, records = records.len(), "ledger insert failed; retrying");
                    std::thread::sleep(d);
                }
                None => {
                    let n = records.len() as u64;
                    tracing::error!(error = %e, records = n, "ledger insert failed; records lost");
                    report.failed += n;
                    metrics.ledger_errors.fetch_add(n, Relaxed);
                    return;
                }
            },
        }
    }
}

//! The optional capabilities of [`Ledger`] for SQLite: reads split by ranges
//! of row ids, each on its own connection; a second handle; bulk loads with
//! the write-ahead log checkpointed beside the inserts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use llmcost_ledger::{BulkLoad, Filter, LeanPart, LeanRecord, Ledger, Result};

use crate::SqliteLedger;

/// How often a bulk load's checkpointer copies the log into the database.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

/// The rows whose ids are in `[from, to)`, read on a connection of their own.
struct IdRange {
    conn: SqliteLedger,
    ids: (i64, i64),
}

impl LeanPart for IdRange {
    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        self.conn.for_each_lean_in(filter, Some(self.ids), f)
    }
}

/// Row ids are dense: a span of ids is about the number of rows. An
/// in-memory ledger cannot be opened twice and is not split.
pub(crate) fn lean_parts(
    led: &SqliteLedger,
    parts: usize,
    min_records: u64,
) -> Result<Vec<Box<dyn LeanPart>>> {
    if parts < 2 || led.path().is_none() {
        return Ok(Vec::new());
    }
    let ranges = led.id_ranges(parts)?;
    let span: i64 = ranges.iter().map(|(a, b)| b - a).sum();
    if ranges.len() < 2 || u64::try_from(span).unwrap_or(0) < min_records {
        return Ok(Vec::new());
    }
    ranges
        .into_iter()
        .map(|ids| {
            Ok(Box::new(IdRange {
                conn: led.reopen()?,
                ids,
            }) as Box<dyn LeanPart>)
        })
        .collect()
}

pub(crate) fn reader(led: &SqliteLedger) -> Result<Box<dyn Ledger>> {
    Ok(Box::new(led.reopen()?))
}

/// Turns this connection's automatic checkpoints off and checkpoints from a
/// second connection on a thread of its own until the guard is dropped, so
/// copying the log into the database overlaps the inserts. Without a second
/// connection (an in-memory ledger) nothing changes. Automatic checkpoints
/// of this connection stay off until it is closed (closing checkpoints).
pub(crate) fn bulk_load(led: &mut SqliteLedger, every: Duration) -> Result<BulkLoad> {
    let Ok(checkpointer) = led.reopen() else {
        return Ok(BulkLoad::none());
    };
    led.set_auto_checkpoint(0)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("ledger-checkpoint".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                // A failed passive checkpoint is retried; the final one happens at close.
                let _ = checkpointer.checkpoint();
            }
        })
        .map_err(|e| llmcost_ledger::LedgerError::Backend(Box::new(e)))?;
    Ok(BulkLoad::new(move || {
        stop.store(true, Ordering::Relaxed);
        let _ = thread.join();
    }))
}

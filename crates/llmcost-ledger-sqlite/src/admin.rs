//! `ledger prune` on SQLite: bounded deletes of the records before a date.

use llmcost_core::Timestamp;
use llmcost_ledger::{LedgerError, PruneSummary, Result};
use rusqlite::TransactionBehavior;

use crate::{SqliteLedger, details, rollup, sql};

/// Records deleted per transaction, so a prune never holds the write lock long.
pub(crate) const PRUNE_BATCH: usize = 10_000;

impl SqliteLedger {
    /// Deletes (with `apply`) or counts the records before `before`, in
    /// transactions of [`PRUNE_BATCH`] records; then drops the details
    /// blocks no record refers to any more and the rollups of the hours removed.
    pub(crate) fn prune_before(&mut self, before: Timestamp, apply: bool) -> Result<PruneSummary> {
        let cut = i64::try_from(before.as_nanosecond()).map_err(|_| {
            LedgerError::Conflict(format!("{before} is out of the ledger's time range"))
        })?;
        // One scan (`at` has no index): the row ids to delete, in order.
        let ids: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM entries WHERE at < ?1 ORDER BY id")
                .map_err(sql)?;
            stmt.query_map([cut], |r| r.get(0))
                .map_err(sql)?
                .collect::<std::result::Result<_, _>>()
                .map_err(sql)?
        };
        let mut summary = PruneSummary {
            records: ids.len() as u64,
            partitions: Vec::new(),
            batches: ids.len().div_ceil(PRUNE_BATCH) as u64,
        };
        if !apply || ids.is_empty() {
            return Ok(summary);
        }
        summary.batches = 0;
        for chunk in ids.chunks(PRUNE_BATCH) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            tx.execute_batch(&format!(
                "DELETE FROM collided_keys WHERE id IN ({list}); DELETE FROM entries WHERE id IN ({list});"
            ))
            .map_err(sql)?;
            tx.commit().map_err(sql)?;
            summary.batches += 1;
        }
        // The hourly rollups of what is gone: whole hours dropped, the hour the
        // date falls in (when it is not on the hour) rebuilt from what is left.
        {
            let h = rollup::hour(cut);
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            tx.execute("DELETE FROM rollups WHERE hour < ?1", [h])
                .map_err(sql)?;
            if cut.rem_euclid(3_600_000_000_000) != 0 {
                let mut one = rustc_hash::FxHashSet::default();
                one.insert(h);
                rollup::rebuild(&tx, Some(&one))?;
            }
            tx.commit().map_err(sql)?;
        }
        // Details blocks below the lowest one still referred to hold only deleted records.
        self.conn
            .execute(
                &format!(
                    "DELETE FROM detail_blocks WHERE id < \
                     coalesce((SELECT min(detail >> {bits}) FROM entries), \
                              (SELECT max(id) + 1 FROM detail_blocks))",
                    bits = details::INDEX_BITS
                ),
                [],
            )
            .map_err(sql)?;
        Ok(summary)
    }
}

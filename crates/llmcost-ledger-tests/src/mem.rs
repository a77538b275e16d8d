//! [`MemLedger`]: a ledger in memory that passes the story, for tests of code
//! that writes or reads a [`Ledger`] (the proxy's) without a database.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use llmcost_core::Bucket;
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, Ledger, LedgerError, Result, UsageRecord,
};

/// A ledger in memory. Clones share the same store (each clone is another
/// "connection"), so a test keeps one clone to look at what the code under
/// test, holding another, stored.
///
/// It refuses what the SQL backends refuse (a token count or file offset
/// beyond a signed 64-bit integer, an instant outside 1677–2262), so that
/// batches are atomic the same way; `fail` makes every write fail.
#[derive(Debug, Clone, Default)]
pub struct MemLedger {
    /// The stored records, in insertion order (tests may push to it directly).
    pub records: Arc<Mutex<Vec<UsageRecord>>>,
    /// When true, every write fails with [`LedgerError::Conflict`] (fault injection).
    pub fail: Arc<Mutex<bool>>,
    /// The stored progress of files, one per path.
    pub progress: Arc<Mutex<Vec<FileProgress>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn too_large(what: &str, v: u64) -> LedgerError {
    LedgerError::Conflict(format!("{what} {v} does not fit in a ledger integer"))
}

/// What a SQL backend would refuse to store.
fn check(r: &UsageRecord) -> Result<()> {
    if let Some(b) = Bucket::ALL
        .into_iter()
        .find(|&b| i64::try_from(r.usage.get(b)).is_err())
    {
        return Err(too_large(b.key(), r.usage.get(b)));
    }
    if i64::try_from(r.at.as_nanosecond()).is_err() {
        return Err(LedgerError::Conflict(format!(
            "timestamp {} is outside the ledger's range (1677 to 2262)",
            r.at
        )));
    }
    Ok(())
}

fn check_progress(p: &FileProgress) -> Result<()> {
    for (what, v) in [("offset", p.offset), ("line count", p.lines)] {
        if i64::try_from(v).is_err() {
            return Err(too_large(what, v));
        }
    }
    Ok(())
}

fn keeps(filter: &Filter, r: &UsageRecord) -> bool {
    filter.since.is_none_or(|s| r.at >= s)
        && filter.until.is_none_or(|u| r.at < u)
        && (filter.models.is_empty() || filter.models.contains(&r.model))
        && (filter.sources.is_empty() || filter.sources.contains(&r.source))
        && filter
            .project
            .as_ref()
            .is_none_or(|p| r.project.as_ref() == Some(p))
        && filter.tag.as_ref().is_none_or(|t| r.tags.contains(t))
        && filter
            .key_fingerprint
            .as_ref()
            .is_none_or(|k| r.key_fingerprint.as_ref() == Some(k))
}

impl MemLedger {
    /// A copy of every stored record, in insertion order.
    #[must_use]
    pub fn all(&self) -> Vec<UsageRecord> {
        lock(&self.records).clone()
    }

    /// Makes every later write fail (`true`) or work again (`false`).
    pub fn set_failing(&self, failing: bool) {
        *lock(&self.fail) = failing;
    }

    /// Waits until `n` records are stored (or 5 s), then returns them.
    #[cfg(feature = "tokio")]
    pub async fn wait_for(&self, n: usize) -> Vec<UsageRecord> {
        let t = std::time::Instant::now();
        loop {
            let all = self.all();
            if all.len() >= n || t.elapsed() > std::time::Duration::from_secs(5) {
                return all;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    fn write_gate(&self) -> Result<()> {
        if *lock(&self.fail) {
            return Err(LedgerError::Conflict("the test ledger is failing".into()));
        }
        Ok(())
    }

    /// Stores `records` into `all` (locked by the caller), all or nothing.
    fn insert_into(all: &mut Vec<UsageRecord>, records: &[UsageRecord]) -> Result<InsertSummary> {
        records.iter().try_for_each(check)?;
        let mut s = InsertSummary::default();
        for r in records {
            if all.iter().any(|x| x.dedup_key == r.dedup_key) {
                s.duplicates += 1;
            } else {
                all.push(r.clone());
                s.inserted += 1;
            }
        }
        Ok(s)
    }
}

impl Ledger for MemLedger {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<InsertSummary> {
        self.write_gate()?;
        Self::insert_into(&mut lock(&self.records), records)
    }

    fn insert_with_progress(
        &mut self,
        records: &[UsageRecord],
        progress: &FileProgress,
    ) -> Result<InsertSummary> {
        self.write_gate()?;
        check_progress(progress)?;
        // Records, then progress, under both locks (always in this order).
        let mut all = lock(&self.records);
        let s = Self::insert_into(&mut all, records)?;
        let mut p = lock(&self.progress);
        p.retain(|x| x.path != progress.path);
        p.push(progress.clone());
        Ok(s)
    }

    fn file_progress(&self, path: &str) -> Result<Option<FileProgress>> {
        Ok(lock(&self.progress)
            .iter()
            .find(|p| p.path == path)
            .cloned())
    }

    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let mut rows: Vec<UsageRecord> = self
            .all()
            .into_iter()
            .filter(|r| keeps(filter, r))
            .collect();
        // Time order; records of one instant in insertion order (stable sort).
        rows.sort_by_key(|r| r.at);
        rows.into_iter().try_for_each(f)
    }

    fn update_costs(&mut self, costs: &[CostUpdate]) -> Result<u64> {
        self.write_gate()?;
        let mut all = lock(&self.records);
        let mut updated = 0;
        for (key, cost, currency, price_ref) in costs {
            if let Some(r) = all.iter_mut().find(|r| &r.dedup_key == key) {
                r.cost = *cost;
                r.currency = *currency;
                r.price_ref.clone_from(price_ref);
                updated += 1;
            }
        }
        Ok(updated)
    }

    fn count(&self) -> Result<u64> {
        Ok(lock(&self.records).len() as u64)
    }
}

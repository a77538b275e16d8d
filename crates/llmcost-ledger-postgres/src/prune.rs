//! `ledger prune` on PostgreSQL: whole months before the date are dropped
//! (`DROP TABLE` of their partition: instant, nothing to vacuum); the rest
//! of the month the date falls in is deleted in bounded batches; the
//! identities (`record_keys`) of the removed records go too, in batches.

use llmcost_core::Timestamp;
use llmcost_ledger::{PruneSummary, Result};
use postgres::Client;

use crate::{backend, micros_text, split_time};

/// Rows deleted per transaction.
pub(crate) const PRUNE_BATCH: i64 = 10_000;

/// The month index (`year * 12 + month - 1`) of a partition's name.
fn month_of(name: &str) -> Option<i64> {
    let (bc, rest) = if let Some(r) = name.strip_prefix("records_bc") {
        (true, r)
    } else {
        (false, name.strip_prefix("records_y")?)
    };
    let (y, m) = rest.split_once('m')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    let y = if bc { 1 - y } else { y };
    Some(y * 12 + m - 1)
}

/// Prunes (or, without `apply`, counts) the records before `before`.
pub(crate) fn prune(client: &mut Client, before: Timestamp, apply: bool) -> Result<PruneSummary> {
    let cut = micros_text(split_time(before).0);
    let cut_month = crate::month_index(before);
    // Months wholly before the date: the partitions ending at or before it.
    let mut whole: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'records'::regclass ORDER BY 1",
            &[],
        )
        .map_err(backend)?
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        // A month ends at or before the date exactly when it starts before the date's month.
        .filter(|n| month_of(n).is_some_and(|m| m < cut_month))
        .collect();
    whole.sort();
    let mut summary = PruneSummary::default();
    let mut in_whole = 0u64;
    for name in &whole {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {name}"), &[])
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        in_whole += u64::try_from(n).unwrap_or(0);
    }
    let total: i64 = client
        .query_one(
            "SELECT count(*) FROM records WHERE at < $1::text::timestamptz",
            &[&cut],
        )
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    let partial = u64::try_from(total).unwrap_or(0).saturating_sub(in_whole);
    summary.records = u64::try_from(total).unwrap_or(0);
    summary.partitions.clone_from(&whole);
    summary.batches = partial.div_ceil(PRUNE_BATCH as u64);
    if !apply {
        return Ok(summary);
    }
    summary.batches = 0;
    for name in &whole {
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
            .map_err(backend)?;
    }
    loop {
        let n = client
            .execute(
                "DELETE FROM records WHERE (at, id) IN \
                 (SELECT at, id FROM records WHERE at < $1::text::timestamptz LIMIT $2)",
                &[&cut, &PRUNE_BATCH],
            )
            .map_err(backend)?;
        if n == 0 {
            break;
        }
        summary.batches += 1;
    }
    // The hourly rollups of what is gone: whole hours dropped, the hour the date
    // falls in (when it is not on the hour) rebuilt from the records left.
    crate::rollup::prune(client, &cut)?;
    // The identities of what is gone (re-importing those logs brings them back).
    let keys: Vec<crate::compact::KeyHash> = client
        .query(
            "SELECT key_hash FROM record_keys WHERE at < $1::text::timestamptz",
            &[&cut],
        )
        .map_err(backend)?
        .iter()
        .filter_map(|r| r.try_get(0).ok())
        .collect();
    for chunk in keys.chunks(usize::try_from(PRUNE_BATCH).unwrap_or(10_000)) {
        client
            .execute(
                "DELETE FROM record_keys WHERE key_hash = ANY($1::uuid[])",
                &[&chunk],
            )
            .map_err(backend)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_give_their_month() {
        assert_eq!(month_of("records_y2025m01"), Some(2025 * 12));
        assert_eq!(month_of("records_y2025m12"), Some(2025 * 12 + 11));
        assert_eq!(month_of("records_bc0001m03"), Some(2));
        assert_eq!(month_of("record_keys"), None);
    }
}

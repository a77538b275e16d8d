//! `ledger copy`: pushes the records of one ledger into another (SQLite to
//! PostgreSQL, or back, or any two), idempotently and resumably.
//!
//! * Every batch is stored with the copy's cursor in one transaction
//!   ([`Ledger::insert_with_progress`]): the position of the last record
//!   copied, in the source's insertion order ([`Ledger::for_each_after`]),
//!   kept in the target under `llmcost-meta:copied-from:<source id>`. A copy
//!   cut short is resumed by running it again, and a second copy reads only
//!   the records stored since.
//! * The target skips records it has (same `dedup_key`): nothing is ever
//!   doubled, even when the cursor cannot be used (a source without a safe
//!   insertion order is read whole).
//! * The source's identity is a random id it keeps under
//!   `llmcost-meta:ledger-id` (made on the first copy).

use crate::{FileProgress, Ledger, LedgerError, Result, UsageRecord};

/// The `file_progress` entry holding a ledger's id.
pub const LEDGER_ID_ENTRY: &str = "llmcost-meta:ledger-id";

/// Records stored per transaction of a copy.
pub const DEFAULT_BATCH: usize = 50_000;

/// The id of `ledger`, made and stored on first use.
///
/// # Errors
/// Backend failures.
pub fn ledger_id(ledger: &mut dyn Ledger) -> Result<String> {
    if let Some(p) = ledger.file_progress(LEDGER_ID_ENTRY)?
        && !p.head_hash.is_empty()
    {
        return Ok(p.head_hash);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{now}:{}:{:p}", std::process::id(), &now);
    let id = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(seed.as_bytes()));
    let entry = FileProgress {
        path: LEDGER_ID_ENTRY.to_string(),
        offset: 0,
        head_hash: id.clone(),
        lines: 0,
    };
    ledger.insert_with_progress(&[], &entry)?;
    Ok(id)
}

/// The cursor entry of copies from the ledger `source_id`.
#[must_use]
pub fn cursor_entry(source_id: &str) -> String {
    format!("llmcost-meta:copied-from:{source_id}")
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopySummary {
    /// Records read from the source.
    pub read: u64,
    /// Records the target did not have.
    pub inserted: u64,
    /// Records the target had already.
    pub duplicates: u64,
    /// Whether the source was read from the cursor on (else whole).
    pub incremental: bool,
    /// The cursor the copy started from (0: the beginning).
    pub resumed_from: i64,
}

/// Copies `from` into `to`, `batch` records per transaction. `progress` is
/// called after every batch with the summary so far.
///
/// # Errors
/// Backend failures of either ledger (what was stored before stays, with its
/// cursor); copying a ledger into itself.
pub fn copy(
    from: &mut dyn Ledger,
    to: &mut dyn Ledger,
    batch: usize,
    progress: &mut dyn FnMut(&CopySummary),
) -> Result<CopySummary> {
    let source = ledger_id(from)?;
    if ledger_id(to)? == source {
        return Err(LedgerError::Conflict(
            "the source and the target are the same ledger".into(),
        ));
    }
    let entry = cursor_entry(&source);
    let start = to.file_progress(&entry)?;
    let resumed_from = start
        .as_ref()
        .map_or(0, |p| i64::try_from(p.offset).unwrap_or(i64::MAX));
    let mut copied_total = start.map_or(0, |p| p.lines);
    let mut sum = CopySummary {
        resumed_from,
        ..CopySummary::default()
    };
    let batch = batch.max(1);
    // The source is read on its own thread while the target stores the batch
    // before (at most one batch waits between them).
    let (send, batches) = std::sync::mpsc::sync_channel::<(Vec<UsageRecord>, Option<i64>)>(1);
    // Stored batches come back to be emptied and filled again on the reading
    // thread: records are freed where they were made (cheaper for malloc).
    let (give_back, returned) = std::sync::mpsc::sync_channel::<Vec<UsageRecord>>(2);
    let reader = move |from: &mut dyn Ledger| -> Result<bool> {
        let stopped = || LedgerError::Conflict("the copy's writer stopped".into());
        let fresh = || match returned.try_recv() {
            Ok(mut v) => {
                v.clear();
                v
            }
            Err(_) => Vec::with_capacity(batch.min(DEFAULT_BATCH)),
        };
        let mut buf: Vec<UsageRecord> = fresh();
        let mut last = resumed_from;
        let incremental = from.for_each_after(resumed_from, &mut |pos, r| {
            buf.push(r);
            last = pos;
            if buf.len() >= batch {
                send.send((std::mem::replace(&mut buf, fresh()), Some(last)))
                    .map_err(|_| stopped())?;
            }
            Ok(())
        })?;
        if incremental {
            send.send((buf, Some(last))).map_err(|_| stopped())?;
            return Ok(true);
        }
        from.for_each_unordered(&crate::Filter::default(), &mut |r| {
            buf.push(r);
            if buf.len() >= batch {
                send.send((std::mem::replace(&mut buf, fresh()), None))
                    .map_err(|_| stopped())?;
            }
            Ok(())
        })?;
        send.send((buf, None)).map_err(|_| stopped())?;
        Ok(false)
    };
    let (read, written) = std::thread::scope(|s| {
        let read = s.spawn(move || reader(from));
        let mut written = Ok(());
        for (buf, cursor) in batches {
            if buf.is_empty() {
                continue;
            }
            copied_total += buf.len() as u64;
            let stored = match cursor {
                Some(last) => to.insert_with_progress(
                    &buf,
                    &FileProgress {
                        path: entry.clone(),
                        offset: u64::try_from(last).unwrap_or(0),
                        head_hash: "cursor".into(),
                        lines: copied_total,
                    },
                ),
                None => to.insert(&buf),
            };
            match stored {
                Ok(st) => {
                    sum.read += buf.len() as u64;
                    sum.inserted += st.inserted;
                    sum.duplicates += st.duplicates;
                    progress(&sum);
                    let _ = give_back.try_send(buf);
                }
                Err(e) => {
                    written = Err(e);
                    break;
                }
            }
        }
        let read = read
            .join()
            .unwrap_or_else(|_| Err(LedgerError::Conflict("the copy's reader failed".into())));
        (read, written)
    });
    // The writer's error first: a reader stopped by it only says so.
    written?;
    let incremental = read?;
    sum.incremental = incremental;
    Ok(sum)
}

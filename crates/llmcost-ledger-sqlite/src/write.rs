//! Writing: one `BEGIN IMMEDIATE` transaction per insert, key hashes,
//! multi-row inserts in key order, and the details blocks.

use llmcost_core::{Currency, Timestamp};
use llmcost_ledger::{InsertSummary, LedgerError, Result, UsageRecord};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::details::{self, BlockWriter};
use crate::strings::{INTERN_CACHE_MAX, Interner};
use crate::{SqliteLedger, backend, key_hashes, rollup, sql};

const INSERT_ENTRY_SQL: &str = "INSERT OR IGNORE INTO entries (key_hash, key_check, at, source, \
     model, project, session, input, cache_read, cache_write, cache_write_1h, output, reasoning, \
     service_tier, cost, currency, price_ref, tags, key_fingerprint, incomplete, detail, \
     input_audio, cache_read_audio, output_audio, input_image, output_image, provider, device) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)";

/// Columns of one entry in [`INSERT_ENTRY_SQL`].
const ENTRY_PARAMS: usize = 28;

/// Rows per multi-row insert: one statement keeps its cursors open and
/// positioned from row to row (appends need no seek from the root), and
/// opens and frees them once instead of once a row.
const INSERT_GROUP: usize = 32;

/// `INSERT_ENTRY_SQL` with [`INSERT_GROUP`] rows of values.
fn insert_group_sql() -> String {
    let head = &INSERT_ENTRY_SQL[..INSERT_ENTRY_SQL.find("VALUES").unwrap_or(0)];
    let mut sql = String::with_capacity(head.len() + INSERT_GROUP * ENTRY_PARAMS * 6);
    sql.push_str(head);
    sql.push_str("VALUES ");
    for row in 0..INSERT_GROUP {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for col in 0..ENTRY_PARAMS {
            if col > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

impl SqliteLedger {
    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committing when it
    /// succeeds. On failure nothing is stored, and the interned ids of this
    /// connection are forgotten (some may have been rolled back).
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &mut Interner, usize) -> Result<T>,
    ) -> Result<T> {
        if self.interned.len() > INTERN_CACHE_MAX {
            self.interned.clear();
        }
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let out = f(
                &tx,
                &mut Interner::new(&mut self.interned),
                self.yield_every,
            )?;
            tx.commit().map_err(sql)?;
            Ok(out)
        })();
        if result.is_err() {
            self.interned.clear();
        }
        result
    }

    pub(crate) fn insert_in(
        tx: &rusqlite::Transaction<'_>,
        strings: &mut Interner,
        records: &[UsageRecord],
        yield_every: usize,
    ) -> Result<InsertSummary> {
        // The details go to blocks in the records' own order (neighbours share
        // their origin and session, which LZ4 finds again), so a record's block
        // and place in it follow from its index. A large insert encodes and
        // compresses them on a helper thread while this one inserts the entries
        // (measured: a fifth of the writer's time moved off it).
        std::thread::scope(|s| {
            let helper =
                (records.len() >= PARALLEL_DETAILS_MIN).then(|| s.spawn(|| encode_blocks(records)));
            Self::insert_entries(tx, strings, records, yield_every, helper)
        })
    }

    fn insert_entries(
        tx: &rusqlite::Transaction<'_>,
        strings: &mut Interner,
        records: &[UsageRecord],
        yield_every: usize,
        helper: Option<std::thread::ScopedJoinHandle<'_, Vec<Vec<u8>>>>,
    ) -> Result<InsertSummary> {
        // This transaction holds the write lock: no one else takes block ids.
        let first_block: i64 = tx
            .query_row(
                "SELECT coalesce(max(id), 0) + 1 FROM detail_blocks",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        // Text ids first, in the records' own order: neighbours mostly share
        // their source, model, project and session, so each field is checked
        // against the one before it before the map (`Interner::field`).
        // Kept per thread from insert to insert: a fresh one (tens of MB for a
        // large insert) would cost a page fault and a zeroed page every 4 KB.
        let mut prepared = PREPARED.with(|p| std::mem::take(&mut *p.borrow_mut()));
        prepared.clear();
        prepared.reserve(records.len());
        for (i, r) in records.iter().enumerate() {
            let (hash, check) = key_hashes(&r.dedup_key);
            let tags = if r.tags.is_empty() {
                None
            } else {
                Some(strings.id(tx, &serde_json::to_string(&r.tags).map_err(backend)?)?)
            };
            prepared.push(Prepared {
                hash,
                check,
                index: i,
                text: [
                    Some(strings.field(tx, 0, &r.source)?),
                    Some(strings.field(tx, 1, &r.model)?),
                    strings.opt_field(tx, 2, r.project.as_deref())?,
                    strings.opt_field(tx, 3, r.session.as_deref())?,
                    Some(strings.field(tx, 4, r.service_tier.key())?),
                    strings.opt_field(tx, 5, r.currency.as_ref().map(Currency::as_str))?,
                    strings.opt_field(tx, 6, r.price_ref.as_deref())?,
                    tags,
                    strings.opt_field(tx, 7, r.key_fingerprint.as_deref())?,
                    strings.opt_field(tx, 8, r.provider.as_deref())?,
                    strings.opt_field(tx, 9, r.device.as_deref())?,
                ],
            });
        }
        // Then rows in the order of their key hashes: the unique index is
        // updated from one end to the other instead of at random (measured
        // ~17% faster for 1M records). Storage order does not matter to reads.
        prepared.sort_unstable_by_key(|p| (p.hash, p.check, p.index));
        let mut rows = Rows {
            tx,
            records,
            first_block,
            single: tx.prepare_cached(INSERT_ENTRY_SQL).map_err(sql)?,
            group: tx.prepare_cached(&insert_group_sql()).map_err(sql)?,
            text: String::new(),
            summary: InsertSummary::default(),
            used: vec![false; records.len().div_ceil(details::BLOCK_RECORDS)],
            rollups: rollup::Acc::default(),
        };
        // Rows whose hashes differ from one another, for one statement.
        let mut group: Vec<&Prepared> = Vec::with_capacity(INSERT_GROUP);
        for (n, p) in prepared.iter().enumerate() {
            if yield_every > 0 && n > 0 && n % yield_every == 0 {
                std::thread::yield_now();
            }
            match n.checked_sub(1).map(|m| &prepared[m]) {
                // The same key twice in this batch (sorted next to each other).
                Some(q) if q.hash == p.hash && q.check == p.check => rows.summary.duplicates += 1,
                // Two keys of this batch share a slot: the first must be
                // stored before this one is looked at.
                Some(q) if q.hash == p.hash => {
                    rows.flush(&mut group)?;
                    rows.one(p)?;
                }
                _ => {
                    group.push(p);
                    if group.len() == INSERT_GROUP {
                        rows.flush(&mut group)?;
                    }
                }
            }
        }
        rows.flush(&mut group)?;
        let Rows {
            summary,
            used,
            rollups,
            ..
        } = rows;
        PREPARED.with(|p| *p.borrow_mut() = prepared);
        // The hourly rollups gain the records stored (duplicates add nothing).
        rollups.store(tx)?;
        let blocks = match helper {
            Some(h) => h
                .join()
                .map_err(|_| LedgerError::Conflict("the detail encoder panicked".into()))?,
            None => encode_blocks(records),
        };
        let mut store = tx
            .prepare_cached("INSERT INTO detail_blocks (id, records, data) VALUES (?1, ?2, ?3)")
            .map_err(sql)?;
        for ((k, data), chunk) in blocks
            .iter()
            .enumerate()
            .zip(records.chunks(details::BLOCK_RECORDS))
        {
            if used[k] {
                store
                    .execute(params![first_block + k as i64, chunk.len() as i64, data])
                    .map_err(sql)?;
            }
        }
        Ok(summary)
    }

    /// The id of the record stored with this key hash (in its slot, or among
    /// the unhashed records whose slot was taken).
    pub(crate) fn stored_id(
        tx: &rusqlite::Transaction<'_>,
        hash: i64,
        check: i64,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = tx
            .prepare_cached("SELECT id FROM entries WHERE key_hash = ?1 AND key_check = ?2")
            .and_then(|mut s| s.query_row(params![hash, check], |r| r.get(0)).optional())
            .map_err(sql)?;
        if id.is_some() {
            return Ok(id);
        }
        tx.prepare_cached("SELECT id FROM collided_keys WHERE key_hash = ?1 AND key_check = ?2")
            .and_then(|mut s| s.query_row(params![hash, check], |r| r.get(0)).optional())
            .map_err(sql)
    }
}

thread_local! {
    /// The rows of the last insert on this thread, cleared, kept for the next.
    static PREPARED: std::cell::RefCell<Vec<Prepared>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records from which one insert encodes its details on a helper thread.
const PARALLEL_DETAILS_MIN: usize = 2 * details::BLOCK_RECORDS;

/// The compressed detail blocks of `records`, [`details::BLOCK_RECORDS`] to a block.
fn encode_blocks(records: &[UsageRecord]) -> Vec<Vec<u8>> {
    let mut block = BlockWriter::default();
    records
        .chunks(details::BLOCK_RECORDS)
        .map(|chunk| {
            for r in chunk {
                block.push(r);
            }
            block.finish()
        })
        .collect()
}

/// A record about to be stored: its key hash halves, its index in the
/// batch, and the ids of its text (source, model, project, session, tier,
/// currency, price reference, tags, key fingerprint, provider, device).
struct Prepared {
    hash: i64,
    check: i64,
    index: usize,
    text: [Option<i64>; 11],
}

impl Prepared {
    /// The key of the rollup row the record adds to.
    fn rollup_key(&self, r: &UsageRecord) -> rollup::Key {
        let t = |i: usize| self.text[i].unwrap_or(0);
        [
            llmcost_ledger::rollup::hour_of(r.at),
            t(1),
            t(2),
            t(0),
            t(9),
            t(7),
            t(8),
            t(10),
            t(5),
        ]
    }
}

/// The entries of one insert being written: single-row and multi-row
/// statements, and what was stored.
struct Rows<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    records: &'a [UsageRecord],
    first_block: i64,
    single: rusqlite::CachedStatement<'a>,
    group: rusqlite::CachedStatement<'a>,
    /// Scratch for cost text.
    text: String,
    summary: InsertSummary,
    /// Blocks of which some record was stored (one of duplicates only is not).
    used: Vec<bool>,
    /// The stored records' sums for the hourly rollups.
    rollups: rollup::Acc,
}

impl Rows<'_> {
    /// Where a record's details go: its block (in record order) and place in it.
    fn detail(&self, p: &Prepared) -> i64 {
        ((self.first_block + (p.index / details::BLOCK_RECORDS) as i64) << details::INDEX_BITS)
            | (p.index % details::BLOCK_RECORDS) as i64
    }

    fn stored(&mut self, p: &Prepared) {
        self.summary.inserted += 1;
        self.used[p.index / details::BLOCK_RECORDS] = true;
        let r = &self.records[p.index];
        self.rollups.add(p.rollup_key(r), &r.usage, r.cost);
    }

    /// Stores one record on its own: in its slot, or, when another key has
    /// taken the slot, unhashed and listed in `collided_keys`.
    fn one(&mut self, p: &Prepared) -> Result<()> {
        let r = &self.records[p.index];
        let detail = self.detail(p);
        if insert_one(&mut self.single, r, p, Some(p.hash), detail, &mut self.text)?.is_some() {
            self.stored(p);
            return Ok(());
        }
        if SqliteLedger::stored_id(self.tx, p.hash, p.check)?.is_some() {
            self.summary.duplicates += 1;
            return Ok(());
        }
        // Another key has these low 64 bits: store this one unhashed and
        // list it in `collided_keys`, where `stored_id` looks too.
        insert_one(&mut self.single, r, p, None, detail, &mut self.text)?
            .ok_or_else(|| LedgerError::Conflict("an unhashed insert was ignored".into()))?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached(
                "INSERT INTO collided_keys (key_hash, key_check, id) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![p.hash, p.check, id]))
            .map_err(sql)?;
        self.stored(p);
        Ok(())
    }

    /// Stores a gathered group (rows of distinct hashes): in one statement
    /// when it is full, else row by row. Empties `group`.
    fn flush(&mut self, group: &mut Vec<&Prepared>) -> Result<()> {
        if group.len() < INSERT_GROUP {
            for p in group.drain(..) {
                self.one(p)?;
            }
            return Ok(());
        }
        for (g, p) in group.iter().enumerate() {
            let detail = self.detail(p);
            bind_entry(
                &mut self.group,
                g * ENTRY_PARAMS,
                &self.records[p.index],
                p,
                Some(p.hash),
                detail,
                &mut self.text,
            )?;
        }
        let n = self.group.raw_execute().map_err(sql)?;
        if n == group.len() {
            for p in group.drain(..) {
                self.stored(p);
            }
            return Ok(());
        }
        // Some slots were taken: the rows this statement stored have the
        // last `n` ids; each other row is a duplicate or a collision.
        let last = self.tx.last_insert_rowid();
        let ours = (last - n as i64 + 1)..=last;
        for p in group.drain(..) {
            match SqliteLedger::stored_id(self.tx, p.hash, p.check)? {
                Some(id) if n > 0 && ours.contains(&id) => self.stored(p),
                Some(_) => self.summary.duplicates += 1,
                None => self.one(p)?,
            }
        }
        Ok(())
    }
}

/// Stores one record's entry, its details going to `detail`; `Some` when
/// stored (its id is the connection's last insert rowid), `None` when its
/// `key_hash` was already taken. `cost` is a scratch buffer.
fn insert_one(
    entry: &mut rusqlite::CachedStatement<'_>,
    r: &UsageRecord,
    p: &Prepared,
    hash: Option<i64>,
    detail: i64,
    cost: &mut String,
) -> Result<Option<()>> {
    bind_entry(entry, 0, r, p, hash, detail, cost)?;
    let n = entry.raw_execute().map_err(sql)?;
    Ok((n == 1).then_some(()))
}

/// Binds one entry's [`ENTRY_PARAMS`] values after the first `base`
/// parameters of `stmt`. `cost` is a scratch buffer (SQLite copies text).
fn bind_entry(
    stmt: &mut rusqlite::CachedStatement<'_>,
    base: usize,
    r: &UsageRecord,
    p: &Prepared,
    hash: Option<i64>,
    detail: i64,
    cost: &mut String,
) -> Result<()> {
    use std::fmt::Write as _;
    let t = &p.text;
    let cost = match r.cost {
        Some(c) => {
            cost.clear();
            let _ = write!(cost, "{c}");
            Some(cost.as_str())
        }
        None => None,
    };
    let values: [&dyn rusqlite::ToSql; ENTRY_PARAMS] = [
        &hash,
        &p.check,
        &nanos(r.at)?,
        &t[0],
        &t[1],
        &t[2],
        &t[3],
        &int(r.usage.input)?,
        &int(r.usage.cache_read)?,
        &int(r.usage.cache_write)?,
        &int(r.usage.cache_write_1h)?,
        &int(r.usage.output)?,
        &int(r.usage.reasoning)?,
        &t[4],
        &cost,
        &t[5],
        &t[6],
        &t[7],
        &t[8],
        &r.incomplete,
        &detail,
        &int(r.usage.input_audio)?,
        &int(r.usage.cache_read_audio)?,
        &int(r.usage.output_audio)?,
        &int(r.usage.input_image)?,
        &int(r.usage.output_image)?,
        &t[9],
        &t[10],
    ];
    for (i, v) in values.into_iter().enumerate() {
        stmt.raw_bind_parameter(base + i + 1, v).map_err(sql)?;
    }
    Ok(())
}

/// Nanoseconds since the epoch as an SQLite integer (1677 to 2262).
pub(crate) fn nanos(at: Timestamp) -> Result<i64> {
    i64::try_from(at.as_nanosecond()).map_err(|_| {
        LedgerError::Conflict(format!(
            "timestamp {at} is outside the ledger's range (1677 to 2262)"
        ))
    })
}

pub(crate) fn int(v: u64) -> Result<i64> {
    i64::try_from(v)
        .map_err(|_| LedgerError::Conflict(format!("{v} does not fit in a ledger integer")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::ts;
    use llmcost_core::{Decimal, Usage};
    use llmcost_ledger::{Filter, Ledger};

    #[test]
    fn a_hash_collision_stores_both_records_exactly_once() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let usage = Usage {
            input: 1,
            ..Usage::default()
        };
        let (h2, _) = key_hashes("x:2");
        // A stored record whose low 64 bits are (as if by collision) those of `x:2`.
        l.insert(&[UsageRecord::new(
            "x:1",
            ts("2025-01-01T00:00:00Z"),
            "t",
            "m",
            usage,
        )])
        .expect("insert");
        l.connection()
            .execute("UPDATE entries SET key_hash = ?1", [h2])
            .expect("fake the collision");
        let two = UsageRecord::new("x:2", ts("2025-01-02T00:00:00Z"), "t", "m", usage);
        let s = l
            .insert(std::slice::from_ref(&two))
            .expect("insert colliding");
        assert_eq!((s.inserted, s.duplicates), (1, 0));
        let s = l.insert(std::slice::from_ref(&two)).expect("insert again");
        assert_eq!((s.inserted, s.duplicates), (0, 1));
        assert_eq!(l.count().expect("count"), 2);
        let n = l
            .update_costs(&[("x:2".into(), Some(Decimal::ONE), Some(Currency::USD), None)])
            .expect("update unhashed");
        assert_eq!(n, 1);
        let mut keys = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            keys.push((r.dedup_key, r.cost));
            Ok(())
        })
        .expect("read");
        assert_eq!(
            keys,
            vec![
                ("x:1".to_string(), None),
                ("x:2".to_string(), Some(Decimal::ONE))
            ]
        );
    }

    #[test]
    fn sequenced_keys_that_share_a_slot_are_both_kept_once() {
        // n and n + 2^32 share the low 32 bits: the second is a collision.
        let keys = ["seq:s:1", "seq:s:4294967297", "seq:s:2"];
        assert_eq!(key_hashes(keys[0]).0, key_hashes(keys[1]).0);
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let recs: Vec<UsageRecord> = keys
            .iter()
            .map(|k| {
                UsageRecord::new(
                    (*k).to_string(),
                    ts("2025-01-01T00:00:00Z"),
                    "proxy",
                    "gpt-4o",
                    Usage {
                        input: 10,
                        ..Usage::default()
                    },
                )
            })
            .collect();
        let first = l.insert(&recs).expect("insert");
        assert_eq!((first.inserted, first.duplicates), (3, 0));
        let again = l.insert(&recs).expect("insert again");
        assert_eq!((again.inserted, again.duplicates), (0, 3));
        assert_eq!(l.count().expect("count"), 3);
    }

    #[test]
    fn details_span_several_blocks() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let n = details::BLOCK_RECORDS + 10;
        let recs: Vec<UsageRecord> = (0..n)
            .map(|i| {
                let mut r = UsageRecord::new(
                    format!("k:{i}"),
                    ts("2025-01-01T00:00:00Z"),
                    "jsonl",
                    "m",
                    Usage::default(),
                );
                r.line = Some(i as u64);
                r
            })
            .collect();
        assert_eq!(l.insert(&recs).expect("insert").inserted, n as u64);
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 2);
        let mut lines = Vec::new();
        l.for_each_unordered(&Filter::default(), &mut |r| {
            assert_eq!(r.dedup_key, format!("k:{}", r.line.expect("line")));
            lines.push(r.line.expect("line"));
            Ok(())
        })
        .expect("read");
        lines.sort_unstable();
        assert_eq!(lines, (0..n as u64).collect::<Vec<_>>());
        // A second insert of the same records stores nothing, not even a block.
        assert_eq!(l.insert(&recs).expect("again").duplicates, n as u64);
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 2);
    }

    #[test]
    fn a_large_insert_with_duplicates_keeps_every_new_records_details() {
        // Large enough for the helper thread (PARALLEL_DETAILS_MIN): blocks
        // 0 and 1 are known already, block 2 half, block 3 not at all.
        let b = details::BLOCK_RECORDS;
        let rec = |i: usize| {
            let mut r = UsageRecord::new(
                format!("k:{i}"),
                ts("2025-01-01T00:00:00Z"),
                "jsonl",
                "m",
                Usage {
                    input: i as u64,
                    ..Usage::default()
                },
            );
            r.line = Some(i as u64);
            r.origin = Some(format!("/logs/{}.jsonl", i / 100));
            r
        };
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let known: Vec<UsageRecord> = (0..2 * b + b / 2).map(rec).collect();
        assert_eq!(
            l.insert(&known).expect("first").inserted,
            known.len() as u64
        );
        let all: Vec<UsageRecord> = (0..4 * b).map(rec).collect();
        assert!(all.len() >= PARALLEL_DETAILS_MIN);
        let s = l.insert(&all).expect("second");
        assert_eq!(
            (s.inserted, s.duplicates),
            ((b + b / 2) as u64, known.len() as u64)
        );
        // 3 blocks for the first insert; blocks 2 and 3 of the second (0 and 1
        // held duplicates only and were not stored).
        let blocks: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM detail_blocks", [], |r| r.get(0))
            .expect("blocks");
        assert_eq!(blocks, 5);
        let mut seen = 0;
        l.for_each_unordered(&Filter::default(), &mut |r| {
            let i = usize::try_from(r.line.expect("line")).expect("line");
            assert_eq!(r.dedup_key, format!("k:{i}"));
            assert_eq!(r.usage.input, i as u64);
            assert_eq!(r.origin, Some(format!("/logs/{}.jsonl", i / 100)));
            seen += 1;
            Ok(())
        })
        .expect("read");
        assert_eq!(seen, 4 * b);
    }

    #[test]
    fn multi_row_inserts_sort_out_duplicates_and_collisions() {
        let rec = |key: String, input: u64| {
            let mut r = UsageRecord::new(
                key,
                ts("2025-01-01T00:00:00Z"),
                "proxy",
                "m",
                Usage {
                    input,
                    ..Usage::default()
                },
            );
            r.line = Some(input);
            r
        };
        let mut l = SqliteLedger::open_in_memory().expect("open");
        // Stored first: k:0..99 and a sequenced key whose slot a later key wants.
        let mut first: Vec<UsageRecord> = (0..100).map(|i| rec(format!("k:{i}"), i)).collect();
        first.push(rec("seq:s:1".into(), 1_000));
        assert_eq!(l.insert(&first).expect("first").inserted, 101);
        // Then k:50..249 (50 known, in full groups of new ones), the same key
        // twice, and a key colliding with the stored sequenced one.
        let mut second: Vec<UsageRecord> = (50..250).map(|i| rec(format!("k:{i}"), i)).collect();
        second.push(rec("k:200".into(), 200));
        second.push(rec("seq:s:4294967297".into(), 2_000));
        assert!(second.len() > 4 * INSERT_GROUP);
        let s = l.insert(&second).expect("second");
        assert_eq!((s.inserted, s.duplicates), (151, 51));
        assert_eq!(l.count().expect("count"), 252);
        let mut inputs = Vec::new();
        l.for_each_unordered(&Filter::default(), &mut |r| {
            assert_eq!(r.line, Some(r.usage.input), "details of {}", r.dedup_key);
            inputs.push(r.usage.input);
            Ok(())
        })
        .expect("read");
        inputs.sort_unstable();
        let mut want: Vec<u64> = (0..250).collect();
        want.extend([1_000, 2_000]);
        assert_eq!(inputs, want);
        // Everything again: all duplicates, the collided key included.
        let again = l.insert(&second).expect("again");
        assert_eq!((again.inserted, again.duplicates), (0, second.len() as u64));
    }
}

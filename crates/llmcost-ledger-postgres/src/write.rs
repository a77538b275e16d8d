//! The write path. A batch is deduplicated here (the first occurrence of a
//! key wins) and its new strings interned (before, in their own statement),
//! then, in one transaction: its key hashes are claimed in `record_keys` (one
//! statement, in sorted order so concurrent writers never deadlock), the records whose key was new are sent by binary `COPY`
//! straight into `records`, and their hourly rollups (one statement for both
//! tables), budget spend and file progress, summed here, are added with one
//! upsert each. Records take ids
//! `batch << 20 | position`, `batch` from a sequence, so ids follow
//! insertion order without a sequence call per record.

use std::io::Write as _;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use llmcost_core::{Bucket, Currency, Timestamp};
use llmcost_ledger::rollup::{Sums, hour_of};
use llmcost_ledger::{LedgerError, Result, SpendDelta, UsageRecord};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Transaction};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::binary::{BinaryRows, HEADER_LEN};
use crate::compact::{KeyHash, Strings};
use crate::rollup::{DIM_COLS, MODEL_DIMS, sum_cols};
use crate::{BUCKET_COLS, backend, data_cols, micros_text, split_time, to_i64};

/// Records per id block: ids are `block << ID_BITS | position`.
pub(crate) const ID_BITS: u32 = 20;

/// A batch at least this big is written by two connections at once.
pub(crate) const PARALLEL_MIN: usize = 16_384;

/// One file's progress row: path, offset, head hash, lines.
pub(crate) type ProgressRow<'a> = (&'a str, i64, &'a str, i64);

/// A part of a batch written in one transaction: records with their id, and
/// the spend of those records.
pub(crate) struct Part<'a> {
    pub records: Vec<(i64, &'a UsageRecord)>,
    pub spend: Vec<&'a SpendDelta>,
    /// Index of each spend row's record in `records`.
    pub spend_at: Vec<usize>,
}

/// The batch's records in order, without repeated keys (first occurrence wins),
/// each with its position in `records`.
pub(crate) fn first_occurrences(records: &[UsageRecord]) -> Vec<(usize, &UsageRecord)> {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    seen.reserve(records.len());
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| seen.insert(r.dedup_key.as_str()))
        .collect()
}

/// Reserves the id blocks of a batch of `n` records (ascending).
pub(crate) fn reserve_blocks(client: &mut Client, n: usize) -> Result<Vec<i64>> {
    let blocks = i64::try_from(n.div_ceil(1 << ID_BITS).max(1)).unwrap_or(i64::MAX);
    let rows = client
        .query_typed(
            "SELECT nextval('llmcost_record_batches') FROM generate_series(1, $1)",
            &[(&blocks, Type::INT8)],
        )
        .map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(row.try_get::<_, i64>(0).map_err(backend)?);
    }
    out.sort_unstable();
    Ok(out)
}

/// The id of the record at `pos` of a batch given its blocks.
pub(crate) fn id_of(blocks: &[i64], pos: usize) -> Result<i64> {
    let block = blocks
        .get(pos >> ID_BITS)
        .ok_or_else(|| LedgerError::Conflict(format!("no id block for record {pos}")))?;
    let low = i64::try_from(pos & ((1 << ID_BITS) - 1)).unwrap_or(0);
    block
        .checked_mul(1 << ID_BITS)
        .map(|b| b | low)
        .ok_or_else(|| LedgerError::Conflict("record ids are exhausted".into()))
}

/// Writes `part` (and `progress`) in one transaction; returns the records stored.
pub(crate) fn write_part(
    client: &mut Client,
    part: &Part<'_>,
    progress: &[ProgressRow<'_>],
    plain_claims: &AtomicBool,
    strings: &Strings,
) -> Result<u64> {
    // Everything that can refuse a value is done before the transaction.
    let mut rows = BinaryRows::with_capacity(part.records.len() * 600);
    let mut ends = Vec::with_capacity(part.records.len());
    for (id, r) in &part.records {
        record_row(&mut rows, *id, r, strings)?;
        ends.push(rows.len());
    }
    let keys: Vec<KeyHash> = part
        .records
        .iter()
        .map(|(_, r)| KeyHash::of(&r.dedup_key))
        .collect();
    let ats = part
        .records
        .iter()
        .map(|(_, r)| system_time(split_time(r.at).0))
        .collect::<Result<Vec<_>>>()?;

    let mut tx = client.transaction().map_err(backend)?;
    tx.batch_execute(crate::schema::WRITE_SQL)
        .map_err(backend)?;
    let mut stored = 0;
    if !part.records.is_empty() {
        let dup = claim(&mut tx, &keys, &ats, plain_claims)?;
        let new: Vec<bool> = (0..part.records.len()).map(|i| !dup.contains(&i)).collect();
        if dup.len() < part.records.len() {
            let data = if dup.is_empty() {
                rows.finish()
            } else {
                let mut kept = BinaryRows::with_capacity(rows.len());
                let mut start = HEADER_LEN;
                for (i, &end) in ends.iter().enumerate() {
                    if new[i] {
                        kept.raw(rows.slice(start..end));
                    }
                    start = end;
                }
                crate::binary::recycle(rows.finish());
                kept.finish()
            };
            copy_in(
                &mut tx,
                &format!(
                    "COPY records (id, {}) FROM STDIN (FORMAT binary)",
                    data_cols()
                ),
                &data,
            )?;
            crate::binary::recycle(data);
        }
        let fresh = part
            .records
            .iter()
            .zip(&new)
            .filter(|(_, n)| **n)
            .map(|((_, r), _)| *r);
        roll_up(&mut tx, fresh)?;
        let spend: Vec<&SpendDelta> = part
            .spend
            .iter()
            .zip(&part.spend_at)
            .filter(|(_, i)| new[**i])
            .map(|(d, _)| *d)
            .collect();
        add_spend(&mut tx, &spend)?;
        stored = (part.records.len() - dup.len()) as u64;
    }
    store_progress(&mut tx, progress)?;
    tx.commit().map_err(backend)?;
    Ok(stored)
}

/// Stores the progress rows in one statement (the last row of a path wins).
fn store_progress(tx: &mut Transaction<'_>, progress: &[ProgressRow<'_>]) -> Result<()> {
    if progress.is_empty() {
        return Ok(());
    }
    let mut last: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, row) in progress.iter().enumerate() {
        last.insert(row.0, i);
    }
    let rows: Vec<&ProgressRow<'_>> = progress
        .iter()
        .enumerate()
        .filter(|(i, row)| last.get(row.0) == Some(i))
        .map(|(_, row)| row)
        .collect();
    let path: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let offset: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let head: Vec<&str> = rows.iter().map(|r| r.2).collect();
    let lines: Vec<i64> = rows.iter().map(|r| r.3).collect();
    tx.execute_typed(
        "INSERT INTO file_progress (path, byte_offset, head_hash, lines) \
         SELECT * FROM unnest($1, $2, $3, $4) ORDER BY 1 \
         ON CONFLICT (path) DO UPDATE SET byte_offset = excluded.byte_offset, \
         head_hash = excluded.head_hash, lines = excluded.lines",
        &[
            (&path, Type::TEXT_ARRAY),
            (&offset, Type::INT8_ARRAY),
            (&head, Type::TEXT_ARRAY),
            (&lines, Type::INT8_ARRAY),
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// Claims `keys` (with the time of their record); returns the positions of
/// the keys the ledger already held.
///
/// While `plain` holds (the last batch had no key the ledger held), the keys
/// are first inserted plainly: when none was held, as on a first import, that
/// costs PostgreSQL 40% less than `ON CONFLICT`, whose every row probes the
/// index before inserting. A held key makes the insert fail: it is rolled
/// back to the savepoint the transaction began with ([`crate::schema::WRITE_SQL`])
/// and the keys are claimed with `ON CONFLICT`, which reports the held ones.
fn claim(
    tx: &mut Transaction<'_>,
    keys: &[KeyHash],
    ats: &[SystemTime],
    plain: &AtomicBool,
) -> Result<FxHashSet<usize>> {
    if plain.load(Ordering::Relaxed) {
        match tx.execute_typed(
            "INSERT INTO record_keys (key_hash, at) \
             SELECT k, t FROM unnest($1, $2) AS u(k, t) ORDER BY k",
            &[(&keys, Type::UUID_ARRAY), (&ats, Type::TIMESTAMPTZ_ARRAY)],
        ) {
            Ok(_) => return Ok(FxHashSet::default()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT llmcost_claim")
                    .map_err(backend)?;
            }
            Err(e) => return Err(backend(e)),
        }
    }
    let n = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    // The anti-join runs only when fewer keys were new than sent.
    let rows = tx
        .query_typed(
            "WITH c AS (INSERT INTO record_keys (key_hash, at) \
                   SELECT k, t FROM unnest($1, $2) AS u(k, t) \
                   ORDER BY k ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash), \
                  n AS (SELECT count(*) AS n FROM c) \
             SELECT u.i FROM unnest($1) WITH ORDINALITY AS u(k, i) \
             WHERE (SELECT n FROM n) < $3 \
               AND NOT EXISTS (SELECT 1 FROM c WHERE c.key_hash = u.k)",
            &[
                (&keys, Type::UUID_ARRAY),
                (&ats, Type::TIMESTAMPTZ_ARRAY),
                (&n, Type::INT8),
            ],
        )
        .map_err(backend)?;
    let mut dup = FxHashSet::default();
    for row in rows {
        let i: i64 = row.try_get(0).map_err(backend)?;
        dup.insert(usize::try_from(i - 1).unwrap_or(usize::MAX));
    }
    plain.store(dup.is_empty(), Ordering::Relaxed);
    Ok(dup)
}

/// The rollup key of a record: UTC hour and the dimension columns.
type RollKey<'a> = (
    i64,
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
    &'a [String],
    Option<&'a str>,
    Option<&'a str>,
    Option<Currency>,
);

/// Adds the stored `records` to the hourly rollups and to `rollups_model`, in
/// one statement (one round trip: it matters for the proxy's small batches).
/// Rows are upserted in key order, so concurrent writers lock them in the
/// same order.
fn roll_up<'a>(
    tx: &mut Transaction<'_>,
    records: impl Iterator<Item = &'a UsageRecord>,
) -> Result<()> {
    let mut groups: FxHashMap<RollKey<'a>, Sums> = FxHashMap::default();
    for r in records {
        let key = (
            hour_of(r.at),
            r.model.as_str(),
            r.project.as_deref(),
            r.source.as_str(),
            r.provider.as_deref(),
            r.tags.as_slice(),
            r.key_fingerprint.as_deref(),
            r.device.as_deref(),
            r.currency,
        );
        groups.entry(key).or_default().add(&r.usage, r.cost);
    }
    if groups.is_empty() {
        return Ok(());
    }
    let n = groups.len();
    let mut hour = Vec::with_capacity(n);
    let (mut model, mut source) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut dims: [Vec<Option<&str>>; 5] = Default::default();
    let mut tags = Vec::with_capacity(n);
    let mut counts: [Vec<i64>; 2 + Bucket::ALL.len()] = Default::default();
    let (mut cost, mut unpriced_tokens) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (k, s) in &groups {
        let us = k.0.checked_mul(3_600_000_000).ok_or_else(|| {
            LedgerError::Conflict(format!("hour {} is outside PostgreSQL's range", k.0))
        })?;
        hour.push(system_time(us)?);
        model.push(k.1);
        source.push(k.3);
        for (col, v) in
            dims.iter_mut()
                .zip([k.2, k.4, k.6, k.7, k.8.as_ref().map(Currency::as_str)])
        {
            col.push(v);
        }
        tags.push(crate::array_literal(k.5));
        counts[0].push(to_i64(s.records, "records")?);
        counts[1].push(to_i64(s.unpriced_records, "unpriced records")?);
        for (col, b) in counts[2..].iter_mut().zip(Bucket::ALL) {
            col.push(to_i64(s.usage.get(b), b.key())?);
        }
        cost.push(s.cost.to_string());
        unpriced_tokens.push(s.unpriced_tokens.to_string());
    }
    let [project, provider, key_fingerprint, device, currency] = &dims;
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![
        (&hour, Type::TIMESTAMPTZ_ARRAY),
        (&model, Type::TEXT_ARRAY),
        (project, Type::TEXT_ARRAY),
        (&source, Type::TEXT_ARRAY),
        (provider, Type::TEXT_ARRAY),
        (&tags, Type::TEXT_ARRAY),
        (key_fingerprint, Type::TEXT_ARRAY),
        (device, Type::TEXT_ARRAY),
        (currency, Type::TEXT_ARRAY),
        (&cost, Type::TEXT_ARRAY),
        (&unpriced_tokens, Type::TEXT_ARRAY),
    ];
    params.extend(
        counts
            .iter()
            .map(|c| (c as &(dyn ToSql + Sync), Type::INT8_ARRAY)),
    );
    tx.execute_typed(&ROLLUP_SQL, &params).map_err(backend)?;
    Ok(())
}

/// The statement of [`roll_up`], built once.
static ROLLUP_SQL: LazyLock<String> = LazyLock::new(rollup_sql);

/// The statement of [`roll_up`]: `$1`–`$11` hour, the dimensions, cost and
/// unpriced tokens (as text), `$12` records, `$13` unpriced records, then the
/// buckets.
fn rollup_sql() -> String {
    let buckets = BUCKET_COLS.join(", ");
    let bucket_params: String = (0..BUCKET_COLS.len())
        .map(|i| format!(", ${}", 14 + i))
        .collect();
    let add = |table: &str| -> String {
        sum_cols()
            .split(", ")
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sums: String = BUCKET_COLS
        .iter()
        .map(|c| format!("sum({c})::bigint, "))
        .collect();
    format!(
        "WITH u AS MATERIALIZED (SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                $12, $13{bucket_params}) AS u(hour, {DIM_COLS}, cost, unpriced_tokens, \
                records, unpriced_records, {buckets})), \
              a AS (INSERT INTO rollups (hour, {DIM_COLS}, {cols}) \
                SELECT hour, model, project, source, provider, tags::text[], key_fingerprint, \
                       device, currency, records, {buckets}, cost::numeric, unpriced_records, \
                       unpriced_tokens::numeric \
                FROM u ORDER BY hour, {DIM_COLS} \
                ON CONFLICT ON CONSTRAINT rollups_key DO UPDATE SET {add_wide}) \
         INSERT INTO rollups_model (hour, {MODEL_DIMS}, {cols}) \
         SELECT hour, {MODEL_DIMS}, sum(records)::bigint, {sums}sum(cost::numeric), \
                sum(unpriced_records)::bigint, sum(unpriced_tokens::numeric) \
         FROM u GROUP BY hour, {MODEL_DIMS} ORDER BY hour, {MODEL_DIMS} \
         ON CONFLICT ON CONSTRAINT rollups_model_key DO UPDATE SET {add_narrow}",
        cols = sum_cols(),
        add_wide = add("rollups"),
        add_narrow = add("rollups_model"),
    )
}

/// A `timestamptz` parameter from microseconds since 1970.
fn system_time(us: i64) -> Result<SystemTime> {
    Timestamp::from_microsecond(us)
        .map(SystemTime::from)
        .map_err(|e| LedgerError::Conflict(format!("record time: {e}")))
}

/// Adds the spend of stored records to `budget_spend` and takes it off their
/// proxy's pending (a hold made here is not alive until its proxy settles:
/// it does not count before).
fn add_spend(tx: &mut Transaction<'_>, spend: &[&SpendDelta]) -> Result<()> {
    if spend.is_empty() {
        return Ok(());
    }
    let account: Vec<&str> = spend.iter().map(|d| d.account.as_str()).collect();
    let start: Vec<String> = spend
        .iter()
        .map(|d| micros_text(split_time(d.period_start).0))
        .collect();
    let holder: Vec<Option<&str>> = spend.iter().map(|d| d.holder.as_deref()).collect();
    let amount: Vec<String> = spend.iter().map(|d| d.amount.to_string()).collect();
    tx.execute_typed(
        "WITH d AS (SELECT account, period_start::timestamptz AS period_start, holder, \
                    sum(amount::numeric) AS amount \
                    FROM unnest($1, $2, $3, $4) \
                      AS u(account, period_start, holder, amount) \
                    GROUP BY 1, 2, 3), \
              sp AS (INSERT INTO budget_spend AS b (account, period_start, spent) \
                     SELECT account, period_start, sum(amount) FROM d \
                     GROUP BY account, period_start ORDER BY account, period_start \
                     ON CONFLICT (account, period_start) DO UPDATE SET spent = b.spent + excluded.spent) \
         INSERT INTO budget_holds AS h (account, period_start, proxy, pending, seen) \
         SELECT account, period_start, holder, -amount, clock_timestamp() - interval '1 hour' FROM d \
         WHERE holder IS NOT NULL ORDER BY account, period_start, holder \
         ON CONFLICT (account, period_start, proxy) DO UPDATE SET pending = h.pending + excluded.pending",
        &[
            (&account, Type::TEXT_ARRAY),
            (&start, Type::TEXT_ARRAY),
            (&holder, Type::TEXT_ARRAY),
            (&amount, Type::TEXT_ARRAY),
        ],
    )
    .map_err(backend)?;
    Ok(())
}

fn copy_in(tx: &mut Transaction<'_>, sql: &str, data: &[u8]) -> Result<()> {
    let mut w = tx.copy_in(sql).map_err(backend)?;
    // One CopyData message per chunk: the server reads a message whole into a
    // buffer it grows by doubling, so one message of a whole batch (tens of
    // MB) cost it copies and page faults, about 5% of its time on an import.
    for chunk in data.chunks(COPY_CHUNK) {
        w.write_all(chunk)
            .map_err(|e| LedgerError::Backend(Box::new(e)))?;
    }
    w.finish().map_err(backend)?;
    Ok(())
}

/// Bytes per CopyData message.
const COPY_CHUNK: usize = 64 * 1024;

/// Appends the binary COPY row of `r` with id `id`, columns as [`data_cols`]
/// after `id`.
/// The origin and price reference go as ids of `strings`, which `strings`
/// must know ([`Strings::intern`]).
pub(crate) fn record_row(
    out: &mut BinaryRows,
    id: i64,
    r: &UsageRecord,
    strings: &Strings,
) -> Result<()> {
    let (us, nanos) = split_time(r.at);
    out.row(RECORD_FIELDS);
    out.i64(id);
    out.micros(us);
    out.i16(nanos);
    out.text(&r.dedup_key)?;
    out.text(&r.source)?;
    out.opt_i32(strings.id(r.origin.as_deref())?);
    opt_i64(out, r.line, "line")?;
    out.opt_text(r.provider.as_deref())?;
    out.text(&r.model)?;
    out.opt_text(r.project.as_deref())?;
    out.opt_text(r.session.as_deref())?;
    // A zero count and no tags go as NULL: nothing stored (schema 5).
    for b in Bucket::ALL {
        match r.usage.get(b) {
            0 => out.null(),
            n => out.i64(to_i64(n, b.key())?),
        }
    }
    out.text(r.service_tier.key())?;
    out.opt_numeric(r.cost);
    out.opt_text(r.currency.as_ref().map(Currency::as_str))?;
    out.opt_i32(strings.id(r.price_ref.as_deref())?);
    out.opt_numeric(r.billed);
    out.opt_text(r.billed_currency.as_ref().map(Currency::as_str))?;
    out.opt_text(r.raw_usage.as_deref())?;
    if r.tags.is_empty() {
        out.null();
    } else {
        out.text_array(&r.tags)?;
    }
    match r.status {
        Some(s) => out.i32(i32::from(s)),
        None => out.null(),
    }
    opt_i64(out, r.latency_ms, "latency_ms")?;
    opt_i64(out, r.ttfb_ms, "ttfb_ms")?;
    out.opt_text(r.key_fingerprint.as_deref())?;
    out.bool(r.incomplete);
    out.opt_text(r.device.as_deref())
}

/// Fields of a `records` row: `id` and [`data_cols`].
const RECORD_FIELDS: i16 = 36;

fn opt_i64(out: &mut BinaryRows, v: Option<u64>, what: &str) -> Result<()> {
    match v {
        None => out.null(),
        Some(v) => out.i64(to_i64(v, what)?),
    }
    Ok(())
}

//! Reading: full records with their details (in a window of rows, each
//! details block decoded once), lean scans, and the column readers.

use std::str::FromStr;

use llmcost_core::{Bucket, Decimal, Timestamp, Usage};
use llmcost_ledger::{Filter, LeanRecord, Result, UsageRecord};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::details::{self, Details};
use crate::filter::where_clause;
use crate::strings::Dict;
use crate::{SqliteLedger, corrupt, sql};

/// Columns read back by [`Ledger::for_each`], in [`read_record`] order.
const COLUMNS: &str = "e.id, e.at, e.source, e.model, e.project, e.session, e.input, \
     e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning, e.service_tier, \
     e.cost, e.currency, e.price_ref, e.tags, e.key_fingerprint, e.incomplete, e.detail, \
     e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image, e.device";

/// Columns read back by [`Ledger::for_each_lean`], in [`read_lean`] order.
const LEAN_COLUMNS: &str = "e.id, e.at, e.source, e.model, e.project, e.session, e.input, \
     e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning, e.service_tier, \
     e.cost, e.currency, \
     e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image";

/// Records a full read holds before fetching their details.
const READ_WINDOW: usize = 16_384;

/// Decoded details blocks by id, with how many of their records are not read yet.
type Blocks = FxHashMap<i64, (Vec<Details>, usize)>;

impl SqliteLedger {
    /// Every record stored after row `after`, in row order, with its row id
    /// (the cursor of `ledger copy`).
    pub(crate) fn select_after(
        &self,
        after: i64,
        f: &mut dyn FnMut(i64, UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let dict = Dict::load(&self.conn)?;
        let query = format!("SELECT {COLUMNS} FROM entries AS e WHERE e.id > ?1 ORDER BY e.id");
        let mut stmt = self.conn.prepare(&query).map_err(sql)?;
        let mut rows = stmt.query([after]).map_err(sql)?;
        let mut window: Vec<(i64, i64, UsageRecord)> = Vec::with_capacity(READ_WINDOW);
        let mut kept = Blocks::default();
        let mut pass = |this: &Self, window: &mut Vec<(i64, i64, UsageRecord)>| {
            let ids: Vec<i64> = window.iter().map(|(id, _, _)| *id).collect();
            let mut ids = ids.into_iter();
            this.with_details(window, &mut kept, &mut |r| {
                f(ids.next().unwrap_or(after), r)
            })
        };
        while let Some(row) = rows.next().map_err(sql)? {
            window.push(read_record(row, &dict)?);
            if window.len() == READ_WINDOW {
                pass(self, &mut window)?;
            }
        }
        pass(self, &mut window)
    }

    /// Runs `SELECT COLUMNS FROM entries<WHERE><order>` and calls `f` per
    /// row in that order, with its details. Rows are taken a window at a
    /// time and each details block the window needs is decoded once, so a
    /// read in time order (whose rows come from blocks all over the file)
    /// costs at most one decode per block and window.
    pub(crate) fn select_from(
        &self,
        filter: &Filter,
        order: &str,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let dict = Dict::load(&self.conn)?;
        let (clause, params) = where_clause(filter)?;
        // A schema-3 or -4 ledger read as it is has no device column.
        let cols = if self.schema_version()? >= 5 {
            COLUMNS.to_string()
        } else {
            COLUMNS.replace("e.device", "NULL")
        };
        let query = format!("SELECT {cols} FROM entries AS e{clause}{order}");
        let mut stmt = self.conn.prepare(&query).map_err(sql)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(sql)?;
        let mut window: Vec<(i64, i64, UsageRecord)> = Vec::with_capacity(READ_WINDOW);
        let mut kept = Blocks::default();
        while let Some(row) = rows.next().map_err(sql)? {
            window.push(read_record(row, &dict)?);
            if window.len() == READ_WINDOW {
                self.with_details(&mut window, &mut kept, f)?;
            }
        }
        self.with_details(&mut window, &mut kept, f)
    }

    /// Fills in the details of a window of records (row id, detail
    /// reference, record) and hands them to `f` in order; empties `window`.
    /// The blocks this window used and still has records of are kept for the
    /// next window (`kept`): rows in id order interleave a few blocks over
    /// many windows, and each is decoded once, not once per window.
    fn with_details(
        &self,
        window: &mut Vec<(i64, i64, UsageRecord)>,
        kept: &mut Blocks,
        f: &mut dyn FnMut(UsageRecord) -> Result<()>,
    ) -> Result<()> {
        let mut ids: Vec<i64> = window
            .iter()
            .map(|(_, d, _)| d >> details::INDEX_BITS)
            .filter(|b| !kept.contains_key(b))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let blocks = kept;
        let mut used: FxHashSet<i64> = FxHashSet::default();
        let mut load = self
            .conn
            .prepare_cached("SELECT data FROM detail_blocks WHERE id = ?1")
            .map_err(sql)?;
        for block in ids {
            let data: Option<Vec<u8>> = load
                .query_row([block], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            if let Some(data) = data {
                let decoded = details::decode(&data).map_err(|e| {
                    corrupt(
                        window.first().map_or(0, |w| w.0),
                        format!("details block {block}: {e}"),
                    )
                })?;
                let n = decoded.len();
                blocks.insert(block, (decoded, n));
            }
        }
        for (row, detail, mut r) in window.drain(..) {
            let block = detail >> details::INDEX_BITS;
            let index = usize::try_from(detail & ((1 << details::INDEX_BITS) - 1))
                .map_err(|_| corrupt(row, "bad detail reference"))?;
            let (b, left) = blocks
                .get_mut(&block)
                .ok_or_else(|| corrupt(row, format!("details block {block} is missing")))?;
            let d = b.get_mut(index).ok_or_else(|| {
                corrupt(row, format!("details block {block} has no record {index}"))
            })?;
            *left = left.saturating_sub(1);
            used.insert(block);
            r.dedup_key = std::mem::take(&mut d.dedup_key);
            r.origin = d.origin.take();
            r.line = d.line;
            r.provider = d.provider.take();
            r.billed = d.billed;
            r.billed_currency = d.billed_currency;
            r.raw_usage = d.raw_usage.take();
            r.status = d.status;
            r.latency_ms = d.latency_ms;
            r.ttfb_ms = d.ttfb_ms;
            f(r)?;
        }
        blocks.retain(|b, (_, left)| *left > 0 && used.contains(b));
        Ok(())
    }

    /// Splits the stored rows into at most `n` ranges of row ids of about
    /// equal size (`[from, to)`), to read them on several threads, each with
    /// its own connection ([`SqliteLedger::reopen`]) and
    /// [`SqliteLedger::for_each_lean_in`]. Empty when nothing is stored.
    ///
    /// # Errors
    /// Backend failures.
    pub fn id_ranges(&self, n: usize) -> Result<Vec<(i64, i64)>> {
        let (lo, hi): (Option<i64>, Option<i64>) = self
            .conn
            // Two subqueries: each is one B-tree descent, `min(id), max(id)`
            // together would scan the table.
            .query_row(
                "SELECT (SELECT min(id) FROM entries), (SELECT max(id) FROM entries)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql)?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let n = i64::try_from(n.max(1)).unwrap_or(1);
        let span = hi - lo + 1;
        let step = (span + n - 1) / n;
        Ok((0..n)
            .map(|i| (lo + i * step, (lo + (i + 1) * step).min(hi + 1)))
            .filter(|(a, b)| a < b)
            .collect())
    }

    /// [`Ledger::for_each_lean`] over the rows whose id is in `ids`
    /// (`[from, to)`; `None`: all), in storage order.
    ///
    /// # Errors
    /// As [`Ledger::for_each_lean`].
    pub fn for_each_lean_in(
        &self,
        filter: &Filter,
        ids: Option<(i64, i64)>,
        f: &mut dyn FnMut(LeanRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        let dict = Dict::load(&self.conn)?;
        let (mut clause, mut params) = where_clause(filter)?;
        if let Some((from, to)) = ids {
            clause.push_str(if clause.is_empty() {
                " WHERE "
            } else {
                " AND "
            });
            clause.push_str("e.id >= ? AND e.id < ?");
            params.push(Value::Integer(from));
            params.push(Value::Integer(to));
        }
        let query = format!("SELECT {LEAN_COLUMNS} FROM entries AS e{clause}");
        let mut stmt = self.conn.prepare(&query).map_err(sql)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            f(read_lean(row, &dict)?)?;
        }
        Ok(())
    }
}

pub(crate) fn col_u64(row: &Row<'_>, id: i64, idx: usize, name: &str) -> Result<u64> {
    let v: i64 = row.get(idx).map_err(sql)?;
    u64::try_from(v).map_err(|_| corrupt(id, format!("negative `{name}`: {v}")))
}

/// The six text buckets from column `first` and the five modality buckets
/// (schema v3) from column `modal` (`None`: a v1 row, which has none).
pub(crate) fn col_usage(
    row: &Row<'_>,
    id: i64,
    first: usize,
    modal: Option<usize>,
) -> Result<Usage> {
    let mut u = Usage {
        input: col_u64(row, id, first, "input")?,
        cache_read: col_u64(row, id, first + 1, "cache_read")?,
        cache_write: col_u64(row, id, first + 2, "cache_write")?,
        cache_write_1h: col_u64(row, id, first + 3, "cache_write_1h")?,
        output: col_u64(row, id, first + 4, "output")?,
        reasoning: col_u64(row, id, first + 5, "reasoning")?,
        ..Usage::default()
    };
    if let Some(m) = modal {
        for (i, b) in Bucket::MODAL.into_iter().enumerate() {
            u.set(b, col_u64(row, id, m + i, b.key())?);
        }
    }
    Ok(u)
}

pub(crate) fn col_opt_u64(row: &Row<'_>, id: i64, idx: usize, name: &str) -> Result<Option<u64>> {
    let v: Option<i64> = row.get(idx).map_err(sql)?;
    v.map(|v| u64::try_from(v).map_err(|_| corrupt(id, format!("negative `{name}`: {v}"))))
        .transpose()
}

pub(crate) fn col_decimal(
    row: &Row<'_>,
    id: i64,
    idx: usize,
    name: &str,
) -> Result<Option<Decimal>> {
    col_opt_str(row, id, idx, name)?
        .map(|s| {
            Decimal::from_str(s)
                .map_err(|e| corrupt(id, format!("`{name}` is not an exact decimal: `{s}` ({e})")))
        })
        .transpose()
}

pub(crate) fn col_opt_str<'r>(
    row: &'r Row<'_>,
    id: i64,
    idx: usize,
    name: &str,
) -> Result<Option<&'r str>> {
    row.get_ref(idx)
        .map_err(sql)?
        .as_str_or_null()
        .map_err(|e| corrupt(id, format!("`{name}`: {e}")))
}

pub(crate) fn col_i64(row: &Row<'_>, idx: usize) -> Result<i64> {
    row.get(idx).map_err(sql)
}

pub(crate) fn col_opt_i64(row: &Row<'_>, idx: usize) -> Result<Option<i64>> {
    row.get(idx).map_err(sql)
}

pub(crate) fn timestamp(id: i64, at_ns: i64) -> Result<Timestamp> {
    Timestamp::from_nanosecond(i128::from(at_ns))
        .map_err(|e| corrupt(id, format!("bad timestamp {at_ns}: {e}")))
}

/// Reads one row selected with [`LEAN_COLUMNS`], borrowing its text from `dict`.
fn read_lean<'d>(row: &Row<'_>, dict: &'d Dict) -> Result<LeanRecord<'d>> {
    let id = col_i64(row, 0)?;
    Ok(LeanRecord {
        at: timestamp(id, col_i64(row, 1)?)?,
        source: dict.str(id, col_i64(row, 2)?, "source")?,
        model: dict.str(id, col_i64(row, 3)?, "model")?,
        project: dict.opt_str(id, col_opt_i64(row, 4)?, "project")?,
        session: dict.opt_str(id, col_opt_i64(row, 5)?, "session")?,
        usage: col_usage(row, id, 6, Some(15))?,
        service_tier: dict.tier(id, col_i64(row, 12)?)?,
        cost: col_decimal(row, id, 13, "cost")?,
        currency: dict.currency(id, col_opt_i64(row, 14)?, "currency")?,
    })
}

/// Reads one row selected with [`COLUMNS`]: (row id, detail reference, the
/// record without its details).
fn read_record(row: &Row<'_>, dict: &Dict) -> Result<(i64, i64, UsageRecord)> {
    let id = col_i64(row, 0)?;
    let owned = |idx: usize, name: &str| -> Result<Option<String>> {
        Ok(dict
            .opt_str(id, col_opt_i64(row, idx)?, name)?
            .map(str::to_owned))
    };
    let tags = match dict.opt_str(id, col_opt_i64(row, 16)?, "tags")? {
        Some(t) => {
            serde_json::from_str(t).map_err(|e| corrupt(id, format!("bad tags `{t}`: {e}")))?
        }
        None => Vec::new(),
    };
    let mut r = UsageRecord::new(
        String::new(),
        timestamp(id, col_i64(row, 1)?)?,
        dict.str(id, col_i64(row, 2)?, "source")?,
        dict.str(id, col_i64(row, 3)?, "model")?,
        col_usage(row, id, 6, Some(20))?,
    );
    r.project = owned(4, "project")?;
    r.session = owned(5, "session")?;
    r.service_tier = dict.tier(id, col_i64(row, 12)?)?;
    r.cost = col_decimal(row, id, 13, "cost")?;
    r.currency = dict.currency(id, col_opt_i64(row, 14)?, "currency")?;
    r.price_ref = owned(15, "price_ref")?;
    r.tags = tags;
    r.key_fingerprint = owned(17, "key_fingerprint")?;
    r.incomplete = row.get(18).map_err(sql)?;
    r.device = owned(25, "device")?;
    Ok((id, col_i64(row, 19)?, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::ts;
    use llmcost_core::{Currency, ServiceTier};
    use llmcost_ledger::Ledger;

    #[test]
    fn round_trips_every_field() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        let mut r = UsageRecord::new(
            "proxy:1",
            ts("2025-01-15T12:00:00.123456789Z"),
            "proxy",
            "deepseek-chat",
            Usage {
                input: 1,
                cache_read: 2,
                cache_write: 3,
                cache_write_1h: 4,
                output: 5,
                reasoning: 6,
                input_audio: 7,
                cache_read_audio: 8,
                output_audio: 9,
                input_image: 10,
                output_image: 11,
            },
        );
        r.origin = Some("up".into());
        r.line = Some(7);
        r.provider = Some("deepseek".into());
        r.project = Some("p".into());
        r.session = Some("s".into());
        r.service_tier = ServiceTier::Batch;
        r.cost = Some(Decimal::from_str("0.0000012345678901234567890").expect("dec"));
        r.currency = Some(Currency::CNY);
        r.price_ref = Some("ref".into());
        r.billed = Some(Decimal::from_str("1.10").expect("dec"));
        r.billed_currency = Some(Currency::USD);
        r.raw_usage = Some("{\"x\":1}".into());
        r.tags = vec!["a".into(), "b".into()];
        r.status = Some(200);
        r.latency_ms = Some(12);
        r.ttfb_ms = Some(3);
        r.key_fingerprint = Some("fp".into());
        r.incomplete = true;
        assert_eq!(
            l.insert(std::slice::from_ref(&r)).expect("insert").inserted,
            1
        );
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |x| {
            got.push(x);
            Ok(())
        })
        .expect("read");
        assert_eq!(got, vec![r]);
        // `1.10` keeps its scale: exact text, not a float.
        assert_eq!(
            got[0].billed.map(|b| b.to_string()).as_deref(),
            Some("1.10")
        );
        let cost: String = l
            .connection()
            .query_row("SELECT cost FROM records", [], |x| x.get(0))
            .expect("q");
        assert_eq!(cost, "0.0000012345678901234567890");
    }

    #[test]
    fn a_read_in_time_order_takes_details_from_many_blocks() {
        let mut l = SqliteLedger::open_in_memory().expect("open");
        // Three inserts (three sets of blocks) whose times interleave.
        for part in 0..3u64 {
            let recs: Vec<UsageRecord> = (0..5_000u64)
                .map(|i| {
                    let t = i * 3 + part;
                    let mut r = UsageRecord::new(
                        format!("k:{t}"),
                        Timestamp::from_second(1_735_689_600 + t as i64).expect("ts"),
                        "jsonl",
                        "m",
                        Usage::default(),
                    );
                    r.line = Some(t);
                    r.raw_usage = Some(format!("{{\"n\":{t}}}"));
                    r
                })
                .collect();
            l.insert(&recs).expect("insert");
        }
        let mut n = 0u64;
        l.for_each(&Filter::default(), &mut |r| {
            assert_eq!(r.line, Some(n));
            assert_eq!(r.dedup_key, format!("k:{n}"));
            assert_eq!(r.raw_usage, Some(format!("{{\"n\":{n}}}")));
            n += 1;
            Ok(())
        })
        .expect("read");
        assert_eq!(n, 15_000);
    }
}

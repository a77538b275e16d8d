//! Hourly rollups (schema 5): table `rollups`, one row per UTC hour × model ×
//! project × source × provider × tag set × key fingerprint × device ×
//! currency (string ids, 0 for none), with the token sums, the record count,
//! the exact cost sum (decimal TEXT) and the unpriced records and tokens.
//!
//! * An insert adds the records it stored ([`Acc::add`] per stored record,
//!   [`Acc::store`] once) in its own transaction; duplicates add nothing.
//! * Repricing and migration rebuild the rows of the hours concerned from
//!   `entries` ([`rebuild`]).
//! * [`query`] reads them for [`llmcost_ledger::Ledger::rollup`].

use std::str::FromStr;

use llmcost_core::{Bucket, Currency, Decimal, Usage};
use llmcost_ledger::rollup::{Dim, Dims, Grouper, RollupQuery, RollupRow, Sums};
use llmcost_ledger::{LedgerError, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params_from_iter};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::details;
use crate::strings::Interner;
use crate::{corrupt, sql};

/// Nanoseconds in an hour.
const HOUR_NS: i64 = 3_600_000_000_000;

/// Key columns of `rollups`, in key order.
const KEY_COLS: [&str; 9] = [
    "hour",
    "model",
    "project",
    "source",
    "provider",
    "tags",
    "key_fingerprint",
    "device",
    "currency",
];

/// Sum columns of `rollups` after the key, in [`Sums`] order.
const SUM_COLS: &str = "records, input, cache_read, cache_write, cache_write_1h, output, \
     reasoning, input_audio, cache_read_audio, output_audio, input_image, output_image, \
     cost, unpriced_records, unpriced_tokens";

/// Columns of `entries` a rebuild reads, in [`Key`] and bucket order.
const ENTRY_COLS: &str = "id, at, model, project, source, provider, tags, key_fingerprint, \
     device, currency, cost, input, cache_read, cache_write, cache_write_1h, output, \
     reasoning, input_audio, cache_read_audio, output_audio, input_image, output_image";

/// A stored row's key: hour, then the string ids of [`KEY_COLS`] (0: none).
pub(crate) type Key = [i64; 9];

/// The UTC hour of a time in nanoseconds.
pub(crate) fn hour(at_ns: i64) -> i64 {
    at_ns.div_euclid(HOUR_NS)
}

/// Sums per stored key, to be added to `rollups`.
#[derive(Default)]
pub(crate) struct Acc {
    rows: FxHashMap<Key, Sums>,
}

impl Acc {
    /// Adds one record.
    pub(crate) fn add(&mut self, key: Key, usage: &Usage, cost: Option<Decimal>) {
        self.rows.entry(key).or_default().add(usage, cost);
    }

    /// Adds the sums to the stored rows of `rollups` and of `rollups_model`
    /// (in key order: neighbours in the tables are written one after the other).
    pub(crate) fn store(self, tx: &Transaction<'_>) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut coarse: FxHashMap<[i64; 3], Sums> = FxHashMap::default();
        for (k, v) in &self.rows {
            coarse.entry([k[0], k[1], k[8]]).or_default().merge(v);
        }
        add_rows(tx, "rollups", &KEY_COLS, self.rows)?;
        add_rows(tx, "rollups_model", &MODEL_KEY_COLS, coarse)
    }
}

/// Key columns of `rollups_model`: hour, model, currency.
const MODEL_KEY_COLS: [&str; 3] = ["hour", "model", "currency"];

/// Adds `rows` (key values in `key_cols` order) to `table`.
fn add_rows<const N: usize>(
    tx: &Transaction<'_>,
    table: &str,
    key_cols: &[&str; N],
    rows: FxHashMap<[i64; N], Sums>,
) -> Result<()> {
    let mut rows: Vec<([i64; N], Sums)> = rows.into_iter().collect();
    rows.sort_unstable_by_key(|(k, _)| *k);
    let key_where = key_cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut get = tx
        .prepare_cached(&format!("SELECT {SUM_COLS} FROM {table} WHERE {key_where}"))
        .map_err(sql)?;
    let marks = (1..=N + 15)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut put = tx
        .prepare_cached(&format!(
            "INSERT OR REPLACE INTO {table} ({}, {SUM_COLS}) VALUES ({marks})",
            key_cols.join(", ")
        ))
        .map_err(sql)?;
    for (key, mut sums) in rows {
        let old = get
            .query_row(params_from_iter(key), |r| Ok(sums_at(r, 0)))
            .optional()
            .map_err(sql)?;
        if let Some(old) = old {
            sums.merge(&old?);
        }
        let mut values: Vec<Value> = key.iter().map(|&k| Value::Integer(k)).collect();
        values.extend(values_of(&sums)?);
        put.execute(params_from_iter(values)).map_err(sql)?;
    }
    Ok(())
}

fn bad(what: &str) -> LedgerError {
    corrupt(0, format!("rollup row: bad `{what}`"))
}

/// [`Sums`] of the 15 sum columns from column `first` of a row (read in
/// place: no value is copied but the cost text, parsed).
fn sums_at(row: &rusqlite::Row<'_>, first: usize) -> Result<Sums> {
    let int = |i: usize, what: &str| -> Result<u64> {
        match row.get_ref(first + i).map_err(sql)? {
            rusqlite::types::ValueRef::Integer(n) => u64::try_from(n).map_err(|_| bad(what)),
            _ => Err(bad(what)),
        }
    };
    let mut s = Sums {
        records: int(0, "records")?,
        ..Sums::default()
    };
    for (i, b) in Bucket::ALL.into_iter().enumerate() {
        s.usage.set(b, int(1 + i, b.key())?);
    }
    s.cost = match row.get_ref(first + 12).map_err(sql)? {
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|t| Decimal::from_str(t).ok())
            .ok_or_else(|| bad("cost"))?,
        _ => return Err(bad("cost")),
    };
    s.unpriced_records = int(13, "unpriced_records")?;
    s.unpriced_tokens = u128::from(int(14, "unpriced_tokens")?);
    Ok(s)
}

/// The 15 sum columns of [`Sums`].
fn values_of(s: &Sums) -> Result<Vec<Value>> {
    let big = |n: u128| {
        i64::try_from(n)
            .map(Value::Integer)
            .map_err(|_| LedgerError::Conflict(format!("a rollup sum of {n} tokens is too large")))
    };
    let mut v = Vec::with_capacity(15);
    v.push(big(u128::from(s.records))?);
    for b in Bucket::ALL {
        v.push(big(u128::from(s.usage.get(b)))?);
    }
    v.push(Value::Text(s.cost.to_string()));
    v.push(big(u128::from(s.unpriced_records))?);
    v.push(big(s.unpriced_tokens)?);
    Ok(v)
}

/// Rebuilds the rows of `hours` (all rows when `None`) from `entries`.
pub(crate) fn rebuild(tx: &Transaction<'_>, hours: Option<&FxHashSet<i64>>) -> Result<()> {
    if hours.is_some_and(FxHashSet::is_empty) {
        return Ok(());
    }
    let mut acc = Acc::default();
    {
        let mut stmt = tx
            .prepare(&format!("SELECT {ENTRY_COLS} FROM entries"))
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let id: i64 = row.get(0).map_err(sql)?;
            let at: i64 = row.get(1).map_err(sql)?;
            let h = hour(at);
            if hours.is_some_and(|s| !s.contains(&h)) {
                continue;
            }
            let mut key: Key = [h, 0, 0, 0, 0, 0, 0, 0, 0];
            for (i, k) in key.iter_mut().enumerate().skip(1) {
                *k = row.get::<_, Option<i64>>(1 + i).map_err(sql)?.unwrap_or(0);
            }
            let cost = match row.get_ref(10).map_err(sql)?.as_str_or_null() {
                Ok(Some(t)) => Some(Decimal::from_str(t).map_err(|e| {
                    corrupt(id, format!("`cost` is not an exact decimal: `{t}` ({e})"))
                })?),
                Ok(None) => None,
                Err(e) => return Err(corrupt(id, format!("`cost`: {e}"))),
            };
            let mut usage = Usage::default();
            for (i, b) in Bucket::ALL.into_iter().enumerate() {
                let n: i64 = row.get(11 + i).map_err(sql)?;
                usage.set(
                    b,
                    u64::try_from(n).map_err(|_| corrupt(id, format!("negative `{}`", b.key())))?,
                );
            }
            acc.add(key, &usage, cost);
        }
    }
    for table in ["rollups", "rollups_model"] {
        match hours {
            None => {
                tx.execute(&format!("DELETE FROM {table}"), [])
                    .map_err(sql)?;
            }
            Some(hs) => {
                let mut del = tx
                    .prepare_cached(&format!("DELETE FROM {table} WHERE hour = ?1"))
                    .map_err(sql)?;
                for h in hs {
                    del.execute([h]).map_err(sql)?;
                }
            }
        }
    }
    acc.store(tx)
}

/// Ids of the strings in `list`.
fn ids_of(conn: &Connection, list: &[String]) -> Result<Vec<i64>> {
    let marks = vec!["?"; list.len()].join(", ");
    let mut stmt = conn
        .prepare(&format!("SELECT id FROM strings WHERE s IN ({marks})"))
        .map_err(sql)?;
    stmt.query_map(params_from_iter(list), |r| r.get(0))
        .map_err(sql)?
        .collect::<rusqlite::Result<Vec<i64>>>()
        .map_err(sql)
}

/// Ids of the tag sets (interned JSON arrays) holding one of `tags`.
fn tag_set_ids(conn: &Connection, tags: &[String]) -> Result<Vec<i64>> {
    let marks = vec!["?"; tags.len()].join(", ");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT t.id FROM strings AS t WHERE t.s LIKE '[%' AND EXISTS \
             (SELECT 1 FROM json_each(CASE WHEN json_valid(t.s) THEN t.s ELSE '[]' END) AS j \
             WHERE j.value IN ({marks}))"
        ))
        .map_err(sql)?;
    stmt.query_map(params_from_iter(tags), |r| r.get(0))
        .map_err(sql)?
        .collect::<rusqlite::Result<Vec<i64>>>()
        .map_err(sql)
}

/// Answers `q` from `rollups`: the stored rows selected (by id), summed per
/// requested key in a map, then named and spread over tags by [`Grouper`].
/// `None` when the bounds are inside an hour. `narrow`: `rollups_model` is
/// there (schema 6) and answers queries by hour and model alone.
pub(crate) fn query(
    conn: &Connection,
    q: &RollupQuery,
    narrow: bool,
) -> Result<Option<Vec<RollupRow>>> {
    if !q.on_hours() {
        return Ok(None);
    }
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let (from, to) = q.hours();
    if let Some(h) = from {
        conds.push("hour >= ?".into());
        params.push(Value::Integer(h));
    }
    if let Some(h) = to {
        conds.push("hour < ?".into());
        params.push(Value::Integer(h));
    }
    for (col, list) in [
        ("model", &q.models),
        ("project", &q.projects),
        ("source", &q.sources),
        ("provider", &q.providers),
        ("key_fingerprint", &q.keys),
        ("device", &q.devices),
        ("tags", &q.tags),
    ] {
        if list.is_empty() {
            continue;
        }
        let ids = if col == "tags" {
            tag_set_ids(conn, list)?
        } else {
            ids_of(conn, list)?
        };
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        conds.push(format!("{col} IN ({})", vec!["?"; ids.len()].join(", ")));
        params.extend(ids.into_iter().map(Value::Integer));
    }
    // Which key columns the answer keeps (the others are summed over).
    let keep: [bool; 9] = [
        q.groups(Dim::Hour),
        q.groups(Dim::Model),
        q.groups(Dim::Project),
        q.groups(Dim::Source),
        q.groups(Dim::Provider),
        q.groups(Dim::Tag),
        q.groups(Dim::Key),
        q.groups(Dim::Device),
        true,
    ];
    let cols: Vec<&str> = KEY_COLS
        .iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(*c))
        .collect();
    // Only hours, models and currencies: the narrow table answers.
    let table = if narrow
        && cols.iter().all(|c| MODEL_KEY_COLS.contains(c))
        && conds
            .iter()
            .all(|c| c.starts_with("hour ") || c.starts_with("model "))
    {
        "rollups_model"
    } else {
        "rollups"
    };
    let sql_text = format!(
        "SELECT {}, {SUM_COLS} FROM {table}{}",
        cols.join(", "),
        if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        }
    );
    let mut stmt = conn.prepare(&sql_text).map_err(sql)?;
    let mut rows = stmt.query(params_from_iter(params)).map_err(sql)?;
    let mut groups: FxHashMap<Key, Sums> = FxHashMap::default();
    let n = cols.len();
    while let Some(row) = rows.next().map_err(sql)? {
        let mut key: Key = [0; 9];
        let mut c = 0;
        for (i, k) in keep.iter().enumerate() {
            if *k {
                key[i] = row.get(c).map_err(sql)?;
                c += 1;
            }
        }
        let s = sums_at(row, n)?;
        groups.entry(key).or_default().merge(&s);
    }
    // Name the ids (few), then group by name.
    let mut names: FxHashMap<i64, String> = FxHashMap::default();
    let mut tag_sets: FxHashMap<i64, Vec<String>> = FxHashMap::default();
    {
        let mut get = conn
            .prepare_cached("SELECT s FROM strings WHERE id = ?1")
            .map_err(sql)?;
        for key in groups.keys() {
            for (i, &id) in key.iter().enumerate().skip(1) {
                if id == 0 || names.contains_key(&id) {
                    continue;
                }
                let s: String = get
                    .query_row([id], |r| r.get(0))
                    .map_err(|_| corrupt(0, format!("rollup string {id} is missing")))?;
                if i == 5 {
                    let tags: Vec<String> = serde_json::from_str(&s)
                        .map_err(|e| corrupt(0, format!("rollup tag set `{s}`: {e}")))?;
                    tag_sets.insert(id, tags);
                }
                names.insert(id, s);
            }
        }
    }
    let name = |id: i64| -> Option<&str> { (id != 0).then(|| names.get(&id).map(String::as_str))? };
    let mut g = Grouper::new(q);
    let none: Vec<String> = Vec::new();
    for (key, sums) in &groups {
        let currency = name(key[8])
            .map(|c| Currency::new(c).map_err(|_| corrupt(0, format!("rollup currency `{c}`"))))
            .transpose()?;
        let d = Dims {
            hour: key[0],
            model: name(key[1]).unwrap_or(""),
            project: name(key[2]),
            source: name(key[3]).unwrap_or(""),
            provider: name(key[4]),
            tags: tag_sets.get(&key[5]).unwrap_or(&none),
            key_fingerprint: name(key[6]),
            device: name(key[7]),
            currency,
        };
        g.add(&d, sums);
    }
    Ok(Some(g.finish()))
}

/// Fills `entries.provider` (schema 5) from the details blocks of the rows
/// stored before it: each block is decoded once, rows are visited in detail
/// order. Part of the migration's transaction.
pub(crate) fn copy_providers(tx: &Transaction<'_>, strings: &mut Interner<'_>) -> Result<()> {
    let mut refs: Vec<(i64, i64)> = Vec::new();
    {
        let mut stmt = tx
            .prepare("SELECT id, detail FROM entries ORDER BY detail")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            refs.push((row.get(0).map_err(sql)?, row.get(1).map_err(sql)?));
        }
    }
    let mut load = tx
        .prepare("SELECT data FROM detail_blocks WHERE id = ?1")
        .map_err(sql)?;
    let mut set = tx
        .prepare("UPDATE entries SET provider = ?2 WHERE id = ?1")
        .map_err(sql)?;
    let mut block: Option<(i64, Vec<details::Details>)> = None;
    for (id, detail) in refs {
        let b = detail >> details::INDEX_BITS;
        let index = usize::try_from(detail & ((1 << details::INDEX_BITS) - 1))
            .map_err(|_| corrupt(id, "bad detail reference"))?;
        if block.as_ref().is_none_or(|(k, _)| *k != b) {
            let data: Option<Vec<u8>> =
                load.query_row([b], |r| r.get(0)).optional().map_err(sql)?;
            let Some(data) = data else {
                return Err(corrupt(id, format!("details block {b} is missing")));
            };
            let decoded = details::decode(&data)
                .map_err(|e| corrupt(id, format!("details block {b}: {e}")))?;
            block = Some((b, decoded));
        }
        let provider = block
            .as_ref()
            .and_then(|(_, d)| d.get(index))
            .ok_or_else(|| corrupt(id, format!("details block {b} has no record {index}")))?
            .provider
            .as_deref();
        if let Some(p) = provider {
            let pid = strings.id(tx, p)?;
            set.execute([id, pid]).map_err(sql)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use llmcost_core::Timestamp;
    use llmcost_ledger::rollup::scan;
    use llmcost_ledger::{Ledger, UsageRecord};

    use super::*;
    use crate::SqliteLedger;

    fn rec(i: u64) -> UsageRecord {
        let at = Timestamp::from_second(1_740_000_000 + i64::try_from(i * 1_777).unwrap_or(0))
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut r = UsageRecord::new(
            format!("claude:m{i}:r{i}"),
            at,
            "claude-code",
            if i.is_multiple_of(3) {
                "claude-opus-4"
            } else {
                "claude-sonnet-4"
            },
            Usage {
                input: i,
                output: 2 * i,
                cache_read: 10 * i,
                ..Usage::default()
            },
        );
        r.provider = (!i.is_multiple_of(4)).then(|| "anthropic".to_string());
        r.project = Some(format!("p{}", i % 3));
        r.tags = if i.is_multiple_of(5) {
            vec!["x".into()]
        } else {
            Vec::new()
        };
        if !i.is_multiple_of(7) {
            r.cost = Some(Decimal::new(i64::try_from(i).unwrap_or(0) * 3, 6));
            r.currency = Some(Currency::USD);
        }
        r
    }

    #[test]
    fn a_version_2_ledger_gets_providers_and_rollups() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v2.db");
        let records: Vec<UsageRecord> = (1..=300).map(rec).collect();
        crate::write_v2_ledger(&path, &records, &[]).expect("v2 file");
        let l = SqliteLedger::open(&path).expect("migrate");
        assert_eq!(l.schema_version().expect("version"), crate::SCHEMA_VERSION);
        // Providers moved out of the details: 300 - 75 (every fourth has none) = 225.
        let with_provider: i64 = l
            .connection()
            .query_row(
                "SELECT count(*) FROM records WHERE provider = 'anthropic'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(with_provider, 225);
        for group_by in [
            vec![],
            vec![Dim::Hour, Dim::Model],
            vec![Dim::Provider, Dim::Tag, Dim::Project],
        ] {
            let q = RollupQuery {
                group_by,
                ..RollupQuery::default()
            };
            assert_eq!(
                l.rollup(&q).expect("rollup"),
                Some(scan(&l, &q).expect("scan")),
                "{q:?}"
            );
        }
        // Hand-worked: 300 records; unpriced are the multiples of 7 up to 294
        // (42 of them); cost = 0.000003 × (1 + … + 300 − 7 × (1 + … + 42))
        // = 0.000003 × (45150 − 6321) = 0.000003 × 38829 = 0.116487.
        let total = l
            .rollup(&RollupQuery::default())
            .expect("rollup")
            .expect("kept");
        let priced = total
            .iter()
            .find(|r| r.currency == Some(Currency::USD))
            .expect("USD");
        assert_eq!(priced.sums.records, 258);
        assert_eq!(priced.sums.cost, Decimal::new(116_487, 6));
        let unpriced = total.iter().find(|r| r.currency.is_none()).expect("none");
        assert_eq!(unpriced.sums.unpriced_records, 42);
    }

    #[test]
    fn a_read_only_schema_4_ledger_has_no_rollups_to_offer() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v4.db");
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            l.insert(&[rec(1)]).expect("insert");
            l.connection()
                .execute_batch(
                    "DROP VIEW records; DROP TABLE rollups; DROP TABLE rollups_model; \
                     ALTER TABLE entries DROP COLUMN provider; \
                     ALTER TABLE entries DROP COLUMN device; PRAGMA user_version = 4;",
                )
                .expect("back to v4");
        }
        let l = SqliteLedger::open_read_only(&path).expect("read only");
        assert_eq!(l.rollup(&RollupQuery::default()).expect("rollup"), None);
        assert_eq!(scan(&l, &RollupQuery::default()).expect("scan").len(), 1);
    }
}

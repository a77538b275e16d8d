//! Migration to schema 4: the JSON Lines and CSV records of an older ledger
//! get the keys of [`llmcost_ledger::identity`], so importing their files
//! again adds only what was missing (records an older llmcost merged because
//! they shared an id) and never stores one twice.
//!
//! Old keys were `jsonl:<response id>`, `jsonl:<head hash>:<line>` and
//! `csv:<head hash>:<line>`. The new key is computed from what the ledger
//! holds (time, model, tokens, tier, and for CSV the session when it is not
//! the file's stem, which is what the importer puts there when the row names
//! none). Occurrences are counted over the whole ledger, in storage order: a
//! row that two files held is kept twice (as before) and a new import of
//! either file finds it stored.

use std::path::Path;

use llmcost_core::{ServiceTier, Timestamp, Usage};
use llmcost_ledger::identity::{self, Content, Occurrences};
use llmcost_ledger::{Result, UsageRecord};
use rusqlite::{OptionalExtension, params};
use rustc_hash::FxHashMap;

use crate::details::{self, BlockWriter};
use crate::read::{col_i64, col_opt_i64, col_usage, timestamp};
use crate::schema::MIGRATIONS;
use crate::strings::Dict;
use crate::{corrupt, key_hashes, sql};

/// One stored record to rekey.
struct Old {
    id: i64,
    detail: i64,
    source: String,
    at: Timestamp,
    model: String,
    session: Option<String>,
    usage: Usage,
    tier: ServiceTier,
}

/// Gives every `jsonl` and `csv` record its schema-4 key. Part of the
/// migration's transaction: all or nothing.
pub(crate) fn rekey_v2(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let dict = Dict::load(tx)?;
    let mut olds: Vec<Old> = Vec::new();
    {
        let mut stmt = tx
            .prepare(
                "SELECT e.id, e.detail, e.source, e.at, e.model, e.session, e.input, \
                 e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning, \
                 e.service_tier, e.input_audio, e.cache_read_audio, e.output_audio, \
                 e.input_image, e.output_image FROM entries AS e WHERE e.source IN \
                 (SELECT id FROM strings WHERE s IN ('jsonl', 'csv')) ORDER BY e.detail",
            )
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let id = col_i64(row, 0)?;
            olds.push(Old {
                id,
                detail: col_i64(row, 1)?,
                source: dict.str(id, col_i64(row, 2)?, "source")?.to_string(),
                at: timestamp(id, col_i64(row, 3)?)?,
                model: dict.str(id, col_i64(row, 4)?, "model")?.to_string(),
                session: dict
                    .opt_str(id, col_opt_i64(row, 5)?, "session")?
                    .map(str::to_string),
                usage: col_usage(row, id, 6, Some(13))?,
                tier: dict.tier(id, col_i64(row, 12)?)?,
            });
        }
    }
    let mut occ: FxHashMap<&str, Occurrences> = FxHashMap::default();
    let mut origins: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut load = tx
        .prepare("SELECT data FROM detail_blocks WHERE id = ?1")
        .map_err(sql)?;
    let mut store = tx
        .prepare("UPDATE detail_blocks SET data = ?2 WHERE id = ?1")
        .map_err(sql)?;
    let mut writer = BlockWriter::default();
    let mut start = 0;
    while start < olds.len() {
        let block = olds[start].detail >> details::INDEX_BITS;
        let end = start
            + olds[start..]
                .iter()
                .take_while(|o| o.detail >> details::INDEX_BITS == block)
                .count();
        let data: Vec<u8> = load
            .query_row([block], |r| r.get(0))
            .optional()
            .map_err(sql)?
            .ok_or_else(|| corrupt(olds[start].id, format!("details block {block} is missing")))?;
        let mut ds = details::decode(&data)
            .map_err(|e| corrupt(olds[start].id, format!("details block {block}: {e}")))?;
        for o in &olds[start..end] {
            let index = usize::try_from(o.detail & ((1 << details::INDEX_BITS) - 1))
                .map_err(|_| corrupt(o.id, "bad detail reference"))?;
            let d = ds.get_mut(index).ok_or_else(|| {
                corrupt(o.id, format!("details block {block} has no record {index}"))
            })?;
            if let Some(origin) = &d.origin
                && !origins.contains(origin)
            {
                origins.insert(origin.clone());
            }
            let counter = occ.entry(o.source.as_str()).or_default();
            let key = new_key(o, &d.dedup_key, d.origin.as_deref(), counter);
            set_key(tx, o.id, &key)?;
            d.dedup_key = key;
        }
        for d in &ds {
            writer.push_details(d);
        }
        store
            .execute(params![block, writer.finish()])
            .map_err(sql)?;
        start = end;
    }
    // The files these records came from are read once more from the start by
    // the next import: what an older llmcost merged is added then.
    let mut forget = tx
        .prepare("DELETE FROM file_progress WHERE path = ?1")
        .map_err(sql)?;
    for origin in &origins {
        forget.execute([origin]).map_err(sql)?;
        if let Ok(c) = std::fs::canonicalize(origin) {
            forget.execute([c.display().to_string()]).map_err(sql)?;
        }
    }
    Ok(())
}

/// The schema-4 key of a stored record whose key was `old`.
fn new_key(o: &Old, old: &str, origin: Option<&str>, occ: &mut Occurrences) -> String {
    let stem = origin
        .map(Path::new)
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy());
    let session = match o.source.as_str() {
        "csv" => o.session.as_deref().filter(|s| stem.as_deref() != Some(*s)),
        _ => None,
    };
    let digest = Content {
        at: o.at,
        model: &o.model,
        usage: o.usage,
        tier: o.tier,
        session,
    }
    .digest();
    if o.source == "jsonl"
        && let Some(id) = old.strip_prefix("jsonl:")
        && !positional(id)
        && identity::plausible_id(id)
    {
        return identity::id_key("jsonl", id, digest);
    }
    identity::row_key(&o.source, digest, occ.next(digest))
}

/// A v2 key of a line without an id: `<16 hex digits>:<line>`.
fn positional(rest: &str) -> bool {
    rest.split_once(':').is_some_and(|(h, n)| {
        h.len() == 16
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Stores a record's new key hashes: in its slot, or, when another key has
/// the slot, unhashed and listed in `collided_keys`.
fn set_key(tx: &rusqlite::Transaction<'_>, id: i64, key: &str) -> Result<()> {
    let (hash, check) = key_hashes(key);
    tx.prepare_cached("DELETE FROM collided_keys WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(sql)?;
    let n = tx
        .prepare_cached("UPDATE OR IGNORE entries SET key_hash = ?2, key_check = ?3 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id, hash, check]))
        .map_err(sql)?;
    if n == 1 {
        return Ok(());
    }
    tx.prepare_cached("UPDATE entries SET key_hash = NULL, key_check = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id, check]))
        .map_err(sql)?;
    tx.prepare_cached("INSERT INTO collided_keys (key_hash, key_check, id) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![hash, check, id]))
        .map_err(sql)?;
    Ok(())
}

/// Writes a ledger file as llmcost 0.1 with schema 2 did: the v2 tables and
/// `records` and file progress as given, keys and all. For migration tests
/// only.
///
/// # Errors
/// The file cannot be created, or exists.
#[doc(hidden)]
pub fn write_v2_ledger(
    path: &Path,
    records: &[UsageRecord],
    progress: &[llmcost_ledger::FileProgress],
) -> Result<()> {
    if path.exists() {
        return Err(llmcost_ledger::LedgerError::Conflict(format!(
            "{} exists",
            path.display()
        )));
    }
    let mut conn = rusqlite::Connection::open(path).map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    tx.execute_batch(MIGRATIONS[0]).map_err(sql)?;
    tx.execute_batch(MIGRATIONS[1]).map_err(sql)?;
    tx.execute_batch("DROP TABLE records_v1").map_err(sql)?;
    let mut ids: FxHashMap<String, i64> = FxHashMap::default();
    let mut id = |s: &str| -> Result<i64> {
        if let Some(&i) = ids.get(s) {
            return Ok(i);
        }
        tx.execute("INSERT INTO strings (s) VALUES (?1)", [s])
            .map_err(sql)?;
        let i = tx.last_insert_rowid();
        ids.insert(s.to_string(), i);
        Ok(i)
    };
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        rows.push((
            id(&r.source)?,
            id(&r.model)?,
            r.project.as_deref().map(&mut id).transpose()?,
            r.session.as_deref().map(&mut id).transpose()?,
            id(r.service_tier.key())?,
            r.currency.as_ref().map(|c| id(c.as_str())).transpose()?,
            r.price_ref.as_deref().map(&mut id).transpose()?,
        ));
    }
    let mut writer = BlockWriter::default();
    for (b, chunk) in records.chunks(details::BLOCK_RECORDS).enumerate() {
        for r in chunk {
            writer.push(r);
        }
        tx.execute(
            "INSERT INTO detail_blocks (id, records, data) VALUES (?1, ?2, ?3)",
            params![b as i64 + 1, chunk.len() as i64, writer.finish()],
        )
        .map_err(sql)?;
    }
    for (i, (r, t)) in records.iter().zip(rows).enumerate() {
        let (hash, check) = key_hashes(&r.dedup_key);
        let detail = (((i / details::BLOCK_RECORDS) as i64 + 1) << details::INDEX_BITS)
            | (i % details::BLOCK_RECORDS) as i64;
        let at = i64::try_from(r.at.as_nanosecond()).map_err(|_| corrupt(0, "time"))?;
        let n = |v: u64| i64::try_from(v).map_err(|_| corrupt(0, "tokens"));
        tx.execute(
            "INSERT INTO entries (key_hash, key_check, at, source, model, project, session, \
             input, cache_read, cache_write, cache_write_1h, output, reasoning, service_tier, \
             cost, currency, price_ref, incomplete, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            rusqlite::params![
                hash,
                check,
                at,
                t.0,
                t.1,
                t.2,
                t.3,
                n(r.usage.input)?,
                n(r.usage.cache_read)?,
                n(r.usage.cache_write)?,
                n(r.usage.cache_write_1h)?,
                n(r.usage.output)?,
                n(r.usage.reasoning)?,
                t.4,
                r.cost.map(|c| c.to_string()),
                t.5,
                t.6,
                r.incomplete,
                detail
            ],
        )
        .map_err(sql)?;
    }
    for p in progress {
        tx.execute(
            "INSERT INTO file_progress (path, offset, head_hash, lines) VALUES (?1, ?2, ?3, ?4)",
            params![
                p.path,
                i64::try_from(p.offset).map_err(|_| corrupt(0, "offset"))?,
                p.head_hash,
                i64::try_from(p.lines).map_err(|_| corrupt(0, "lines"))?
            ],
        )
        .map_err(sql)?;
    }
    tx.pragma_update(None, "user_version", 2).map_err(sql)?;
    tx.commit().map_err(sql)
}

#[cfg(test)]
mod tests {
    use llmcost_core::Decimal;
    use llmcost_ledger::{Filter, Ledger};

    use super::*;
    use crate::SqliteLedger;

    fn rec(key: &str, at: &str, source: &str, origin: &str, line: u64, output: u64) -> UsageRecord {
        let mut r = UsageRecord::new(
            key,
            at.parse().expect("time"),
            source,
            "deepseek-chat",
            Usage {
                input: 1000,
                output,
                ..Usage::default()
            },
        );
        r.origin = Some(origin.into());
        r.line = Some(line);
        r.session = Path::new(origin)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        r.raw_usage = Some(format!("{{\"output\":{output}}}"));
        r.cost = Some(Decimal::new(i64::try_from(output).expect("small"), 6));
        r
    }

    fn digest(r: &UsageRecord, session: Option<&str>) -> u128 {
        Content {
            at: r.at,
            model: &r.model,
            usage: r.usage,
            tier: r.service_tier,
            session,
        }
        .digest()
    }

    #[test]
    fn a_v2_ledger_is_rekeyed_without_losing_or_doubling_a_record() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("old.db");
        let t = "2025-01-10T10:00:00Z";
        let old = vec![
            rec("jsonl:chatcmpl-123", t, "jsonl", "/l/ds.jsonl", 1, 10),
            rec("jsonl:0123456789abcdef:3", t, "jsonl", "/l/ds.jsonl", 3, 30),
            // An empty id made the key `jsonl:` in v2.
            rec("jsonl:", t, "jsonl", "/l/ds.jsonl", 4, 40),
            rec("csv:00000000000000aa:2", t, "csv", "/l/export.csv", 2, 5),
            rec("csv:00000000000000aa:3", t, "csv", "/l/export.csv", 3, 5),
            rec("csv:00000000000000bb:2", t, "csv", "/l/copy.csv", 2, 5),
            rec("claude:m1:r1", t, "claude-code", "/c/s.jsonl", 1, 7),
            rec("seq:abc:1", t, "proxy", "up", 0, 8),
        ];
        let progress = |p: &str| llmcost_ledger::FileProgress {
            path: p.into(),
            offset: 10,
            head_hash: "h".into(),
            lines: 1,
        };
        write_v2_ledger(
            &path,
            &old,
            &[progress("/l/ds.jsonl"), progress("/c/s.jsonl")],
        )
        .expect("v2 fixture");
        let mut l = SqliteLedger::open(&path).expect("open migrates");
        assert_eq!(l.schema_version().expect("version"), crate::SCHEMA_VERSION);
        // JSON Lines and CSV files are read again by the next import; others not.
        assert_eq!(l.file_progress("/l/ds.jsonl").expect("progress"), None);
        assert!(l.file_progress("/c/s.jsonl").expect("progress").is_some());
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            got.push(r);
            Ok(())
        })
        .expect("read");
        got.sort_by_key(|r| (r.origin.clone(), r.line));
        assert_eq!(got.len(), old.len(), "every row kept");
        let key = |origin: &str, line: u64| {
            got.iter()
                .find(|r| r.origin.as_deref() == Some(origin) && r.line == Some(line))
                .map(|r| r.dedup_key.clone())
                .expect("kept")
        };
        assert_eq!(
            key("/l/ds.jsonl", 1),
            identity::id_key("jsonl", "chatcmpl-123", digest(&old[0], None))
        );
        assert_eq!(
            key("/l/ds.jsonl", 3),
            identity::row_key("jsonl", digest(&old[1], None), 0)
        );
        assert_eq!(
            key("/l/ds.jsonl", 4),
            identity::row_key("jsonl", digest(&old[2], None), 0)
        );
        // Three equal CSV rows (the session was the file's stem, not a
        // column): occurrences 0, 1 and 2, so none is lost.
        let d = digest(&old[3], None);
        let mut csv: Vec<String> = vec![
            key("/l/export.csv", 2),
            key("/l/export.csv", 3),
            key("/l/copy.csv", 2),
        ];
        csv.sort();
        let mut want: Vec<String> = (0..3).map(|n| identity::row_key("csv", d, n)).collect();
        want.sort();
        assert_eq!(csv, want);
        assert_eq!(key("/c/s.jsonl", 1), "claude:m1:r1");
        assert_eq!(key("up", 0), "seq:abc:1");
        // Details other than the key are unchanged.
        for r in &got {
            let o = old
                .iter()
                .find(|o| o.origin == r.origin && o.line == r.line)
                .expect("same row");
            assert_eq!(
                (&r.raw_usage, r.cost, &r.session),
                (&o.raw_usage, o.cost, &o.session)
            );
        }

        // Importing the files again: what was stored is found, what v2
        // merged (a second response with the same id) is added.
        let mut again = old[0].clone();
        again.dedup_key = key("/l/ds.jsonl", 1);
        let mut second = rec("", "2025-01-10T10:01:00Z", "jsonl", "/l/ds.jsonl", 2, 20);
        second.dedup_key = identity::id_key("jsonl", "chatcmpl-123", digest(&second, None));
        let mut row = old[3].clone();
        row.dedup_key = identity::row_key("csv", d, 0);
        let s = l.insert(&[again, second, row]).expect("insert");
        assert_eq!((s.inserted, s.duplicates), (1, 2));
        assert_eq!(l.count().expect("count"), old.len() as u64 + 1);
        // Reprice finds the rekeyed rows by their new keys.
        let k = key("/l/export.csv", 2);
        assert_eq!(
            l.update_costs(&[(k, Some(Decimal::ONE), None, None)])
                .expect("update"),
            1
        );
        drop(l);
        // Opening again changes nothing.
        let l = SqliteLedger::open(&path).expect("open");
        assert_eq!(l.count().expect("count"), old.len() as u64 + 1);
    }

    #[test]
    fn positional_keys_are_told_from_ids() {
        assert!(positional("0123456789abcdef:12"));
        assert!(!positional("chatcmpl-123"));
        assert!(!positional("0123456789abcdef:"));
        assert!(!positional("0123456789abcde:1"));
    }
}

//! The schema: embedded migrations tracked in `PRAGMA user_version`, and
//! the copy of a version 1 ledger into the current tables.

use std::str::FromStr;

use llmcost_core::{Currency, ServiceTier};
use llmcost_ledger::{LedgerError, Result, UsageRecord};
use rusqlite::{Row, TransactionBehavior};

use crate::read::{col_decimal, col_i64, col_opt_u64, col_usage, timestamp};
use crate::strings::Interner;
use crate::{SqliteLedger, corrupt, rekey, rollup, sql};

/// Migrations, in order; migration `i` brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_narrow.sql"),
    include_str!("../migrations/0003_modal_buckets.sql"),
    include_str!("../migrations/0004_identity.sql"),
    include_str!("../migrations/0005_rollups.sql"),
    include_str!("../migrations/0006_rollups_model.sql"),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl SqliteLedger {
    /// The schema version stored in the file.
    ///
    /// # Errors
    /// Backend failures.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)
    }

    pub(crate) fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        // Another process may have migrated while this one waited for the lock.
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        for (i, m) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            tx.execute_batch(m).map_err(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(sql)?;
        }
        // v1 rows are copied once every table has its newest columns (the
        // copy inserts as the current code does).
        if found <= 1 {
            copy_v1(&tx, &mut Interner::new(&mut self.interned))?;
        }
        // Schema 4: JSON Lines and CSV records (copied v1 rows too) get their identity keys.
        if found <= 3 {
            rekey::rekey_v2(&tx)?;
        }
        // Schema 5: providers out of the details (rows copied from v1 have
        // theirs), then the rollups of every stored record.
        if (2..=4).contains(&found) {
            rollup::copy_providers(&tx, &mut Interner::new(&mut self.interned))?;
        }
        if found <= 5 {
            rollup::rebuild(&tx, None)?;
        }
        let done = tx.commit().map_err(sql);
        // Ids interned in a migration that failed may have been rolled back.
        if done.is_err() {
            self.interned.clear();
        }
        done
    }
}

/// Copies the rows of a v1 ledger (`records_v1`) into the v2 tables, then
/// drops them. Part of the migration's transaction.
fn copy_v1(tx: &rusqlite::Transaction<'_>, strings: &mut Interner) -> Result<()> {
    let mut last = i64::MIN;
    loop {
        let mut batch = Vec::new();
        {
            let mut stmt = tx
                .prepare(
                    "SELECT id, dedup_key, at, source, origin, line, provider, model, project, \
                     session, input, cache_read, cache_write, cache_write_1h, output, reasoning, \
                     service_tier, cost, currency, price_ref, billed, billed_currency, raw_usage, \
                     tags, status, latency_ms, ttfb_ms, key_fingerprint, incomplete \
                     FROM records_v1 WHERE id > ?1 ORDER BY id LIMIT 8192",
                )
                .map_err(sql)?;
            let mut rows = stmt.query([last]).map_err(sql)?;
            while let Some(row) = rows.next().map_err(sql)? {
                last = col_i64(row, 0)?;
                batch.push(read_v1(row, last)?);
            }
        }
        if batch.is_empty() {
            break;
        }
        SqliteLedger::insert_in(tx, strings, &batch, 0)?;
    }
    tx.execute_batch("DROP TABLE records_v1").map_err(sql)
}

/// One row of the v1 `records` table.
fn read_v1(row: &Row<'_>, id: i64) -> Result<UsageRecord> {
    let text = |idx: usize| -> Result<Option<String>> { row.get(idx).map_err(sql) };
    let currency = |idx: usize, name: &str| -> Result<Option<Currency>> {
        text(idx)?
            .map(|c| Currency::new(&c).map_err(|e| corrupt(id, format!("`{name}`: {e}"))))
            .transpose()
    };
    let tier: String = row.get(16).map_err(sql)?;
    let tags = match text(23)? {
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| corrupt(id, format!("bad tags `{t}`: {e}")))?
        }
        None => Vec::new(),
    };
    let status: Option<i64> = row.get(24).map_err(sql)?;
    Ok(UsageRecord {
        dedup_key: row.get(1).map_err(sql)?,
        at: timestamp(id, col_i64(row, 2)?)?,
        source: row.get(3).map_err(sql)?,
        origin: text(4)?,
        line: col_opt_u64(row, id, 5, "line")?,
        provider: text(6)?,
        model: row.get(7).map_err(sql)?,
        project: text(8)?,
        session: text(9)?,
        usage: col_usage(row, id, 10, None)?,
        service_tier: ServiceTier::from_str(&tier)
            .map_err(|_| corrupt(id, format!("unknown service tier `{tier}`")))?,
        cost: col_decimal(row, id, 17, "cost")?,
        currency: currency(18, "currency")?,
        price_ref: text(19)?,
        billed: col_decimal(row, id, 20, "billed")?,
        billed_currency: currency(21, "billed_currency")?,
        raw_usage: text(22)?,
        tags,
        status: status
            .map(|s| u16::try_from(s).map_err(|_| corrupt(id, format!("bad HTTP status {s}"))))
            .transpose()?,
        latency_ms: col_opt_u64(row, id, 25, "latency_ms")?,
        ttfb_ms: col_opt_u64(row, id, 26, "ttfb_ms")?,
        key_fingerprint: text(27)?,
        incomplete: row.get(28).map_err(sql)?,
        device: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::PAGE_SIZE;
    use crate::testutil::ts;
    use llmcost_core::{Bucket, Decimal, Usage};
    use llmcost_ledger::{Filter, Ledger};
    use rusqlite::Connection;

    #[test]
    fn a_version_1_ledger_is_migrated_without_loss() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v1.db");
        {
            let c = Connection::open(&path).expect("create");
            c.execute_batch(MIGRATIONS[0]).expect("v1 schema");
            c.pragma_update(None, "user_version", 1).expect("v1");
            c.execute_batch(
                "INSERT INTO records (key_hash, dedup_key, at, source, origin, line, provider, \
                 model, project, session, input, cache_read, cache_write, cache_write_1h, output, \
                 reasoning, service_tier, cost, currency, price_ref, billed, billed_currency, \
                 raw_usage, tags, status, latency_ms, ttfb_ms, key_fingerprint, incomplete) VALUES \
                 (7, 'a:1', 1736942400000000000, 'proxy', 'up', 3, 'deepseek', 'deepseek-chat', \
                  'p', 's', 1, 2, 3, 4, 5, 6, 'batch', '0.0012', 'CNY', 'ref', '1.10', 'USD', \
                  '{\"x\":1}', '[\"t\"]', 200, 12, 3, 'fp', 1), \
                 (NULL, 'a:2', 1736942400000000001, 'jsonl', NULL, NULL, NULL, 'gpt-4o', \
                  NULL, NULL, 10, 0, 0, 0, 20, 0, 'standard', NULL, NULL, NULL, NULL, NULL, \
                  NULL, NULL, NULL, NULL, NULL, NULL, 0);",
            )
            .expect("v1 rows");
        }
        let mut l = SqliteLedger::open(&path).expect("migrate");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            got.push(r);
            Ok(())
        })
        .expect("read");
        assert_eq!(got.len(), 2);
        let a = &got[0];
        assert_eq!(
            (
                a.dedup_key.as_str(),
                a.source.as_str(),
                a.origin.as_deref(),
                a.line
            ),
            ("a:1", "proxy", Some("up"), Some(3))
        );
        assert_eq!(a.at, ts("2025-01-15T12:00:00Z"));
        assert_eq!(
            (a.model.as_str(), a.project.as_deref()),
            ("deepseek-chat", Some("p"))
        );
        assert_eq!(a.usage.reasoning, 6);
        assert_eq!(a.service_tier, ServiceTier::Batch);
        assert_eq!(a.cost, Some(Decimal::from_str("0.0012").expect("dec")));
        assert_eq!(a.currency, Some(Currency::CNY));
        assert_eq!(a.billed.map(|b| b.to_string()), Some("1.10".into()));
        assert_eq!(a.tags, vec!["t".to_string()]);
        assert_eq!(
            (a.status, a.key_fingerprint.as_deref(), a.incomplete),
            (Some(200), Some("fp"), true)
        );
        let b = &got[1];
        assert_eq!(
            (b.model.as_str(), b.cost, b.origin.as_deref()),
            ("gpt-4o", None, None)
        );
        // A JSON Lines row gets the schema-3 identity (`a:2` was no id).
        assert!(b.dedup_key.starts_with("jsonl:row:"), "{}", b.dedup_key);
        // The unhashed (collided) v1 row is found by its key.
        let n = l
            .update_costs(&[(
                b.dedup_key.clone(),
                Some(Decimal::ONE),
                Some(Currency::USD),
                None,
            )])
            .expect("update the unhashed row");
        assert_eq!(n, 1);
        // The `records` view keeps the v1 columns for ad-hoc queries.
        let (model, cost): (String, String) = l
            .connection()
            .query_row(
                "SELECT model, cost FROM records WHERE project = 'p'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("view");
        assert_eq!((model.as_str(), cost.as_str()), ("deepseek-chat", "0.0012"));
    }

    /// A record with every bucket set, text and modality.
    fn modal_record(key: &str, n: u64) -> UsageRecord {
        let mut u = Usage::default();
        for (i, b) in Bucket::ALL.into_iter().enumerate() {
            u.set(b, n * 100 + i as u64);
        }
        let mut r = UsageRecord::new(key, ts("2026-03-01T10:00:00Z"), "proxy", "gpt-realtime", u);
        r.cost = Some(Decimal::from_str("0.0354").expect("dec"));
        r.currency = Some(Currency::USD);
        r
    }

    fn read_all(l: &SqliteLedger) -> Vec<UsageRecord> {
        let mut got = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            got.push(r);
            Ok(())
        })
        .expect("read");
        got.sort_by(|a, b| a.dedup_key.cmp(&b.dedup_key));
        got
    }

    #[test]
    fn a_version_2_ledger_gains_the_modality_columns_without_loss() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v2.db");
        // A v2 file: the current schema written, then the v3 columns dropped
        // and the v2 view put back, as a build of schema 2 left it.
        let text_only = |mut r: UsageRecord| {
            for b in Bucket::MODAL {
                r.usage.set(b, 0);
            }
            r
        };
        let before: Vec<UsageRecord> = (1..=3)
            .map(|n| text_only(modal_record(&format!("k:{n}"), n)))
            .collect();
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            assert_eq!(l.insert(&before).expect("insert").inserted, 3);
            let v2_view = &MIGRATIONS[1][MIGRATIONS[1].find("CREATE VIEW").expect("view")..];
            let mut down = String::from(
                "DROP VIEW records; DROP TABLE rollups; DROP TABLE rollups_model; \
                 ALTER TABLE entries DROP COLUMN provider; ALTER TABLE entries DROP COLUMN device;",
            );
            for b in Bucket::MODAL {
                down.push_str(&format!("ALTER TABLE entries DROP COLUMN {};", b.key()));
            }
            down.push_str(v2_view);
            l.connection().execute_batch(&down).expect("back to v2");
            l.connection()
                .pragma_update(None, "user_version", 2)
                .expect("v2");
        }
        let mut l = SqliteLedger::open(&path).expect("migrate");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        assert_eq!(read_all(&l), before, "every v2 record reads back unchanged");
        // The new columns take modality tokens, and the view shows them.
        assert_eq!(
            l.insert(&[modal_record("k:4", 4)])
                .expect("insert")
                .inserted,
            1
        );
        let got = read_all(&l);
        assert_eq!(got.len(), 4);
        assert_eq!(got[3].usage, modal_record("k:4", 4).usage);
        let audio: i64 = l
            .connection()
            .query_row(
                "SELECT input_audio + output_image FROM records WHERE output_audio = 408",
                [],
                |r| r.get(0),
            )
            .expect("view");
        // input_audio = 400 + 6, output_image = 400 + 10.
        assert_eq!(audio, 816);
        // Lean reads (reports) see the modality buckets too.
        let mut lean = Vec::new();
        l.for_each_lean(&Filter::default(), &mut |r| {
            lean.push(r.usage);
            Ok(())
        })
        .expect("lean");
        assert!(lean.contains(&modal_record("k:4", 4).usage));
        // Opening again changes nothing.
        drop(l);
        let l = SqliteLedger::open(&path).expect("reopen");
        assert_eq!(read_all(&l).len(), 4);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a/b/ledger.db");
        let l = SqliteLedger::open(&path).expect("open creates parents");
        assert_eq!(l.schema_version().expect("v"), SCHEMA_VERSION);
        let page: i64 = l
            .connection()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        assert_eq!(page, i64::from(PAGE_SIZE));
        l.connection()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        drop(l);
        match SqliteLedger::open(&path) {
            Err(LedgerError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }
}

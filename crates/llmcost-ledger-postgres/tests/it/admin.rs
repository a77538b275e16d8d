//! `ledger copy` (SQLite to PostgreSQL and back: resumable, only new records,
//! nothing doubled) and `ledger prune` on both backends.
#![expect(
    clippy::expect_used,
    reason = "a test: a failed expectation is a failed test"
)]

use llmcost_core::{Currency, Timestamp};
use llmcost_ledger::copy::copy;
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, Ledger, LedgerError, Result, UsageRecord,
};
use llmcost_ledger_sqlite::SqliteLedger;
use llmcost_ledger_tests::{all, dec, record};

use crate::cluster::cluster;

fn records(n: usize, prefix: &str) -> Vec<UsageRecord> {
    (0..n)
        .map(|i| {
            // Spread over January to March 2025, a few seconds apart.
            let month = 1 + i % 3;
            let day = 1 + (i / 3) % 28;
            let mut r = record(
                &format!("{prefix}:{i}"),
                &format!(
                    "2025-{month:02}-{day:02}T10:{:02}:{:02}Z",
                    (i / 60) % 60,
                    i % 60
                ),
                if i % 2 == 0 {
                    "gpt-4o"
                } else {
                    "claude-sonnet-4"
                },
                100 + i as u64,
                7,
            );
            r.cost = Some(dec(&format!("0.{:06}", i + 1)));
            r.currency = Some(Currency::USD);
            r.tags = vec![format!("t{}", i % 4), "tab\there".into()];
            r.project = Some("p\\q".into());
            r
        })
        .collect()
}

fn sorted(mut v: Vec<UsageRecord>) -> Vec<UsageRecord> {
    v.sort_by(|a, b| a.dedup_key.cmp(&b.dedup_key));
    v
}

/// A target that fails at its `n`th write: a copy cut short.
struct FailAt<'a> {
    inner: &'a mut dyn Ledger,
    left: usize,
}

impl FailAt<'_> {
    fn tick(&mut self) -> Result<()> {
        if self.left == 0 {
            return Err(LedgerError::Conflict(
                "injected: the connection dropped".into(),
            ));
        }
        self.left -= 1;
        Ok(())
    }
}

impl Ledger for FailAt<'_> {
    fn insert(&mut self, r: &[UsageRecord]) -> Result<InsertSummary> {
        self.tick()?;
        self.inner.insert(r)
    }
    fn insert_with_progress(
        &mut self,
        r: &[UsageRecord],
        p: &FileProgress,
    ) -> Result<InsertSummary> {
        self.tick()?;
        self.inner.insert_with_progress(r, p)
    }
    fn file_progress(&self, path: &str) -> Result<Option<FileProgress>> {
        self.inner.file_progress(path)
    }
    fn for_each(&self, f: &Filter, cb: &mut dyn FnMut(UsageRecord) -> Result<()>) -> Result<()> {
        self.inner.for_each(f, cb)
    }
    fn update_costs(&mut self, c: &[CostUpdate]) -> Result<u64> {
        self.inner.update_costs(c)
    }
    fn count(&self) -> Result<u64> {
        self.inner.count()
    }
}

#[test]
fn copy_pushes_only_new_records_resumes_and_never_doubles() {
    let c = cluster();
    let dir = tempfile::tempdir().expect("dir");
    let mut laptop = SqliteLedger::open(dir.path().join("laptop.db")).expect("sqlite");
    let first = records(2_500, "k");
    laptop.insert(&first).expect("insert");
    let mut team = c.ledger();

    // Cut short after the first batch of 1,000 (its cursor is stored with it).
    // The ledger id is stored first (one write), then one batch goes in.
    let mut failing = FailAt {
        inner: &mut team,
        left: 2,
    };
    let e = copy(&mut laptop, &mut failing, 1_000, &mut |_| {}).expect_err("cut short");
    assert!(e.to_string().contains("injected"), "{e}");
    assert_eq!(team.count().expect("count"), 1_000);

    // Run again: it reads the 1,500 after the cursor, stores them, doubles nothing.
    let s = copy(&mut laptop, &mut team, 1_000, &mut |_| {}).expect("resume");
    assert!(s.incremental);
    assert_eq!((s.read, s.inserted, s.duplicates), (1_500, 1_500, 0));
    assert_eq!(team.count().expect("count"), 2_500);
    assert_eq!(
        sorted(all(&team, &Filter::default())),
        sorted(first.clone())
    );

    // A second push adds nothing and reads nothing.
    let s = copy(&mut laptop, &mut team, 1_000, &mut |_| {}).expect("again");
    assert_eq!((s.read, s.inserted), (0, 0));

    // New records on the laptop: only they are read.
    let more = records(10, "new");
    laptop.insert(&more).expect("insert");
    let s = copy(&mut laptop, &mut team, 1_000, &mut |_| {}).expect("new ones");
    assert_eq!((s.read, s.inserted), (10, 10));
    assert_eq!(team.count().expect("count"), 2_510);

    // And back: PostgreSQL keeps no insertion order safe to resume from, so it
    // is read whole; the target's keys keep it from doubling.
    let mut back = SqliteLedger::open(dir.path().join("back.db")).expect("sqlite");
    let s = copy(&mut team, &mut back, 1_000, &mut |_| {}).expect("back");
    assert!(!s.incremental);
    assert_eq!((s.read, s.inserted), (2_510, 2_510));
    let s = copy(&mut team, &mut back, 1_000, &mut |_| {}).expect("back again");
    assert_eq!((s.inserted, s.duplicates), (0, 2_510));
    let mut expected = first;
    expected.extend(more);
    assert_eq!(sorted(all(&back, &Filter::default())), sorted(expected));
}

#[test]
fn a_ledger_is_not_copied_into_itself() {
    let c = cluster();
    let url = c.url(&c.create_db());
    let mut a = llmcost_ledger_postgres::PgLedger::open(&url).expect("a");
    let mut b = llmcost_ledger_postgres::PgLedger::open(&url).expect("b");
    let e = copy(&mut a, &mut b, 10, &mut |_| {}).expect_err("same ledger");
    assert!(e.to_string().contains("same ledger"), "{e}");
}

/// January, February and March 2025: ten records each on the 1st to the 10th,
/// and five more in March on the 20th to the 24th.
fn three_months() -> Vec<UsageRecord> {
    let mut v = Vec::new();
    for month in 1..=3 {
        for day in 1..=10 {
            v.push(record(
                &format!("m{month}:{day}"),
                &format!("2025-{month:02}-{day:02}T12:00:00Z"),
                "m",
                1,
                1,
            ));
        }
    }
    for day in 20..=24 {
        v.push(record(
            &format!("late:{day}"),
            &format!("2025-03-{day:02}T12:00:00Z"),
            "m",
            1,
            1,
        ));
    }
    v
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

#[test]
fn prune_drops_whole_months_and_deletes_the_rest_in_batches_on_postgres() {
    let c = cluster();
    let mut l = c.ledger();
    let all_records = three_months();
    l.insert(&all_records).expect("insert");
    // Before 2025-03-15: January and February whole (20), March 1st to 10th (10) = 30.
    let cut = ts("2025-03-15T00:00:00Z");
    let dry = l.prune(cut, false).expect("dry run").expect("supported");
    assert_eq!(dry.records, 30);
    assert_eq!(dry.partitions, ["records_y2025m01", "records_y2025m02"]);
    assert_eq!(dry.batches, 1, "the ten March records: one batch");
    assert_eq!(l.count().expect("count"), 35, "a dry run changes nothing");
    let done = l.prune(cut, true).expect("prune").expect("supported");
    assert_eq!((done.records, done.batches), (30, 1));
    assert_eq!(l.count().expect("count"), 5);
    let left: Vec<String> = all(&l, &Filter::default())
        .into_iter()
        .map(|r| r.dedup_key)
        .collect();
    assert_eq!(
        left,
        ["late:20", "late:21", "late:22", "late:23", "late:24"]
    );
    {
        let mut client = l.client().expect("client");
        let parts: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_class WHERE relname IN ('records_y2025m01', 'records_y2025m02')",
                &[],
            )
            .expect("parts")
            .get(0);
        assert_eq!(parts, 0, "whole months are dropped");
        let keys: i64 = client
            .query_one("SELECT count(*) FROM record_keys", &[])
            .expect("keys")
            .get(0);
        assert_eq!(keys, 5, "the identities of removed records go too");
        assert_eq!(
            rolled(&mut client),
            [5, 5],
            "the rollups of the pruned hours go too"
        );
    }
    // A record for a pruned month makes its partition again.
    let again = l.insert(&all_records[..1]).expect("insert again");
    assert_eq!(again.inserted, 1);
    // A date inside an hour: that hour's rollup is rebuilt from what is left.
    // Before 2025-03-22T12:30Z: the January record again and late:20, 21, 22 (at 12:00).
    let mid = l
        .prune(ts("2025-03-22T12:30:00Z"), true)
        .expect("prune")
        .expect("supported");
    assert_eq!(mid.records, 4);
    assert_eq!(l.count().expect("count"), 2);
    {
        let mut client = l.client().expect("client");
        assert_eq!(rolled(&mut client), [2, 2]);
    }
    // Nothing before the date: a prune is a no-op.
    let none = l
        .prune(ts("2024-01-01T00:00:00Z"), true)
        .expect("no-op")
        .expect("supported");
    assert_eq!((none.records, none.partitions.len()), (0, 0));
}

#[test]
fn prune_deletes_in_bounded_batches_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let mut l = SqliteLedger::open(dir.path().join("l.db")).expect("sqlite");
    let all_records = three_months();
    l.insert(&all_records).expect("insert");
    let cut = ts("2025-03-15T00:00:00Z");
    let dry = l.prune(cut, false).expect("dry").expect("supported");
    assert_eq!((dry.records, dry.batches), (30, 1));
    assert!(dry.partitions.is_empty());
    assert_eq!(l.count().expect("count"), 35);
    let done = l.prune(cut, true).expect("prune").expect("supported");
    assert_eq!(done.records, 30);
    // What is left reads back whole (its details blocks are kept).
    assert_eq!(all(&l, &Filter::default()), all_records[30..].to_vec());
    let rolled = |l: &SqliteLedger| -> i64 {
        l.connection()
            .query_row("SELECT coalesce(sum(records), 0) FROM rollups", [], |r| {
                r.get(0)
            })
            .expect("rollups")
    };
    assert_eq!(rolled(&l), 5, "the rollups of the pruned hours go too");
    // Inside an hour: late:20 and late:21 (12:00) go, the 12:00 hour of the 21st is rebuilt.
    let mid = l
        .prune(ts("2025-03-21T12:30:00Z"), true)
        .expect("prune")
        .expect("supported");
    assert_eq!(mid.records, 2);
    assert_eq!(rolled(&l), 3);
}

/// Records counted by `rollups` and by `rollups_model`.
fn rolled(client: &mut postgres::Client) -> [i64; 2] {
    ["rollups", "rollups_model"].map(|table| {
        client
            .query_one(
                &format!("SELECT coalesce(sum(records), 0)::bigint FROM {table}"),
                &[],
            )
            .expect("rollups")
            .get(0)
    })
}

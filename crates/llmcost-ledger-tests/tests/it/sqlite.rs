//! The story on SQLite (a file in a temporary directory, and `:memory:`), plus
//! what only SQLite can be asked: corrupt rows and schema versions.

use llmcost_ledger::{Filter, Ledger, LedgerError};
use llmcost_ledger_sqlite::SqliteLedger;
use llmcost_ledger_tests::{record, run_concurrent_story, run_rollup_story, run_story};

#[test]
fn story_in_memory() {
    run_story(|| SqliteLedger::open_in_memory().expect("open"));
}

#[test]
fn story_in_a_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let n = std::cell::Cell::new(0);
    run_story(|| {
        n.set(n.get() + 1);
        SqliteLedger::open(dir.path().join(format!("nested/{}/ledger.db", n.get()))).expect("open")
    });
}

#[test]
fn rollups_sum_like_a_scan() {
    run_rollup_story(|| SqliteLedger::open_in_memory().expect("open"));
    let dir = tempfile::tempdir().expect("tmp");
    let n = std::cell::Cell::new(0);
    run_rollup_story(|| {
        n.set(n.get() + 1);
        SqliteLedger::open(dir.path().join(format!("{}.db", n.get()))).expect("open")
    });
}

#[test]
fn concurrent_writers_never_duplicate() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("ledger.db");
    run_concurrent_story(|| SqliteLedger::open(&path).expect("open"));
}

#[test]
fn corrupt_money_is_reported_with_its_row() {
    let mut l = SqliteLedger::open_in_memory().expect("open");
    l.insert(&[record("x:1", "2025-01-01T00:00:00Z", "gpt-4o", 1, 1)])
        .expect("insert");
    l.connection()
        .execute("UPDATE entries SET cost = '1.2.3'", [])
        .expect("corrupt it");
    let id: i64 = l
        .connection()
        .query_row("SELECT id FROM records", [], |r| r.get(0))
        .expect("id");
    let err = l
        .for_each(&Filter::default(), &mut |_| Ok(()))
        .expect_err("corrupt money must fail");
    match err {
        LedgerError::Corrupt { row, message } => {
            assert_eq!(row, id);
            assert!(
                message.contains("`cost` is not an exact decimal: `1.2.3`"),
                "{message}"
            );
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    l.connection()
        .execute_batch(
            "INSERT INTO strings (s) VALUES ('gold'); \
             UPDATE entries SET cost = '0.5', \
             service_tier = (SELECT id FROM strings WHERE s = 'gold')",
        )
        .expect("corrupt tier");
    let err = l
        .for_each(&Filter::default(), &mut |_| Ok(()))
        .expect_err("unknown tier must fail");
    assert!(
        err.to_string().contains("unknown service tier `gold`"),
        "{err}"
    );
}

#[test]
fn a_second_open_sees_the_first_writers_records() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut a = SqliteLedger::open(dir.path().join("l.db")).expect("open");
    let b = a.reopen().expect("reopen");
    a.insert(&[record("x:1", "2025-01-01T00:00:00Z", "gpt-4o", 1, 1)])
        .expect("insert");
    assert_eq!(b.count().expect("count"), 1);
    let mem = SqliteLedger::open_in_memory().expect("open");
    assert!(matches!(mem.reopen(), Err(LedgerError::Conflict(_))));
}

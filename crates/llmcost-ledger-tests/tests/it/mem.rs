//! The story on [`MemLedger`], the in-memory ledger of other crates' tests.

use llmcost_ledger::{Filter, Ledger, LedgerError};
use llmcost_ledger_tests::{MemLedger, all, record, run_concurrent_story, run_story};

#[test]
fn story() {
    run_story(MemLedger::default);
}

#[test]
fn concurrent_writers_never_duplicate() {
    let shared = MemLedger::default();
    run_concurrent_story(|| shared.clone());
}

#[test]
fn a_failing_ledger_stores_nothing_until_it_recovers() {
    let mut l = MemLedger::default();
    let view = l.clone();
    l.set_failing(true);
    let a = record("x:1", "2025-01-01T00:00:00Z", "gpt-4o", 1, 1);
    assert!(matches!(
        l.insert(std::slice::from_ref(&a)),
        Err(LedgerError::Conflict(_))
    ));
    assert_eq!(view.count().expect("count"), 0);
    l.set_failing(false);
    assert_eq!(
        l.insert(std::slice::from_ref(&a)).expect("insert").inserted,
        1
    );
    assert_eq!(all(&view, &Filter::default()), vec![a]);
}

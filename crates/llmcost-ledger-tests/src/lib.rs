//! The conformance story of the usage ledger: what every [`Ledger`] backend
//! must do, written once over a generic `L: Ledger` (SQLite today, PostgreSQL
//! later).
//!
//! This crate holds no real backend: its integration tests choose them. It
//! panics on failure, like any test helper. [`MemLedger`] is a ledger in
//! memory that passes the story, for tests of code over any [`Ledger`] (with
//! the `tokio` feature it can also wait for records to arrive).
#![deny(missing_docs)]
#![expect(
    clippy::expect_used,
    reason = "a test helper: a failed expectation is a failed test"
)]

mod rollups;

use std::str::FromStr;

mod mem;
pub use mem::MemLedger;

use llmcost_core::{Currency, Decimal, Timestamp, Usage};
use llmcost_ledger::{
    FileProgress, Filter, InsertSummary, LeanRecord, Ledger, LedgerError, UsageRecord,
};

pub use rollups::run_rollup_story;

/// A timestamp from RFC 3339 text.
#[must_use]
pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

/// An exact decimal from text.
#[must_use]
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("valid decimal")
}

/// A record with distinct, easy-to-check fields.
#[must_use]
pub fn record(key: &str, at: &str, model: &str, input: u64, output: u64) -> UsageRecord {
    let mut r = UsageRecord::new(
        key,
        ts(at),
        "jsonl",
        model,
        Usage {
            input,
            output,
            ..Usage::default()
        },
    );
    r.origin = Some("/logs/a.jsonl".into());
    r
}

/// Every record matching `filter`, in the order the ledger returns them.
///
/// # Panics
/// When the ledger fails.
pub fn all<L: Ledger>(l: &L, filter: &Filter) -> Vec<UsageRecord> {
    let mut v = Vec::new();
    l.for_each(filter, &mut |r| {
        v.push(r);
        Ok(())
    })
    .expect("for_each");
    v
}

/// The lean reads of [`Ledger::for_each_lean`] and the lean views of the full
/// records of [`Ledger::for_each`] for `filter`, each sorted (as debug text,
/// which keeps a decimal's scale): the two must be equal.
fn lean_and_full<L: Ledger>(l: &L, filter: &Filter) -> (Vec<String>, Vec<String>) {
    let mut lean = Vec::new();
    l.for_each_lean(filter, &mut |r| {
        lean.push(format!("{r:?}"));
        Ok(())
    })
    .expect("for_each_lean");
    let mut full: Vec<String> = all(l, filter)
        .iter()
        .map(|r| format!("{:?}", LeanRecord::of(r)))
        .collect();
    lean.sort();
    full.sort();
    (lean, full)
}

fn keys<L: Ledger>(l: &L, filter: &Filter) -> Vec<String> {
    all(l, filter).into_iter().map(|r| r.dedup_key).collect()
}

/// The whole story. `make` returns a new, empty ledger each time it is called.
///
/// # Panics
/// On the first behaviour that does not conform.
pub fn run_story<L: Ledger>(make: impl Fn() -> L) {
    idempotent_inserts(&mut make());
    progress_is_atomic(&mut make());
    filters_and_order(&mut make());
    update_costs(&mut make());
    money_is_exact(&mut make());
}

fn idempotent_inserts<L: Ledger>(l: &mut L) {
    assert_eq!(l.count().expect("count"), 0, "a new ledger is empty");
    let mut a = record("k:a", "2025-01-01T00:00:00Z", "gpt-4o", 10, 1);
    a.device = Some("laptop-1".into());
    let b = record("k:b", "2025-01-02T00:00:00Z", "gpt-4o", 20, 2);
    let c = record("k:c", "2025-01-03T00:00:00Z", "deepseek-chat", 30, 3);
    let s = l.insert(&[a.clone(), b.clone()]).expect("insert");
    assert_eq!(
        s,
        InsertSummary {
            inserted: 2,
            duplicates: 0
        }
    );
    let s = l.insert(&[a.clone(), b.clone()]).expect("insert again");
    assert_eq!(
        s,
        InsertSummary {
            inserted: 0,
            duplicates: 2
        },
        "same records twice add nothing"
    );
    // A batch that repeats a key inside itself stores it once.
    let s = l
        .insert(&[c.clone(), c.clone(), a.clone()])
        .expect("insert mixed");
    assert_eq!(
        s,
        InsertSummary {
            inserted: 1,
            duplicates: 2
        }
    );
    assert_eq!(l.count().expect("count"), 3);
    // The first write of a key wins: a later record with the same key changes nothing.
    let mut a2 = a.clone();
    a2.usage.input = 999;
    l.insert(&[a2]).expect("insert changed duplicate");
    assert_eq!(all(l, &Filter::default()), vec![a, b, c]);
    let s = l.insert(&[]).expect("empty insert");
    assert_eq!(s, InsertSummary::default());
}

fn progress_is_atomic<L: Ledger>(l: &mut L) {
    assert_eq!(l.file_progress("/logs/a.jsonl").expect("progress"), None);
    let p1 = FileProgress {
        path: "/logs/a.jsonl".into(),
        offset: 120,
        head_hash: "h1".into(),
        lines: 2,
    };
    let a = record("p:a", "2025-01-01T00:00:00Z", "gpt-4o", 1, 1);
    let b = record("p:b", "2025-01-01T00:01:00Z", "gpt-4o", 2, 2);
    let s = l
        .insert_with_progress(&[a.clone(), b.clone()], &p1)
        .expect("insert with progress");
    assert_eq!(s.inserted, 2);
    assert_eq!(
        l.file_progress("/logs/a.jsonl").expect("progress"),
        Some(p1.clone())
    );

    // A batch the backend refuses (a token count beyond a signed 64-bit integer)
    // stores neither its records nor the progress.
    let c = record("p:c", "2025-01-01T00:02:00Z", "gpt-4o", 3, 3);
    let bad = record("p:bad", "2025-01-01T00:03:00Z", "gpt-4o", u64::MAX, 0);
    let p2 = FileProgress {
        offset: 400,
        lines: 4,
        ..p1.clone()
    };
    let err = l.insert_with_progress(&[c.clone(), bad.clone()], &p2);
    assert!(err.is_err(), "u64::MAX tokens must be refused, got {err:?}");
    assert_eq!(
        l.count().expect("count"),
        2,
        "nothing of the failed batch is stored"
    );
    assert_eq!(
        l.file_progress("/logs/a.jsonl").expect("progress"),
        Some(p1),
        "progress unchanged"
    );
    assert!(l.insert(&[c.clone(), bad]).is_err());
    assert_eq!(l.count().expect("count"), 2, "plain insert is atomic too");

    // Retrying without the bad record moves both forward; progress is replaced.
    let s = l.insert_with_progress(&[b, c], &p2).expect("retry");
    assert_eq!(
        s,
        InsertSummary {
            inserted: 1,
            duplicates: 1
        }
    );
    assert_eq!(
        l.file_progress("/logs/a.jsonl").expect("progress"),
        Some(p2)
    );
    let other = FileProgress {
        path: "/logs/b.jsonl".into(),
        offset: 0,
        head_hash: String::new(),
        lines: 0,
    };
    l.insert_with_progress(&[], &other).expect("progress alone");
    assert_eq!(
        l.file_progress("/logs/b.jsonl").expect("progress"),
        Some(other)
    );
    assert_eq!(l.count().expect("count"), 3);
}

fn filters_and_order<L: Ledger>(l: &mut L) {
    let mut a = record("f:a", "2025-02-01T10:00:00Z", "gpt-4o", 1, 0);
    a.project = Some("web".into());
    a.tags = vec!["team-a".into(), "batch".into()];
    let mut b = record("f:b", "2025-01-31T23:59:59.999Z", "deepseek-chat", 2, 0);
    b.source = "claude-code".into();
    b.key_fingerprint = Some("fp1".into());
    let mut c = record("f:c", "2025-02-28T00:00:00Z", "gpt-4o", 3, 0);
    c.project = Some("api".into());
    c.tags = vec!["team-b".into()];
    let d = record("f:d", "2025-03-01T00:00:00Z", "claude-sonnet-4", 4, 0);
    // Inserted out of time order: reads come back in time order.
    l.insert(&[d.clone(), a.clone(), c.clone(), b.clone()])
        .expect("insert");
    let all_keys = keys(l, &Filter::default());
    assert_eq!(all_keys, ["f:b", "f:a", "f:c", "f:d"]);

    let feb = Filter {
        since: Some(ts("2025-02-01T00:00:00Z")),
        until: Some(ts("2025-03-01T00:00:00Z")),
        ..Filter::default()
    };
    assert_eq!(
        keys(l, &feb),
        ["f:a", "f:c"],
        "since inclusive, until exclusive"
    );
    let models = Filter {
        models: vec!["gpt-4o".into(), "claude-sonnet-4".into()],
        ..Filter::default()
    };
    assert_eq!(keys(l, &models), ["f:a", "f:c", "f:d"]);
    let sources = Filter {
        sources: vec!["claude-code".into()],
        ..Filter::default()
    };
    assert_eq!(keys(l, &sources), ["f:b"]);
    let project = Filter {
        project: Some("api".into()),
        ..Filter::default()
    };
    assert_eq!(keys(l, &project), ["f:c"]);
    let tag = Filter {
        tag: Some("batch".into()),
        ..Filter::default()
    };
    assert_eq!(keys(l, &tag), ["f:a"]);
    let tag_prefix = Filter {
        tag: Some("team".into()),
        ..Filter::default()
    };
    assert!(keys(l, &tag_prefix).is_empty(), "tags match whole");
    let fp = Filter {
        key_fingerprint: Some("fp1".into()),
        ..Filter::default()
    };
    assert_eq!(keys(l, &fp), ["f:b"]);
    let both = Filter {
        models: vec!["gpt-4o".into()],
        project: Some("web".into()),
        since: Some(ts("2025-02-01T10:00:00Z")),
        ..Filter::default()
    };
    assert_eq!(all(l, &both), vec![a]);

    // The unordered walk selects the same records.
    for f in [Filter::default(), feb.clone(), models.clone(), tag.clone()] {
        let mut ordered = keys(l, &f);
        let mut unordered = Vec::new();
        l.for_each_unordered(&f, &mut |r| {
            unordered.push(r.dedup_key);
            Ok(())
        })
        .expect("for_each_unordered");
        ordered.sort();
        unordered.sort();
        assert_eq!(ordered, unordered, "{f:?}");
        // The lean read returns the same data as the full one.
        let (lean, full) = lean_and_full(l, &f);
        assert_eq!(lean.len(), ordered.len(), "{f:?}");
        assert_eq!(lean, full, "{f:?}");
    }

    // An error from the callback stops the walk and is returned.
    let mut seen = 0;
    let r = l.for_each(&Filter::default(), &mut |_| {
        seen += 1;
        if seen == 2 {
            Err(LedgerError::Conflict("stop".into()))
        } else {
            Ok(())
        }
    });
    assert!(matches!(r, Err(LedgerError::Conflict(m)) if m == "stop"));
    assert_eq!(seen, 2);
}

fn update_costs<L: Ledger>(l: &mut L) {
    let a = record("u:a", "2025-01-01T00:00:00Z", "gpt-4o", 1_000_000, 0);
    let b = record("u:b", "2025-01-02T00:00:00Z", "my-model", 5, 5);
    l.insert(&[a, b]).expect("insert");
    let n = l
        .update_costs(&[
            (
                "u:a".into(),
                Some(dec("2.50")),
                Some(Currency::USD),
                Some("gpt-4o@2024-08-06 USD".into()),
            ),
            ("u:b".into(), None, None, None),
            (
                "u:missing".into(),
                Some(dec("1")),
                Some(Currency::USD),
                None,
            ),
        ])
        .expect("update");
    assert_eq!(n, 2, "only stored keys are updated");
    let got = all(l, &Filter::default());
    assert_eq!(got[0].cost, Some(dec("2.50")));
    assert_eq!(got[0].currency, Some(Currency::USD));
    assert_eq!(got[0].price_ref.as_deref(), Some("gpt-4o@2024-08-06 USD"));
    assert_eq!(got[1].cost, None, "unpriced stays NULL, never zero");
    // Repricing changes the cost only.
    assert_eq!(got[0].usage.input, 1_000_000);
    let n = l
        .update_costs(&[("u:a".into(), Some(dec("5")), Some(Currency::CNY), None)])
        .expect("update");
    assert_eq!(n, 1);
    let got = all(
        l,
        &Filter {
            models: vec!["gpt-4o".into()],
            ..Filter::default()
        },
    );
    assert_eq!(
        (got[0].cost, got[0].currency, got[0].price_ref.clone()),
        (Some(dec("5")), Some(Currency::CNY), None)
    );
}

fn money_is_exact<L: Ledger>(l: &mut L) {
    let mut a = record(
        "m:a",
        "2025-01-01T00:00:00Z",
        "deepseek-chat",
        2_753_752,
        3_100_977,
    );
    a.cost = Some(dec("9.0503876"));
    a.currency = Some(Currency::CNY);
    a.billed = Some(dec("0.10"));
    a.billed_currency = Some(Currency::USD);
    let mut b = record("m:b", "2025-01-01T00:00:01Z", "x", 0, 0);
    // 28 significant digits survive; a float would not.
    b.cost = Some(dec("0.1000000000000000000000000001"));
    b.currency = Some(Currency::USD);
    l.insert(&[a.clone(), b.clone()]).expect("insert");
    let got = all(l, &Filter::default());
    assert_eq!(got, vec![a.clone(), b.clone()]);
    let (lean, full) = lean_and_full(l, &Filter::default());
    assert_eq!(lean, full);
    let mut costs = Vec::new();
    l.for_each_lean(&Filter::default(), &mut |r| {
        costs.push((
            r.cost.map(|d| d.to_string()),
            r.currency,
            r.model.to_string(),
        ));
        Ok(())
    })
    .expect("for_each_lean");
    costs.sort();
    assert_eq!(
        costs,
        [
            (
                Some("0.1000000000000000000000000001".to_string()),
                Some(Currency::USD),
                "x".to_string()
            ),
            (
                Some("9.0503876".to_string()),
                Some(Currency::CNY),
                "deepseek-chat".to_string()
            ),
        ],
        "the lean read keeps money exact"
    );
    assert_eq!(
        got[0].billed.map(|d| d.to_string()).as_deref(),
        Some("0.10"),
        "scale kept"
    );
}

/// Two writers on one store insert the same records at the same time: each
/// record is stored once, and the two summaries add up. `open` opens another
/// connection to the same store each time it is called.
///
/// # Panics
/// On duplicates or lost records.
pub fn run_concurrent_story<L: Ledger + 'static>(open: impl Fn() -> L + Sync) {
    const N: u64 = 2_000;
    const BATCH: usize = 100;
    let records: Vec<UsageRecord> = (0..N)
        .map(|i| {
            let at = Timestamp::from_second(1_735_689_600 + i64::try_from(i).expect("small"))
                .expect("valid");
            let mut r = UsageRecord::new(
                format!("c:{i}"),
                at,
                "jsonl",
                "gpt-4o",
                Usage {
                    input: i,
                    ..Usage::default()
                },
            );
            r.line = Some(i + 1);
            r
        })
        .collect();
    let first = open();
    assert_eq!(first.count().expect("count"), 0);
    let summaries: Vec<InsertSummary> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let records = &records;
                let open = &open;
                s.spawn(move || {
                    let mut l = open();
                    let mut total = InsertSummary::default();
                    for (i, chunk) in records.chunks(BATCH).enumerate() {
                        let progress = FileProgress {
                            path: "/logs/shared.jsonl".into(),
                            offset: (i as u64 + 1) * 100,
                            head_hash: format!("writer-{t}"),
                            lines: (i as u64 + 1) * BATCH as u64,
                        };
                        let s = l
                            .insert_with_progress(chunk, &progress)
                            .expect("concurrent insert");
                        total.inserted += s.inserted;
                        total.duplicates += s.duplicates;
                    }
                    total
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect()
    });
    let inserted: u64 = summaries.iter().map(|s| s.inserted).sum();
    let duplicates: u64 = summaries.iter().map(|s| s.duplicates).sum();
    assert_eq!(
        inserted, N,
        "every record stored exactly once: {summaries:?}"
    );
    assert_eq!(duplicates, N);
    assert_eq!(first.count().expect("count"), N);
    let input_sum: u64 = all(&first, &Filter::default())
        .iter()
        .map(|r| r.usage.input)
        .sum();
    assert_eq!(input_sum, N * (N - 1) / 2);
    let p = first
        .file_progress("/logs/shared.jsonl")
        .expect("progress")
        .expect("stored");
    assert_eq!((p.offset, p.lines), (2_000, 2_000));
    // A backend with rollups kept them in step with both writers.
    let q = llmcost_ledger::RollupQuery::default();
    if let Some(rows) = first.rollup(&q).expect("rollup") {
        assert_eq!(
            rows,
            llmcost_ledger::rollup::scan(&first, &q).expect("scan")
        );
        assert_eq!(rows.first().map(|r| r.sums.records), Some(N));
    }
}

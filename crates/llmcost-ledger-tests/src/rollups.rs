//! The rollup story: a backend that keeps hourly rollups answers every query
//! exactly as a scan of its records does ([`rollup::scan`]), after inserts,
//! duplicate inserts and repricing.

use llmcost_core::{Currency, Timestamp, Usage};
use llmcost_ledger::rollup::{self, Dim, RollupQuery, RollupRow};
use llmcost_ledger::{InsertSummary, Ledger, UsageRecord};

use crate::{dec, ts};

#[expect(
    clippy::too_many_arguments,
    reason = "one line per record keeps the hand-worked table readable"
)]
fn rec(
    key: &str,
    at: &str,
    model: &str,
    project: Option<&str>,
    source: &str,
    provider: Option<&str>,
    tags: &[&str],
    key_fp: Option<&str>,
    device: Option<&str>,
    usage: Usage,
    cost: Option<(&str, Currency)>,
) -> UsageRecord {
    let mut r = UsageRecord::new(key, ts(at), source, model, usage);
    r.project = project.map(Into::into);
    r.provider = provider.map(Into::into);
    r.tags = tags.iter().map(|t| (*t).to_string()).collect();
    r.key_fingerprint = key_fp.map(Into::into);
    r.device = device.map(Into::into);
    if let Some((c, cur)) = cost {
        r.cost = Some(dec(c));
        r.currency = Some(cur);
    }
    r
}

fn io(input: u64, output: u64) -> Usage {
    Usage {
        input,
        output,
        ..Usage::default()
    }
}

/// The five records of the story (the hand-worked sums below use them).
fn records() -> Vec<UsageRecord> {
    let usd = Currency::USD;
    vec![
        rec(
            "r:1",
            "2025-03-01T10:05:00Z",
            "gpt-4o",
            Some("p1"),
            "proxy",
            Some("openai"),
            &["a"],
            Some("k1"),
            Some("d1"),
            io(1000, 100),
            Some(("0.0035", usd)),
        ),
        rec(
            "r:2",
            "2025-03-01T10:55:00Z",
            "gpt-4o",
            Some("p1"),
            "proxy",
            Some("openai"),
            &["a", "b"],
            Some("k1"),
            Some("d2"),
            io(2000, 200),
            Some(("0.007", usd)),
        ),
        rec(
            "r:3",
            "2025-03-01T11:00:00Z",
            "claude-sonnet-4",
            Some("p2"),
            "claude-code",
            Some("anthropic"),
            &[],
            None,
            Some("d1"),
            Usage {
                input: 500,
                cache_read: 1000,
                output: 50,
                ..Usage::default()
            },
            Some(("0.00255", usd)),
        ),
        rec(
            "r:4",
            "2025-03-01T11:30:00Z",
            "mystery-model",
            Some("p2"),
            "jsonl",
            None,
            &["b"],
            None,
            None,
            io(300, 30),
            None,
        ),
        rec(
            "r:5",
            "2025-03-02T00:00:00Z",
            "gpt-4o",
            None,
            "proxy",
            Some("openai"),
            &[],
            Some("k2"),
            Some("d2"),
            io(10, 1),
            Some(("0.00003", Currency::EUR)),
        ),
    ]
}

fn rollup_of<L: Ledger>(l: &L, q: &RollupQuery) -> Vec<RollupRow> {
    l.rollup(q)
        .expect("rollup")
        .unwrap_or_else(|| panic!("this backend keeps rollups, yet gave none for {q:?}"))
}

/// The rollup answer of `q` equals the scan's.
fn same_as_scan<L: Ledger>(l: &L, q: &RollupQuery, when: &str) {
    let want = rollup::scan(l, q).expect("scan");
    let got = rollup_of(l, q);
    assert_eq!(got, want, "{when}: {q:?}");
}

/// Queries over every single dimension, some pairs, all, and each filter.
fn queries() -> Vec<RollupQuery> {
    let mut qs = vec![RollupQuery::default()];
    for d in Dim::ALL {
        qs.push(RollupQuery {
            group_by: vec![d],
            ..RollupQuery::default()
        });
    }
    qs.push(RollupQuery {
        group_by: vec![Dim::Hour, Dim::Model],
        ..RollupQuery::default()
    });
    qs.push(RollupQuery {
        group_by: vec![Dim::Tag, Dim::Device],
        ..RollupQuery::default()
    });
    qs.push(RollupQuery {
        group_by: Dim::ALL.to_vec(),
        ..RollupQuery::default()
    });
    let by_model = vec![Dim::Model];
    let filters = [
        RollupQuery {
            since: Some(ts("2025-03-01T11:00:00Z")),
            until: Some(ts("2025-03-02T00:00:00Z")),
            ..RollupQuery::default()
        },
        RollupQuery {
            models: vec!["gpt-4o".into(), "nothing".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            projects: vec!["p2".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            sources: vec!["proxy".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            providers: vec!["openai".into(), "anthropic".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            tags: vec!["b".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            keys: vec!["k1".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            devices: vec!["d2".into()],
            ..RollupQuery::default()
        },
        RollupQuery {
            devices: vec!["d1".into()],
            tags: vec!["a".into()],
            since: Some(ts("2025-03-01T10:00:00Z")),
            ..RollupQuery::default()
        },
    ];
    for f in filters {
        qs.push(f.clone());
        qs.push(RollupQuery {
            group_by: by_model.clone(),
            ..f.clone()
        });
        qs.push(RollupQuery {
            group_by: vec![Dim::Tag, Dim::Hour],
            ..f
        });
    }
    qs
}

/// The whole rollup story: `make` returns a new, empty ledger that keeps
/// rollups ([`Ledger::rollup`] answers whole-hour queries).
///
/// # Panics
/// On the first answer that differs from the scan or from the hand-worked sums.
pub fn run_rollup_story<L: Ledger>(make: impl Fn() -> L) {
    let mut l = make();
    assert_eq!(
        rollup_of(&l, &RollupQuery::default()),
        Vec::new(),
        "an empty ledger has no rollups"
    );
    let rs = records();
    assert_eq!(
        l.insert(&rs).expect("insert"),
        InsertSummary {
            inserted: 5,
            duplicates: 0
        }
    );
    for q in queries() {
        same_as_scan(&l, &q, "after the first insert");
    }
    // Hand-worked total, one row per currency (none first, then EUR, USD):
    //   none: r4, unpriced: 1 record, 300 + 30 = 330 unpriced tokens, cost 0;
    //   EUR:  r5: 0.00003;
    //   USD:  r1 + r2 + r3 = 0.0035 + 0.007 + 0.00255 = 0.01305;
    //         input 1000 + 2000 + 500 = 3500, cache_read 1000, output 100 + 200 + 50 = 350.
    let total = rollup_of(&l, &RollupQuery::default());
    let cur: Vec<Option<Currency>> = total.iter().map(|r| r.currency).collect();
    assert_eq!(cur, [None, Some(Currency::EUR), Some(Currency::USD)]);
    assert_eq!(
        (
            total[0].sums.records,
            total[0].sums.unpriced_records,
            total[0].sums.unpriced_tokens
        ),
        (1, 1, 330)
    );
    assert_eq!(total[0].sums.cost, dec("0"));
    assert_eq!(total[1].sums.cost, dec("0.00003"));
    let usd = &total[2].sums;
    assert_eq!((usd.records, usd.unpriced_records), (3, 0));
    assert_eq!(usd.cost, dec("0.01305"));
    assert_eq!(
        (usd.usage.input, usd.usage.cache_read, usd.usage.output),
        (3500, 1000, 350)
    );
    // By tag: `a` = r1 + r2 = 0.0105 USD; `b` = r2 (0.007 USD) and r4 (unpriced);
    // no tag = r3 (USD) and r5 (EUR). r2 is in both `a` and `b`.
    let by_tag = rollup_of(
        &l,
        &RollupQuery {
            group_by: vec![Dim::Tag],
            ..RollupQuery::default()
        },
    );
    let got: Vec<(Option<&str>, Option<Currency>, u64, String)> = by_tag
        .iter()
        .map(|r| {
            (
                r.tag.as_deref(),
                r.currency,
                r.sums.records,
                r.sums.cost.normalize().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (None, Some(Currency::EUR), 1, "0.00003".to_string()),
            (None, Some(Currency::USD), 1, "0.00255".to_string()),
            (Some("a"), Some(Currency::USD), 2, "0.0105".to_string()),
            (Some("b"), None, 1, "0".to_string()),
            (Some("b"), Some(Currency::USD), 1, "0.007".to_string()),
        ]
    );
    // By hour (UTC): 10:00 holds r1 and r2 (3000 input), 11:00 r3 and r4.
    let by_hour = rollup_of(
        &l,
        &RollupQuery {
            group_by: vec![Dim::Hour],
            ..RollupQuery::default()
        },
    );
    let ten = by_hour
        .iter()
        .find(|r| r.hour == Some(ts("2025-03-01T10:00:00Z")))
        .expect("10:00");
    assert_eq!(
        (ten.sums.records, ten.sums.usage.input, ten.sums.cost),
        (2, 3000, dec("0.0105"))
    );

    // Duplicates add nothing, also from another device; a new record adds itself.
    let mut again = rs.clone();
    for r in &mut again {
        r.device = Some("another-machine".into());
    }
    let r6 = rec(
        "r:6",
        "2025-03-01T10:30:00Z",
        "gpt-4o",
        Some("p1"),
        "proxy",
        Some("openai"),
        &["a"],
        Some("k1"),
        Some("d1"),
        io(1, 0),
        Some(("0.000001", Currency::USD)),
    );
    again.push(r6.clone());
    again.push(r6);
    assert_eq!(
        l.insert(&again).expect("insert again"),
        InsertSummary {
            inserted: 1,
            duplicates: 6
        }
    );
    for q in queries() {
        same_as_scan(&l, &q, "after duplicate inserts");
    }
    let devices = rollup_of(
        &l,
        &RollupQuery {
            group_by: vec![Dim::Device],
            ..RollupQuery::default()
        },
    );
    assert!(
        devices
            .iter()
            .all(|r| r.device.as_deref() != Some("another-machine")),
        "a duplicate keeps the device that stored it first"
    );
    // USD total: 0.01305 + 0.000001 = 0.013051 over 4 records.
    let usd = rollup_of(&l, &RollupQuery::default())
        .into_iter()
        .find(|r| r.currency == Some(Currency::USD))
        .expect("USD row");
    assert_eq!((usd.sums.records, usd.sums.cost), (4, dec("0.013051")));

    // Repricing: r4 gets a USD price, r1 a new one, r5 moves from EUR to USD.
    let n = l
        .update_costs(&[
            (
                "r:4".into(),
                Some(dec("0.00099")),
                Some(Currency::USD),
                None,
            ),
            ("r:1".into(), Some(dec("0.004")), Some(Currency::USD), None),
            (
                "r:5".into(),
                Some(dec("0.00004")),
                Some(Currency::USD),
                None,
            ),
            ("r:none".into(), Some(dec("1")), Some(Currency::USD), None),
        ])
        .expect("reprice");
    assert_eq!(n, 3);
    for q in queries() {
        same_as_scan(&l, &q, "after repricing");
    }
    // Every record is now in USD: 0.004 + 0.007 + 0.00255 + 0.00099 + 0.00004
    // + 0.000001 = 0.014581; 6 records, none unpriced.
    let total = rollup_of(&l, &RollupQuery::default());
    assert_eq!(total.len(), 1);
    assert_eq!(total[0].currency, Some(Currency::USD));
    assert_eq!(
        (
            total[0].sums.records,
            total[0].sums.unpriced_records,
            total[0].sums.cost
        ),
        (6, 0, dec("0.014581"))
    );
    // And back to unpriced: the tokens count as unpriced again.
    l.update_costs(&[("r:4".into(), None, None, None)])
        .expect("unprice");
    for q in queries() {
        same_as_scan(&l, &q, "after unpricing");
    }

    // Bounds inside an hour cannot be answered from hourly sums.
    let inside = RollupQuery {
        since: Some(ts("2025-03-01T10:30:00Z")),
        ..RollupQuery::default()
    };
    assert_eq!(l.rollup(&inside).expect("rollup"), None);
    let nanos = RollupQuery {
        until: Some(
            Timestamp::from_nanosecond(ts("2025-03-01T11:00:00Z").as_nanosecond() + 1)
                .expect("valid"),
        ),
        ..RollupQuery::default()
    };
    assert_eq!(l.rollup(&nanos).expect("rollup"), None);

    // A second ledger filled in many small batches sums the same.
    let mut m = make();
    for r in rs.iter().rev() {
        m.insert(std::slice::from_ref(r)).expect("insert one");
    }
    assert_eq!(
        rollup_of(&m, &RollupQuery::default()),
        rollup_of(&make_filled(make(), &rs), &RollupQuery::default())
    );
}

fn make_filled<L: Ledger>(mut l: L, rs: &[UsageRecord]) -> L {
    l.insert(rs).expect("insert");
    l
}

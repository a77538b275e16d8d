//! The report engine over a temporary SQLite ledger and over log files, with
//! totals worked out by hand from the catalog's list prices.
//!
//! deepseek-chat (USD per million, catalog/deepseek.toml): input (cache miss)
//! 0.27, cache hit 0.07, output 1.10 at peak; half price off-peak (16:30 to
//! 00:30 UTC). So 1M miss + 1M output at 12:00 UTC costs 0.27 + 1.10 = 1.37,
//! the same at 17:00 UTC 1.37 / 2 = 0.685, and 1M cache hits at 12:00 UTC 0.07.

use std::str::FromStr;

use jiff::tz::TimeZone;
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal, Timestamp, Usage};
use llmcost_ledger::{Ledger, UsageRecord};
use llmcost_ledger_sqlite::SqliteLedger;

use super::from_ledger::aggregate_ledger_on;
use super::*;

fn cat() -> &'static Catalog {
    Catalog::builtin().expect("the built-in catalog")
}

fn usd() -> ReportSettings {
    ReportSettings::resolve(None, &[], Some("UTC"), None, None, &[]).expect("settings")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn daily(settings: ReportSettings) -> ReportQuery {
    ReportQuery::new(Period::Daily, settings)
}

/// The three deepseek-chat calls of the module comment, as records, and two
/// more on 2025-03-02: one with a stored USD cost of 1.5 (used as stored),
/// one of a model with no price (10 input tokens, never counted as zero).
fn records() -> Vec<UsageRecord> {
    let miss_and_out = Usage {
        input: 1_000_000,
        output: 1_000_000,
        ..Usage::default()
    };
    let hits = Usage {
        cache_read: 1_000_000,
        ..Usage::default()
    };
    let mut stored = UsageRecord::new(
        "k:4",
        ts("2025-03-02T13:00:00Z"),
        "jsonl",
        "house-model",
        Usage {
            input: 5,
            ..Usage::default()
        },
    );
    stored.cost = Some(dec("1.5"));
    stored.currency = Some(Currency::USD);
    vec![
        UsageRecord::new(
            "k:1",
            ts("2025-03-01T12:00:00Z"),
            "jsonl",
            "deepseek-chat",
            miss_and_out,
        ),
        UsageRecord::new(
            "k:2",
            ts("2025-03-01T17:00:00Z"),
            "jsonl",
            "deepseek-chat",
            miss_and_out,
        ),
        UsageRecord::new(
            "k:3",
            ts("2025-03-02T12:00:00Z"),
            "jsonl",
            "deepseek-chat",
            hits,
        ),
        stored,
        UsageRecord::new(
            "k:5",
            ts("2025-03-02T14:00:00Z"),
            "jsonl",
            "no-such-model",
            Usage {
                input: 10,
                ..Usage::default()
            },
        ),
    ]
}

#[test]
fn a_daily_report_over_a_ledger_sums_by_hand() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut led = SqliteLedger::open(dir.path().join("l.db")).expect("open");
    led.insert(&records()).expect("insert");
    let r = run(cat(), &daily(usd()), Input::Ledger(&led)).expect("report");
    assert_eq!(r.mode, "ledger");
    assert_eq!(r.files, None);
    let rows: Vec<(&str, Decimal, u64)> = r
        .rows
        .iter()
        .map(|x| (x.period.as_str(), x.cost, x.records))
        .collect();
    // 2025-03-01: 1.37 + 0.685 = 2.055; 2025-03-02: 0.07 + 1.5 (stored) = 1.57.
    assert_eq!(
        rows,
        vec![
            ("2025-03-01", dec("2.055"), 2),
            ("2025-03-02", dec("1.57"), 3)
        ]
    );
    // 2.055 + 1.57 = 3.625; tokens 2M + 2M + 1M + 5 + 10.
    assert_eq!(r.totals.cost, dec("3.625"));
    assert_eq!(r.totals.tokens.total_tokens, 5_000_015);
    assert_eq!(r.totals.unpriced_tokens, 10);
    assert_eq!(r.unpriced.len(), 1);
    assert_eq!(r.unpriced[0].model, "no-such-model");
    // Nothing unreadable; the unpriced model is the one issue.
    assert_eq!(r.read_issues.count, 0);
    assert_eq!(r.issues.count, 1);
    // Per million priced tokens on 2025-03-01: 2.055 / 4M × 1M = 0.51375.
    assert_eq!(r.rows[0].cost_per_million, Some(dec("0.51375")));
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["totals"]["cost"], "3.625");
    assert_eq!(json["report"], "daily");
    assert!(json.get("read_issues").is_none());
}

#[test]
fn a_model_report_over_paths_sums_by_hand() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("calls.jsonl");
    // The three calls of the module comment as OpenAI-style bodies
    // (created: 2025-03-01 12:00 and 17:00 UTC, 2025-03-02 12:00 UTC).
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"ds-1","object":"chat.completion","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":1000000,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000000}}"#,
            "\n",
            r#"{"id":"ds-2","object":"chat.completion","created":1740848400,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":1000000,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000000}}"#,
            "\n",
            r#"{"id":"ds-3","object":"chat.completion","created":1740916800,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":0,"prompt_cache_hit_tokens":1000000,"prompt_cache_miss_tokens":0}}"#,
            "\n",
        ),
    )
    .expect("write");
    let q = ReportQuery::new(Period::Model, usd());
    let paths = [file];
    let r = run(
        cat(),
        &q,
        Input::Paths {
            paths: &paths,
            source: None,
        },
    )
    .expect("report");
    assert_eq!(r.mode, "paths");
    assert_eq!(r.files, Some(1));
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].period, "deepseek-chat");
    // 1.37 + 0.685 + 0.07 = 2.125.
    assert_eq!(r.rows[0].cost, dec("2.125"));
    assert_eq!(r.totals.records, 3);
    assert_eq!(r.totals.tokens.input, 2_000_000);
    assert_eq!(r.totals.tokens.cache_read, 1_000_000);
    assert_eq!(r.totals.tokens.output, 2_000_000);
    // --since 2025-03-02 keeps the cache hits only: 0.07.
    let mut s = usd();
    s.since = Some(parse_bound("2025-03-02", &TimeZone::UTC, false, "--since").expect("bound"));
    let r = run(
        cat(),
        &daily(s),
        Input::Paths {
            paths: &paths,
            source: None,
        },
    )
    .expect("report");
    assert_eq!(r.totals.cost, dec("0.07"));
}

#[test]
fn day_labels() {
    // 20,240 days after 1970-01-01: llmcost_core::civil's tests work it out.
    assert_eq!(day_label(0), "1970-01-01");
    assert_eq!(day_label(20_240), "2025-06-01");
}

#[test]
fn a_ledger_read_on_several_threads_sums_like_one() {
    use llmcost_ledger::{Ledger, UsageRecord};
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("l.db");
    let mut led = SqliteLedger::open(&path).expect("open");
    let models = ["gpt-4o-mini", "deepseek-chat", "no-such-model"];
    let recs: Vec<UsageRecord> = (0..3_000u64)
        .map(|i| {
            let mut r = UsageRecord::new(
                format!("k:{i}"),
                Timestamp::from_second(1_735_689_600 + (i as i64) * 3_011).expect("ts"),
                "jsonl",
                models[(i % 3) as usize],
                Usage {
                    input: 1_000 + i,
                    output: 10 * i,
                    ..Usage::default()
                },
            );
            r.session = Some(format!("s{}", i % 7));
            r
        })
        .collect();
    led.insert(&recs).expect("insert");
    let settings = usd();
    let sums = |threads: usize, period: Period| {
        let led = SqliteLedger::open(&path).expect("open");
        let a = aggregate_ledger_on(cat(), &led, period, &settings, threads, 0).expect("agg");
        let mut cells: Vec<_> = a
            .cells
            .iter()
            .map(|((k, m), v)| {
                (
                    format!("{k:?}"),
                    m.to_string(),
                    v.cost,
                    v.usage,
                    v.records,
                    v.unpriced_tokens,
                )
            })
            .collect();
        cells.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        let unpriced: Vec<_> = a
            .unpriced
            .iter()
            .map(|(m, u)| (m.to_string(), u.records))
            .collect();
        (cells, unpriced)
    };
    for period in [Period::Daily, Period::Monthly, Period::Session] {
        let one = sums(1, period);
        assert_eq!(one.1, vec![("no-such-model".to_string(), 1_000)]);
        assert_eq!(sums(3, period), one);
    }
}

//! The end of a holiday calendar (`covers_until` in catalog/schedules.toml):
//! answers priced after it still follow the weekday rule, and say so.
//!
//! Hand figures (catalog/deepseek.toml, row from 2026-08-16 16:00 UTC):
//! deepseek-v4-pro USD peak 1.32 in / 0.044 cache read / 3.96 out, off-peak
//! half (0.66 / 0.022 / 1.98); peak 01:00–04:00 and 06:00–10:00 UTC on Beijing
//! working days. The `cn-statutory` calendar covers Beijing dates up to
//! 2026-12-31, so it ends at 2027-01-01 00:00 Beijing = 2026-12-31 16:00 UTC.
//! * 2026-12-31T15:59:59Z (Thu 23:59:59 Beijing): off-peak, inside.
//! * 2026-12-31T16:00:00Z (Fri 2027-01-01 00:00 Beijing): off-peak, after.
//! * 2027-01-01T02:00:00Z (Fri 10:00 Beijing): peak by the weekday rule, after.

use serde_json::Value;

use crate::{fixture, llmcost};

const INSIDE: &str = "2026-12-31T15:59:59Z";
const AFTER: &str = "2026-12-31T16:00:00Z";
const PEAK_2027: &str = "2027-01-01T02:00:00Z";
const ENDED: &str =
    "the holiday calendar of schedule `deepseek-peak-2026` ends 2026-12-31 (UTC+08:00 dates)";

fn cost(at: &str, format: &str) -> crate::Run {
    llmcost(&[
        "cost",
        "--model",
        "deepseek-v4-pro",
        "--input",
        "1000000",
        "--cache-read",
        "1000000",
        "--output",
        "1000000",
        "--currency",
        "USD",
        "--at",
        at,
        "--format",
        format,
    ])
}

fn warnings(v: &Value) -> Vec<String> {
    v.get("warnings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cost_inside_the_calendar_has_no_warning() {
    // Off-peak: 0.66 + 0.022 + 1.98 = 2.662 USD.
    let v = cost(INSIDE, "json").json();
    assert_eq!(v["total"], "2.662");
    assert_eq!(v["rate_regime"], "off_peak");
    assert!(v.get("warnings").is_none(), "{v}");
    assert!(v["regime"].get("beyond_calendar").is_none(), "{v}");
    let t = cost(INSIDE, "table");
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(!t.stdout.contains("warning:"), "{}", t.stdout);
}

#[test]
fn cost_after_the_calendar_warns() {
    // Off-peak by the window rule, same 2.662 USD, but past the calendar.
    let v = cost(AFTER, "json").json();
    assert_eq!(v["total"], "2.662");
    assert_eq!(v["regime"]["beyond_calendar"], true);
    let w = warnings(&v);
    assert_eq!(w.len(), 1, "{v}");
    assert!(
        w[0].starts_with(&format!("deepseek-v4-pro: {ENDED}")),
        "{}",
        w[0]
    );
    // Peak by the weekday rule: 1.32 + 0.044 + 3.96 = 5.324 USD.
    let v = cost(PEAK_2027, "json").json();
    assert_eq!(v["total"], "5.324");
    assert_eq!(v["rate_regime"], "peak");
    assert_eq!(warnings(&v).len(), 1);
}

#[test]
fn cost_table_and_json_snapshots() {
    let t = cost(PEAK_2027, "table");
    assert_eq!(t.code, 0, "{}", t.stderr);
    insta::assert_snapshot!("calendar_cost_table_2027", t.stdout);
    let j = cost(PEAK_2027, "json");
    assert_eq!(j.code, 0, "{}", j.stderr);
    insta::assert_snapshot!("calendar_cost_json_2027", j.stdout);
}

#[test]
fn estimate_blend_compare_warn_at_an_instant_after() {
    let v = llmcost(&[
        "estimate",
        "--model",
        "deepseek-v4-pro",
        "--total-tokens",
        "1000000",
        "--input-share",
        "0.5",
        "--currency",
        "USD",
        "--at",
        PEAK_2027,
        "--format",
        "json",
    ])
    .json();
    // Peak: 500,000 × 1.32/1M + 500,000 × 3.96/1M = 0.66 + 1.98 = 2.64 USD.
    assert_eq!(v["total"], "2.64");
    assert_eq!(warnings(&v).len(), 1, "{v}");
    let v = llmcost(&[
        "blend",
        "--model",
        "deepseek-v4-pro",
        "--ratio",
        "1:1",
        "--currency",
        "USD",
        "--at",
        PEAK_2027,
        "--format",
        "json",
    ])
    .json();
    assert!(warnings(&v).iter().any(|w| w.contains(ENDED)), "{v}");
    let v = llmcost(&[
        "compare",
        "--model",
        "deepseek-v4-pro",
        "--input",
        "1000",
        "--output",
        "1000",
        "--currency",
        "USD",
        "--at",
        PEAK_2027,
        "--format",
        "json",
    ])
    .json();
    assert!(warnings(&v).iter().any(|w| w.contains(ENDED)), "{v}");
    // The same instant one day earlier (Thu 2026-12-31 10:00 Beijing): no warning.
    let v = llmcost(&[
        "compare",
        "--model",
        "deepseek-v4-pro",
        "--input",
        "1000",
        "--output",
        "1000",
        "--currency",
        "USD",
        "--at",
        "2026-12-31T02:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert!(warnings(&v).is_empty(), "{v}");
}

#[test]
fn prices_at_2027_warns_once() {
    let v = llmcost(&["prices", "deepseek", "--at", PEAK_2027, "--format", "json"]).json();
    let w = warnings(&v);
    assert_eq!(w.len(), 1, "{v}");
    assert!(w[0].starts_with(ENDED), "{}", w[0]);
    let t = llmcost(&["prices", "deepseek", "--at", PEAK_2027]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert_eq!(t.stdout.matches("warning:").count(), 1, "{}", t.stdout);
    let v = llmcost(&["prices", "deepseek", "--at", INSIDE, "--format", "json"]).json();
    assert!(v.get("warnings").is_none(), "{v}");
}

#[test]
fn report_warns_once_per_run() {
    // inside.jsonl: one record at 15:59:59Z, 1M miss + 1M output off-peak:
    // 0.66 + 1.98 = 2.64 USD. after.jsonl adds the same at 16:00:00Z (2.64) and
    // at 2027-01-01 02:00Z (peak 1.32 + 3.96 = 5.28): 10.56 USD.
    let inside = fixture("calendar/inside.jsonl");
    let after = fixture("calendar/after.jsonl");
    let v = llmcost(&["report", "daily", &inside, "--format", "json"]).json();
    assert_eq!(v["totals"]["cost"], "2.64");
    assert!(v.get("warnings").is_none(), "{v}");
    let v = llmcost(&["report", "daily", &after, "--format", "json"]).json();
    assert_eq!(v["totals"]["cost"], "10.56");
    let w = warnings(&v);
    assert_eq!(w.len(), 1, "two records after the end, one warning: {v}");
    assert!(w[0].starts_with(ENDED), "{}", w[0]);
    let t = llmcost(&["report", "daily", &after]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert_eq!(t.stdout.matches("warning:").count(), 1, "{}", t.stdout);
}

#[test]
fn import_warns_once_per_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let ledger = dir.path().join("ledger.db");
    let ledger = ledger.to_str().expect("utf-8");
    let inside = fixture("calendar/inside.jsonl");
    let r = llmcost(&[
        "import", &inside, "--source", "jsonl", "--ledger", ledger, "--format", "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(v.get("warnings").is_none(), "{v}");
    assert!(!r.stderr.contains("holiday calendar"), "{}", r.stderr);
    let after = fixture("calendar/after.jsonl");
    let r = llmcost(&["import", &after, "--source", "jsonl", "--ledger", ledger]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.matches(ENDED).count(), 1, "{}", r.stderr);
}

#[test]
fn forecast_day_crossing_beijing_midnight_warns() {
    let f = |from: &str| {
        llmcost(&[
            "forecast",
            "--model",
            "deepseek-v4-pro",
            "--requests-per-day",
            "10",
            "--input",
            "1000",
            "--output",
            "100",
            "--currency",
            "USD",
            "--from",
            from,
            "--days",
            "1",
            "--format",
            "json",
        ])
        .json()
    };
    // The UTC day 2026-12-30 ends at 2026-12-31 08:00 Beijing: covered.
    assert!(warnings(&f("2026-12-30")).is_empty());
    // The UTC day 2026-12-31 runs to 2027-01-01 08:00 Beijing: past the end.
    let w = warnings(&f("2026-12-31"));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("ends 2026-12-31"), "{}", w[0]);
}

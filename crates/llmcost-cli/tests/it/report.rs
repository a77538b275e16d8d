//! `report` and `reconcile`: straight from log paths, and through a temporary ledger.
//!
//! Fixture `report/claude` (hand-computed, USD list prices):
//! * msg_1 claude-sonnet-4-20250514 at 2025-09-01 23:30 UTC, two content blocks
//!   (output 100, then 1000: the larger is kept): 1000 × $3/M + 1000 × $15/M = 0.018
//! * msg_2 claude-opus-4-20250514 at 2025-09-02 10:00 UTC: 100 × $15/M + 200 × $75/M = 0.0165
//! * msg_3 claude-private-1 (no price) at 2025-09-02 12:00 UTC: 10 in, 10 out, unpriced
//!
//! Fixture `report/deepseek.jsonl`: deepseek-chat, 1M miss + 1M output at 12:00 UTC
//! (peak: 0.27 + 1.10 = 1.37) and 17:00 UTC (off-peak, half: 0.685) on 2025-03-01,
//! and 1M cache hits on 2025-03-02 (0.07). In CNY: 2 + 8 = 10, 5, and 0.5.

use serde_json::Value;

use crate::{fixture, llmcost};

fn claude() -> String {
    fixture("report/claude")
}

fn json(args: &[&str]) -> Value {
    let r = llmcost(args);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

/// Replaces the fixture directory in output.
fn clean(s: &str) -> String {
    s.replace(&fixture(""), "[FIXTURES]/")
}

#[test]
fn daily_json_contract() {
    let v = json(&["report", "daily", &claude(), "--format", "json"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["period"], "2025-09-01");
    assert_eq!(rows[0]["input"], 1000);
    assert_eq!(rows[0]["output"], 1000, "the larger content-block snapshot");
    assert_eq!(rows[0]["cache_read"], 0);
    assert_eq!(rows[0]["cache_write"], 0);
    assert_eq!(rows[0]["cache_write_1h"], 0);
    assert_eq!(rows[0]["cost"], "0.018");
    assert_eq!(rows[0]["currency"], "USD");
    assert_eq!(rows[0]["cost_per_million"], "9");
    assert_eq!(rows[1]["period"], "2025-09-02");
    assert_eq!(rows[1]["cost"], "0.0165");
    assert_eq!(rows[1]["input"], 110);
    assert_eq!(rows[1]["unpriced_tokens"], 20);
    assert_eq!(v["totals"]["cost"], "0.0345");
    assert_eq!(v["totals"]["total_tokens"], 2320);
    assert_eq!(v["totals"]["records"], 3);
    let un = v["unpriced"].as_array().unwrap();
    assert_eq!(un.len(), 1);
    assert_eq!(un[0]["model"], "claude-private-1");
    assert_eq!(un[0]["input"], 10);
    assert_eq!(un[0]["output"], 10);
    assert_eq!(un[0]["total_tokens"], 20);
    assert!(un[0]["reason"].as_str().unwrap().contains("unknown model"));
    assert_eq!(v["mode"], "paths");
    assert_eq!(v["tz"], "UTC");
}

#[test]
fn breakdown_lists_models_per_row() {
    let v = json(&[
        "report",
        "daily",
        "--path",
        &claude(),
        "--breakdown",
        "--format",
        "json",
    ]);
    let m = v["rows"][1]["models"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["model"], "claude-opus-4-20250514");
    assert_eq!(m[0]["cost"], "0.0165");
    assert_eq!(m[1]["model"], "claude-private-1");
    assert_eq!(m[1]["cost"], Value::Null, "unpriced, never 0");
}

#[test]
fn days_are_cut_in_the_time_zone() {
    // 2025-09-01 23:30 UTC is 2025-09-02 08:30 in Tokyo
    let v = json(&[
        "report",
        "daily",
        &claude(),
        "--tz",
        "Asia/Tokyo",
        "--format",
        "json",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["period"], "2025-09-02");
    assert_eq!(rows[0]["cost"], "0.0345");
    assert_eq!(v["tz"], "Asia/Tokyo");
    // the TZ variable does the same when --tz is not given
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(["report", "daily", &claude(), "--format", "json"])
        .env_clear()
        .env("TZ", "Asia/Tokyo")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    // New York: 10:00 UTC is 06:00 on the same day, 23:30 UTC is 19:30 the same day
    let v = json(&[
        "report",
        "daily",
        &claude(),
        "--tz",
        "America/New_York",
        "--format",
        "json",
    ]);
    assert_eq!(v["rows"][0]["period"], "2025-09-01");
    assert_eq!(v["rows"][1]["period"], "2025-09-02");
    let r = llmcost(&["report", "daily", &claude(), "--tz", "Mars/Olympus"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown time zone"), "{}", r.stderr);
}

#[test]
fn since_and_until_take_dates_in_the_zone() {
    let v = json(&[
        "report",
        "daily",
        &claude(),
        "--since",
        "2025-09-02",
        "--format",
        "json",
    ]);
    assert_eq!(v["totals"]["cost"], "0.0165");
    let v = json(&[
        "report",
        "daily",
        &claude(),
        "--until",
        "2025-09-01",
        "--format",
        "json",
    ]);
    assert_eq!(v["totals"]["cost"], "0.018");
}

#[test]
fn each_record_is_priced_at_its_own_time_of_day() {
    let p = fixture("report/deepseek.jsonl");
    let v = json(&["report", "daily", &p, "--format", "json"]);
    assert_eq!(
        v["rows"][0]["cost"], "2.055",
        "1.37 at peak + 0.685 off-peak"
    );
    assert_eq!(v["rows"][1]["cost"], "0.07");
    let v = json(&[
        "report",
        "daily",
        &p,
        "--currency",
        "CNY",
        "--format",
        "json",
    ]);
    assert_eq!(
        v["rows"][0]["cost"], "15",
        "DeepSeek's own CNY list: 10 + 5"
    );
    assert_eq!(v["totals"]["cost"], "15.5");
    assert_eq!(v["totals"]["currency"], "CNY");
}

#[test]
fn another_currency_needs_a_rate() {
    let v = json(&[
        "report",
        "monthly",
        &claude(),
        "--currency",
        "CNY",
        "--format",
        "json",
    ]);
    assert_eq!(v["totals"]["cost"], "0");
    assert_eq!(
        v["unpriced"].as_array().unwrap().len(),
        3,
        "no CNY list for Claude"
    );
    let v = json(&[
        "report",
        "monthly",
        &claude(),
        "--currency",
        "CNY",
        "--fx",
        "USD=7.2",
        "--format",
        "json",
    ]);
    assert_eq!(v["rows"][0]["period"], "2025-09");
    assert_eq!(v["totals"]["cost"], "0.2484", "0.0345 × 7.2");
    assert_eq!(v["fx"][0]["rate"], "7.2");
}

#[test]
fn model_session_and_weekly_rows() {
    let v = json(&["report", "model", &claude(), "--format", "json"]);
    let periods: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        [
            "claude-sonnet-4-20250514",
            "claude-opus-4-20250514",
            "claude-private-1"
        ]
    );
    let v = json(&["report", "session", &claude(), "--format", "json"]);
    assert_eq!(v["rows"][0]["period"], "s1");
    assert_eq!(v["rows"][0]["project"], "web");
    // 2025-09-01 is a Monday
    let v = json(&["report", "weekly", &claude(), "--format", "json"]);
    assert_eq!(v["rows"][0]["period"], "2025-09-01");
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
}

/// Snapshots without the catalog's "closest known" suggestions, which change as models are added.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![(r#"; closest known: [^\n"]*"#, "; closest known: [...]")]}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn report_table() {
    let r = llmcost(&["report", "daily", &claude(), "--breakdown"]);
    // `claude-private-1` has no price: listed as unpriced, exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no price for `claude-private-1`"),
        "{}",
        r.stderr
    );
    snapshot!("report_daily_table", r.stdout);
}

#[test]
fn report_json() {
    let r = llmcost(&[
        "report",
        "daily",
        &claude(),
        "--breakdown",
        "--format",
        "json",
    ]);
    snapshot!("report_daily_json", clean(&r.stdout));
}

#[test]
fn report_csv() {
    let r = llmcost(&[
        "report",
        "daily",
        &claude(),
        "--breakdown",
        "--format",
        "csv",
    ]);
    insta::assert_snapshot!("report_daily_csv", r.stdout);
}

#[test]
fn malformed_lines_are_reported_and_the_rest_counted() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(fixture("report/deepseek.jsonl")).unwrap();
    let p = dir.path().join("x.jsonl");
    std::fs::write(&p, format!("{src}{{\"id\":\"bad\",\"usage\":{{\n")).unwrap();
    let r = llmcost(&["report", "daily", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("x.jsonl:4:"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["totals"]["cost"], "2.125");
    assert_eq!(v["issues"]["count"], 1);
}

#[test]
fn reconcile_explains_each_day() {
    let r = llmcost(&[
        "reconcile",
        &fixture("report/deepseek.jsonl"),
        "--billed",
        &fixture("report/bill.csv"),
        "--format",
        "json",
    ]);
    // The total differs from the bill beyond the default tolerance: exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["ledger_cost"], "2.055");
    assert_eq!(rows[0]["billed"], "2.74");
    assert_eq!(rows[0]["difference"], "-0.685");
    assert_eq!(rows[0]["difference_percent"], "-25");
    assert!(
        rows[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("standard (peak) rates")
    );
    assert!(
        rows[1]["explanation"]
            .as_str()
            .unwrap()
            .contains("cache-read tokens priced as cache misses")
    );
    assert!(
        rows[2]["explanation"]
            .as_str()
            .unwrap()
            .contains("no usage is recorded")
    );
    assert_eq!(v["totals"]["billed"], "3.51");
    let r = llmcost(&[
        "reconcile",
        &fixture("report/deepseek.jsonl"),
        "--billed",
        &fixture("report/bill.csv"),
    ]);
    insta::assert_snapshot!("reconcile_table", r.stdout);
}

#[test]
fn reconcile_an_amount() {
    let v = json(&[
        "reconcile",
        &claude(),
        "--billed",
        "0.0345",
        "--format",
        "json",
    ]);
    assert_eq!(v["rows"][0]["matches"], true);
    assert_eq!(v["rows"][0]["date"], "2025-09-01..2025-09-02");
    let v = json(&["reconcile", &claude(), "--billed", "1", "--format", "json"]);
    assert_eq!(v["rows"][0]["matches"], false);
    assert_eq!(v["totals"]["difference"], "-0.9655");
}

#[test]
fn import_then_report_from_the_ledger_gives_the_same_totals() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let ledger = ledger.to_str().unwrap();
    let r = llmcost(&[
        "import",
        &claude(),
        &fixture("report/deepseek.jsonl"),
        "--ledger",
        ledger,
        "--quiet",
    ]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let from_ledger = json(&["report", "daily", "--ledger", ledger, "--format", "json"]);
    let from_paths = json(&[
        "report",
        "daily",
        &claude(),
        &fixture("report/deepseek.jsonl"),
        "--format",
        "json",
    ]);
    assert_eq!(from_ledger["mode"], "ledger");
    assert_eq!(from_ledger["rows"], from_paths["rows"]);
    assert_eq!(from_ledger["totals"], from_paths["totals"]);
    assert_eq!(from_ledger["totals"]["cost"], "2.1595");
    let bill = json(&[
        "reconcile",
        "--ledger",
        ledger,
        "--billed",
        "2.1595",
        "--format",
        "json",
    ]);
    assert_eq!(bill["rows"][0]["matches"], true);
}

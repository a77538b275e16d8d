//! Issue 13: `report project|provider|source|tag|key|device`, the dimension
//! filters, `--breakdown BY` and `--verbose`, over a ledger of four records
//! priced in USD (hand-worked sums in the comments):
//!
//! | rec | time (UTC)       | model             | project | provider  | source      | tags        | key | device   | cost |
//! |-----|------------------|-------------------|---------|-----------|-------------|-------------|-----|----------|------|
//! | a   | 2025-03-01 10:15 | gpt-4o            | web     | openai    | proxy       | ci          | k1  | laptop-a | 0.5  |
//! | b   | 2025-03-01 23:30 | claude-sonnet-4-0 | api     | anthropic | claude-code | ci, nightly | -   | laptop-b | 1.25 |
//! | c   | 2025-03-02 08:00 | gpt-4o            | web     | openai    | proxy       | -           | k2  | laptop-a | 2    |
//! | d   | 2025-03-02 09:00 | gpt-4o            | -       | openai    | proxy       | nightly     | k1  | laptop-b | 0.25 |

use std::path::PathBuf;
use std::str::FromStr;

use llmcost_core::{Currency, Decimal, Usage};
use llmcost_ledger::{Ledger, UsageRecord};
use llmcost_ledger_sqlite::SqliteLedger;

use crate::{Run, llmcost};

#[expect(
    clippy::too_many_arguments,
    reason = "one record per line of the table"
)]
fn rec(
    key: &str,
    at: &str,
    model: &str,
    project: Option<&str>,
    provider: &str,
    source: &str,
    tags: &[&str],
    key_fp: Option<&str>,
    device: &str,
    input: u64,
    cost: &str,
) -> UsageRecord {
    let mut r = UsageRecord::new(
        key,
        at.parse().expect("time"),
        source,
        model,
        Usage {
            input,
            output: input / 10,
            ..Usage::default()
        },
    );
    r.project = project.map(Into::into);
    r.provider = Some(provider.into());
    r.tags = tags.iter().map(|t| (*t).to_string()).collect();
    r.key_fingerprint = key_fp.map(Into::into);
    r.device = Some(device.into());
    r.cost = Some(Decimal::from_str(cost).expect("cost"));
    r.currency = Some(Currency::USD);
    r
}

/// A ledger with the four records, in a temporary directory.
fn ledger() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("ledger.db");
    let mut l = SqliteLedger::open(&path).expect("open");
    l.insert(&[
        rec(
            "a",
            "2025-03-01T10:15:00Z",
            "gpt-4o",
            Some("web"),
            "openai",
            "proxy",
            &["ci"],
            Some("k1"),
            "laptop-a",
            1000,
            "0.5",
        ),
        rec(
            "b",
            "2025-03-01T23:30:00Z",
            "claude-sonnet-4-0",
            Some("api"),
            "anthropic",
            "claude-code",
            &["ci", "nightly"],
            None,
            "laptop-b",
            2000,
            "1.25",
        ),
        rec(
            "c",
            "2025-03-02T08:00:00Z",
            "gpt-4o",
            Some("web"),
            "openai",
            "proxy",
            &[],
            Some("k2"),
            "laptop-a",
            3000,
            "2",
        ),
        rec(
            "d",
            "2025-03-02T09:00:00Z",
            "gpt-4o",
            None,
            "openai",
            "proxy",
            &["nightly"],
            Some("k1"),
            "laptop-b",
            4000,
            "0.25",
        ),
    ])
    .expect("insert");
    (dir, path)
}

fn report(path: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--ledger", path.to_str().expect("utf-8")]);
    llmcost(&all)
}

#[test]
fn every_dimension_is_a_report() {
    let (_d, path) = ledger();
    // Rows by cost, highest first; the totals count each record once (4 = 0.5 + 1.25 + 2 + 0.25).
    let expect: [(&str, &[(&str, &str)]); 6] = [
        ("project", &[("web", "2.5"), ("api", "1.25"), ("-", "0.25")]),
        ("provider", &[("openai", "2.75"), ("anthropic", "1.25")]),
        ("source", &[("proxy", "2.75"), ("claude-code", "1.25")]),
        ("tag", &[("-", "2"), ("ci", "1.75"), ("nightly", "1.5")]),
        ("key", &[("k2", "2"), ("-", "1.25"), ("k1", "0.75")]),
        ("device", &[("laptop-a", "2.5"), ("laptop-b", "1.5")]),
    ];
    for (dim, rows) in expect {
        let v = report(&path, &[dim, "--format", "json"]).json();
        assert_eq!(v["report"], dim);
        let got: Vec<(String, String)> = v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["period"].as_str().expect("period").to_string(),
                    r["cost"].as_str().expect("cost").to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = rows
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
        assert_eq!(got, want, "report {dim}");
        assert_eq!(v["totals"]["cost"], "4", "report {dim}");
        assert_eq!(v["totals"]["records"], 4, "report {dim}");
    }
}

#[test]
fn filters_are_repeatable_and_combine() {
    let (_d, path) = ledger();
    // --device laptop-b: b + d = 1.5; with --tag ci: b = 1.25.
    let v = report(
        &path,
        &["monthly", "--device", "laptop-b", "--format", "json"],
    )
    .json();
    assert_eq!(v["totals"]["cost"], "1.5");
    let v = report(
        &path,
        &[
            "monthly", "--device", "laptop-b", "--tag", "ci", "--format", "json",
        ],
    )
    .json();
    assert_eq!(v["totals"]["cost"], "1.25");
    // --project web --project api: a + b + c = 3.75; --provider openai --key k1: a + d = 0.75.
    let v = report(
        &path,
        &[
            "model",
            "--project",
            "web",
            "--project",
            "api",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(v["totals"]["cost"], "3.75");
    let v = report(
        &path,
        &[
            "daily",
            "--provider",
            "openai",
            "--key",
            "k1",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(v["totals"]["cost"], "0.75");
    // --source claude (the format name) selects the claude-code records: b.
    let v = report(&path, &["daily", "--source", "claude", "--format", "json"]).json();
    assert_eq!(v["totals"]["cost"], "1.25");
}

#[test]
fn verbose_says_which_path_answered() {
    let (_d, path) = ledger();
    let r = report(&path, &["monthly", "--verbose"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("report: answered from the ledger's hourly rollups"),
        "{}",
        r.stderr
    );
    let r = report(&path, &["daily", "--tz", "Asia/Kolkata", "-v"]);
    assert!(
        r.stderr.contains(
            "report: every record was read: the zone Asia/Kolkata is not a whole number of hours from UTC"
        ),
        "{}",
        r.stderr
    );
    let r = report(&path, &["session", "--verbose"]);
    assert!(
        r.stderr.contains("every record was read: session reports"),
        "{}",
        r.stderr
    );
    let r = report(
        &path,
        &["daily", "--since", "2025-03-01T10:30:00Z", "--verbose"],
    );
    assert!(r.stderr.contains("inside an hour"), "{}", r.stderr);
}

#[test]
fn report_tag_breakdown_device_table() {
    let (_d, path) = ledger();
    let r = report(&path, &["tag", "--breakdown", "device"]);
    insta::assert_snapshot!("report_tag_breakdown_device_table", r.snapshot());
}

#[test]
fn report_project_json() {
    let (_d, path) = ledger();
    let r = report(
        &path,
        &["project", "--breakdown", "tag", "--format", "json"],
    );
    insta::assert_snapshot!("report_project_breakdown_tag_json", r.snapshot());
}

#[test]
fn report_device_csv() {
    let (_d, path) = ledger();
    let r = report(
        &path,
        &["daily", "--breakdown", "device", "--format", "csv"],
    );
    insta::assert_snapshot!("report_daily_breakdown_device_csv", r.snapshot());
}

#[test]
fn a_bare_breakdown_before_a_path_still_means_models() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("calls.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"x1\",\"created\":1740830400,\"model\":\"gpt-4o-2024-08-06\",\"usage\":{\"prompt_tokens\":1000000,\"completion_tokens\":0}}\n",
    )
    .expect("write");
    let r = llmcost(&[
        "report",
        "daily",
        "--breakdown",
        file.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let v = r.json();
    // 1M input at 2.50 per million.
    assert_eq!(v["rows"][0]["models"][0]["cost"], "2.5");
}

#[test]
fn dimensions_from_log_paths() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("projects/shop/s1.jsonl");
    std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &p,
        concat!(
            r#"{"type":"assistant","timestamp":"2025-06-01T10:00:00Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":100000,"output_tokens":0}}}"#,
            "\n"
        ),
    )
    .expect("write");
    let v = llmcost(&[
        "report",
        "project",
        p.to_str().expect("utf-8"),
        "--source",
        "claude",
        "--format",
        "json",
    ])
    .json();
    // The folder under projects/ is the project; 100,000 input tokens at 3 per
    // million (below the 200,000-token long-context tier) = 0.3.
    assert_eq!(v["rows"][0]["period"], "shop");
    assert_eq!(v["rows"][0]["cost"], "0.3");
    let v = llmcost(&[
        "report",
        "device",
        p.to_str().expect("utf-8"),
        "--source",
        "claude",
        "--format",
        "json",
    ])
    .json();
    // Log files read here belong to this machine.
    assert_eq!(
        v["rows"][0]["device"],
        llmcost_app::device::import_device(None).as_str()
    );
    let v = llmcost(&[
        "report",
        "source",
        p.to_str().expect("utf-8"),
        "--source",
        "claude",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(v["rows"][0]["period"], "claude-code");
}

//! Table and JSON output, guarded by insta snapshots (review with `cargo insta review`).

use crate::llmcost;

fn out(args: &[&str]) -> String {
    let r = llmcost(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

const S1: &[&str] = &[
    "cost",
    "--model",
    "deepseek-chat",
    "--at",
    "2025-01-15T12:00:00Z",
    "--currency",
    "CNY",
    "--cache-read",
    "946816",
    "--input",
    "2753752",
    "--output",
    "3100977",
];

#[test]
fn cost_table() {
    insta::assert_snapshot!("cost_table", out(S1));
}

#[test]
fn cost_json() {
    let mut a = S1.to_vec();
    a.extend(["--format", "json"]);
    insta::assert_snapshot!("cost_json", out(&a));
}

#[test]
fn estimate_table_with_bill() {
    insta::assert_snapshot!(
        "estimate_table",
        out(&[
            "estimate",
            "--model",
            "mistral-small-2409",
            "--at",
            "2024-12-01T00:00:00Z",
            "--total-tokens",
            "1022407",
            "--input-share",
            "1/3",
            "--billed",
            "0.43",
        ])
    );
}

#[test]
fn compare_table() {
    insta::assert_snapshot!(
        "compare_table",
        out(&[
            "compare",
            "--model",
            "gpt-4",
            "gpt-4o",
            "mistral-medium-3.1",
            "--ratio",
            "3:1",
            "--at",
            "2025-10-01T00:00:00Z"
        ])
    );
}

#[test]
fn blend_and_forecast_tables() {
    insta::assert_snapshot!(
        "blend_table",
        out(&[
            "blend",
            "--model",
            "mistral-medium-3.1",
            "deepseek-chat",
            "--ratio",
            "3:1",
            "--at",
            "2025-10-01T00:00:00Z"
        ])
    );
    insta::assert_snapshot!(
        "forecast_table",
        out(&[
            "forecast",
            "--model",
            "mistral-medium-3.1",
            "--requests-per-day",
            "1000",
            "--input",
            "10000",
            "--output",
            "1000",
            "--at",
            "2025-10-01T00:00:00Z",
        ])
    );
}

#[test]
fn prices_history_table_and_json() {
    insta::assert_snapshot!(
        "prices_history_deepseek_reasoner",
        out(&[
            "prices",
            "deepseek-reasoner",
            "--history",
            "--at",
            "2025-10-01T00:00:00Z"
        ])
    );
    insta::assert_snapshot!(
        "prices_json_grok2",
        out(&[
            "prices",
            "grok-2-1212",
            "--history",
            "--at",
            "2025-10-01T00:00:00Z",
            "--format",
            "json"
        ])
    );
}

#[test]
fn usage_lines_table() {
    let path = crate::fixture("mixed.jsonl");
    let r = llmcost(&["cost", "--usage", &path]);
    insta::assert_snapshot!("usage_lines_table", r.stdout);
}

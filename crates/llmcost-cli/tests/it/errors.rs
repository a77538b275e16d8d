//! Bad input: a clear message on stderr, a non-zero exit, never a panic or a made-up price.
//! Exit codes: 2 for a usage or configuration error, 3 for a failure (README, "Exit codes").

use crate::llmcost;

fn fails(args: &[&str], code: i32, needle: &str) {
    let r = llmcost(args);
    assert_eq!(
        r.code, code,
        "args {args:?}\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.is_empty(), "no data on failure: {}", r.stdout);
    assert!(
        r.stderr.contains(needle),
        "stderr of {args:?} should contain `{needle}`:\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn unknown_model_names_the_closest_ids() {
    fails(
        &[
            "cost",
            "--model",
            "deepseek-chta",
            "--input",
            "1",
            "--at",
            "2025-03-01T00:00:00Z",
        ],
        2,
        "unknown model `deepseek-chta`; closest known: `deepseek-chat`",
    );
}

#[test]
fn negative_and_fractional_tokens() {
    fails(
        &["cost", "--model", "gpt-4o", "--input", "-5"],
        2,
        "cannot be negative",
    );
    fails(
        &["cost", "--model", "gpt-4o", "--input", "1.5"],
        2,
        "not a whole number",
    );
}

#[test]
fn no_tokens_at_all() {
    fails(&["cost", "--model", "gpt-4o"], 2, "no tokens given");
}

#[test]
fn before_the_model_existed() {
    fails(
        &[
            "cost",
            "--model",
            "gpt-5",
            "--input",
            "1",
            "--at",
            "2024-01-01T00:00:00Z",
        ],
        2,
        "has no price before 2025-08-07",
    );
}

#[test]
fn retired_alias_names_its_successor() {
    fails(
        &[
            "cost",
            "--model",
            "deepseek-chat",
            "--input",
            "1",
            "--at",
            "2026-08-01T00:00:00Z",
        ],
        2,
        "successor is `deepseek-v4-flash`",
    );
}

#[test]
fn currency_without_a_list_needs_a_rate() {
    fails(
        &[
            "cost",
            "--model",
            "mistral-large-2411",
            "--input",
            "1",
            "--currency",
            "CNY",
            "--at",
            "2025-03-01T00:00:00Z",
        ],
        2,
        "--fx USD=RATE",
    );
    fails(
        &[
            "cost",
            "--model",
            "gpt-4o",
            "--input",
            "1",
            "--currency",
            "ZZ",
        ],
        2,
        "not a currency code",
    );
}

#[test]
fn bad_time_and_share_and_ratio() {
    fails(
        &[
            "cost",
            "--model",
            "gpt-4o",
            "--input",
            "1",
            "--at",
            "yesterday",
        ],
        2,
        "is not a time",
    );
    fails(
        &[
            "estimate",
            "--model",
            "gpt-4o",
            "--total-tokens",
            "10",
            "--input-share",
            "1.5",
        ],
        2,
        "outside [0, 1]",
    );
    fails(
        &[
            "estimate",
            "--model",
            "gpt-4o",
            "--total-tokens",
            "10",
            "--input-share",
            "abc",
        ],
        2,
        "is not a share",
    );
    fails(
        &["blend", "--model", "gpt-4o", "--ratio", "3-1"],
        2,
        "is not IN:OUT",
    );
}

#[test]
fn a_bill_no_split_can_explain() {
    let r = llmcost(&[
        "estimate",
        "--model",
        "mistral-small-2409",
        "--at",
        "2024-12-01T00:00:00Z",
        "--total-tokens",
        "1000000",
        "--input-share",
        "1/3",
        "--billed",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no split explains the bill"),
        "{}",
        r.stderr
    );
    // The JSON still says so.
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["explained"], false);
    assert!(v["implied_input_share"].is_null());
}

#[test]
fn unrecognised_usage_body_says_what_was_expected() {
    let r = crate::llmcost_stdin(
        &["cost", "--usage", "-", "--model", "gpt-4o"],
        Some(r#"{"hello": "world"}"#),
    );
    // Input that cannot be read at all: the command failed.
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("error:"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn missing_usage_file() {
    fails(
        &["cost", "--usage", "/nonexistent/usage.json"],
        2,
        "cannot read /nonexistent/usage.json",
    );
}

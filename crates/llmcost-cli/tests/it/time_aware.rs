//! Usage is priced at the price in force at its instant.

use crate::{llmcost, s};

fn total(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let v = llmcost(&a).json();
    s(&v, "total").to_string()
}

#[test]
fn gpt_4o_alias_moved_on_2024_10_02() {
    let base = [
        "cost", "--model", "gpt-4o", "--input", "1000000", "--output", "1000000", "--at",
    ];
    let mut before = base.to_vec();
    before.push("2024-09-01T00:00:00Z");
    let v = llmcost(&[before.as_slice(), &["--format", "json"]].concat()).json();
    assert_eq!(s(&v, "resolved_model"), "gpt-4o-2024-05-13");
    assert_eq!(s(&v, "total"), "20");
    let mut after = base.to_vec();
    after.push("2024-11-01T00:00:00Z");
    let v = llmcost(&[after.as_slice(), &["--format", "json"]].concat()).json();
    assert_eq!(s(&v, "resolved_model"), "gpt-4o-2024-08-06");
    assert_eq!(s(&v, "total"), "12.5");
}

#[test]
fn deepseek_2025_night_discount() {
    let args = |at: &'static str| {
        vec![
            "cost",
            "--model",
            "deepseek-chat",
            "--currency",
            "CNY",
            "--input",
            "1000000",
            "--cache-read",
            "1000000",
            "--output",
            "1000000",
            "--at",
            at,
        ]
    };
    // Standard 2 + 0.5 + 8; off-peak (16:30–00:30 UTC) 1 + 0.25 + 4.
    assert_eq!(total(&args("2025-03-10T10:00:00Z")), "10.5");
    assert_eq!(total(&args("2025-03-10T16:30:00Z")), "5.25");
    assert_eq!(total(&args("2025-03-11T00:29:59Z")), "5.25");
    assert_eq!(total(&args("2025-03-11T00:30:00Z")), "10.5");
    // Before 2025-02-26 16:30 UTC the discount did not exist yet.
    assert_eq!(total(&args("2025-02-20T18:00:00Z")), "10.5");
    // deepseek-reasoner USD off-peak uses the listed 0.135 / 0.035 / 0.55.
    let v = llmcost(&[
        "cost",
        "--model",
        "deepseek-reasoner",
        "--input",
        "1000000",
        "--cache-read",
        "1000000",
        "--output",
        "1000000",
        "--at",
        "2025-04-01T20:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "0.72");
    assert_eq!(v["regime"]["off_peak"], true);
}

#[test]
fn deepseek_2026_peak_and_off_peak() {
    let args = |at: &'static str| {
        vec![
            "cost",
            "--model",
            "deepseek-v4-pro",
            "--currency",
            "USD",
            "--input",
            "1000000",
            "--output",
            "1000000",
            "--at",
            at,
        ]
    };
    // Tuesday 2026-09-08: 02:00 UTC is peak (1.32 + 3.96), 05:00 UTC off-peak (0.66 + 1.98).
    assert_eq!(total(&args("2026-09-08T02:00:00Z")), "5.28");
    assert_eq!(total(&args("2026-09-08T05:00:00Z")), "2.64");
    // Saturday 2026-09-12 at 02:00 UTC: weekends are off-peak from 2026-08-23.
    assert_eq!(total(&args("2026-09-12T02:00:00Z")), "2.64");
    // National Day, Thursday 2026-10-01, 02:00 UTC: a Chinese statutory holiday.
    assert_eq!(total(&args("2026-10-01T02:00:00Z")), "2.64");
}

#[test]
fn legacy_name_billed_as_its_successor() {
    // From 2026-09-10 04:00 UTC `deepseek-v4-flash` is billed as `deepseek-flash`.
    let v = llmcost(&[
        "cost",
        "--model",
        "deepseek-v4-flash",
        "--input",
        "1000000",
        "--at",
        "2026-09-15T05:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "resolved_model"), "deepseek-flash");
    assert_eq!(s(&v, "total"), "0.15");
}

#[test]
fn provider_prefix_is_accepted() {
    assert_eq!(
        total(&[
            "cost",
            "--model",
            "deepseek/deepseek-chat",
            "--input",
            "1000000",
            "--at",
            "2025-10-01T00:00:00Z"
        ]),
        "0.28"
    );
}

#[test]
fn cny_and_usd_lists_are_independent() {
    let usd = total(&[
        "cost",
        "--model",
        "deepseek-chat",
        "--input",
        "1000000",
        "--at",
        "2025-10-01T00:00:00Z",
        "--currency",
        "USD",
    ]);
    let cny = total(&[
        "cost",
        "--model",
        "deepseek-chat",
        "--input",
        "1000000",
        "--at",
        "2025-10-01T00:00:00Z",
        "--currency",
        "CNY",
    ]);
    assert_eq!(usd, "0.28");
    assert_eq!(cny, "2");
}

#[test]
fn explicit_fx_converts_and_says_so() {
    let v = llmcost(&[
        "cost",
        "--model",
        "mistral-large-2411",
        "--input",
        "1000000",
        "--currency",
        "EUR",
        "--fx",
        "USD=0.9",
        "--at",
        "2025-03-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "1.8");
    assert_eq!(s(&v, "currency"), "EUR");
    assert_eq!(s(&v["fx"], "rate"), "0.9");
    assert_eq!(s(&v["fx"], "list_total"), "2");
}

#[test]
fn anthropic_long_context_and_batch() {
    // Sonnet 4.5: 250k input > 200k → 6 / 22.50 for every token.
    let v = llmcost(&[
        "cost",
        "--model",
        "claude-sonnet-4-5-20250929",
        "--input",
        "250000",
        "--output",
        "10000",
        "--at",
        "2025-11-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(v["regime"]["long_context"], true);
    assert_eq!(s(&v, "total"), "1.725");
    let v = llmcost(&[
        "cost",
        "--model",
        "claude-sonnet-4-5-20250929",
        "--input",
        "100000",
        "--output",
        "10000",
        "--batch",
        "--at",
        "2025-11-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    // (100000×3 + 10000×15)/1M × 0.5 = 0.225
    assert_eq!(s(&v, "total"), "0.225");
}

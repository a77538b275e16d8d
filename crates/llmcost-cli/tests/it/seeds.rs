//! Seed scenarios (shared/reference/seed-scenarios.md): exact expected answers.

use crate::{llmcost, s};

#[test]
fn s1_deepseek_day_in_cny_at_the_v3_promo_price() {
    let v = llmcost(&[
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
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "9.0503876");
    assert_eq!(s(&v, "currency"), "CNY");
    let items = v["items"].as_array().expect("items");
    let cost = |b: &str| {
        items
            .iter()
            .find(|i| i["bucket"] == b)
            .map(|i| {
                (
                    i["rate_per_million"].as_str().unwrap().to_string(),
                    i["cost"].as_str().unwrap().to_string(),
                )
            })
            .expect(b)
    };
    assert_eq!(cost("cache_read"), ("0.1".into(), "0.0946816".into()));
    assert_eq!(cost("input"), ("1".into(), "2.753752".into()));
    assert_eq!(cost("output"), ("2".into(), "6.201954".into()));
    assert!(s(&v["price"], "source").starts_with("https://"));
}

#[test]
fn s1_same_usage_after_the_promo_costs_30_788728() {
    let v = llmcost(&[
        "cost",
        "--model",
        "deepseek-chat",
        "--at",
        "2025-02-09T12:00:00Z",
        "--currency",
        "CNY",
        "--cache-read",
        "946816",
        "--input",
        "2753752",
        "--output",
        "3100977",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "30.788728");
}

#[test]
fn s2_month_of_deepseek_from_recorded_usage() {
    // Three days of DeepSeek responses in January 2025 (CNY promo list 1 / 0.1 / 2).
    let lines = [
        r#"{"id":"a","object":"chat.completion","created":1736035200,"model":"deepseek-chat","usage":{"prompt_tokens":3700568,"completion_tokens":3100977,"total_tokens":6801545,"prompt_cache_hit_tokens":946816,"prompt_cache_miss_tokens":2753752}}"#,
        r#"{"id":"b","object":"chat.completion","created":1736121600,"model":"deepseek-chat","usage":{"prompt_tokens":2000000,"completion_tokens":1000000,"total_tokens":3000000,"prompt_cache_hit_tokens":1000000,"prompt_cache_miss_tokens":1000000}}"#,
        r#"{"id":"c","object":"chat.completion","created":1736208000,"model":"deepseek-chat","usage":{"prompt_tokens":4000000,"completion_tokens":1198455,"total_tokens":5198455,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":4000000}}"#,
    ];
    let input = lines.join("\n") + "\n";
    let run = crate::llmcost_stdin(
        &[
            "cost",
            "--usage",
            "-",
            "--currency",
            "CNY",
            "--format",
            "json",
        ],
        Some(&input),
    );
    let v = run.json();
    // Day 1: 9.0503876. Day 2: 0.1 + 1 + 2 = 3.1. Day 3: 4 + 2.39691 = 6.39691.
    assert_eq!(s(&v, "total"), "18.5472976");
    assert_eq!(v["records"], 3);
    assert_eq!(v["usage"]["total_tokens"], 15_000_000);
    assert_eq!(s(&v["models"][0], "model"), "deepseek-chat");
}

#[test]
fn s3_mistral_large_day() {
    let v = llmcost(&[
        "cost",
        "--model",
        "mistral-large-2411",
        "--at",
        "2025-06-01T00:00:00Z",
        "--input",
        "297429",
        "--output",
        "474855",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "3.443988");
    assert_eq!(s(&v, "currency"), "USD");
    assert_eq!(s(&v["items"][0], "cost"), "0.594858");
    assert_eq!(s(&v["items"][1], "cost"), "2.84913");
}

#[test]
fn s4_estimate_and_reconcile_with_the_bill() {
    let v = llmcost(&[
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
        "--format",
        "json",
    ])
    .json();
    assert_eq!(v["input_tokens"], 340_802);
    assert_eq!(v["output_tokens"], 681_605);
    assert_eq!(s(&v, "total"), "0.4771234");
    assert_eq!(s(&v, "currency"), "USD");
    assert_eq!(s(&v, "billed"), "0.43");
    assert_eq!(s(&v, "difference"), "0.0471234");
    assert_eq!(s(&v, "difference_percent"), "10.9589");
    assert_eq!(s(&v, "implied_input_tokens"), "458610.5");
    assert_eq!(s(&v, "implied_input_share"), "0.44856");
}

#[test]
fn s4_share_forms_agree() {
    for share in ["0.25", "25%", "1/4"] {
        let v = llmcost(&[
            "estimate",
            "--model",
            "mistral-small-2409",
            "--at",
            "2024-12-01T00:00:00Z",
            "--total-tokens",
            "1000000",
            "--input-share",
            share,
            "--format",
            "json",
        ])
        .json();
        assert_eq!(v["input_tokens"], 250_000, "{share}");
        // 250000×0.2 + 750000×0.6 per 1M = 0.5
        assert_eq!(s(&v, "total"), "0.5");
        assert!(v.get("billed").is_none());
    }
}

#[test]
fn s5_blended_price_at_3_to_1() {
    let v = llmcost(&[
        "blend",
        "--model",
        "mistral-medium-3.1",
        "--ratio",
        "3:1",
        "--at",
        "2025-10-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v["rows"][0], "model"), "mistral-medium-3.1");
    assert_eq!(s(&v["rows"][0], "price_per_million"), "0.8");
    assert_eq!(s(&v["rows"][0], "currency"), "USD");
}

#[test]
fn s6_compare_at_3_to_1() {
    let v = llmcost(&[
        "compare",
        "--model",
        "gpt-4",
        "gpt-4o",
        "mistral-medium-3.1",
        "--ratio",
        "3:1",
        "--at",
        "2025-10-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    let rows = v["rows"].as_array().expect("rows");
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (s(r, "model"), s(r, "total"), s(r, "ratio")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("mistral-medium-3.1", "0.8", "1"),
            ("gpt-4o", "4.375", "5.46875"),
            ("gpt-4", "37.5", "46.875"),
        ]
    );
}

#[test]
fn s6_compare_with_explicit_workload_and_reference() {
    let v = llmcost(&[
        "compare",
        "--model",
        "gpt-4",
        "mistral-medium-3.1",
        "--input",
        "3000000",
        "--output",
        "1000000",
        "--reference",
        "gpt-4",
        "--at",
        "2025-10-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "reference"), "gpt-4");
    assert_eq!(s(&v["rows"][0], "total"), "3.2");
    assert_eq!(s(&v["rows"][0], "ratio"), "0.021333");
    assert_eq!(s(&v["rows"][1], "total"), "150");
    assert_eq!(s(&v["rows"][1], "ratio"), "1");
}

#[test]
fn s7_forecast() {
    let v = llmcost(&[
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
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "daily_total"), "6");
    assert_eq!(s(&v, "period_total"), "180");
    assert_eq!(s(&v, "currency"), "USD");
}

#[test]
fn s7_forecast_with_cache_hit_rate_shows_the_saving() {
    // deepseek-chat 2025-10-01 (V3.2): 0.28 miss / 0.028 hit / 0.42 out.
    let v = llmcost(&[
        "forecast",
        "--model",
        "deepseek-chat",
        "--requests-per-day",
        "1000",
        "--input",
        "10000",
        "--output",
        "1000",
        "--cache-hit-rate",
        "50%",
        "--days",
        "30",
        "--at",
        "2025-10-01T00:00:00Z",
        "--format",
        "json",
    ])
    .json();
    // 5M × 0.28 + 5M × 0.028 + 1M × 0.42 = 1.4 + 0.14 + 0.42 = 1.96 a day; without cache 2.8 + 0.42 = 3.22.
    assert_eq!(s(&v, "daily_total"), "1.96");
    assert_eq!(s(&v, "daily_total_without_cache"), "3.22");
    assert_eq!(s(&v, "daily_saving"), "1.26");
    assert_eq!(s(&v, "period_saving"), "37.8");
}

#[test]
fn s8_grok() {
    let v = llmcost(&[
        "cost",
        "--model",
        "grok-2-latest",
        "--at",
        "2025-03-01T00:00:00Z",
        "--input",
        "1000000",
        "--output",
        "100000",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(s(&v, "total"), "3");
    assert_eq!(s(&v, "resolved_model"), "grok-2-1212");
}

//! `--format json` of the pricing commands is exactly the serialized answer of the
//! `llmcost_app::quote` engine, so a web server calling the engine returns the same.

use llmcost_app::quote::{self, PriceRequest, PriceSettings};
use llmcost_catalog::Catalog;
use llmcost_core::{Decimal, ServiceTier, Usage};
use serde_json::Value;

use crate::llmcost;

fn settings(at: &str, currency: Option<&str>) -> PriceSettings {
    PriceSettings::resolve(&PriceRequest {
        at: Some(at.into()),
        currency: currency.map(str::to_string),
        fx: Vec::new(),
    })
    .expect("settings")
}

fn cli(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json", "--no-user-catalog"]);
    llmcost(&a).json()
}

fn engine<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serializes")
}

#[test]
fn the_cli_prints_what_the_engines_answer() {
    let cat = Catalog::builtin().expect("catalog");
    let at = "2025-01-15T12:00:00Z";
    // Seed S1: one day of DeepSeek usage in CNY.
    let s = settings(at, Some("CNY"));
    let usage = Usage {
        input: 2_753_752,
        cache_read: 946_816,
        output: 3_100_977,
        ..Usage::default()
    };
    let q = quote::cost::quote(
        cat,
        &quote::cost::CostRequest {
            model: "deepseek-chat".into(),
            usage,
            tier: ServiceTier::Standard,
        },
        &s,
    )
    .expect("cost");
    assert_eq!(
        q.json.total,
        "9.0503876".parse::<Decimal>().expect("decimal")
    );
    assert_eq!(
        cli(&[
            "cost",
            "-m",
            "deepseek-chat",
            "--at",
            at,
            "--currency",
            "CNY",
            "--input",
            "2753752",
            "--cache-read",
            "946816",
            "--output",
            "3100977",
        ]),
        engine(&q.json)
    );

    let s = settings(at, None);
    let q = quote::estimate::quote(
        cat,
        &quote::estimate::EstimateRequest {
            model: "deepseek-chat".into(),
            total_tokens: 1_022_407,
            input_share: "0.25".parse().expect("share"),
            billed: Some("0.2".parse().expect("billed")),
        },
        &s,
    )
    .expect("estimate");
    assert_eq!(
        cli(&[
            "estimate",
            "-m",
            "deepseek-chat",
            "--at",
            at,
            "--total-tokens",
            "1022407",
            "--input-share",
            "25%",
            "--billed",
            "0.2",
        ]),
        engine(&q.json)
    );

    let q = quote::compare::quote(
        cat,
        &quote::compare::CompareRequest {
            models: vec!["gpt-4o".into(), "claude-sonnet-4".into()],
            workload: quote::compare::CompareWorkload::Tokens {
                input: 1000,
                cache_read: 200,
                output: 300,
            },
            reference: Some("gpt-4o".into()),
            week: None,
        },
        &s,
    )
    .expect("compare");
    assert_eq!(
        cli(&[
            "compare",
            "-m",
            "gpt-4o",
            "-m",
            "claude-sonnet-4",
            "--at",
            at,
            "--input",
            "1000",
            "--cache-read",
            "200",
            "--output",
            "300",
            "--reference",
            "gpt-4o",
        ]),
        engine(&q.json)
    );

    let q = quote::blend::quote(
        cat,
        &quote::blend::BlendRequest {
            models: vec!["gpt-4o".into()],
            ratio: "3:1".into(),
            cache_hit_rate: "0.5".parse().expect("rate"),
            week: None,
        },
        &s,
    )
    .expect("blend");
    assert_eq!(
        cli(&[
            "blend",
            "-m",
            "gpt-4o",
            "--at",
            at,
            "--ratio",
            "3:1",
            "--cache-hit-rate",
            "50%",
        ]),
        engine(&q.json)
    );

    let q = quote::forecast::quote(
        cat,
        &quote::forecast::ForecastRequest {
            model: "deepseek-chat".into(),
            requests_per_day: 1000,
            input: 2000,
            output: 500,
            cache_hit_rate: None,
            days: 30,
            from: None,
            hours: Some("09:00-17:00".into()),
            tz: Some("Asia/Shanghai".into()),
        },
        &s,
    )
    .expect("forecast");
    assert_eq!(
        cli(&[
            "forecast",
            "-m",
            "deepseek-chat",
            "--at",
            at,
            "--requests-per-day",
            "1000",
            "--input",
            "2000",
            "--output",
            "500",
            "--hours",
            "09:00-17:00",
            "--tz",
            "Asia/Shanghai",
        ]),
        engine(&q.json)
    );

    let q = quote::prices::quote(
        cat,
        &quote::prices::PricesRequest {
            query: "gpt-4o".into(),
            at: at.parse().expect("at"),
            history: true,
            provider: Some("openai".into()),
        },
    )
    .expect("prices");
    assert_eq!(
        cli(&[
            "prices",
            "gpt-4o",
            "--at",
            at,
            "--history",
            "--provider",
            "openai"
        ]),
        engine(&q.json())
    );
}

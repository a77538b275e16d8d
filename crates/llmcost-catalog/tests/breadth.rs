//! The breadth layer (`catalog/breadth/`): generated from pydantic/genai-prices
//! (snapshot 2026-08-21) and LiteLLM; it prices names no other layer knows.
#![expect(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "tests: a bad fixture fails the test; the coverage figure is printed"
)]

use llmcost_catalog::{Catalog, Layer, LookupError};
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn builtin() -> &'static Catalog {
    Catalog::builtin().expect("built-in catalog")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[test]
fn breadth_data_loads_and_names_its_layer() {
    let b = Catalog::breadth().expect("breadth data loads");
    assert!(b.models().len() > 1000, "{} models", b.models().len());
    let r = builtin()
        .resolve(
            "claude-sonnet-5",
            ts("2026-08-25T00:00:00Z"),
            Some(Currency::USD),
        )
        .expect("priced");
    let o = r.origin();
    // Unless the curated catalog has it by now: then it must win.
    if o.layer == Layer::Breadth {
        assert_eq!(o.label(), "breadth:genai-prices@2026-08-21");
        assert_eq!(
            r.confidence,
            Some("B"),
            "genai-prices and LiteLLM agree: 2 / 10"
        );
    } else {
        assert_eq!(o.layer, Layer::BuiltIn);
    }
}

/// genai-prices, anthropic.yml: Claude Sonnet 5 at $2 / $10 per MTok until
/// 2026-09-01, then $3 / $15. 1M input + 1M output: 2 + 10 = 12, then 3 + 15 = 18.
#[test]
fn breadth_rows_keep_their_dated_periods() {
    let b = Catalog::breadth().expect("breadth data loads");
    let u = Usage {
        input: 1_000_000,
        output: 1_000_000,
        ..Usage::default()
    };
    let at = |t: &str| {
        b.price_total(
            "claude-sonnet-5",
            ts(t),
            Currency::USD,
            &u,
            ServiceTier::Standard,
        )
        .expect("priced")
    };
    assert_eq!(at("2026-08-31T23:59:59Z"), d("12"));
    assert_eq!(at("2026-09-01T00:00:00Z"), d("18"));
}

#[test]
fn curated_rows_always_win() {
    // gpt-4o is in both: the curated row prices it.
    let r = builtin()
        .resolve("gpt-4o", ts("2026-08-25T00:00:00Z"), Some(Currency::USD))
        .expect("priced");
    assert_eq!(r.origin().layer, Layer::BuiltIn);
    assert!(Catalog::breadth().expect("loads").model("gpt-4o").is_some());
    // Without the fallback, a breadth-only name is unknown.
    let at = ts("2026-08-25T00:00:00Z");
    let plain = builtin().clone().set_breadth(false);
    assert!(matches!(
        plain.resolve("voyage-3.5", at, None),
        Err(LookupError::UnknownModel { .. })
    ));
    let r = builtin().resolve("voyage-3.5", at, None).expect("breadth");
    assert_eq!(r.origin().label(), "breadth:genai-prices@2026-08-21");
}

#[test]
fn an_unknown_model_gets_suggestions_never_zero() {
    let e = builtin()
        .resolve("claude-sonet-5", ts("2026-08-25T00:00:00Z"), None)
        .expect_err("unknown");
    match e {
        LookupError::UnknownModel { suggestions, .. } => {
            assert!(
                suggestions.iter().any(|s| s.starts_with("claude-sonnet")),
                "{suggestions:?}"
            );
        }
        other => panic!("expected unknown model, got {other}"),
    }
}

/// Issue 10's target: at least 97% of the current models of the six
/// providers in the genai-prices snapshot resolve (curated or breadth) at
/// the snapshot instant. A model the curated catalog retired before then
/// (DeepSeek's `deepseek-chat`, 2026-07-24) answers "retired, successor …":
/// the snapshot's listing is stale, and that answer counts as resolved.
#[test]
fn coverage_of_the_genai_prices_snapshot() {
    let list = include_str!("../catalog/breadth/genai-prices-current.txt");
    let at = ts("2026-08-21T12:00:00Z");
    let mut by: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    let mut retired = Vec::new();
    let mut missing = Vec::new();
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (p, id) = line.split_once(' ').expect("provider id");
        let e = by.entry(p).or_default();
        e.0 += 1;
        match builtin().resolve(id, at, Some(Currency::USD)) {
            Ok(r) if r.origin().layer == Layer::BuiltIn => e.1 += 1,
            Ok(_) => e.2 += 1,
            Err(err @ LookupError::Retired { .. }) => {
                e.1 += 1;
                retired.push(format!("{p} {id}: {err}"));
            }
            Err(err) => missing.push(format!("{p} {id}: {err}")),
        }
    }
    let (total, curated, breadth) = by
        .values()
        .fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
    for (p, (n, c, b)) in &by {
        println!("{p:10} {:3}/{n:3} (curated {c}, breadth {b})", c + b);
    }
    let pct = (curated + breadth) * 1000 / total;
    println!(
        "genai-prices 2026-08-21 current models of the six providers: {}/{total} resolved = {}.{}% \
         (priced {}: curated {}, breadth {breadth}; retired by the curated catalog {})",
        curated + breadth,
        pct / 10,
        pct % 10,
        curated + breadth - retired.len(),
        curated - retired.len(),
        retired.len()
    );
    for m in &retired {
        println!("  retired (curated): {m}");
    }
    for m in &missing {
        println!("  not priced: {m}");
    }
    assert!(total >= 200, "the list has {total} names");
    assert!(
        (curated + breadth) * 100 >= total * 97,
        "coverage below 97%: {missing:#?}"
    );
}

/// Model names in pydantic-ai's recorded response bodies (six providers):
/// every one is known. A retired curated model answers "retired" (correct at
/// that instant), never "unknown".
#[test]
fn pydantic_ai_cassette_models_are_known() {
    let list = include_str!("data/pydantic_ai_models.txt");
    let at = ts("2026-08-22T00:00:00Z");
    let mut unknown = Vec::new();
    let mut n = 0;
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split_whitespace().nth(1).expect("name");
        n += 1;
        if let Err(LookupError::UnknownModel { .. }) = builtin().resolve(name, at, None) {
            unknown.push(name.to_string());
        }
    }
    println!("pydantic-ai cassette models: {n}, unknown: {unknown:?}");
    assert!(n >= 80);
    assert!(unknown.is_empty(), "unknown: {unknown:?}");
}

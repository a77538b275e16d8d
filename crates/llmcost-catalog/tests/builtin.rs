//! The real catalog files: they load, validate, and hold the prices the seed
//! scenarios and the provider pages give.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

use llmcost_catalog::{Catalog, LookupError};
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};

fn cat() -> &'static Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("built-in catalog invalid: {e}"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// (input, cache_read, output) per 1M in force for a model at an instant and currency.
fn rates(
    model: &str,
    at: &str,
    cur: Currency,
) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
    let r = cat()
        .resolve(model, ts(at), Some(cur))
        .unwrap_or_else(|e| panic!("{model} at {at}: {e}"));
    let s = &r.row.spec().rates;
    (s.input, s.cache_read, s.output)
}

#[test]
fn every_file_loads_and_every_row_is_sourced() {
    let c = cat();
    assert!(c.providers().len() >= 6, "{:?}", c.providers());
    for p in [
        "deepseek",
        "mistral",
        "xai",
        "openai",
        "anthropic",
        "google",
    ] {
        assert!(c.providers().iter().any(|x| x == p), "missing provider {p}");
    }
    let mut rows = 0;
    for m in c.models() {
        assert!(!m.rows.is_empty(), "{} has no rows", m.id);
        for r in &m.rows {
            rows += 1;
            let s = r.spec();
            assert!(
                s.source.starts_with("https://") || s.source.starts_with("http://"),
                "{}: {}",
                m.id,
                s.source
            );
            for b in llmcost_core::Bucket::ALL {
                if let Some(x) = s.rates.get(b) {
                    assert!(x >= Decimal::ZERO, "{} negative {b}", m.id);
                }
            }
        }
        for c in &m.confidence {
            assert!(
                matches!(c.as_deref(), Some("A" | "B" | "C")),
                "{}: confidence {c:?}",
                m.id
            );
        }
    }
    assert!(rows > 100, "only {rows} rows");
}

#[test]
fn seed_prices() {
    // S1: the V3 promo in CNY, then the 2025-02-09 price.
    assert_eq!(
        rates("deepseek-chat", "2025-01-15T12:00:00Z", Currency::CNY),
        (Some(d("1")), Some(d("0.1")), Some(d("2")))
    );
    assert_eq!(
        rates("deepseek-chat", "2025-02-09T12:00:00Z", Currency::CNY),
        (Some(d("2")), Some(d("0.5")), Some(d("8")))
    );
    // S3, S4, S5, S6, S8.
    assert_eq!(
        rates("mistral-large-2411", "2025-06-01T00:00:00Z", Currency::USD).0,
        Some(d("2"))
    );
    assert_eq!(
        rates("mistral-large-2411", "2025-06-01T00:00:00Z", Currency::USD).2,
        Some(d("6"))
    );
    assert_eq!(
        rates("mistral-small-2409", "2024-12-01T00:00:00Z", Currency::USD).2,
        Some(d("0.6"))
    );
    assert_eq!(
        rates("mistral-medium-3.1", "2025-10-01T00:00:00Z", Currency::USD).0,
        Some(d("0.4"))
    );
    assert_eq!(
        rates("gpt-4", "2025-10-01T00:00:00Z", Currency::USD).2,
        Some(d("60"))
    );
    assert_eq!(
        rates("grok-2-latest", "2025-03-01T00:00:00Z", Currency::USD),
        (Some(d("2")), None, Some(d("10")))
    );
}

#[test]
fn deepseek_usd_history() {
    let at = |t: &str| rates("deepseek-chat", t, Currency::USD);
    assert_eq!(
        at("2025-01-15T00:00:00Z"),
        (Some(d("0.14")), Some(d("0.014")), Some(d("0.28")))
    );
    assert_eq!(
        at("2025-03-01T10:00:00Z"),
        (Some(d("0.27")), Some(d("0.07")), Some(d("1.10")))
    );
    assert_eq!(
        at("2025-09-10T00:00:00Z"),
        (Some(d("0.56")), Some(d("0.07")), Some(d("1.68")))
    );
    assert_eq!(
        at("2025-10-10T00:00:00Z"),
        (Some(d("0.28")), Some(d("0.028")), Some(d("0.42")))
    );
    // From V4 the alias points at deepseek-v4-flash.
    let r = cat()
        .resolve(
            "deepseek-chat",
            ts("2026-05-01T00:00:00Z"),
            Some(Currency::USD),
        )
        .expect("v4");
    assert_eq!(r.model.id, "deepseek-v4-flash");
    assert_eq!(r.row.spec().rates.cache_read, Some(d("0.0028")));
}

#[test]
fn retired_names_point_at_successors() {
    let e = cat()
        .resolve("deepseek-chat", ts("2026-08-01T00:00:00Z"), None)
        .expect_err("retired");
    assert!(matches!(e, LookupError::Retired { .. }), "{e}");
}

#[test]
fn anthropic_cache_write_prices_are_table_values() {
    // Claude 3 Haiku: write 0.30 (1.2×), not 0.3125.
    let r = cat()
        .resolve(
            "claude-3-haiku-20240307",
            ts("2025-01-01T00:00:00Z"),
            Some(Currency::USD),
        )
        .expect("haiku");
    assert_eq!(r.row.spec().rates.cache_write, Some(d("0.30")));
    // Generator prices used by the log benchmark, in force all of 2025-06..11.
    for (m, i, o, w, c) in [
        ("claude-sonnet-4-20250514", "3", "15", "3.75", "0.30"),
        ("claude-opus-4-20250514", "15", "75", "18.75", "1.50"),
        ("claude-3-5-haiku-20241022", "0.80", "4", "1", "0.08"),
    ] {
        for t in ["2025-06-01T00:00:00Z", "2025-11-30T23:59:59Z"] {
            let r = cat()
                .resolve(m, ts(t), Some(Currency::USD))
                .unwrap_or_else(|e| panic!("{e}"));
            let s = &r.row.spec().rates;
            assert_eq!(
                (s.input, s.output, s.cache_write, s.cache_read),
                (Some(d(i)), Some(d(o)), Some(d(w)), Some(d(c))),
                "{m} {t}"
            );
        }
    }
}

#[test]
fn gemini_long_context_by_prompt_size() {
    let at = ts("2026-01-10T00:00:00Z");
    let r = cat()
        .resolve("gemini-2.5-pro", at, Some(Currency::USD))
        .expect("pro");
    let small = Usage {
        input: 200_000,
        output: 1_000_000,
        ..Usage::default()
    };
    let big = Usage {
        input: 200_001,
        output: 1_000_000,
        ..Usage::default()
    };
    // <= 200k: 1.25 / 10; > 200k: 2.50 / 15.
    assert_eq!(
        r.row
            .total(&small, at, ServiceTier::Standard)
            .expect("small"),
        d("10.25")
    );
    assert_eq!(
        r.row.total(&big, at, ServiceTier::Standard).expect("big"),
        d("15.5000025")
    );
}

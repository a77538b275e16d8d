//! `docs/json.md` against the wire types, field by field: every "Keys of `X`:" line
//! of the document lists exactly the keys the serialized type produces for a
//! representative value (all keys; those after "when present:" may be absent).
#![expect(clippy::expect_used, reason = "a test fails loudly with a reason")]

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::date;
use llmcost_app::quote::blend::BlendRequest;
use llmcost_app::quote::compare::{CompareRequest, CompareWorkload};
use llmcost_app::quote::cost::CostRequest;
use llmcost_app::quote::estimate::EstimateRequest;
use llmcost_app::quote::forecast::ForecastRequest;
use llmcost_app::quote::prices::{PricesRequest, TierJson};
use llmcost_app::quote::{self, PriceRequest, PriceSettings};
use llmcost_app::wire::RatesJson;
use llmcost_catalog::Catalog;
use llmcost_core::{Decimal, Rates, ServiceTier, Usage};
use serde_json::Value;

/// The documented objects: name → (keys always present, keys that may be absent).
fn documented() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md");
    let text = std::fs::read_to_string(path).expect("docs/json.md");
    let ticked = |s: &str| -> BTreeSet<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("Keys of `") else {
            continue;
        };
        let (name, keys) = rest.split_once("`:").expect("Keys of `NAME`: ...");
        let (always, maybe) = keys.split_once("when present:").unwrap_or((keys, ""));
        let prev = out.insert(name.to_string(), (ticked(always), ticked(maybe)));
        assert!(prev.is_none(), "`{name}` is documented twice");
    }
    out
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serializes")
}

fn settings(at: &str, currency: Option<&str>, fx: &[&str]) -> PriceSettings {
    PriceSettings::resolve(&PriceRequest {
        at: Some(at.into()),
        currency: currency.map(str::to_string),
        fx: fx.iter().map(|s| (*s).to_string()).collect(),
    })
    .expect("settings")
}

/// Representative values of every documented object: the fullest first (all optional
/// keys present), then the leanest.
fn samples() -> Vec<(&'static str, Value)> {
    let cat = Catalog::builtin().expect("built-in catalog");
    let mut v: Vec<(&'static str, Value)> = Vec::new();

    // cost: gpt-4o in EUR through --fx (so `fx` is set), a body shape and a warning.
    let s = settings("2025-06-01T12:00:00Z", Some("EUR"), &["USD=0.9"]);
    let req = CostRequest {
        model: "gpt-4o".into(),
        usage: Usage {
            input: 1000,
            cache_read: 500,
            output: 200,
            ..Usage::default()
        },
        tier: ServiceTier::Standard,
    };
    let q = quote::cost::quote(cat, &req, &s).expect("cost");
    v.push(("cost", json(&q.json)));
    let mut full = q.json.clone();
    full.shape = Some("OpenAI Chat Completions".into());
    full.warnings = vec!["a holiday calendar ended".into()];
    v.push(("cost", json(&full)));
    v.push(("price", json(&q.json.price)));
    v.push(("fx", json(&q.json.fx)));
    for it in &q.json.items {
        v.push(("items[]", json(it)));
    }
    v.push(("regime", json(&q.json.regime)));
    let mut r = q.json.regime;
    r.beyond_calendar = true;
    v.push(("regime", json(&r)));

    // rates: one row with every bucket published, one with the text buckets only.
    let one = Some(Decimal::ONE);
    let all = Rates {
        input: one,
        cache_read: one,
        cache_write: one,
        cache_write_1h: one,
        output: one,
        reasoning: one,
        input_audio: one,
        cache_read_audio: one,
        output_audio: one,
        input_image: one,
        output_image: one,
    };
    v.push(("rates", json(&RatesJson::from(&all))));
    let text = Rates {
        input: one,
        output: one,
        ..Rates::default()
    };
    v.push(("rates", json(&RatesJson::from(&text))));

    // estimate: seed S4 (1,022,407 tokens billed 0.43 USD), with and without a bill.
    let s = settings("2025-01-15T12:00:00Z", None, &[]);
    let mut req = EstimateRequest {
        model: "deepseek-chat".into(),
        total_tokens: 1_022_407,
        input_share: "0.25".parse().expect("share"),
        billed: Some("0.43".parse().expect("billed")),
    };
    let mut e = quote::estimate::quote(cat, &req, &s)
        .expect("estimate")
        .json;
    e.warnings = vec!["w".into()];
    v.push(("estimate", json(&e)));
    req.billed = None;
    v.push((
        "estimate",
        json(
            &quote::estimate::quote(cat, &req, &s)
                .expect("estimate")
                .json,
        ),
    ));

    // blend and compare: DeepSeek's price depends on the hour, so a bare date gives a
    // weekly average (by_regime, average_from); gpt-4o in CNY through --fx.
    let s = settings("2025-03-03", Some("CNY"), &["USD=7.2"]);
    let week = Some(date(2025, 3, 3));
    let b = quote::blend::quote(
        cat,
        &BlendRequest {
            models: vec!["deepseek-chat".into(), "gpt-4o".into()],
            ratio: "3:1".into(),
            cache_hit_rate: Decimal::ZERO,
            week,
        },
        &s,
    )
    .expect("blend")
    .json;
    let mut bf = b.clone();
    bf.warnings = vec!["w".into()];
    for r in &mut bf.rows {
        r.price_per_million_fraction = Some("1/3".into());
    }
    v.push(("blend", json(&bf)));
    for r in bf.rows.iter().chain(&b.rows) {
        v.push(("blend rows[]", json(r)));
        for x in &r.by_regime {
            v.push(("by_regime[]", json(x)));
        }
    }
    let c = quote::compare::quote(
        cat,
        &CompareRequest {
            models: vec!["deepseek-chat".into(), "gpt-4o".into()],
            workload: CompareWorkload::Ratio("3:1".into()),
            reference: None,
            week,
        },
        &s,
    )
    .expect("compare")
    .json;
    let mut cf = c.clone();
    cf.warnings = vec!["w".into()];
    for r in &mut cf.rows {
        r.total_fraction = Some("1/3".into());
    }
    v.push(("compare", json(&cf)));
    v.push(("workload", json(&c.workload)));
    for r in cf.rows.iter().chain(&c.rows) {
        v.push(("compare rows[]", json(r)));
    }
    let tokens = quote::compare::quote(
        cat,
        &CompareRequest {
            models: vec!["gpt-4o".into()],
            workload: CompareWorkload::Tokens {
                input: 1,
                cache_read: 0,
                output: 1,
            },
            reference: None,
            week: None,
        },
        &settings("2025-03-03T12:00:00Z", None, &[]),
    )
    .expect("compare")
    .json;
    v.push(("compare", json(&tokens)));
    v.push(("workload", json(&tokens.workload)));

    // forecast: two days of DeepSeek (peak and off-peak hours), with a cache-hit rate.
    let s = settings("2025-03-03T00:00:00Z", None, &[]);
    let mut req = ForecastRequest {
        model: "deepseek-chat".into(),
        requests_per_day: 100,
        input: 1000,
        output: 100,
        cache_hit_rate: Some("0.5".parse().expect("rate")),
        days: 2,
        from: None,
        hours: None,
        tz: None,
    };
    let mut f = quote::forecast::quote(cat, &req, &s)
        .expect("forecast")
        .json;
    for r in &f.rates {
        v.push(("forecast rates[]", json(r)));
    }
    f.warnings = vec!["w".into()];
    v.push(("forecast", json(&f)));
    req.cache_hit_rate = None;
    v.push((
        "forecast",
        json(
            &quote::forecast::quote(cat, &req, &s)
                .expect("forecast")
                .json,
        ),
    ));

    // prices: with and without history; a model with an alias that pointed at it,
    // one with off-peak rates, one with a long-context tier and service tiers.
    for (query, history) in [
        ("gpt-4o-2024-08-06", true),
        ("deepseek-chat", false),
        ("gemini-2.5-pro", true),
    ] {
        let p = quote::prices::quote(
            cat,
            &PricesRequest {
                query: query.into(),
                at: "2025-06-01T00:00:00Z".parse().expect("at"),
                history,
                provider: None,
            },
        )
        .expect("prices");
        let mut j = p.json();
        v.push(("prices", json(&j)));
        j.warnings = vec!["w".into()];
        v.push(("prices", json(&j)));
        for m in &j.models {
            v.push(("prices models[]", json(m)));
            for a in &m.timed_aliases {
                v.push(("timed_aliases[]", json(a)));
            }
            for r in m.current.iter().chain(m.history.iter().flatten()) {
                v.push(("price row", json(r)));
                for t in &r.service_tiers {
                    v.push(("service_tiers[]", json(t)));
                }
                if let Some(o) = &r.off_peak {
                    v.push(("off_peak", json(o)));
                }
                if let Some(l) = &r.long_context {
                    v.push(("long_context", json(l)));
                }
                // The same row with every modality rate published, and a tier priced
                // by its own rates.
                let mut full = r.clone();
                full.rates = RatesJson::from(&all);
                v.push(("price row", json(&full)));
                v.push((
                    "service_tiers[]",
                    json(&TierJson {
                        tier: ServiceTier::Flex,
                        multiplier: None,
                        rates: Some(RatesJson::from(&text)),
                    }),
                ));
            }
        }
    }
    v
}

#[test]
fn every_documented_object_has_exactly_its_keys() {
    let docs = documented();
    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, value) in samples() {
        let Some((always, maybe)) = docs.get(name) else {
            errors.push(format!(
                "`{name}` has no \"Keys of `{name}`:\" line in docs/json.md"
            ));
            continue;
        };
        let k = keys(&value);
        for missing in always.difference(&k) {
            errors.push(format!(
                "`{name}`: documented key `{missing}` not serialized"
            ));
        }
        for extra in k
            .iter()
            .filter(|x| !always.contains(*x) && !maybe.contains(*x))
        {
            errors.push(format!("`{name}`: serialized key `{extra}` not documented"));
        }
        seen.entry(name).or_default().extend(k);
    }
    // Every optional key shows up in some sample, and every documented object is tested.
    for (name, (_, maybe)) in &docs {
        match seen.get(name.as_str()) {
            Some(s) => {
                for m in maybe.difference(s) {
                    errors.push(format!(
                        "`{name}`: optional key `{m}` never seen in a sample"
                    ));
                }
            }
            None => errors.push(format!("`{name}` is documented but has no sample here")),
        }
    }
    errors.sort();
    errors.dedup();
    assert!(
        errors.is_empty(),
        "docs/json.md drifted:\n{}",
        errors.join("\n")
    );
}

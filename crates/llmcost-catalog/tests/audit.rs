//! The catalog audit: every curated rate that a price database prices
//! differently, for re-verification. The databases are the breadth snapshot
//! of pydantic/genai-prices (2026-08-21, compared at that instant) and
//! LiteLLM's first-party entries of the six providers (litellm 1.110.2,
//! compared on 2026-12-03). Names are matched exactly (id or alias, provider
//! prefix removed); input, cache read, cache write and output are compared
//! per million tokens (standard tier, USD). Findings: docs/catalog-audit.md.
#![expect(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "tests: a bad fixture fails the test; the findings are printed"
)]

use std::collections::BTreeMap;

use llmcost_catalog::{Catalog, CatalogFile, Layer};
use llmcost_core::{Currency, Decimal, Rates, Timestamp};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn standalone(name: &str, text: &str) -> Catalog {
    Catalog::files_only(&[CatalogFile {
        name: name.to_string(),
        text: text.to_string(),
    }])
    .expect("loads")
    .set_breadth(false)
}

type Get = fn(&Rates) -> Option<Decimal>;

const BUCKETS: &[(&str, Get)] = &[
    ("input", |r| r.input),
    ("cache_read", |r| r.cache_read),
    ("cache_write", |r| r.cache_write),
    ("output", |r| r.output),
];

/// (model, bucket) → (ours, theirs) where a database disagrees at `at`.
fn disagreements(db: &Catalog, at: Timestamp) -> BTreeMap<(String, String), (Decimal, Decimal)> {
    let curated = Catalog::builtin()
        .expect("built-in")
        .clone()
        .set_breadth(false);
    let mut out = BTreeMap::new();
    for m in curated.models() {
        let Some(ours) = m
            .rows
            .iter()
            .zip(&m.origins)
            .find(|(r, o)| {
                o.layer == Layer::BuiltIn && r.spec().currency == Currency::USD && r.covers(at)
            })
            .map(|(r, _)| r)
        else {
            continue;
        };
        let names = std::iter::once(&m.id).chain(m.aliases.iter());
        let Some(theirs) = names.filter_map(|n| db.model(n)).find_map(|t| {
            t.rows
                .iter()
                .find(|r| r.spec().currency == Currency::USD && r.covers(at))
        }) else {
            continue;
        };
        for (bucket, get) in BUCKETS {
            if let (Some(a), Some(b)) = (get(&ours.spec().rates), get(&theirs.spec().rates))
                && a.normalize() != b.normalize()
            {
                out.insert(
                    (m.id.clone(), (*bucket).to_string()),
                    (a.normalize(), b.normalize()),
                );
            }
        }
    }
    out
}

#[test]
fn curated_rates_that_the_databases_price_differently() {
    let genai = standalone(
        "genai-prices.toml",
        include_str!("../catalog/breadth/genai-prices.toml"),
    );
    let litellm = standalone(
        "litellm-first-party.toml",
        include_str!("../catalog/breadth/audit/litellm-first-party.toml"),
    );
    let g = disagreements(&genai, ts("2026-08-21T12:00:00Z"));
    let l = disagreements(&litellm, ts("2026-12-03T00:00:00Z"));
    let mut keys: Vec<&(String, String)> = g.keys().chain(l.keys()).collect();
    keys.sort();
    keys.dedup();
    println!(
        "model | bucket | ours (genai date) | genai-prices 2026-08-21 | ours (litellm date) | litellm 1.110.2"
    );
    let show = |x: Option<&(Decimal, Decimal)>, i: usize| {
        x.map_or_else(
            || "-".to_string(),
            |v| if i == 0 { v.0 } else { v.1 }.to_string(),
        )
    };
    let mut both = Vec::new();
    for k in &keys {
        let (a, b) = (g.get(*k), l.get(*k));
        println!(
            "{} | {} | {} | {} | {} | {}{}",
            k.0,
            k.1,
            show(a, 0),
            show(a, 1),
            show(b, 0),
            show(b, 1),
            if a.is_some() && b.is_some() {
                " | BOTH"
            } else {
                ""
            }
        );
        if a.is_some() && b.is_some() {
            both.push(format!("{} {}", k.0, k.1));
        }
    }
    println!(
        "{} rates disagree with genai-prices, {} with LiteLLM, {} with both",
        g.len(),
        l.len(),
        both.len()
    );
    // Where both databases disagree with us, docs/catalog-audit.md says which
    // side is stale (or that it is still to check).
    let doc = include_str!("../../../docs/catalog-audit.md");
    let unrecorded: Vec<&String> = both
        .iter()
        .filter(|k| !doc.contains(&format!("`{}`", k.replace(' ', "` `"))))
        .collect();
    assert!(
        unrecorded.is_empty(),
        "record these in docs/catalog-audit.md (as `model` `bucket`): {unrecorded:#?}"
    );
}

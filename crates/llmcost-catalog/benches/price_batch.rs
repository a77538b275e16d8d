//! Prices a batch of usage records, model lookup by name and time included,
//! as `cost --usage` does per record. Compare elements/s with LiteLLM's
//! `cost_per_token` calls/s (../shared/anchors/run_litellm_cost.sh).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, ServiceTier, Timestamp, Usage};

fn records(n: usize) -> Vec<(&'static str, Timestamp, Usage)> {
    let models = [
        "deepseek-chat",
        "mistral-large-2411",
        "gpt-4o-2024-08-06",
        "claude-3-5-sonnet-20241022",
    ];
    let start: Timestamp = "2025-03-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    (0..n)
        .map(|i| {
            let at = start + jiff::SignedDuration::from_secs((i as i64 * 7919) % (86_400 * 60));
            let u = Usage {
                input: 1200 + (i as u64 % 97),
                cache_read: (i as u64 % 3) * 256,
                output: 350 + (i as u64 % 31),
                ..Usage::default()
            };
            (models[i % models.len()], at, u)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Ok(cat) = Catalog::builtin() else { return };
    let recs = records(10_000);
    let mut g = c.benchmark_group("price");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("lookup_and_total_10k", |b| {
        b.iter(|| {
            let mut sum = llmcost_core::Decimal::ZERO;
            for (m, at, u) in &recs {
                if let Ok(t) = cat.price_total(m, *at, Currency::USD, u, ServiceTier::Standard) {
                    sum += t;
                }
            }
            sum
        });
    });
    g.bench_function("total_only_10k", |b| {
        let rows: Vec<_> = recs
            .iter()
            .filter_map(|(m, at, u)| {
                cat.resolve(m, *at, Some(Currency::USD))
                    .ok()
                    .map(|r| (r.row.clone(), *at, *u))
            })
            .collect();
        b.iter(|| {
            let mut sum = llmcost_core::Decimal::ZERO;
            for (row, at, u) in &rows {
                if let Ok(t) = row.total(u, *at, ServiceTier::Standard) {
                    sum += t;
                }
            }
            sum
        });
    });
    g.bench_function("itemised_10k", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (m, at, u) in &recs {
                if let Ok(r) = cat.resolve(m, *at, Some(Currency::USD))
                    && let Ok(c) = r.row.price(u, *at, ServiceTier::Standard)
                {
                    n += c.items.len();
                }
            }
            n
        });
    });
    g.finish();
}

/// The same lookups with the breadth layer (catalog/breadth/) loaded, and
/// names only the breadth layer prices (followed through the fallback).
fn bench_breadth(c: &mut Criterion) {
    let Ok(cat) = Catalog::builtin() else { return };
    if Catalog::breadth().is_err() {
        return;
    }
    let curated = records(10_000);
    let breadth_names = [
        "llama-3.3-70b",
        "qwen-3-32b",
        "llama3.1-8b",
        "qwen-3-coder-480b",
    ];
    let mixed: Vec<_> = curated
        .iter()
        .enumerate()
        .map(|(i, (m, at, u))| {
            if i % 4 == 3 {
                (breadth_names[i % breadth_names.len()], *at, *u)
            } else {
                (*m, *at, *u)
            }
        })
        .collect();
    let only: Vec<_> = curated
        .iter()
        .enumerate()
        .map(|(i, (_, at, u))| (breadth_names[i % breadth_names.len()], *at, *u))
        .collect();
    let mut g = c.benchmark_group("price_breadth_loaded");
    for (name, recs) in [
        ("curated_names_10k", &curated),
        ("mixed_3_curated_1_breadth_10k", &mixed),
        ("breadth_names_10k", &only),
    ] {
        g.throughput(Throughput::Elements(recs.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sum = llmcost_core::Decimal::ZERO;
                let mut priced = 0usize;
                for (m, at, u) in recs.iter() {
                    if let Ok(t) = cat.price_total(m, *at, Currency::USD, u, ServiceTier::Standard)
                    {
                        sum += t;
                        priced += 1;
                    }
                }
                assert_eq!(priced, recs.len(), "every record is priced");
                sum
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_breadth);
criterion_main!(benches);

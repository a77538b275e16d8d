//! Import of a full-size LiteLLM price file (target: under 100 ms).
//!
//! The file is LiteLLM 1.74.9's `model_prices_and_context_window_backup.json`
//! (1,250 entries, ~623 KB), installed by `../shared/anchors/lib/ensure_litellm.sh`.
//! Set `LITELLM_PRICES` to another path; without the file the bench falls
//! back to the test fixture.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use llmcost_price_import::{Format, ImportOptions, import};

fn source() -> (String, String) {
    let default = std::env::var("HOME").map(|h| {
        format!(
            "{h}/.cache/llmcost-anchors/venv-litellm/lib/python3.11/site-packages/litellm/model_prices_and_context_window_backup.json"
        )
    });
    let path = std::env::var("LITELLM_PRICES")
        .ok()
        .or(default.ok())
        .filter(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| {
            format!(
                "{}/tests/fixtures/litellm_small.json",
                env!("CARGO_MANIFEST_DIR")
            )
        });
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (path, text)
}

fn bench(c: &mut Criterion) {
    let (path, text) = source();
    let opts = ImportOptions {
        format: Format::LiteLlm,
        source: path.clone(),
        imported: "2026-11-23T00:00:00Z".parse().unwrap_or_default(),
        from: None,
    };
    let mut g = c.benchmark_group("import");
    g.sample_size(20);
    g.bench_function("litellm_full", |b| {
        b.iter(|| import(black_box(&text), black_box(&opts)).map(|i| i.models))
    });
    g.bench_function("litellm_full_and_load", |b| {
        b.iter(|| {
            let i = import(black_box(&text), black_box(&opts)).ok()?;
            llmcost_catalog::Catalog::default()
                .with_layers(
                    &[llmcost_catalog::CatalogFile {
                        name: "imported.toml".into(),
                        text: i.toml,
                    }],
                    llmcost_catalog::Prefer::Curated,
                )
                .ok()
                .map(|c| c.models().len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

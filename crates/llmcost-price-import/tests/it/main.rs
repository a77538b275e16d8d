//! Integration tests of the price importers and catalog diff.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

mod diff; // cheaper, dearer, changed, new, gone between two catalogs
mod litellm; // LiteLLM fields onto the price model, exact decimals, what is listed
mod openrouter; // OpenRouter pricing strings onto the price model

use llmcost_catalog::{Catalog, CatalogFile, Prefer};
use llmcost_core::{Decimal, Rates, Timestamp};
use llmcost_price_import::{Format, ImportOptions, Imported, import};

pub fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub const IMPORTED: &str = "2026-11-23T10:00:00Z";

pub fn run(text: &str, format: Format) -> Imported {
    import(
        text,
        &ImportOptions {
            format,
            source: format!("{format}.json"),
            imported: ts(IMPORTED),
            from: None,
        },
    )
    .expect("imports")
}

/// The imported TOML loaded on its own (an empty built-in layer).
pub fn load(toml: &str) -> Catalog {
    Catalog::default()
        .with_layers(
            &[CatalogFile {
                name: "imported.toml".into(),
                text: toml.to_string(),
            }],
            Prefer::Curated,
        )
        .unwrap_or_else(|e| panic!("imported TOML does not load: {e}\n{toml}"))
}

/// The standard rates of a model in force just after the import.
pub fn rates(c: &Catalog, model: &str) -> Rates {
    c.resolve(model, ts("2026-11-24T00:00:00Z"), None)
        .unwrap_or_else(|e| panic!("{model}: {e}"))
        .row
        .spec()
        .rates
        .clone()
}

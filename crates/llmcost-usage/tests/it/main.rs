//! Integration tests of `llmcost-usage`: one binary, one module per concern.

mod errors; // bad inputs give precise errors
mod hints; // forcing a shape
mod modal; // 2025–2026 shapes: modality details, cache writes, priced by hand
mod props; // invariants over generated inputs
mod shapes; // every provider shape, from realistic bodies
mod time; // timestamps from `created`, `created_at`, `timestamp`, ...
mod wrappers; // events, log lines and batch lines around a body

use llmcost_usage::{Extracted, extract};

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Extracts a fixture, which must succeed.
pub fn extract_fixture(name: &str) -> Extracted {
    extract(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Extracts an inline document, which must succeed.
pub fn ex(json: &str) -> Extracted {
    extract(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// The error message for an inline document, which must fail.
pub fn err(json: &str) -> String {
    match extract(json.as_bytes()) {
        Ok(e) => panic!("expected an error for {json}, got {e:?}"),
        Err(e) => e.to_string(),
    }
}

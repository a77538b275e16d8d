//! Converts third-party price files into llmcost catalog TOML, and compares
//! catalogs.
//!
//! Two formats are read: LiteLLM's `model_prices_and_context_window.json`
//! ([`Format::LiteLlm`]) and OpenRouter's models API (`/api/v1/models`,
//! [`Format::OpenRouter`]). Each price is read from the JSON number's *text*
//! (never through an `f64`) and becomes an exact decimal per million tokens;
//! see [`per_million`] for the precision rule. Every price field that cannot
//! be mapped onto the llmcost price model is listed in [`Imported::unmapped`]
//! and written into the file, never dropped silently.
//!
//! This crate does no I/O and reads no clock: the caller passes the text,
//! the source name and the import instant.
#![deny(missing_docs)]

mod breadth;
mod diff;
mod emit;
mod genai;
mod litellm;
mod number;
mod openrouter;

use std::fmt;
use std::str::FromStr;

use llmcost_core::{Rates, Timestamp};

pub use breadth::{Breadth, BreadthFile, BreadthInputs, BreadthSource, generate_breadth};
pub use diff::{Change, DiffRow, diff};
pub use number::{PerMillion, per_million, per_mtok};

/// A price file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// LiteLLM `model_prices_and_context_window.json`.
    LiteLlm,
    /// OpenRouter `GET /api/v1/models` response.
    OpenRouter,
    /// pydantic/genai-prices `prices/new_data/v2/data.json` (or `prices/data.json`).
    GenaiPrices,
}

impl Format {
    /// Stable key: `litellm`, `openrouter` or `genai-prices`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Format::LiteLlm => "litellm",
            Format::OpenRouter => "openrouter",
            Format::GenaiPrices => "genai-prices",
        }
    }

    /// Guesses the format from the text: OpenRouter's response is an object
    /// with a `data` array; LiteLLM's is an object of model objects;
    /// genai-prices' is an array of providers with `models`.
    #[must_use]
    pub fn detect(text: &str) -> Option<Format> {
        let head = text.trim_start();
        if head.starts_with('[') {
            let list: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).ok()?;
            return list
                .first()
                .is_some_and(|p| p.get().contains("\"models\""))
                .then_some(Format::GenaiPrices);
        }
        if !head.starts_with('{') {
            return None;
        }
        let map: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
            serde_json::from_str(text).ok()?;
        if map
            .get("data")
            .is_some_and(|v| v.get().trim_start().starts_with('['))
        {
            return Some(Format::OpenRouter);
        }
        if map.values().any(|v| {
            let t = v.get();
            t.contains("input_cost_per_token") || t.contains("litellm_provider")
        }) {
            return Some(Format::LiteLlm);
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "litellm" => Ok(Format::LiteLlm),
            "openrouter" => Ok(Format::OpenRouter),
            "genai-prices" | "genai_prices" | "genai" => Ok(Format::GenaiPrices),
            other => Err(format!(
                "unknown price file format `{other}` (expected litellm, openrouter or genai-prices)"
            )),
        }
    }
}

/// What to write into the catalog file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The input format.
    pub format: Format,
    /// The URL or file the text came from (written as each row's `source`).
    pub source: String,
    /// When the import ran (written in the `[import]` header).
    pub imported: Timestamp,
    /// First instant of the imported rows (default: `imported`). Imported
    /// prices have no history before it.
    pub from: Option<Timestamp>,
}

/// A price field that could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// Model id.
    pub model: String,
    /// Field name in the source file.
    pub field: String,
    /// Its value as written (JSON text).
    pub value: String,
    /// Why it was not mapped.
    pub reason: String,
}

/// A model that got no row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Model id.
    pub model: String,
    /// Why.
    pub reason: String,
}

/// A value rounded by the precision rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounded {
    /// Model id.
    pub model: String,
    /// Field name.
    pub field: String,
    /// As written.
    pub written: String,
    /// Per million tokens after rounding.
    pub per_million: String,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Catalog TOML (an imported-layer file, with an `[import]` header).
    pub toml: String,
    /// Models written.
    pub models: usize,
    /// Models without any per-token price (or otherwise unusable).
    pub skipped: Vec<Skipped>,
    /// Price fields not mapped onto the price model.
    pub unmapped: Vec<Unmapped>,
    /// Values rounded by the precision rule.
    pub rounded: Vec<Rounded>,
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Not JSON, or not the expected shape.
    #[error("not a {format} price file: {message}")]
    Shape {
        /// Expected format.
        format: Format,
        /// What is wrong (with line and column where known).
        message: String,
    },
}

/// One model as read from a source file, in price-model terms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    pub id: String,
    pub provider: Option<String>,
    pub name: Option<String>,
    pub note: Option<String>,
    /// Other names (LiteLLM: the id without its routing prefix).
    pub aliases: Vec<String>,
    pub rates: Rates,
    pub long_context: Option<(u64, Rates)>,
    pub batch: Option<Rates>,
    pub flex: Option<Rates>,
    pub priority: Option<Rates>,
    pub unmapped: Vec<(String, String, String)>,
    /// Name patterns (`grok-4.5-*`) priced as this model (genai-prices).
    pub patterns: Vec<String>,
    /// Start of the first price set, when the source dates it.
    pub first_from: Option<Timestamp>,
    /// Later dated price sets, by start (genai-prices).
    pub later: Vec<Dated>,
    /// Marked deprecated by the source.
    pub deprecated: bool,
    /// Confidence grade written on the rows (breadth data).
    pub confidence: Option<&'static str>,
}

/// A dated price set: in force from `from` until the next one.
#[derive(Debug, Clone)]
pub(crate) struct Dated {
    pub from: Timestamp,
    pub rates: Rates,
    pub long_context: Option<(u64, Rates)>,
}

/// Converts a price file into catalog TOML.
///
/// # Errors
/// [`ImportError::Shape`] when the text is not the format's JSON shape.
/// Individual models and fields that cannot be used are reported in the
/// result, not as errors.
pub fn import(text: &str, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let mut skipped = Vec::new();
    let mut rounded = Vec::new();
    let entries = match opts.format {
        Format::LiteLlm => litellm::read(text, &mut skipped, &mut rounded)?,
        Format::OpenRouter => openrouter::read(text, &mut skipped, &mut rounded)?,
        Format::GenaiPrices => genai::read(text, &mut skipped, &mut rounded)?,
    };
    Ok(emit::write(entries, opts, skipped, rounded, None))
}

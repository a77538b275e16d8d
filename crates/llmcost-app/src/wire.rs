//! JSON objects shared by several answers (the "Shared objects" of
//! `docs/json.md`), defined once. Every answer's own type lives beside its
//! engine; these are the pieces they have in common.
//!
//! Stable: keys are only ever added. Amounts and rates are exact decimal
//! strings.

use llmcost_catalog::Resolved;
use llmcost_core::{Currency, Decimal, Rates, Timestamp};
use serde::Serialize;

/// The published rates of a price row, per 1M tokens (`null` when not
/// published). The modality keys are present only when published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatesJson {
    #[serde(with = "rust_decimal::serde::str_option")]
    pub input: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cache_write: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cache_write_1h: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub output: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub reasoning: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub cache_read_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_image: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_image: Option<Decimal>,
}

impl From<&Rates> for RatesJson {
    fn from(r: &Rates) -> Self {
        let n = |d: Option<Decimal>| d.map(|x| x.normalize());
        RatesJson {
            input: n(r.input),
            cache_read: n(r.cache_read),
            cache_write: n(r.cache_write),
            cache_write_1h: n(r.cache_write_1h),
            output: n(r.output),
            reasoning: n(r.reasoning),
            input_audio: n(r.input_audio),
            cache_read_audio: n(r.cache_read_audio),
            output_audio: n(r.output_audio),
            input_image: n(r.input_image),
            output_image: n(r.output_image),
        }
    }
}

/// `fx`: a conversion applied to a price listed in another currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FxApplied {
    pub from: Currency,
    pub to: Currency,
    /// One `from` in `to`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Total in the list currency, before conversion.
    #[serde(with = "rust_decimal::serde::str")]
    pub list_total: Decimal,
}

/// `price`: the row that priced a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub model: String,
    pub provider: String,
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub currency: Currency,
    pub source: String,
    pub confidence: Option<String>,
    pub note: Option<String>,
    /// Aliases followed to reach the model (`gpt-4o → gpt-4o-2024-08-06`).
    pub via: Vec<String>,
    /// The catalog layer that priced it: `built-in`, `user:<file>` or `imported:<file>`.
    pub catalog: String,
}

impl Provenance {
    /// The provenance of a resolved row.
    pub fn of(r: &Resolved<'_>) -> Provenance {
        let s = r.row.spec();
        Provenance {
            model: r.model.id.clone(),
            provider: r.model.provider.clone(),
            from: s.from,
            until: s.until,
            currency: s.currency,
            source: s.source.clone(),
            confidence: r.confidence.map(str::to_string),
            note: s.note.clone(),
            via: r
                .via
                .iter()
                .map(|a| format!("{} → {}", a.name, a.target))
                .collect(),
            catalog: r.origin().label(),
        }
    }
}

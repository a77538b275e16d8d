//! `blend`: price per million tokens at an input:output ratio.

use jiff::civil::Date;
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal};
use serde::Serialize;

use super::clock::{self, RegimeValueJson, Valued};
use super::{FxApplied, PriceSettings, Provenance, Result, blended, parse_ratio};

/// One row of `blend --format json` (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct BlendRow {
    pub model: String,
    /// Exact blended price per million tokens, decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub price_per_million: Decimal,
    pub currency: Currency,
    pub price: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx: Option<FxApplied>,
    /// `weekly_average` (a price that depends on the hour, averaged over a week),
    /// or the regime at the instant: `peak`, `off_peak`, `standard`.
    pub regime: &'static str,
    /// With `weekly_average`: each regime's share of the week and blended price (`value`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_regime: Vec<RegimeValueJson>,
    /// The exact average as a fraction `N/D`, when `price_per_million` had to be rounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_per_million_fraction: Option<String>,
}

/// Wire format of `blend --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct BlendJson {
    pub ratio: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_hit_rate: Decimal,
    pub at: llmcost_core::Timestamp,
    /// First day of the weekly average (7 UTC days), when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_from: Option<jiff::civil::Date>,
    /// What the answer cannot account for (a holiday calendar that ends inside the week).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub rows: Vec<BlendRow>,
}

/// What to blend.
#[derive(Debug, Clone)]
pub struct BlendRequest {
    /// Models, as named.
    pub models: Vec<String>,
    /// Input:output token ratio, e.g. `3:1`.
    pub ratio: String,
    /// Share of input tokens read from cache, in [0, 1].
    pub cache_hit_rate: Decimal,
    /// The date `--at` gave alone, if any; see [`clock::week_of`].
    pub week: Option<Date>,
}

/// Blended prices: the wire answer and each row's value, in row order.
#[derive(Debug, Clone)]
pub struct BlendQuote {
    pub json: BlendJson,
    pub valued: Vec<Valued>,
    pub week: Option<Date>,
}

/// The blended price of each model.
pub fn quote(cat: &Catalog, req: &BlendRequest, s: &PriceSettings) -> Result<BlendQuote> {
    let ratio = parse_ratio(&req.ratio)?;
    let hit = req.cache_hit_rate;
    let week = req.week;
    let mut rows = Vec::new();
    let mut valued = Vec::new();
    for m in &req.models {
        let v = clock::value_now_or_week(cat, m, s, week, |st| blended(cat, m, ratio, hit, st))?;
        rows.push(BlendRow {
            model: m.clone(),
            price_per_million: v.value,
            currency: v.priced.cost.currency,
            price: v.priced.price.clone(),
            fx: v.priced.fx.clone(),
            regime: v.regime,
            by_regime: RegimeValueJson::list(&v),
            price_per_million_fraction: v.fraction.clone(),
        });
        valued.push(v);
    }
    let averaged = valued.iter().any(|v| !v.rates.is_empty());
    let warnings: Vec<String> = valued.iter().filter_map(|v| v.warning.clone()).collect();
    Ok(BlendQuote {
        json: BlendJson {
            ratio: req.ratio.clone(),
            cache_hit_rate: hit.normalize(),
            at: s.at,
            average_from: week.filter(|_| averaged),
            warnings,
            rows,
        },
        valued,
        week,
    })
}

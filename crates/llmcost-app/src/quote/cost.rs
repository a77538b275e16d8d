//! `cost`: the exact, itemised cost of one usage.

use llmcost_catalog::Catalog;
use llmcost_core::{
    Currency, Decimal, LineItem, RateRegime, Regime, ServiceTier, Timestamp, Usage,
};
use serde::Serialize;

use super::{FxApplied, PriceSettings, Priced, Provenance, Result, invalid, price};

/// Wire format of `cost --format json` for one usage (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct CostJson {
    /// The name asked for.
    pub model: String,
    /// The catalog model that priced it.
    pub resolved_model: String,
    pub at: Timestamp,
    pub currency: Currency,
    /// Exact total, decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub items: Vec<LineItem>,
    pub usage: Usage,
    pub regime: Regime,
    /// The time-of-day rate that priced it: `peak`, `off_peak` or `standard`.
    pub rate_regime: RateRegime,
    pub price: Provenance,
    pub fx: Option<FxApplied>,
    /// With a response body: how it was read (`OpenAI Chat Completions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// What the answer cannot account for (a holiday calendar that has ended).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl CostJson {
    /// The answer for a usage priced at `at`.
    pub fn new(
        cat: &Catalog,
        model: &str,
        usage: &Usage,
        at: Timestamp,
        p: &Priced,
        shape: Option<String>,
    ) -> CostJson {
        CostJson {
            model: model.to_string(),
            resolved_model: p.price.model.clone(),
            at,
            currency: p.cost.currency,
            total: p.cost.total,
            items: p.cost.items.clone(),
            usage: *usage,
            regime: p.cost.regime,
            rate_regime: super::clock::regime_of_priced(cat, p, at).0,
            price: p.price.clone(),
            fx: p.fx.clone(),
            shape,
            warnings: super::calendar::instant_warning(cat, p, at)
                .into_iter()
                .collect(),
        }
    }
}

/// What to price.
#[derive(Debug, Clone)]
pub struct CostRequest {
    /// Model id or alias.
    pub model: String,
    /// Tokens per bucket (at least one non-zero).
    pub usage: Usage,
    pub tier: ServiceTier,
}

impl CostRequest {
    /// Checks the request before any catalog is read: some tokens are needed.
    pub fn check(&self) -> Result<()> {
        if self.usage.is_zero() {
            invalid!(
                "no tokens given: pass at least one of --input, --cache-read, --cache-write, --cache-write-1h, --output, --reasoning (or an audio/image bucket: --input-audio, --cache-read-audio, --output-audio, --input-image, --output-image)"
            );
        }
        Ok(())
    }
}

/// A usage priced: the wire answer and the priced row behind it.
#[derive(Debug, Clone)]
pub struct CostQuote {
    pub json: CostJson,
    pub priced: Priced,
}

/// Prices one usage at the settings' instant.
pub fn quote(cat: &Catalog, req: &CostRequest, s: &PriceSettings) -> Result<CostQuote> {
    req.check()?;
    let p = price(cat, &req.model, &req.usage, s.at, req.tier, s)?;
    Ok(CostQuote {
        json: CostJson::new(cat, &req.model, &req.usage, s.at, &p, None),
        priced: p,
    })
}

//! `prices`: search the catalog; a model's prices at an instant, its price
//! history and sources.

use llmcost_catalog::{Catalog, Model, Origin, TimedAlias};
use llmcost_core::{Currency, Decimal, PriceRow, TierPricing, Timestamp};
use serde::Serialize;

use super::{Result, invalid};
use crate::wire::RatesJson;

#[derive(Debug, Clone, Serialize)]
pub struct OffPeakJson {
    pub schedule: String,
    pub rates: RatesJson,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongContextJson {
    pub threshold: u64,
    pub basis: llmcost_core::TierBasis,
    pub rates: RatesJson,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierJson {
    pub tier: llmcost_core::ServiceTier,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub multiplier: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rates: Option<RatesJson>,
}

/// One price row (stable; add only). Rates are per 1M tokens, exact decimal strings.
#[derive(Debug, Clone, Serialize)]
pub struct RowJson {
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub currency: Currency,
    #[serde(flatten)]
    pub rates: RatesJson,
    pub off_peak: Option<OffPeakJson>,
    pub long_context: Option<LongContextJson>,
    pub service_tiers: Vec<TierJson>,
    pub source: String,
    pub confidence: Option<String>,
    pub note: Option<String>,
    /// The catalog layer of the row: `built-in`, `user:<file>` or `imported:<file>`.
    pub catalog: String,
    /// In `current[]`: the time-of-day rate in force at `at` (`peak`, `off_peak`,
    /// `standard`); the rates above are the row's base (peak or standard) rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_regime: Option<llmcost_core::RateRegime>,
}

/// One price row as JSON.
pub fn row_json(r: &PriceRow, confidence: Option<&String>, origin: Option<&Origin>) -> RowJson {
    let s = r.spec();
    RowJson {
        from: s.from,
        until: s.until,
        currency: s.currency,
        rates: RatesJson::from(&s.rates),
        off_peak: s.off_peak.as_ref().map(|o| OffPeakJson {
            schedule: o.schedule.name.clone(),
            rates: RatesJson::from(&o.rates),
        }),
        long_context: s.long_context.as_ref().map(|l| LongContextJson {
            threshold: l.threshold,
            basis: l.basis,
            rates: RatesJson::from(&l.rates),
        }),
        service_tiers: s
            .service_tiers
            .iter()
            .map(|(t, p)| match p {
                TierPricing::Multiplier(m) => TierJson {
                    tier: *t,
                    multiplier: Some(m.normalize()),
                    rates: None,
                },
                TierPricing::Rates(r) => TierJson {
                    tier: *t,
                    multiplier: None,
                    rates: Some(RatesJson::from(r)),
                },
            })
            .collect(),
        source: s.source.clone(),
        confidence: confidence.cloned(),
        note: s.note.clone(),
        catalog: origin.map_or_else(|| "built-in".to_string(), Origin::label),
        rate_regime: None,
    }
}

/// The rate regime of a row at an instant.
pub fn regime_at(r: &PriceRow, at: Timestamp) -> llmcost_core::RateRegime {
    let sched = r.spec().off_peak.as_ref().map(|o| o.schedule.as_ref());
    llmcost_core::spread::regime_at(sched, at)
}

#[derive(Debug, Clone, Serialize)]
pub struct AliasJson {
    pub name: String,
    pub target: String,
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub source: String,
}

/// One model (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct ModelJson {
    pub id: String,
    pub provider: String,
    pub aliases: Vec<String>,
    pub retired: Option<Timestamp>,
    pub successor: Option<String>,
    /// Rows in force at `at`, one per currency.
    pub current: Vec<RowJson>,
    /// Every row (with --history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<RowJson>>,
    /// Aliases that pointed at this model for a period.
    pub timed_aliases: Vec<AliasJson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PricesJson {
    pub at: Timestamp,
    pub models: Vec<ModelJson>,
    /// A holiday calendar that has ended by `at` (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What to look up.
#[derive(Debug, Clone, Default)]
pub struct PricesRequest {
    /// Text to search in model ids, aliases and providers (empty: everything).
    pub query: String,
    /// The instant the prices are shown at.
    pub at: Timestamp,
    /// Every row of each model's price history, with sources.
    pub history: bool,
    /// Only this provider's models.
    pub provider: Option<String>,
}

/// The models found, in the order shown, with what a table needs.
#[derive(Debug, Clone)]
pub struct PricesQuote<'c> {
    pub at: Timestamp,
    pub history: bool,
    /// Models with a price in force at `at` first; an alias asked for by name first of all.
    pub models: Vec<&'c Model>,
    /// Every timed alias of the catalog, by start then name.
    pub timed: Vec<&'c TimedAlias>,
    /// A holiday calendar that has ended by `at`.
    pub warnings: Vec<String>,
}

/// Searches the catalog.
pub fn quote<'c>(cat: &'c Catalog, req: &PricesRequest) -> Result<PricesQuote<'c>> {
    let at = req.at;
    let q = req.query.as_str();
    let mut models: Vec<&Model> = cat.search(q);
    // An alias asked for by name shows what it means at `at` first.
    if !q.is_empty()
        && let Ok(m) = cat.resolve_model(q, at, None, &mut Vec::new())
    {
        models.retain(|x| x.id != m.id);
        models.insert(0, m);
    }
    if let Some(p) = &req.provider {
        let p = p.trim().to_ascii_lowercase();
        if !cat.providers().contains(&p) {
            invalid!(
                "--provider: no provider `{p}` in the catalog; known: {}",
                cat.providers().join(", ")
            );
        }
        models.retain(|m| m.provider == p);
        if models.is_empty() {
            invalid!("no {p} model matches `{q}`");
        }
    }
    // Models with a price in force at `at` first, then retired or ended ones.
    let current = |m: &Model| m.retired.is_none_or(|r| at < r) && m.rows_at(at).next().is_some();
    models.sort_by_key(|m| !current(m));
    if models.is_empty() {
        let sug = cat.suggestions(q, 3);
        if sug.is_empty() {
            invalid!("no model matches `{q}`");
        }
        invalid!(
            "no model matches `{q}`; closest known: {}",
            sug.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Sorted: the catalog keeps aliases in a hash map, whose order means nothing.
    let mut timed: Vec<&TimedAlias> = cat.timed_aliases().collect();
    timed.sort_by(|a, b| (a.from, &a.name).cmp(&(b.from, &b.name)));
    let warnings = super::calendar::rows_warnings(
        models.iter().flat_map(|m| m.rows_at(at)).map(AsRef::as_ref),
        at,
    );
    Ok(PricesQuote {
        at,
        history: req.history,
        models,
        timed,
        warnings,
    })
}

impl PricesQuote<'_> {
    /// The timed aliases that point at `m`.
    pub fn aliases_of<'a>(&'a self, m: &'a Model) -> impl Iterator<Item = &'a TimedAlias> + 'a {
        self.timed
            .iter()
            .copied()
            .filter(|a| a.target.eq_ignore_ascii_case(&m.id))
    }

    /// The wire answer.
    pub fn json(&self) -> PricesJson {
        let at = self.at;
        PricesJson {
            at,
            warnings: self.warnings.clone(),
            models: self
                .models
                .iter()
                .map(|m| ModelJson {
                    id: m.id.clone(),
                    provider: m.provider.clone(),
                    aliases: m.aliases.clone(),
                    retired: m.retired,
                    successor: m.successor.clone(),
                    current: m
                        .rows
                        .iter()
                        .zip(&m.confidence)
                        .filter(|(r, _)| r.covers(at))
                        .map(|(r, c)| RowJson {
                            rate_regime: Some(regime_at(r, at)),
                            ..row_json(r, c.as_ref(), m.origin_of(r))
                        })
                        .collect(),
                    history: self.history.then(|| {
                        m.rows
                            .iter()
                            .zip(&m.confidence)
                            .map(|(r, c)| row_json(r, c.as_ref(), m.origin_of(r)))
                            .collect()
                    }),
                    timed_aliases: self
                        .aliases_of(m)
                        .map(|a| AliasJson {
                            name: a.name.clone(),
                            target: a.target.clone(),
                            from: a.from,
                            until: a.until,
                            source: a.source.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A long-context threshold as the provider words it: the tier applies when the count is
/// above `t`, so `199999` is "≥200k", `200000` is ">200k"; any other value is shown exactly.
pub fn threshold_label(t: u64) -> String {
    match t.checked_add(1) {
        Some(n) if n.is_multiple_of(1000) => format!("≥{}k", n / 1000),
        _ if t.is_multiple_of(1000) => format!(">{}k", t / 1000),
        _ => format!(">{t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::threshold_label;

    #[test]
    fn thresholds_read_as_the_provider_words_them() {
        // xAI ">= 200k prompt tokens" is stored as "above 199,999".
        assert_eq!(threshold_label(199_999), "≥200k");
        assert_eq!(threshold_label(200_000), ">200k");
        assert_eq!(threshold_label(128_000), ">128k");
        assert_eq!(threshold_label(131_072), ">131072");
    }
}

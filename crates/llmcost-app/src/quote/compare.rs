//! `compare`: one workload, several models, cheapest first.

use jiff::civil::Date;
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal, ServiceTier, Usage, round_for_display};
use serde::Serialize;

use super::clock::{self, RegimeValueJson, Valued};
use super::{
    FxApplied, PriceSettings, Provenance, Result, blended, invalid, invalid_err, parse_ratio,
    price, round_tokens,
};

/// One row of `compare --format json` (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    pub model: String,
    /// Exact cost of the workload, decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: Currency,
    /// Cost relative to the reference model, rounded to 6 decimals.
    #[serde(with = "rust_decimal::serde::str")]
    pub ratio: Decimal,
    pub price: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx: Option<FxApplied>,
    /// `weekly_average` (a price that depends on the hour, averaged over a week),
    /// or the regime at the instant: `peak`, `off_peak`, `standard`.
    pub regime: &'static str,
    /// With `weekly_average`: each regime's share of the week and its `value` (total).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_regime: Vec<RegimeValueJson>,
    /// The exact average as a fraction `N/D`, when `total` had to be rounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_fraction: Option<String>,
}

/// Wire format of `compare --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct CompareJson {
    pub workload: Workload,
    pub reference: String,
    pub currency: Currency,
    pub at: llmcost_core::Timestamp,
    /// First day of the weekly average (7 UTC days), when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_from: Option<jiff::civil::Date>,
    /// What the answer cannot account for (a holiday calendar that ends inside the week).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub rows: Vec<CompareRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub input: u64,
    pub cache_read: u64,
    pub output: u64,
    /// Set when the workload is one million tokens at a ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<String>,
}

/// The workload to compare on.
#[derive(Debug, Clone)]
pub enum CompareWorkload {
    /// These tokens.
    Tokens {
        input: u64,
        cache_read: u64,
        output: u64,
    },
    /// One million tokens at an `IN:OUT` ratio (compares blended prices).
    Ratio(String),
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// Models, as named.
    pub models: Vec<String>,
    pub workload: CompareWorkload,
    /// The model ratios are relative to (default: the cheapest).
    pub reference: Option<String>,
    /// The date `--at` gave alone, if it was a bare date (the weekly average
    /// starts there); see [`clock::week_of`].
    pub week: Option<Date>,
}

/// A comparison: the wire answer, and each row's value (the rates of a weekly
/// average), in the order of `json.rows`.
#[derive(Debug, Clone)]
pub struct CompareQuote {
    pub json: CompareJson,
    pub valued: Vec<Valued>,
    /// The first day of the weekly average, when one could be used.
    pub week: Option<Date>,
}

/// Prices the workload on each model, cheapest first.
pub fn quote(cat: &Catalog, req: &CompareRequest, s: &PriceSettings) -> Result<CompareQuote> {
    let week = req.week;
    let mut rows: Vec<(String, Decimal, Valued)> = Vec::new();
    let workload;
    match &req.workload {
        CompareWorkload::Ratio(r) => {
            let ratio = parse_ratio(r)?;
            let m = Decimal::from(1_000_000);
            let input = round_tokens(m * ratio.0 / (ratio.0 + ratio.1))?;
            workload = Workload {
                input,
                cache_read: 0,
                output: 1_000_000 - input,
                ratio: Some(r.clone()),
            };
            for model in &req.models {
                let v = clock::value_now_or_week(cat, model, s, week, |st| {
                    blended(cat, model, ratio, Decimal::ZERO, st)
                })?;
                rows.push((model.clone(), v.value, v));
            }
        }
        CompareWorkload::Tokens {
            input,
            cache_read,
            output,
        } => {
            let usage = Usage {
                input: *input,
                cache_read: *cache_read,
                output: *output,
                ..Usage::default()
            };
            workload = Workload {
                input: usage.input,
                cache_read: usage.cache_read,
                output: usage.output,
                ratio: None,
            };
            for model in &req.models {
                let v = clock::value_now_or_week(cat, model, s, week, |st| {
                    let p = price(cat, model, &usage, st.at, ServiceTier::Standard, st)?;
                    Ok((p.cost.total, p))
                })?;
                rows.push((model.clone(), v.value, v));
            }
        }
    }
    let currencies: Vec<Currency> = rows.iter().map(|r| r.2.priced.cost.currency).collect();
    if let Some(first) = currencies.first()
        && let Some(other) = currencies.iter().find(|c| *c != first)
    {
        invalid!(
            "the models are priced in different currencies ({first} and {other}): pass --currency, and --fx for models without a list in it"
        );
    }
    rows.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let reference = match &req.reference {
        Some(r) => {
            let lower = r.to_ascii_lowercase();
            rows.iter()
                .find(|x| x.0.to_ascii_lowercase() == lower)
                .map(|x| (x.0.clone(), x.1))
                .ok_or_else(|| {
                    invalid_err!(
                        "--reference `{r}` is not one of the compared models (add it with --model)"
                    )
                })?
        }
        None => rows
            .first()
            .map(|x| (x.0.clone(), x.1))
            .ok_or_else(|| invalid_err!("no model to compare"))?,
    };
    let cur = currencies.first().copied().unwrap_or(Currency::USD);
    let averaged = rows.iter().any(|r| !r.2.rates.is_empty());
    let warnings: Vec<String> = rows.iter().filter_map(|r| r.2.warning.clone()).collect();
    let valued: Vec<Valued> = rows.iter().map(|r| r.2.clone()).collect();
    let json_rows: Vec<CompareRow> = rows
        .into_iter()
        .map(|(model, total, v)| CompareRow {
            ratio: if reference.1.is_zero() {
                Decimal::ZERO
            } else {
                round_for_display(total / reference.1, 6).normalize()
            },
            model,
            total: total.normalize(),
            currency: v.priced.cost.currency,
            by_regime: RegimeValueJson::list(&v),
            regime: v.regime,
            total_fraction: v.fraction,
            price: v.priced.price,
            fx: v.priced.fx,
        })
        .collect();
    Ok(CompareQuote {
        json: CompareJson {
            workload,
            reference: reference.0,
            currency: cur,
            at: s.at,
            average_from: week.filter(|_| averaged),
            warnings,
            rows: json_rows,
        },
        valued,
        week,
    })
}

//! `llmcost blend`: price per million tokens at an input:output ratio.

use std::io::Write;

use anyhow::Result;
use llmcost_core::{Currency, Decimal};
use serde::Serialize;

use super::clock::{self, RegimeValueJson};
use super::{ExitStatus, catalog};
use crate::args::{BlendArgs, Format};
use crate::common::{FxApplied, PriceSettings, Provenance, blended, parse_ratio, parse_share};
use crate::output::{Align, Display, Table};

/// One row of `blend --format json` (stable; add only).
#[derive(Debug, Serialize)]
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
#[derive(Debug, Serialize)]
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

pub fn run(args: &BlendArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let ratio = parse_ratio(&args.ratio)?;
    let hit = args
        .cache_hit_rate
        .as_deref()
        .map(|h| parse_share(h, "--cache-hit-rate"))
        .transpose()?
        .unwrap_or(Decimal::ZERO);
    let cat = catalog()?;
    let week = clock::week_of(args.price.at.as_deref());
    let mut rows = Vec::new();
    let mut valued = Vec::new();
    for m in &args.model {
        let v = clock::value_now_or_week(cat, m, &s, week, |st| blended(cat, m, ratio, hit, st))?;
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
    match args.price.format {
        Format::Json => crate::output::write_json(
            out,
            &BlendJson {
                ratio: args.ratio.clone(),
                cache_hit_rate: hit.normalize(),
                at: s.at,
                average_from: week.filter(|_| averaged),
                warnings: warnings.clone(),
                rows,
            },
        )?,
        Format::Table => {
            let mut d = Display::default();
            let mut head = vec![("model", Align::Left), ("blended /1M", Align::Right)];
            let clocked = valued.iter().any(|v| v.regime != "standard");
            if clocked {
                head.push(("by time of day", Align::Left));
            }
            head.extend([("currency", Align::Left), ("price list", Align::Left)]);
            let mut t = Table::new(&head);
            for (r, v) in rows.iter().zip(&valued) {
                let mut amount = d.amount(r.price_per_million);
                if !v.rates.is_empty() {
                    amount.push('*');
                }
                let mut cells = vec![r.model.clone(), amount];
                if clocked {
                    cells.push(clock::by_time_of_day(v, &mut d));
                }
                cells.extend([
                    r.currency.to_string(),
                    format!(
                        "{} from {}",
                        r.price.model,
                        r.price.from.strftime("%Y-%m-%d")
                    ),
                ]);
                t.row(cells);
            }
            let cache = if hit.is_zero() {
                "all input at the cache-miss rate".to_string()
            } else {
                format!(
                    "{}% of input read from cache",
                    (hit * Decimal::ONE_HUNDRED).normalize()
                )
            };
            writeln!(
                out,
                "blended price per 1M tokens at {} input:output ({cache}), prices at {}{}\n",
                args.ratio,
                crate::output::when(s.at),
                if averaged {
                    " (* a weekly average)"
                } else {
                    ""
                }
            )?;
            write!(out, "{}", t.render())?;
            if let Some(n) = clock::week_note(week, &valued.iter().collect::<Vec<_>>()) {
                writeln!(out, "{n}")?;
            }
            for w in &warnings {
                writeln!(out, "warning: {w}")?;
            }
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

//! `llmcost blend`: price per million tokens at an input:output ratio.

use std::io::Write;

use anyhow::Result;
use llmcost_core::{Currency, Decimal};
use serde::Serialize;

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
}

/// Wire format of `blend --format json`.
#[derive(Debug, Serialize)]
pub struct BlendJson {
    pub ratio: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_hit_rate: Decimal,
    pub at: llmcost_core::Timestamp,
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
    let mut rows = Vec::new();
    for m in &args.model {
        let (per_m, p) = blended(cat, m, ratio, hit, &s)?;
        rows.push(BlendRow {
            model: m.clone(),
            price_per_million: per_m,
            currency: p.cost.currency,
            price: p.price,
            fx: p.fx,
        });
    }
    match args.price.format {
        Format::Json => crate::output::write_json(
            out,
            &BlendJson {
                ratio: args.ratio.clone(),
                cache_hit_rate: hit.normalize(),
                at: s.at,
                rows,
            },
        )?,
        Format::Table => {
            let mut d = Display::default();
            let mut t = Table::new(&[
                ("model", Align::Left),
                ("blended /1M", Align::Right),
                ("currency", Align::Left),
                ("price list", Align::Left),
            ]);
            for r in &rows {
                t.row(vec![
                    r.model.clone(),
                    d.amount(r.price_per_million),
                    r.currency.to_string(),
                    format!(
                        "{} from {}",
                        r.price.model,
                        r.price.from.strftime("%Y-%m-%d")
                    ),
                ]);
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
                "blended price per 1M tokens at {} input:output ({cache}), prices at {}\n",
                args.ratio,
                crate::output::when(s.at)
            )?;
            write!(out, "{}", t.render())?;
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

//! `llmcost compare`: one workload, several models, cheapest first.

use std::io::Write;

use anyhow::{Result, anyhow};
use llmcost_core::{Currency, Decimal, ServiceTier, Usage, round_for_display};
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::{CompareArgs, Format};
use crate::common::{FxApplied, PriceSettings, Provenance, blended, parse_ratio, price};
use crate::output::{Align, Display, Table, int};

/// One row of `compare --format json` (stable; add only).
#[derive(Debug, Serialize)]
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
}

/// Wire format of `compare --format json`.
#[derive(Debug, Serialize)]
pub struct CompareJson {
    pub workload: Workload,
    pub reference: String,
    pub currency: Currency,
    pub at: llmcost_core::Timestamp,
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

pub fn run(args: &CompareArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let cat = catalog()?;
    let mut rows = Vec::new();
    let workload;
    if let Some(r) = &args.ratio {
        let ratio = parse_ratio(r)?;
        let m = Decimal::from(1_000_000);
        let input = crate::common::round_tokens(m * ratio.0 / (ratio.0 + ratio.1))?;
        workload = Workload {
            input,
            cache_read: 0,
            output: 1_000_000 - input,
            ratio: Some(r.clone()),
        };
        for model in &args.model {
            let (per_m, p) = blended(cat, model, ratio, Decimal::ZERO, &s)?;
            rows.push((model.clone(), per_m, p));
        }
    } else {
        let usage = Usage {
            input: args.input.unwrap_or(0),
            cache_read: args.cache_read.unwrap_or(0),
            output: args.output.unwrap_or(0),
            ..Usage::default()
        };
        workload = Workload {
            input: usage.input,
            cache_read: usage.cache_read,
            output: usage.output,
            ratio: None,
        };
        for model in &args.model {
            let p = price(cat, model, &usage, s.at, ServiceTier::Standard, &s)?;
            rows.push((model.clone(), p.cost.total, p));
        }
    }
    let currencies: Vec<Currency> = rows.iter().map(|r| r.2.cost.currency).collect();
    if let Some(first) = currencies.first()
        && let Some(other) = currencies.iter().find(|c| *c != first)
    {
        crate::common::usage_bail!(
            "the models are priced in different currencies ({first} and {other}): pass --currency, and --fx for models without a list in it"
        );
    }
    rows.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let reference = match &args.reference {
        Some(r) => {
            let lower = r.to_ascii_lowercase();
            rows.iter()
                .find(|x| x.0.to_ascii_lowercase() == lower)
                .map(|x| (x.0.clone(), x.1))
                .ok_or_else(|| {
                    crate::common::usage_err!(
                        "--reference `{r}` is not one of the compared models (add it with --model)"
                    )
                })?
        }
        None => rows
            .first()
            .map(|x| (x.0.clone(), x.1))
            .ok_or_else(|| anyhow!("no model to compare"))?,
    };
    let cur = currencies.first().copied().unwrap_or(Currency::USD);
    let json_rows: Vec<CompareRow> = rows
        .into_iter()
        .map(|(model, total, p)| CompareRow {
            ratio: if reference.1.is_zero() {
                Decimal::ZERO
            } else {
                round_for_display(total / reference.1, 6).normalize()
            },
            model,
            total: total.normalize(),
            currency: p.cost.currency,
            price: p.price,
            fx: p.fx,
        })
        .collect();
    match args.price.format {
        Format::Json => crate::output::write_json(
            out,
            &CompareJson {
                workload,
                reference: reference.0,
                currency: cur,
                at: s.at,
                rows: json_rows,
            },
        )?,
        Format::Table => {
            let mut d = Display::default();
            let what = match &workload.ratio {
                Some(r) => format!("1,000,000 tokens at {r} input:output (blended price per 1M)"),
                None => format!(
                    "{} input, {} cache read, {} output tokens",
                    int(workload.input),
                    int(workload.cache_read),
                    int(workload.output)
                ),
            };
            writeln!(
                out,
                "workload: {what}; prices at {}\n",
                crate::output::when(s.at)
            )?;
            let mut t = Table::new(&[
                ("model", Align::Left),
                (&format!("cost {cur}"), Align::Right),
                (&format!("× {}", reference.0), Align::Right),
            ]);
            for r in &json_rows {
                t.row(vec![
                    r.model.clone(),
                    d.amount(r.total),
                    format!("{}×", d.rounded(r.ratio, 2)),
                ]);
            }
            write!(out, "{}", t.render())?;
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

//! `llmcost compare`: one workload, several models, cheapest first.

use std::io::Write;

use anyhow::{Result, anyhow};
use llmcost_core::{Currency, Decimal, ServiceTier, Usage, round_for_display};
use serde::Serialize;

use super::clock::{self, RegimeValueJson, Valued};
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
#[derive(Debug, Serialize)]
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

pub fn run(args: &CompareArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let cat = catalog()?;
    let week = clock::week_of(args.price.at.as_deref());
    let mut rows: Vec<(String, Decimal, Valued)> = Vec::new();
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
            let v = clock::value_now_or_week(cat, model, &s, week, |st| {
                blended(cat, model, ratio, Decimal::ZERO, st)
            })?;
            rows.push((model.clone(), v.value, v));
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
            let v = clock::value_now_or_week(cat, model, &s, week, |st| {
                let p = price(cat, model, &usage, st.at, ServiceTier::Standard, st)?;
                Ok((p.cost.total, p))
            })?;
            rows.push((model.clone(), v.value, v));
        }
    }
    let currencies: Vec<Currency> = rows.iter().map(|r| r.2.priced.cost.currency).collect();
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
    let averaged = rows.iter().any(|r| !r.2.rates.is_empty());
    let warnings: Vec<String> = rows.iter().filter_map(|r| r.2.warning.clone()).collect();
    let clocked = rows.iter().any(|r| r.2.regime != "standard");
    let valued: Vec<(String, Valued)> = rows.iter().map(|r| (r.0.clone(), r.2.clone())).collect();
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
    match args.price.format {
        Format::Json => crate::output::write_json(
            out,
            &CompareJson {
                workload,
                reference: reference.0,
                currency: cur,
                at: s.at,
                average_from: week.filter(|_| averaged),
                warnings: warnings.clone(),
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
                "workload: {what}; prices at {}{}\n",
                crate::output::when(s.at),
                if averaged {
                    " (* a weekly average)"
                } else {
                    ""
                }
            )?;
            let cost_h = format!("cost {cur}");
            let ref_h = format!("× {}", reference.0);
            let mut head = vec![
                ("model", Align::Left),
                (cost_h.as_str(), Align::Right),
                (ref_h.as_str(), Align::Right),
            ];
            if clocked {
                head.push(("by time of day", Align::Left));
            }
            let mut t = Table::new(&head);
            for r in &json_rows {
                let v = valued.iter().find(|(m, _)| *m == r.model).map(|x| &x.1);
                let mut amount = d.amount(r.total);
                if v.is_some_and(|v| !v.rates.is_empty()) {
                    amount.push('*');
                }
                let mut cells = vec![
                    r.model.clone(),
                    amount,
                    format!("{}×", d.rounded(r.ratio, 2)),
                ];
                if clocked {
                    cells.push(
                        v.map(|v| clock::by_time_of_day(v, &mut d))
                            .unwrap_or_default(),
                    );
                }
                t.row(cells);
            }
            write!(out, "{}", t.render())?;
            if let Some(n) =
                clock::week_note(week, &valued.iter().map(|x| &x.1).collect::<Vec<_>>())
            {
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

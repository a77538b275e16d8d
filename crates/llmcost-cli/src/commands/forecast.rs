//! `llmcost forecast`: daily and period cost of a steady workload.

use std::io::Write;

use anyhow::Result;
use llmcost_core::{Currency, Decimal, ServiceTier, Usage};
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::{ForecastArgs, Format};
use crate::common::{PriceSettings, Provenance, parse_share, price, round_tokens};
use crate::output::{Display, int};

/// Wire format of `forecast --format json` (stable; add only).
#[derive(Debug, Serialize)]
pub struct ForecastJson {
    pub model: String,
    pub at: llmcost_core::Timestamp,
    pub days: u32,
    pub requests_per_day: u64,
    /// Tokens per day, by bucket.
    pub daily_usage: Usage,
    #[serde(with = "rust_decimal::serde::str")]
    pub daily_total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub period_total: Decimal,
    pub currency: Currency,
    pub items: Vec<llmcost_core::LineItem>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_hit_rate: Decimal,
    /// Daily cost if nothing were read from cache (present with --cache-hit-rate).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub daily_total_without_cache: Option<Decimal>,
    /// What caching saves per day and per period.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub daily_saving: Option<Decimal>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub period_saving: Option<Decimal>,
    pub price: Provenance,
}

pub fn run(args: &ForecastArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    if args.days == 0 {
        crate::common::usage_bail!("--days must be at least 1");
    }
    let hit = args
        .cache_hit_rate
        .as_deref()
        .map(|h| parse_share(h, "--cache-hit-rate"))
        .transpose()?;
    let n = args.requests_per_day;
    let input_day = n
        .checked_mul(args.input)
        .ok_or_else(|| crate::common::usage_err!("input tokens per day overflow"))?;
    let output_day = n
        .checked_mul(args.output)
        .ok_or_else(|| crate::common::usage_err!("output tokens per day overflow"))?;
    let cached = round_tokens(Decimal::from(input_day) * hit.unwrap_or(Decimal::ZERO))?;
    let usage = Usage {
        input: input_day - cached,
        cache_read: cached,
        output: output_day,
        ..Usage::default()
    };
    let cat = catalog()?;
    let p = price(cat, &args.model, &usage, s.at, ServiceTier::Standard, &s)?;
    let days = Decimal::from(args.days);
    let without = match hit {
        Some(_) => {
            let flat = Usage {
                input: input_day,
                output: output_day,
                ..Usage::default()
            };
            Some(
                price(cat, &args.model, &flat, s.at, ServiceTier::Standard, &s)?
                    .cost
                    .total,
            )
        }
        None => None,
    };
    let daily = p.cost.total;
    let j = ForecastJson {
        model: args.model.clone(),
        at: s.at,
        days: args.days,
        requests_per_day: n,
        daily_usage: usage,
        daily_total: daily,
        period_total: (daily * days).normalize(),
        currency: p.cost.currency,
        items: p.cost.items.clone(),
        cache_hit_rate: hit.unwrap_or(Decimal::ZERO).normalize(),
        daily_total_without_cache: without,
        daily_saving: without.map(|w| (w - daily).normalize()),
        period_saving: without.map(|w| ((w - daily) * days).normalize()),
        price: p.price.clone(),
    };
    match args.price.format {
        Format::Json => crate::output::write_json(out, &j)?,
        Format::Table => {
            let mut d = Display::default();
            let cur = j.currency;
            writeln!(
                out,
                "forecast: {} requests a day × ({} input + {} output tokens) on {}, prices at {}\n",
                int(n),
                int(args.input),
                int(args.output),
                args.model,
                crate::output::when(s.at)
            )?;
            let text = super::cost::table(&mut d, &args.model, &usage, s.at, &p, None);
            // Drop the heading line: the forecast heading above replaces it.
            let body = text.split_once('\n').map_or(text.as_str(), |x| x.1);
            // The rounding footnote is printed once, after the totals below.
            let body = d
                .footnote()
                .and_then(|f| body.strip_suffix(&format!("{f}\n")))
                .unwrap_or(body);
            write!(out, "{}", body.trim_start_matches('\n'))?;
            writeln!(out)?;
            writeln!(out, "per day:       {} {cur}", d.amount(daily))?;
            writeln!(
                out,
                "per {} days:   {} {cur}",
                args.days,
                d.amount(j.period_total)
            )?;
            if let (Some(w), Some(sv), Some(ps)) = (without, j.daily_saving, j.period_saving) {
                writeln!(
                    out,
                    "without cache: {} {cur} a day; caching saves {} {cur} a day, {} {cur} per {} days",
                    d.amount(w),
                    d.amount(sv),
                    d.amount(ps),
                    args.days
                )?;
            }
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

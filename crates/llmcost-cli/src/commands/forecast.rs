//! `llmcost forecast`: daily and period cost of a steady workload.

use std::io::Write;

use anyhow::{Context, Result};
use llmcost_core::{Currency, Decimal, Ratio, ServiceTier, Usage};
use serde::Serialize;

use super::clock::{self, RateJson, RateShare};
use super::{ExitStatus, catalog};
use crate::args::{ForecastArgs, Format};
use crate::common::{PriceSettings, Provenance, parse_share, price, round_tokens};
use crate::output::{Align, Display, Table, int, when};

/// Wire format of `forecast --format json` (stable; add only).
#[derive(Debug, Serialize)]
pub struct ForecastJson {
    pub model: String,
    /// First instant of the period.
    pub at: llmcost_core::Timestamp,
    /// First and last day of the period (dates in `tz`).
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// Daily hours the requests are spread over (`00:00-24:00`: the whole day).
    pub hours: String,
    pub tz: String,
    pub days: u32,
    pub requests_per_day: u64,
    /// Tokens per day, by bucket.
    pub daily_usage: Usage,
    /// Average cost of a day of the period.
    #[serde(with = "rust_decimal::serde::str")]
    pub daily_total: Decimal,
    /// Cost of the period: exact when `exact` (always, unless the value has no
    /// finite decimal expansion; `period_total_fraction` is then the exact value).
    #[serde(with = "rust_decimal::serde::str")]
    pub period_total: Decimal,
    /// `period_total` as an exact fraction `N/D`.
    pub period_total_fraction: String,
    /// `daily_total` (the period total over its days) as an exact fraction `N/D`.
    pub daily_total_fraction: String,
    /// Whether `period_total` is the exact value (not rounded).
    pub exact: bool,
    /// Whether some of the period was priced by a time-of-day rule.
    pub time_of_day: bool,
    /// Each rate the period was priced at, with its share of the requests.
    pub rates: Vec<ForecastRate>,
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
    /// What the answer cannot account for (a holiday calendar that ends inside the period).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One rate of a forecast (stable; add only).
#[derive(Debug, Serialize)]
pub struct ForecastRate {
    #[serde(flatten)]
    pub rate: RateJson,
    /// Cost of one whole day's requests at this rate, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub day_cost: Decimal,
    /// A day's usage priced at this rate.
    pub items: Vec<llmcost_core::LineItem>,
}

pub fn run(args: &ForecastArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    if args.days == 0 {
        crate::common::usage_bail!("--days must be at least 1");
    }
    if args.from.is_some() && args.price.at.is_some() {
        crate::common::usage_bail!(
            "give --from DATE or --at TIME, not both: the period starts on one day"
        );
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
    let tz = clock::zone(args.tz.as_deref())?;
    let tz_name = args.tz.clone().unwrap_or_else(|| "UTC".into());
    let from = clock::first_day(args.from.as_deref(), args.price.at.as_deref(), &tz)?;
    let spans = clock::period(from, args.days, args.hours.as_deref(), tz)?;
    let cat = catalog()?;
    let spread_of = |u: &Usage| {
        clock::spread(cat, &args.model, &spans, &s, |st| {
            let p = price(cat, &args.model, u, st.at, ServiceTier::Standard, st).with_context(
                || {
                    format!(
                        "the forecast period reaches {} (--from, --days)",
                        when(st.at)
                    )
                },
            )?;
            Ok((p.cost.total, p))
        })
    };
    let rates = spread_of(&usage)?;
    let Some(first) = rates.first() else {
        crate::common::usage_bail!("nothing to price in the period");
    };
    let days = Ratio::new(i128::from(args.days), 1)?;
    let daily = clock::weighted(&rates)?;
    let period = daily.checked_mul(days)?;
    let without = match hit {
        Some(_) => {
            let flat = Usage {
                input: input_day,
                output: output_day,
                ..Usage::default()
            };
            Some(clock::weighted(&spread_of(&flat)?)?)
        }
        None => None,
    };
    let saving = without
        .map(|w| w.checked_add(daily.checked_mul(Ratio::new(-1, 1)?)?))
        .transpose()?;
    let period_saving = saving.map(|x| x.checked_mul(days)).transpose()?;
    let time_of_day = clock::follows_clock(&rates);
    let hours = args.hours.clone().unwrap_or_else(|| "00:00-24:00".into());
    let (first_span, last_span) = (spans.first(), spans.last());
    let j = ForecastJson {
        model: args.model.clone(),
        at: first_span.map_or(s.at, |x| x.start),
        from,
        to: last_span.map_or(from, |x| x.date),
        hours: hours.clone(),
        tz: tz_name.clone(),
        days: args.days,
        requests_per_day: n,
        daily_usage: usage,
        daily_total: daily.to_decimal(),
        period_total: period.to_decimal(),
        period_total_fraction: period.to_string(),
        daily_total_fraction: daily.to_string(),
        exact: period.is_exact_decimal(),
        time_of_day,
        rates: rates
            .iter()
            .map(|r| ForecastRate {
                rate: RateJson::of(r),
                day_cost: r.value.normalize(),
                items: r.priced.cost.items.clone(),
            })
            .collect(),
        currency: first.priced.cost.currency,
        items: first.priced.cost.items.clone(),
        cache_hit_rate: hit.unwrap_or(Decimal::ZERO).normalize(),
        daily_total_without_cache: without.map(|w| w.to_decimal()),
        daily_saving: saving.map(|x| x.to_decimal()),
        period_saving: period_saving.map(|x| x.to_decimal()),
        price: first.priced.price.clone(),
        warnings: clock::calendar_warning(cat, &args.model, &spans, &s)
            .into_iter()
            .collect(),
    };
    match args.price.format {
        Format::Json => crate::output::write_json(out, &j)?,
        Format::Table => table(out, args, &j, &rates, &spans, &s)?,
    }
    Ok(ExitStatus::Success)
}

fn table(
    out: &mut dyn Write,
    args: &ForecastArgs,
    j: &ForecastJson,
    rates: &[RateShare],
    spans: &[llmcost_core::DaySpan],
    s: &PriceSettings,
) -> Result<()> {
    let mut d = Display::default();
    let cur = j.currency;
    writeln!(
        out,
        "forecast: {} requests a day × ({} input + {} output tokens) on {}",
        int(j.requests_per_day),
        int(args.input),
        int(args.output),
        args.model,
    )?;
    let spread = if args.hours.is_some() {
        format!("{} ({})", j.hours, j.tz)
    } else {
        format!("the whole day ({} days)", j.tz)
    };
    let span = match (spans.first(), spans.last()) {
        (Some(a), Some(b)) => format!("{} → {}", when(a.start), when(b.end)),
        _ => String::new(),
    };
    writeln!(
        out,
        "period: {} days, {} to {} ({span}); requests spread evenly over {spread}\n",
        j.days,
        j.from.strftime("%a %Y-%m-%d"),
        j.to.strftime("%a %Y-%m-%d"),
    )?;
    if let [only] = rates {
        // One rate all period: the usual itemised table.
        let text = super::cost::table(
            &mut d,
            &args.model,
            &j.daily_usage,
            j.at,
            &only.priced,
            None,
        );
        let body = text.split_once('\n').map_or(text.as_str(), |x| x.1);
        let body = d
            .footnote()
            .and_then(|f| body.strip_suffix(&format!("{f}\n")))
            .unwrap_or(body);
        write!(out, "{}", body.trim_start_matches('\n'))?;
    } else {
        let many_rows = rates.iter().any(|r| {
            r.priced.price.from != rates[0].priced.price.from
                || r.priced.price.model != rates[0].priced.price.model
        });
        // With several price rows the rates are numbered: #1 peak, #2 off-peak...
        let short = |i: usize, r: &RateShare| {
            if many_rows {
                format!("#{} {}", i + 1, r.regime)
            } else {
                r.regime.to_string()
            }
        };
        let label = |i: usize, r: &RateShare| {
            if many_rows {
                format!(
                    "{} ({} from {})",
                    short(i, r),
                    r.priced.price.model,
                    r.priced.price.from.strftime("%Y-%m-%d %H:%M")
                )
            } else {
                r.regime.to_string()
            }
        };
        let mut head: Vec<(String, Align)> = vec![
            ("bucket".into(), Align::Left),
            ("tokens a day".into(), Align::Right),
        ];
        for (i, r) in rates.iter().enumerate() {
            head.push((format!("{} {cur}/1M", short(i, r)), Align::Right));
        }
        let head_ref: Vec<(&str, Align)> = head.iter().map(|(h, a)| (h.as_str(), *a)).collect();
        let mut t = Table::new(&head_ref);
        for it in &rates[0].priced.cost.items {
            let mut row = vec![it.bucket.label().to_string(), int(it.tokens)];
            for r in rates {
                row.push(
                    r.priced
                        .cost
                        .items
                        .iter()
                        .find(|x| x.bucket == it.bucket)
                        .map_or("—".into(), |x| d.amount(x.rate_per_million)),
                );
            }
            t.row(row);
        }
        write!(out, "{}", t.render())?;
        writeln!(out)?;
        let mut t = Table::new(&[
            ("rate", Align::Left),
            ("share of requests", Align::Right),
            (&format!("a whole day at this rate {cur}"), Align::Right),
        ]);
        for (i, r) in rates.iter().enumerate() {
            t.row(vec![
                label(i, r),
                clock::share_text(r.share),
                d.amount(r.value),
            ]);
        }
        write!(out, "{}", t.render())?;
        writeln!(out)?;
        let mut seen: Vec<(&str, llmcost_core::Timestamp)> = Vec::new();
        for r in rates {
            let p = &r.priced.price;
            if seen.contains(&(p.model.as_str(), p.from)) {
                continue;
            }
            seen.push((p.model.as_str(), p.from));
            writeln!(
                out,
                "price: {} {} list, in force {} → {}{}",
                p.model,
                p.currency,
                crate::output::since(p.from),
                p.until.map_or("now".into(), when),
                p.confidence
                    .as_ref()
                    .map(|c| format!(", confidence {c}"))
                    .unwrap_or_default()
            )?;
            writeln!(out, "source: {}", p.source)?;
        }
        // The schedule of the first time-of-day row (its window, in words).
        let cat = catalog()?;
        if let Some(sc) = rates
            .iter()
            .filter(|r| r.regime != llmcost_core::RateRegime::Standard)
            .find_map(|r| clock::schedule_at(cat, &args.model, r.priced.price.from.max(j.at), s))
        {
            writeln!(out, "time of day: {}", clock::describe(&sc))?;
        }
    }
    writeln!(out)?;
    let day_label = if rates.len() > 1 {
        "per day (average):".to_string()
    } else {
        "per day:".to_string()
    };
    let period_label = format!("per {} days:", j.days);
    let w = day_label.len().max(period_label.len()).max(14) + 1;
    writeln!(out, "{day_label:<w$}{} {cur}", d.amount(j.daily_total))?;
    writeln!(out, "{period_label:<w$}{} {cur}", d.amount(j.period_total))?;
    if let (Some(w), Some(sv), Some(ps)) =
        (j.daily_total_without_cache, j.daily_saving, j.period_saving)
    {
        writeln!(
            out,
            "without cache: {} {cur} a day; caching saves {} {cur} a day, {} {cur} per {} days",
            d.amount(w),
            d.amount(sv),
            d.amount(ps),
            j.days
        )?;
    }
    for w in &j.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if !j.exact {
        writeln!(
            out,
            "the exact period total is the fraction {} {cur} (--format json: period_total_fraction)",
            j.period_total_fraction
        )?;
    }
    if let Some(f) = d.footnote() {
        writeln!(out, "{f}")?;
    }
    Ok(())
}

//! `llmcost forecast`: daily and period cost of a steady workload (the engine
//! is `llmcost_app::quote::forecast`).

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::clock::{self, RateShare};
use llmcost_app::quote::forecast::{ForecastJson, ForecastRequest};
use llmcost_app::quote::{self, parse_share};
use llmcost_catalog::Catalog;

use super::ExitStatus;
use crate::args::{ForecastArgs, Format};
use crate::common::PriceSettings;
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table, int, when};

pub fn run(args: &ForecastArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let req = ForecastRequest {
        model: args.model.clone(),
        requests_per_day: args.requests_per_day,
        input: args.input,
        output: args.output,
        cache_hit_rate: None,
        days: args.days,
        from: args.from.clone(),
        hours: args.hours.clone(),
        tz: args.tz.clone(),
    };
    req.check(&s)?;
    let hit = args
        .cache_hit_rate
        .as_deref()
        .map(|h| parse_share(h, "--cache-hit-rate"))
        .transpose()?;
    let cat = ctx.catalog()?;
    let req = ForecastRequest {
        cache_hit_rate: hit,
        ..req
    };
    let q = quote::forecast::quote(cat, &req, &s)?;
    match args.price.format {
        Format::Json => crate::output::write_json(out, &q.json)?,
        Format::Table => table(out, cat, args, &q.json, &q.rates, &q.spans, &s)?,
    }
    Ok(ExitStatus::Success)
}

fn table(
    out: &mut dyn Write,
    cat: &Catalog,
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
            cat,
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

//! `llmcost blend`: price per million tokens at an input:output ratio (the
//! engine is `llmcost_app::quote::blend`).

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::blend::BlendRequest;
use llmcost_app::quote::{self, clock, parse_share};
use llmcost_core::Decimal;

use super::ExitStatus;
use crate::args::{BlendArgs, Format};
use crate::common::PriceSettings;
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table};

pub fn run(args: &BlendArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    llmcost_app::quote::parse_ratio(&args.ratio)?;
    let hit = args
        .cache_hit_rate
        .as_deref()
        .map(|h| parse_share(h, "--cache-hit-rate"))
        .transpose()?
        .unwrap_or(Decimal::ZERO);
    let cat = ctx.catalog()?;
    let q = quote::blend::quote(
        cat,
        &BlendRequest {
            models: args.model.clone(),
            ratio: args.ratio.clone(),
            cache_hit_rate: hit,
            week: clock::week_of(args.price.at.as_deref()),
        },
        &s,
    )?;
    let (rows, valued, week) = (&q.json.rows, &q.valued, q.week);
    let averaged = q.json.average_from.is_some();
    let warnings = &q.json.warnings;
    match args.price.format {
        Format::Json => crate::output::write_json(out, &q.json)?,
        Format::Table => {
            let mut d = Display::default();
            let mut head = vec![("model", Align::Left), ("blended /1M", Align::Right)];
            let clocked = valued.iter().any(|v| v.regime != "standard");
            if clocked {
                head.push(("by time of day", Align::Left));
            }
            head.extend([("currency", Align::Left), ("price list", Align::Left)]);
            let mut t = Table::new(&head);
            for (r, v) in rows.iter().zip(valued.iter()) {
                let mut amount = d.amount(r.price_per_million);
                if !v.rates.is_empty() {
                    amount.push('*');
                }
                let mut cells = vec![r.model.clone(), amount];
                if clocked {
                    cells.push(super::clock::by_time_of_day(v, &mut d));
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
            for w in warnings {
                writeln!(out, "warning: {w}")?;
            }
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

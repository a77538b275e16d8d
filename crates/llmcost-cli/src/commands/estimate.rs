//! `llmcost estimate`: a cost from a total token count and an assumed input
//! share, and the reconciliation of that estimate with a bill (the engine is
//! `llmcost_app::quote::estimate`).

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::estimate::{EstimateRequest, parse_billed};
use llmcost_app::quote::{self, clock, parse_share};
use llmcost_core::{Decimal, round_for_display};

use super::ExitStatus;
use crate::args::{EstimateArgs, Format};
use crate::common::PriceSettings;
use crate::ctx::Ctx;
use crate::output::{Display, int, write_json};

pub fn run(args: &EstimateArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let share = parse_share(&args.input_share, "--input-share")?;
    let billed = args.billed.as_deref().map(parse_billed).transpose()?;
    let cat = ctx.catalog()?;
    let q = quote::estimate::quote(
        cat,
        &EstimateRequest {
            model: args.model.clone(),
            total_tokens: args.total_tokens,
            input_share: share,
            billed,
        },
        &s,
    )?;
    let (usage, p, t, cur) = (&q.usage, &q.priced, args.total_tokens, q.json.currency);
    match args.price.format {
        Format::Json => write_json(out, &q.json)?,
        Format::Table => {
            let mut d = Display::default();
            let mut text = super::cost::table(cat, &mut d, &args.model, usage, s.at, p, None);
            text = text.replacen(
                '\n',
                &format!(
                    "\nestimate: {} tokens, input share {} → {} input (rounded to the nearest token), {} output\n",
                    int(t),
                    args.input_share.trim(),
                    int(usage.input),
                    int(usage.output)
                ),
                1,
            );
            write!(out, "{text}")?;
            if let Some(h) = clock::bare_date_hint(cat, args.price.at.as_deref(), p, s.at) {
                writeln!(out, "{h}")?;
            }
            for w in &q.json.warnings {
                writeln!(out, "warning: {w}")?;
            }
            if let Some(r) = &q.json.reconciliation {
                let b = r.billed;
                writeln!(out)?;
                writeln!(out, "billed:      {} {cur}", b.normalize())?;
                let sign = if r.difference >= Decimal::ZERO {
                    "+"
                } else {
                    ""
                };
                let pct = r
                    .difference_percent
                    .map(|p| {
                        let above = if r.difference >= Decimal::ZERO {
                            "above"
                        } else {
                            "below"
                        };
                        format!(
                            " (the estimate is {}% {above} the bill)",
                            round_for_display(p.abs(), 2).normalize()
                        )
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "difference:  {sign}{} {cur}{pct}",
                    r.difference.normalize()
                )?;
                writeln!(out, "{}", r.explanation)?;
            }
        }
    }
    if q.explained() {
        Ok(ExitStatus::Success)
    } else {
        // Done, but the bill is not explained: exit 1.
        let why = q
            .json
            .reconciliation
            .as_ref()
            .map(|r| r.explanation.as_str());
        ctx.printer.warn(why.unwrap_or_default());
        Ok(ExitStatus::Partial)
    }
}

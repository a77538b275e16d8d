//! `llmcost compare`: one workload, several models, cheapest first (the
//! engine is `llmcost_app::quote::compare`).

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::compare::{CompareRequest, CompareWorkload};
use llmcost_app::quote::{self, clock};

use super::ExitStatus;
use crate::args::{CompareArgs, Format};
use crate::common::PriceSettings;
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table, int};

pub fn run(args: &CompareArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let cat = ctx.catalog()?;
    let workload = match &args.ratio {
        Some(r) => CompareWorkload::Ratio(r.clone()),
        None => CompareWorkload::Tokens {
            input: args.input.unwrap_or(0),
            cache_read: args.cache_read.unwrap_or(0),
            output: args.output.unwrap_or(0),
        },
    };
    let q = quote::compare::quote(
        cat,
        &CompareRequest {
            models: args.model.clone(),
            workload,
            reference: args.reference.clone(),
            week: clock::week_of(args.price.at.as_deref()),
        },
        &s,
    )?;
    let j = &q.json;
    let workload = &j.workload;
    let cur = j.currency;
    let averaged = j.average_from.is_some();
    let clocked = j.rows.iter().any(|r| r.regime != "standard");
    let week = q.week;
    let warnings = &j.warnings;
    match args.price.format {
        Format::Json => crate::output::write_json(out, j)?,
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
            let ref_h = format!("× {}", j.reference);
            let mut head = vec![
                ("model", Align::Left),
                (cost_h.as_str(), Align::Right),
                (ref_h.as_str(), Align::Right),
            ];
            if clocked {
                head.push(("by time of day", Align::Left));
            }
            let mut t = Table::new(&head);
            for (r, v) in j.rows.iter().zip(&q.valued) {
                let v = Some(v);
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
                        v.map(|v| super::clock::by_time_of_day(v, &mut d))
                            .unwrap_or_default(),
                    );
                }
                t.row(cells);
            }
            write!(out, "{}", t.render())?;
            if let Some(n) = clock::week_note(week, &q.valued.iter().collect::<Vec<_>>()) {
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

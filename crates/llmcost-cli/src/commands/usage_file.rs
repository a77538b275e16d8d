//! `llmcost cost --usage FILE|-`: price provider response bodies or usage objects.
//!
//! The engine is `llmcost_app::usage_file`; this renders what it returns.

use crate::ctx::Ctx;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use llmcost_app::usage_file::{Many, Outcome, UsageQuery, price_input, uncached_input};
use llmcost_core::ServiceTier;

use super::ExitStatus;
use crate::args::{CostArgs, Format};
use crate::common::PriceSettings;
use crate::output::{Align, Display, Table, int};

pub fn run(
    args: &CostArgs,
    ctx: &Ctx,
    path: &Path,
    s: &PriceSettings,
    tier: ServiceTier,
    out: &mut dyn Write,
) -> Result<ExitStatus> {
    let (name, reader) = llmcost_app::usage_file::open_input(path)?;
    let q = UsageQuery {
        model: args.model.as_deref(),
        settings: s,
        tier,
    };
    let cat = ctx.catalog()?;
    match price_input(cat, &name, reader, q)? {
        Outcome::Single(one) => {
            let j = llmcost_app::quote::cost::CostJson::new(
                cat,
                &one.model,
                &one.usage,
                one.at,
                &one.priced,
                Some(one.shape),
            );
            super::cost::write_answer(out, cat, args.price.format, &j, &one.priced)?;
            Ok(ExitStatus::Success)
        }
        Outcome::Many(m) => report(out, args.price.format, &m),
    }
}

fn report(out: &mut dyn Write, format: Format, m: &Many) -> Result<ExitStatus> {
    let (agg, name, unit, cur) = (&m.agg, &m.name, m.unit, m.currency);
    let (total, usage, priced) = (m.total, m.usage, m.priced);
    for (line, msg) in &agg.errors {
        eprintln_warn(&format!("{name}:{line}: skipped: {msg}"));
    }
    if agg.error_count > agg.errors.len() as u64 {
        eprintln_warn(&format!(
            "{} more {unit}s skipped",
            agg.error_count - agg.errors.len() as u64
        ));
    }
    crate::common::warn_unpriced(agg.unpriced.keys().map(String::as_str));
    match format {
        Format::Json => crate::output::write_json(out, &m.wire())?,
        Format::Table => {
            let mut d = Display::default();
            let mut t = Table::new(&[
                ("model", Align::Left),
                ("records", Align::Right),
                ("input", Align::Right),
                ("cache read", Align::Right),
                ("cache write", Align::Right),
                ("output", Align::Right),
                (&format!("cost {cur}"), Align::Right),
            ]);
            for (k, v) in &agg.models {
                t.row(vec![
                    k.clone(),
                    int(v.records),
                    int(uncached_input(&v.usage)),
                    int(u128::from(v.usage.cache_read) + u128::from(v.usage.cache_read_audio)),
                    int(u128::from(v.usage.cache_write) + u128::from(v.usage.cache_write_1h)),
                    int(v.usage.completion_tokens()),
                    d.amount(v.total),
                ]);
            }
            t.rule();
            t.row(vec![
                "total".into(),
                int(priced),
                int(uncached_input(&usage)),
                int(u128::from(usage.cache_read) + u128::from(usage.cache_read_audio)),
                int(u128::from(usage.cache_write) + u128::from(usage.cache_write_1h)),
                int(usage.completion_tokens()),
                d.amount(total),
            ]);
            write!(out, "{}", t.render())?;
            if !agg.unpriced.is_empty() {
                writeln!(out, "\nunpriced (not counted in the total):")?;
                for (k, v) in &agg.unpriced {
                    writeln!(
                        out,
                        "  {k}: {} records, {} tokens — {}",
                        int(v.records),
                        int(v.usage.total()),
                        v.reason
                    )?;
                }
            }
            for (f, r) in &agg.fx {
                writeln!(
                    out,
                    "converted: 1 {f} = {} {cur} (rate given with --fx)",
                    r.normalize()
                )?;
            }
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(if agg.error_count > 0 || !agg.unpriced.is_empty() {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

fn eprintln_warn(msg: &str) {
    crate::printer::Printer::current().warn(msg);
}

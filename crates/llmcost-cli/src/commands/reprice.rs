//! `llmcost reprice`: price every stored record again, from its stored usage,
//! with the catalog built into this binary (after a price correction, or to
//! move the ledger to another currency). All changes are written in one
//! transaction.
//!
//! # Wire format (`--format json`)
//!
//! `ledger`, `records`, `changed`, `priced`, `unpriced[]` (`model`, `records`,
//! `tokens`, `reason`).

use crate::ctx::Ctx;
use std::io::Write;

use anyhow::{Context, Result};
use llmcost_core::Currency;

use super::ExitStatus;
use crate::args::{Format, RepriceArgs};
use crate::output::int;

pub fn run(args: &RepriceArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let currency = args
        .currency
        .as_deref()
        .map(Currency::new)
        .transpose()
        .context("invalid --currency")?;
    if let Some(c) = currency {
        super::import::check_currency(ctx.catalog()?, c)?;
    }
    let at = crate::ledger::location(args.ledger.path.as_deref())?;
    let mut ledger = crate::ledger::open_at(&at, llmcost_app::ledger::OpenMode::Existing)?;
    let summary =
        llmcost_app::reprice::reprice(ctx.catalog()?, ledger.as_mut(), currency, at.to_string())?;
    match args.format {
        Format::Json => crate::output::write_json(out, &summary)?,
        Format::Table => {
            writeln!(out, "ledger:           {}", summary.ledger)?;
            writeln!(out, "records:          {}", int(summary.records))?;
            writeln!(out, "priced:           {}", int(summary.priced))?;
            writeln!(out, "costs changed:    {}", int(summary.changed))?;
            if !summary.unpriced.is_empty() {
                writeln!(out, "\nunpriced models (stored without a cost):")?;
                for u in &summary.unpriced {
                    writeln!(
                        out,
                        "  {}: {} records, {} tokens — {}",
                        u.model,
                        int(u.records),
                        int(u.tokens),
                        u.reason
                    )?;
                }
            }
        }
    }
    Ok(if summary.unpriced.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    })
}

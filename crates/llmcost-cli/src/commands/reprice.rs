//! `llmcost reprice`: price every stored record again, from its stored usage,
//! with the catalog built into this binary (after a price correction, or to
//! move the ledger to another currency). All changes are written in one
//! transaction.
//!
//! # Wire format (`--format json`)
//!
//! `ledger`, `records`, `changed`, `priced`, `unpriced[]` (`model`, `records`,
//! `tokens`, `reason`).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result};
use llmcost_core::Currency;
use llmcost_ledger::{CostUpdate, Filter, Ledger};
use serde::Serialize;

use super::import::{UnpricedJson, price_record};
use super::{ExitStatus, catalog};
use crate::args::Format;
use crate::args::RepriceArgs;
use crate::output::int;

/// What a reprice did.
#[derive(Debug, Clone, Serialize)]
pub struct RepriceSummary {
    pub ledger: String,
    pub records: u64,
    pub changed: u64,
    pub priced: u64,
    pub unpriced: Vec<UnpricedJson>,
}

pub fn run(args: &RepriceArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let currency = args
        .currency
        .as_deref()
        .map(Currency::new)
        .transpose()
        .context("invalid --currency")?;
    if let Some(c) = currency {
        super::import::check_currency(catalog()?, c)?;
    }
    let at = crate::ledger::location(args.ledger.as_deref())?;
    let mut ledger = crate::ledger::open_at(&at, llmcost_app::ledger::OpenMode::Existing)?;
    let summary = reprice(ledger.as_mut(), currency, at.to_string())?;
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

/// Prices every record of `ledger` at its own time, in `currency` or else its
/// own currency (USD when it had none), and stores the costs that changed.
pub fn reprice<L: Ledger + ?Sized>(
    ledger: &mut L,
    currency: Option<Currency>,
    name: String,
) -> Result<RepriceSummary> {
    let cat = catalog()?;
    let mut unpriced = BTreeMap::new();
    let mut refs = llmcost_catalog::PriceRefs::default();
    let mut updates: Vec<CostUpdate> = Vec::new();
    let (mut records, mut priced) = (0u64, 0u64);
    ledger
        .for_each_unordered(&Filter::default(), &mut |mut r| {
            records += 1;
            let before = (r.cost, r.currency, r.price_ref.take());
            let cur = currency.or(r.currency).unwrap_or(Currency::USD);
            price_record(cat, &mut r, cur, &mut unpriced, &mut refs);
            priced += u64::from(r.cost.is_some());
            // Compare exact values; `1.10` and `1.1` are the same cost.
            if (before.0, before.1, before.2.as_deref())
                != (r.cost, r.currency, r.price_ref.as_deref())
            {
                updates.push((r.dedup_key, r.cost, r.currency, r.price_ref));
            }
            Ok(())
        })
        .context("cannot read the ledger")?;
    let changed = ledger
        .update_costs(&updates)
        .context("cannot write the new costs; nothing was changed")?;
    Ok(RepriceSummary {
        ledger: name,
        records,
        changed,
        priced,
        unpriced: unpriced
            .into_iter()
            .map(|(model, u)| UnpricedJson {
                model,
                records: u.records,
                tokens: u.tokens,
                reason: u.reason,
            })
            .collect(),
    })
}

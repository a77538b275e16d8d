//! Reprice: price every stored record again, from its stored usage, with the
//! catalog given (after a price correction, or to move the ledger to another
//! currency). All changes are written in one transaction.

use std::collections::BTreeMap;

use llmcost_catalog::Catalog;
use llmcost_core::Currency;
use llmcost_ledger::{CostUpdate, Filter, Ledger};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::import::{UnpricedJson, price_record};

/// What a reprice did (what `llmcost reprice --format json` prints).
#[derive(Debug, Clone, Serialize)]
pub struct RepriceSummary {
    /// The ledger (a path, or a URL without its password).
    pub ledger: String,
    /// Records read.
    pub records: u64,
    /// Records whose cost, currency or price reference changed.
    pub changed: u64,
    /// Records with a price.
    pub priced: u64,
    /// Models with no price (stored without a cost).
    pub unpriced: Vec<UnpricedJson>,
}

/// Prices every record of `ledger` at its own time, in `currency` or else its
/// own currency (USD when it had none), and stores the costs that changed.
///
/// # Errors
/// The ledger cannot be read or written (then nothing was changed).
pub fn reprice<L: Ledger + ?Sized>(
    cat: &Catalog,
    ledger: &mut L,
    currency: Option<Currency>,
    name: String,
) -> Result<RepriceSummary> {
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
        .map_err(|e| Error::ledger("cannot read the ledger", e))?;
    let changed = ledger
        .update_costs(&updates)
        .map_err(|e| Error::ledger("cannot write the new costs; nothing was changed", e))?;
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

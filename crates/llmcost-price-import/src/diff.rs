//! Comparing two catalogs at an instant.

use std::collections::BTreeMap;

use llmcost_catalog::Catalog;
use llmcost_core::{Bucket, Currency, Rates, Timestamp};

/// How a model's price list changed from A to B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Some rates lower, none higher.
    Cheaper,
    /// Some rates higher, none lower.
    Dearer,
    /// Some lower and some higher, or buckets added or removed.
    Changed,
    /// Only in B.
    New,
    /// Only in A.
    Gone,
    /// The same rates.
    Same,
}

impl Change {
    /// Stable key.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Change::Cheaper => "cheaper",
            Change::Dearer => "dearer",
            Change::Changed => "changed",
            Change::New => "new",
            Change::Gone => "gone",
            Change::Same => "same",
        }
    }
}

/// One model and currency compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// Model id (as B names it, or A when gone).
    pub model: String,
    /// Price list currency.
    pub currency: Currency,
    /// What changed.
    pub change: Change,
    /// Standard rates in A.
    pub before: Option<Rates>,
    /// Standard rates in B.
    pub after: Option<Rates>,
}

fn lists(c: &Catalog, at: Timestamp) -> BTreeMap<(String, Currency), (String, Rates)> {
    let mut m = BTreeMap::new();
    for model in c.models() {
        for r in model.rows_at(at) {
            m.insert(
                (model.id.to_ascii_lowercase(), r.spec().currency),
                (model.id.clone(), r.spec().rates.clone()),
            );
        }
    }
    m
}

fn compare(a: &Rates, b: &Rates) -> Change {
    let (mut lower, mut higher, mut other) = (false, false, false);
    for bucket in Bucket::ALL {
        match (a.get(bucket), b.get(bucket)) {
            (Some(x), Some(y)) if y < x => lower = true,
            (Some(x), Some(y)) if y > x => higher = true,
            (Some(_), None) | (None, Some(_)) => other = true,
            _ => {}
        }
    }
    match (lower, higher, other) {
        (false, false, false) => Change::Same,
        (true, false, false) => Change::Cheaper,
        (false, true, false) => Change::Dearer,
        _ => Change::Changed,
    }
}

/// Every model and currency priced at `at` in A or B, compared on standard
/// rates. Sorted by model id, then currency.
#[must_use]
pub fn diff(a: &Catalog, b: &Catalog, at: Timestamp) -> Vec<DiffRow> {
    let la = lists(a, at);
    let lb = lists(b, at);
    let mut keys: Vec<&(String, Currency)> = la.keys().chain(lb.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let before = la.get(k);
            let after = lb.get(k);
            let change = match (before, after) {
                (Some((_, x)), Some((_, y))) => compare(x, y),
                (None, Some(_)) => Change::New,
                _ => Change::Gone,
            };
            DiffRow {
                model: after
                    .or(before)
                    .map(|(id, _)| id.clone())
                    .unwrap_or_default(),
                currency: k.1,
                change,
                before: before.map(|(_, r)| r.clone()),
                after: after.map(|(_, r)| r.clone()),
            }
        })
        .collect()
}

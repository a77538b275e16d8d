//! Reconcile: the cost of the recorded usage against what the provider
//! billed, per day and model, with the likely explanation of each difference
//! where one can be computed.
//!
//! The bill is one amount for the whole period, or lines read from a CSV or
//! JSON file ([`bill`]). Lines of one day and model are added up. Days are
//! cut in the settings' zone.
//!
//! # Explanations (tried in this order; a bill "matches" within 0.5% or 0.01)
//!
//! 1. a missing day: billed but no usage recorded, or recorded but not billed;
//! 2. the previous or next day matches: the bill cuts days in another zone;
//! 3. cache hits priced as misses: the cost with every cache read billed at
//!    the input rate matches;
//! 4. a time window: the day's usage priced all at the off-peak, or all at the
//!    standard rates matches (time-of-day prices such as DeepSeek's);
//! 5. otherwise the input/output split of the day's tokens that explains the
//!    bill exactly (as `estimate --billed`), or that none can.

pub mod bill;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use llmcost_catalog::Catalog;
use llmcost_core::{Bucket, Currency, Decimal, ServiceTier, Timestamp, Usage, round_for_display};
use serde::Serialize;

pub use bill::{BillError, BillLine};

use crate::error::{Error, Result, usage_bail, usage_err};
use crate::report::{Agg, Input, Key, Period, ReportSettings, Sum, day_label};
use crate::text::int;

/// `--tolerance`: an amount, or a percentage of the bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// The default: 0.5% of the bill, at least 0.01.
    Default,
    /// An amount.
    Amount(Decimal),
    /// A percentage of the bill.
    Percent(Decimal),
}

impl Tolerance {
    /// Reads `--tolerance` (`None`: the default).
    ///
    /// # Errors
    /// Not an amount or a percentage, or negative (usage errors).
    pub fn parse(s: Option<&str>) -> Result<Tolerance> {
        let Some(s) = s else {
            return Ok(Tolerance::Default);
        };
        let t = s.trim();
        let (num, pct) = match t.strip_suffix('%') {
            Some(p) => (p.trim(), true),
            None => (t, false),
        };
        let d: Decimal = num.parse().map_err(|_| {
            usage_err!("--tolerance: `{s}` is not an amount or a percentage\nhint: e.g. `--tolerance 0.05` or `--tolerance 1%`")
        })?;
        if d < Decimal::ZERO {
            usage_bail!("--tolerance: `{s}` is negative");
        }
        Ok(if pct {
            Tolerance::Percent(d)
        } else {
            Tolerance::Amount(d)
        })
    }

    /// The largest accepted difference for a bill.
    #[must_use]
    pub fn limit(self, billed: Decimal) -> Decimal {
        match self {
            Tolerance::Default => (billed.abs() * Decimal::new(5, 3)).max(Decimal::new(1, 2)),
            Tolerance::Amount(a) => a,
            Tolerance::Percent(p) => billed.abs() * p / Decimal::ONE_HUNDRED,
        }
    }
}

/// The bill: lines, or one amount for the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bill {
    /// One amount for the whole period.
    Amount(Decimal),
    /// Lines per day (and model).
    Lines(Vec<BillLine>),
}

impl Bill {
    /// The currencies the bill's lines name.
    #[must_use]
    pub fn currencies(&self) -> BTreeSet<Currency> {
        match self {
            Bill::Lines(l) => l.iter().filter_map(|x| x.currency).collect(),
            Bill::Amount(_) => BTreeSet::new(),
        }
    }
}

/// Reads `--billed`: an amount, or a CSV / JSON file.
///
/// # Errors
/// A negative amount (a usage error), a file that cannot be read, or a bill
/// that cannot be parsed.
pub fn read_bill(arg: &str) -> Result<Bill> {
    let t = arg.trim();
    if let Ok(d) = t.trim_start_matches('$').parse::<Decimal>()
        && !Path::new(t).exists()
    {
        if d < Decimal::ZERO {
            usage_bail!("--billed: `{t}` is negative\nhint: give the amount billed, e.g. 23.5");
        }
        return Ok(Bill::Amount(d));
    }
    let bytes = std::fs::read(t).map_err(|e| {
        Error::io(
            format!("--billed: `{t}` is neither an amount nor a readable file"),
            e,
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Bill(BillError::new(format!(
            "{t}: not UTF-8 text (byte {})\nhint: a bill is a CSV or JSON text file",
            e.utf8_error().valid_up_to()
        )))
    })?;
    let lines = bill::parse(t, &text)?;
    Ok(Bill::Lines(lines))
}

// ---------------------------------------------------------------------------

/// Tokens of a line.
#[derive(Debug, Clone, Serialize)]
pub struct TokensJson {
    /// Input tokens (not cached).
    pub input: u64,
    /// Cached input tokens read.
    pub cache_read: u64,
    /// Input tokens written to the cache (5-minute).
    pub cache_write: u64,
    /// Input tokens written to the 1-hour cache.
    pub cache_write_1h: u64,
    /// Output tokens.
    pub output: u64,
    /// Reasoning tokens.
    pub reasoning: u64,
    /// Every token, all buckets.
    pub total_tokens: u128,
}

impl TokensJson {
    /// The tokens of a usage.
    #[must_use]
    pub fn of(u: &Usage) -> TokensJson {
        TokensJson {
            input: u.input,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
            cache_write_1h: u.cache_write_1h,
            output: u.output,
            reasoning: u.reasoning,
            total_tokens: u.total(),
        }
    }
}

/// One compared line: a day (and model), or the whole period.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// The day (`YYYY-MM-DD`), or `first..last` for one amount.
    pub date: String,
    /// The model (`None`: the whole day).
    pub model: Option<String>,
    /// The recorded cost.
    #[serde(with = "rust_decimal::serde::str")]
    pub ledger_cost: Decimal,
    /// The amount billed.
    #[serde(with = "rust_decimal::serde::str")]
    pub billed: Decimal,
    /// Recorded − billed.
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
    /// The difference as a percentage of the bill (4 decimals; `None` for a zero bill).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub difference_percent: Option<Decimal>,
    /// Tokens recorded.
    pub tokens: TokensJson,
    /// Records.
    pub records: u64,
    /// Within 0.5% or 0.01 of the bill.
    pub matches: bool,
    /// The likely explanation of a difference (`matches` when none).
    pub explanation: String,
}

/// The sums of all lines.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// The recorded cost.
    #[serde(with = "rust_decimal::serde::str")]
    pub ledger_cost: Decimal,
    /// The amount billed.
    #[serde(with = "rust_decimal::serde::str")]
    pub billed: Decimal,
    /// Recorded − billed.
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
    /// The difference as a percentage of the bill.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub difference_percent: Option<Decimal>,
}

/// A model with no price.
#[derive(Debug, Clone, Serialize)]
pub struct UnpricedJson {
    /// The model, as recorded.
    pub model: String,
    /// Records.
    pub records: u64,
    /// Every token of them.
    pub total_tokens: u128,
    /// Why there is no price.
    pub reason: String,
}

/// A reconciliation: what `llmcost reconcile --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileReport {
    /// The comparison's currency.
    pub currency: Currency,
    /// The zone days are cut in.
    pub tz: String,
    /// The compared lines.
    pub rows: Vec<Line>,
    /// Their sums.
    pub totals: Totals,
    /// Models with no price.
    pub unpriced: Vec<UnpricedJson>,
    /// The largest total difference accepted (`--tolerance` for this bill).
    #[serde(with = "rust_decimal::serde::str")]
    pub tolerance: Decimal,
    /// Whether the total difference is within it.
    pub within_tolerance: bool,
    /// What makes the run partial: the gap beyond the tolerance, unpriced models.
    pub issues: Issues,
}

/// How many issues, and the first ones.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Issues {
    /// How many.
    pub count: u64,
    /// The first ones, in full.
    pub first: Vec<IssueRow>,
}

/// One issue.
#[derive(Debug, Clone, Serialize)]
pub struct IssueRow {
    /// The file (empty: not about a file).
    pub path: String,
    /// 1-based line (0: none).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Within 0.5% of the bill or 0.01.
pub(crate) fn close(a: Decimal, billed: Decimal) -> bool {
    let tol = (billed.abs() * Decimal::new(5, 3)).max(Decimal::new(1, 2));
    (a - billed).abs() <= tol
}

fn percent(diff: Decimal, billed: Decimal) -> Option<Decimal> {
    (!billed.is_zero())
        .then(|| round_for_display(diff / billed * Decimal::ONE_HUNDRED, 4).normalize())
}

/// The catalog id a name prices as (for matching bill and ledger names), else the name.
fn canonical(cat: &Catalog, name: &str, at: Timestamp) -> String {
    cat.resolve(name, at, None)
        .ok()
        .map_or_else(|| name.to_string(), |r| r.model.id.clone())
}

/// Explains a difference on one day (and model), or says what the bill implies.
fn explain(
    cat: &Catalog,
    s: &ReportSettings,
    day: i64,
    model: Option<&str>,
    sum: &Sum,
    billed: Decimal,
    neighbours: (Option<Decimal>, Option<Decimal>),
) -> (bool, String) {
    let cur = s.currency;
    let ledger = sum.cost;
    if close(ledger, billed) {
        return (true, "matches".into());
    }
    if sum.records == 0 {
        return (
            false,
            "billed, but no usage is recorded on this day: logs missing or not imported?".into(),
        );
    }
    if billed.is_zero() {
        return (
            false,
            "usage recorded but not on the bill: billed on another day, or not billed yet".into(),
        );
    }
    if let Some(p) = neighbours.0
        && close(p, billed)
    {
        return (
            false,
            format!(
                "matches the recorded cost of {}: the bill cuts days in another time zone (try --tz)",
                day_label(day - 1)
            ),
        );
    }
    if let Some(n) = neighbours.1
        && close(n, billed)
    {
        return (
            false,
            format!(
                "matches the recorded cost of {}: the bill cuts days in another time zone (try --tz)",
                day_label(day + 1)
            ),
        );
    }
    if sum.unpriced_records > 0 {
        return (
            false,
            format!(
                "{} records of this day have no price (see unpriced)",
                int(sum.unpriced_records)
            ),
        );
    }
    let Some(model) = model else {
        return (
            false,
            "no single explanation: compare per model (a bill with a `model` column)".into(),
        );
    };
    // Representative instants of the day in the report's zone.
    let instants: Vec<Timestamp> = (0..24)
        .filter_map(|h| {
            let base = llmcost_core::civil::date_of_day(day)?;
            base.at(h, 30, 0, 0)
                .to_zoned(s.tz.clone())
                .ok()
                .map(|z| z.timestamp())
        })
        .collect();
    let noon = instants.get(12).copied();
    let Some(noon) = noon else {
        return (false, String::new());
    };
    let Ok((r, conv)) = crate::quote::resolve(cat, model, noon, &s.price) else {
        return (false, String::new());
    };
    let rate_mul = conv.map_or(Decimal::ONE, |(_, _, rate)| rate);
    let u = sum.usage;
    let tier = ServiceTier::Standard;
    // Cache hits priced as misses.
    if u.cache_read > 0
        && let Ok(rates) = r.row.rates_at(&u, noon, tier)
        && let (Some((rin, _)), Some((rhit, _))) = (
            rates.effective(Bucket::Input),
            rates.effective(Bucket::CacheRead),
        )
    {
        let extra =
            Decimal::from(u.cache_read) * (rin - rhit) / Decimal::from(1_000_000) * rate_mul;
        if close(ledger + extra, billed) {
            return (
                false,
                format!(
                    "the bill matches {} cache-read tokens priced as cache misses (at the input rate): +{} {cur}",
                    int(u.cache_read),
                    extra.round_dp(6).normalize()
                ),
            );
        }
    }
    // A time window: everything off-peak, or everything at the standard rate.
    let off: Option<Timestamp> = instants.iter().copied().find(|t| r.row.is_off_peak(*t));
    let on: Option<Timestamp> = instants.iter().copied().find(|t| !r.row.is_off_peak(*t));
    if let (Some(off), Some(on)) = (off, on) {
        for (t, what) in [(off, "off-peak"), (on, "standard (peak)")] {
            if let Ok(c) = r.row.total(&u, t, tier) {
                let c = c * rate_mul;
                if close(c, billed) {
                    return (
                        false,
                        format!(
                            "the bill matches all of this day's usage at the {what} rates ({} {cur}): the provider's time window differs from the log times",
                            c.round_dp(6).normalize()
                        ),
                    );
                }
            }
        }
    }
    // The input/output split that explains the bill.
    if let Ok(rates) = r.row.rates_at(&u, noon, tier)
        && let (Some((rin, _)), Some((rout, _))) = (
            rates.effective(Bucket::Input),
            rates.effective(Bucket::Output),
        )
        && let Ok(tokens) = u64::try_from(u.total())
    {
        let rec = crate::quote::estimate::reconcile(
            tokens,
            ledger,
            billed,
            rin * rate_mul,
            rout * rate_mul,
            cur.as_str(),
        );
        return (
            false,
            format!(
                "{} of this day's tokens if billed as plain input/output: {}",
                int(tokens),
                rec.explanation
            ),
        );
    }
    (false, "no explanation found".into())
}

/// What makes the exit code 1: the gap beyond the tolerance, unpriced models.
fn issues(r: &ReconcileReport) -> Issues {
    let mut first = Vec::new();
    if !r.within_tolerance {
        first.push(IssueRow {
            path: String::new(),
            line: 0,
            message: format!(
                "the recorded cost differs from the bill by {} {} (more than the tolerance of {}): see the rows' explanations",
                r.totals.difference, r.currency, r.tolerance
            ),
        });
    }
    for u in &r.unpriced {
        first.push(IssueRow {
            path: String::new(),
            line: 0,
            message: format!(
                "`{}` has no price ({}): {} records left out of the recorded cost",
                u.model, u.reason, u.records
            ),
        });
    }
    Issues {
        count: first.len() as u64,
        first,
    }
}

fn compare(cat: &Catalog, s: &ReportSettings, agg: Agg, bill: &Bill) -> ReconcileReport {
    // Ledger per (day, canonical model) and per day.
    let mut by_dm: BTreeMap<(i64, String), (Sum, String)> = BTreeMap::new();
    let mut by_day: BTreeMap<i64, Sum> = BTreeMap::new();
    for ((key, model), sum) in &agg.cells {
        let Key::Day(d) = key else { continue };
        let at = Timestamp::from_second(d * 86_400 + 43_200).unwrap_or(Timestamp::UNIX_EPOCH);
        let e = by_dm
            .entry((*d, canonical(cat, model, at)))
            .or_insert_with(|| (Sum::default(), model.to_string()));
        e.0.merge(sum);
        by_day.entry(*d).or_default().merge(sum);
    }
    let day_cost = |d: i64| by_day.get(&d).map(|x| x.cost);
    let mut rows = Vec::new();
    let mut total_ledger = Decimal::ZERO;
    let mut total_billed = Decimal::ZERO;
    match bill {
        Bill::Amount(a) => {
            let mut sum = Sum::default();
            for v in by_day.values() {
                sum.merge(v);
            }
            total_ledger = sum.cost;
            total_billed = *a;
            let (m, why) = if close(sum.cost, *a) {
                (true, "matches".to_string())
            } else if sum.records == 0 {
                (false, "no usage recorded in this period".to_string())
            } else {
                (false, "one amount for the whole period: give a bill per day and model (CSV or JSON) to find where the difference is".to_string())
            };
            let first = by_day.keys().next().copied();
            let last = by_day.keys().next_back().copied();
            rows.push(Line {
                date: match (first, last) {
                    (Some(a), Some(b)) if a != b => format!("{}..{}", day_label(a), day_label(b)),
                    (Some(a), _) => day_label(a),
                    _ => "-".into(),
                },
                model: None,
                ledger_cost: sum.cost.normalize(),
                billed: *a,
                difference: (sum.cost - a).normalize(),
                difference_percent: percent(sum.cost - a, *a),
                tokens: TokensJson::of(&sum.usage),
                records: sum.records,
                matches: m,
                explanation: why,
            });
        }
        Bill::Lines(lines) => {
            // Sum bill lines per (day, canonical model or whole day).
            let mut billed: BTreeMap<(i64, Option<String>), (Decimal, Option<String>)> =
                BTreeMap::new();
            for l in lines {
                let at = Timestamp::from_second(l.day * 86_400 + 43_200)
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                let key = (l.day, l.model.as_deref().map(|m| canonical(cat, m, at)));
                let e = billed
                    .entry(key)
                    .or_insert((Decimal::ZERO, l.model.clone()));
                e.0 += l.amount;
            }
            let with_models = billed.keys().any(|k| k.1.is_some());
            let mut keys: BTreeSet<(i64, Option<String>)> = billed.keys().cloned().collect();
            if with_models {
                for (d, m) in by_dm.keys() {
                    keys.insert((*d, Some(m.clone())));
                }
            } else {
                for d in by_day.keys() {
                    keys.insert((*d, None));
                }
            }
            for (d, m) in keys {
                if s.since.is_some_and(|x| (d + 1) * 86_400 <= x.as_second())
                    || s.until
                        .is_some_and(|x| d * 86_400 >= x.as_second() + 86_400)
                {
                    continue;
                }
                let (b, bill_name) = billed
                    .get(&(d, m.clone()))
                    .cloned()
                    .unwrap_or((Decimal::ZERO, None));
                let (sum, name) = match &m {
                    Some(cm) => by_dm
                        .get(&(d, cm.clone()))
                        .cloned()
                        .map(|(s, n)| (s, Some(n)))
                        .unwrap_or_default(),
                    None => (by_day.get(&d).cloned().unwrap_or_default(), None),
                };
                let shown = name.or(bill_name).or_else(|| m.clone());
                let neighbours = match &m {
                    Some(cm) => (
                        by_dm.get(&(d - 1, cm.clone())).map(|x| x.0.cost),
                        by_dm.get(&(d + 1, cm.clone())).map(|x| x.0.cost),
                    ),
                    None => (day_cost(d - 1), day_cost(d + 1)),
                };
                let (ok, why) = explain(cat, s, d, shown.as_deref(), &sum, b, neighbours);
                total_ledger += sum.cost;
                total_billed += b;
                rows.push(Line {
                    date: day_label(d),
                    model: shown,
                    ledger_cost: sum.cost.normalize(),
                    billed: b.normalize(),
                    difference: (sum.cost - b).normalize(),
                    difference_percent: percent(sum.cost - b, b),
                    tokens: TokensJson::of(&sum.usage),
                    records: sum.records,
                    matches: ok,
                    explanation: why,
                });
            }
        }
    }
    ReconcileReport {
        currency: s.currency,
        tz: s.tz_name.clone(),
        rows,
        totals: Totals {
            ledger_cost: total_ledger.normalize(),
            billed: total_billed.normalize(),
            difference: (total_ledger - total_billed).normalize(),
            difference_percent: percent(total_ledger - total_billed, total_billed),
        },
        unpriced: agg
            .unpriced
            .iter()
            .map(|(m, u)| UnpricedJson {
                model: m.to_string(),
                records: u.records,
                total_tokens: u.usage.total(),
                reason: u.reason.clone(),
            })
            .collect(),
        tolerance: Decimal::ZERO,
        within_tolerance: true,
        issues: Issues::default(),
    }
}

/// The one currency of a bill's lines, if they name one.
///
/// # Errors
/// A bill that mixes currencies (a usage error).
pub fn bill_currency(bill: &Bill) -> Result<Option<Currency>> {
    let cur = bill.currencies();
    if cur.len() > 1 {
        usage_bail!(
            "the bill mixes currencies ({}); reconcile one at a time with --currency",
            cur.iter()
                .map(Currency::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(cur.into_iter().next())
}

/// Compares the usage read from `input` (per day, in the settings' window
/// and zone) with `bill`.
///
/// # Errors
/// The bill is in another currency than the settings (a usage error), or the
/// usage cannot be read.
pub fn run(
    cat: &Catalog,
    s: &ReportSettings,
    bill: &Bill,
    tolerance: Tolerance,
    input: Input<'_>,
) -> Result<ReconcileReport> {
    if let Some(c) = bill.currencies().iter().find(|c| **c != s.currency) {
        usage_bail!(
            "the bill is in {c} but the comparison is in {}: pass --currency {c}",
            s.currency
        );
    }
    let agg = match input {
        Input::Paths { paths, source } => {
            crate::report::aggregate_paths(cat, Period::Daily, s, paths, source)?
        }
        Input::Ledger(led) => crate::report::aggregate_ledger(cat, led, Period::Daily, s)?,
    };
    let mut report = compare(cat, s, agg, bill);
    let limit = tolerance.limit(report.totals.billed);
    report.tolerance = limit.normalize();
    report.within_tolerance = report.totals.difference.abs() <= limit;
    report.issues = issues(&report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_amounts() {
        assert_eq!(
            read_bill("23.5").unwrap(),
            Bill::Amount("23.5".parse().unwrap())
        );
    }

    #[test]
    fn closeness() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(close(d("100.4"), d("100")));
        assert!(!close(d("100.6"), d("100")));
        assert!(close(d("0.009"), d("0")));
    }
}

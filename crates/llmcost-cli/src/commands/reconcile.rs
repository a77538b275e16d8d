//! `llmcost reconcile --billed FILE|AMOUNT`: the cost of the recorded usage
//! against what the provider billed, per day and model, with the likely
//! explanation of each difference where one can be computed.
//!
//! The usage comes from the ledger (`--ledger`, `$LLMCOST_LEDGER`, the data
//! directory) or, with PATHs, straight from logs as `report` reads them.
//!
//! # The bill
//!
//! `--billed AMOUNT` (e.g. `23.5`) compares one amount with the whole period
//! (`--since`/`--until`). `--billed FILE` reads:
//! * **CSV** with a header: `date` (a date or an RFC 3339 time; `day` is also
//!   accepted), `amount` (or `cost`, `billed`), optional `model` and
//!   `currency` (default: the report currency). A line without a model is
//!   compared with the whole day.
//! * **JSON**: a list of objects with the same keys (or `{"items": [...]}`),
//!   an OpenAI costs API page (`data[].results[]` with `amount.value`,
//!   `amount.currency`, `line_item` such as `gpt-4o-2024-08-06, input`; the
//!   bucket's `start_time` is the day) or an Anthropic cost report
//!   (`data[].results[]` with `amount` in cents as a decimal string,
//!   `currency`, `model`; `starting_at` is the day).
//!
//! Lines of one day and model are added up. Days are the ledger's days cut in
//! `--tz` (default `TZ`, else UTC): OpenAI and Anthropic cut their days in UTC.
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
//!
//! # Wire format (`--format json`)
//!
//! `currency`, `tz`, `rows[]` (`date`, `model` (null for a whole day),
//! `ledger_cost`, `billed`, `difference` (ledger − billed), `difference_percent`
//! (of the bill, 4 decimals, null for a zero bill), `tokens` (`input`,
//! `cache_read`, `cache_write`, `cache_write_1h`, `output`, `reasoning`,
//! `total_tokens`), `records`, `matches`, `explanation`), `totals` (`ledger_cost`,
//! `billed`, `difference`, `difference_percent`), `unpriced[]` (`model`,
//! `records`, `total_tokens`, `reason`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use llmcost_core::{Bucket, Currency, Decimal, ServiceTier, Timestamp, Usage, round_for_display};
use serde::Serialize;

use llmcost_app::report::{Agg, Key, Period, ReportSettings as Settings, Sum, day_label};

fn total_tokens(u: &Usage) -> u128 {
    u.total()
}
use super::{ExitStatus, catalog};
use crate::args::Format;
use crate::args::ReconcileArgs;
use crate::bill::BillLine;
use crate::common::{usage_bail, usage_err};
use crate::output::{Align, Display, Table, int, write_json};

/// `--tolerance`: an amount, or a percentage of the bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tolerance {
    /// The default: 0.5% of the bill, at least 0.01 (as [`close`]).
    Default,
    Amount(Decimal),
    Percent(Decimal),
}

impl Tolerance {
    fn parse(s: Option<&str>) -> Result<Tolerance> {
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
    fn limit(self, billed: Decimal) -> Decimal {
        match self {
            Tolerance::Default => (billed.abs() * Decimal::new(5, 3)).max(Decimal::new(1, 2)),
            Tolerance::Amount(a) => a,
            Tolerance::Percent(p) => billed.abs() * p / Decimal::ONE_HUNDRED,
        }
    }
}

/// The bill: lines, or one amount for the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bill {
    Amount(Decimal),
    Lines(Vec<BillLine>),
}

/// Reads `--billed`: an amount, or a CSV / JSON file.
pub(crate) fn read_bill(arg: &str) -> Result<Bill> {
    let t = arg.trim();
    if let Ok(d) = t.trim_start_matches('$').parse::<Decimal>()
        && !Path::new(t).exists()
    {
        if d < Decimal::ZERO {
            usage_bail!("--billed: `{t}` is negative\nhint: give the amount billed, e.g. 23.5");
        }
        return Ok(Bill::Amount(d));
    }
    let bytes = std::fs::read(t)
        .with_context(|| format!("--billed: `{t}` is neither an amount nor a readable file"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{t}: not UTF-8 text (byte {})\nhint: a bill is a CSV or JSON text file",
            e.utf8_error().valid_up_to()
        )
    })?;
    let lines = crate::bill::parse(t, &text)?;
    Ok(Bill::Lines(lines))
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
struct TokensJson {
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
    total_tokens: u128,
}

impl TokensJson {
    fn of(u: &Usage) -> TokensJson {
        TokensJson {
            input: u.input,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
            cache_write_1h: u.cache_write_1h,
            output: u.output,
            reasoning: u.reasoning,
            total_tokens: total_tokens(u),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Line {
    date: String,
    model: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    ledger_cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    billed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    difference: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    difference_percent: Option<Decimal>,
    tokens: TokensJson,
    records: u64,
    matches: bool,
    explanation: String,
}

#[derive(Debug, Clone, Serialize)]
struct Totals {
    #[serde(with = "rust_decimal::serde::str")]
    ledger_cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    billed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    difference: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    difference_percent: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
struct UnpricedJson {
    model: String,
    records: u64,
    total_tokens: u128,
    reason: String,
}

#[derive(Debug, Clone, Serialize)]
struct ReconcileReport {
    currency: Currency,
    tz: String,
    rows: Vec<Line>,
    totals: Totals,
    unpriced: Vec<UnpricedJson>,
    /// The largest total difference accepted (`--tolerance` for this bill).
    #[serde(with = "rust_decimal::serde::str")]
    tolerance: Decimal,
    within_tolerance: bool,
    issues: Issues,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Issues {
    count: u64,
    first: Vec<IssueRow>,
}

#[derive(Debug, Clone, Serialize)]
struct IssueRow {
    path: String,
    line: u64,
    message: String,
}

/// Within 0.5% of the bill or 0.01.
fn close(a: Decimal, billed: Decimal) -> bool {
    let tol = (billed.abs() * Decimal::new(5, 3)).max(Decimal::new(1, 2));
    (a - billed).abs() <= tol
}

fn percent(diff: Decimal, billed: Decimal) -> Option<Decimal> {
    (!billed.is_zero())
        .then(|| round_for_display(diff / billed * Decimal::ONE_HUNDRED, 4).normalize())
}

/// The catalog id a name prices as (for matching bill and ledger names), else the name.
fn canonical(name: &str, at: Timestamp) -> String {
    catalog()
        .ok()
        .and_then(|c| c.resolve(name, at, None).ok().map(|r| r.model.id.clone()))
        .unwrap_or_else(|| name.to_string())
}

/// Explains a difference on one day (and model), or says what the bill implies.
fn explain(
    s: &Settings,
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
    let Ok(cat) = catalog() else {
        return (false, String::new());
    };
    // Representative instants of the day in the report's zone.
    let instants: Vec<Timestamp> = (0..24)
        .filter_map(|h| {
            let base = jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(day))
                .ok()?;
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
    let Ok((r, conv)) = crate::common::resolve(cat, model, noon, &s.price) else {
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
        && let Ok(tokens) = u64::try_from(total_tokens(&u))
    {
        let rec = super::estimate::reconcile(
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

pub fn run(args: &ReconcileArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let tolerance = Tolerance::parse(args.tolerance.as_deref())?;
    let bill = read_bill(&args.billed)?;
    let bill_cur: BTreeSet<Currency> = match &bill {
        Bill::Lines(l) => l.iter().filter_map(|x| x.currency).collect(),
        Bill::Amount(_) => BTreeSet::new(),
    };
    let currency = match (&args.currency, bill_cur.len()) {
        (Some(c), _) => Some(c.clone()),
        (None, 1) => bill_cur.iter().next().map(|c| c.as_str().to_string()),
        (None, 0) => None,
        (None, _) => usage_bail!(
            "the bill mixes currencies ({}); reconcile one at a time with --currency",
            bill_cur
                .iter()
                .map(Currency::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let s = Settings::resolve(
        currency.as_deref(),
        &args.fx,
        args.tz.as_deref(),
        args.since.as_deref(),
        args.until.as_deref(),
        &args.model,
    )
    .map_err(|e| crate::common::into_usage(e.into()))?;
    if let Some(c) = bill_cur.iter().find(|c| **c != s.currency) {
        usage_bail!(
            "the bill is in {c} but the comparison is in {}: pass --currency {c}",
            s.currency
        );
    }
    let source = args
        .source
        .as_deref()
        .map(str::parse::<llmcost_logs::SourceKind>)
        .transpose()
        .context("invalid --source")?;
    let agg = if args.paths.is_empty() {
        let led = crate::ledger::open_ledger_read(args.ledger.as_deref())?;
        llmcost_app::report::aggregate_ledger(catalog()?, led.as_ref(), Period::Daily, &s)?
    } else {
        llmcost_app::report::aggregate_paths(catalog()?, Period::Daily, &s, &args.paths, source)?
    };
    let mut report = compare(&s, agg, &bill);
    let limit = tolerance.limit(report.totals.billed);
    report.tolerance = limit.normalize();
    report.within_tolerance = report.totals.difference.abs() <= limit;
    report.issues = issues(&report);
    match args.format {
        Format::Json => write_json(out, &report)?,
        Format::Table => render(out, &report)?,
    }
    Ok(if report.within_tolerance && report.unpriced.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    })
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

fn compare(s: &Settings, agg: Agg, bill: &Bill) -> ReconcileReport {
    // Ledger per (day, canonical model) and per day.
    let mut by_dm: BTreeMap<(i64, String), (Sum, String)> = BTreeMap::new();
    let mut by_day: BTreeMap<i64, Sum> = BTreeMap::new();
    for ((key, model), sum) in &agg.cells {
        let Key::Day(d) = key else { continue };
        let at = Timestamp::from_second(d * 86_400 + 43_200).unwrap_or(Timestamp::UNIX_EPOCH);
        let e = by_dm
            .entry((*d, canonical(model, at)))
            .or_insert_with(|| (Sum::default(), model.to_string()));
        merge(&mut e.0, sum);
        merge(by_day.entry(*d).or_default(), sum);
    }
    let day_cost = |d: i64| by_day.get(&d).map(|x| x.cost);
    let mut rows = Vec::new();
    let mut total_ledger = Decimal::ZERO;
    let mut total_billed = Decimal::ZERO;
    match bill {
        Bill::Amount(a) => {
            let mut sum = Sum::default();
            for v in by_day.values() {
                merge(&mut sum, v);
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
                let key = (l.day, l.model.as_deref().map(|m| canonical(m, at)));
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
                let (ok, why) = explain(s, d, shown.as_deref(), &sum, b, neighbours);
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
                total_tokens: total_tokens(&u.usage),
                reason: u.reason.clone(),
            })
            .collect(),
        tolerance: Decimal::ZERO,
        within_tolerance: true,
        issues: Issues::default(),
    }
}

fn merge(a: &mut Sum, b: &Sum) {
    a.usage += b.usage;
    a.records += b.records;
    a.cost += b.cost;
    a.priced_tokens += b.priced_tokens;
    a.unpriced_tokens += b.unpriced_tokens;
    a.unpriced_records += b.unpriced_records;
}

fn render(out: &mut dyn Write, r: &ReconcileReport) -> Result<()> {
    let mut d = Display::default();
    let lc = format!("recorded {}", r.currency);
    let bc = format!("billed {}", r.currency);
    let mut t = Table::new(&[
        ("day", Align::Left),
        ("model", Align::Left),
        ("tokens", Align::Right),
        (lc.as_str(), Align::Right),
        (bc.as_str(), Align::Right),
        ("difference", Align::Right),
        ("%", Align::Right),
    ]);
    let mut notes = Vec::new();
    for (i, l) in r.rows.iter().enumerate() {
        let mark = if l.matches {
            String::new()
        } else {
            notes.push(format!(
                "[{}] {} {}: {}",
                i + 1,
                l.date,
                l.model.as_deref().unwrap_or("(all models)"),
                l.explanation
            ));
            format!(" [{}]", i + 1)
        };
        t.row(vec![
            l.date.clone(),
            l.model.clone().unwrap_or_else(|| "(all)".into()),
            int(l.tokens.total_tokens),
            d.rounded(l.ledger_cost, 4),
            d.rounded(l.billed, 4),
            format!("{}{}", d.rounded(l.difference, 4), mark),
            l.difference_percent.map_or_else(
                || "-".into(),
                |p| format!("{}%", round_for_display(p, 2).normalize()),
            ),
        ]);
    }
    t.rule();
    t.row(vec![
        "total".into(),
        String::new(),
        String::new(),
        d.rounded(r.totals.ledger_cost, 4),
        d.rounded(r.totals.billed, 4),
        d.rounded(r.totals.difference, 4),
        r.totals.difference_percent.map_or_else(
            || "-".into(),
            |p| format!("{}%", round_for_display(p, 2).normalize()),
        ),
    ]);
    let mut s = t.render();
    if notes.is_empty() {
        s.push_str("\nevery line matches the bill (within 0.5% or 0.01)\n");
    } else {
        s.push('\n');
        for n in notes {
            s.push_str(&n);
            s.push('\n');
        }
    }
    for u in &r.unpriced {
        s.push_str(&format!(
            "unpriced: {}: {} records, {} tokens — {}\n",
            u.model,
            int(u.records),
            int(u.total_tokens),
            u.reason
        ));
    }
    s.push_str(&format!(
        "days cut in {}; difference = recorded − billed\n",
        r.tz
    ));
    if !r.within_tolerance {
        s.push_str(&format!(
            "the total difference is beyond the tolerance of {} {} (exit code 1; --tolerance sets it)\n",
            r.tolerance, r.currency
        ));
    }
    if let Some(n) = d.footnote() {
        s.push_str(n);
        s.push('\n');
    }
    out.write_all(s.as_bytes())?;
    Ok(())
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

//! The report as returned and serialised (`--format json`): rows, totals,
//! unpriced models, conversions and issues; and how an aggregate becomes one.

use std::collections::BTreeMap;
use std::sync::Arc;

use llmcost_core::civil::{day_label, month_label};
use llmcost_core::{Currency, Decimal, Usage};
use llmcost_logs::Issue;
use serde::Serialize;

use super::agg::{Agg, Key, Sum};
use super::dims::{Dimension, NONE_LABEL};
use super::{Period, ReportQuery};

// ---------------------------------------------------------------------------
// Result rows

/// Tokens per bucket, and their total (modality buckets only when not zero).
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    /// Input tokens (not cached).
    pub input: u64,
    /// Cached input tokens read.
    pub cache_read: u64,
    /// Input tokens written to the cache (5-minute).
    pub cache_write: u64,
    /// Input tokens written to the 1-hour cache.
    pub cache_write_1h: u64,
    /// Output tokens (reasoning excluded).
    pub output: u64,
    /// Reasoning tokens.
    pub reasoning: u64,
    // Modality buckets (audio, image): keys present only when non-zero.
    /// Audio input tokens.
    #[serde(skip_serializing_if = "is_zero")]
    pub input_audio: u64,
    /// Cached audio input tokens.
    #[serde(skip_serializing_if = "is_zero")]
    pub cache_read_audio: u64,
    /// Audio output tokens.
    #[serde(skip_serializing_if = "is_zero")]
    pub output_audio: u64,
    /// Image input tokens.
    #[serde(skip_serializing_if = "is_zero")]
    pub input_image: u64,
    /// Image output tokens.
    #[serde(skip_serializing_if = "is_zero")]
    pub output_image: u64,
    /// Every token, all buckets.
    pub total_tokens: u128,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tokens {
    /// The tokens of a usage.
    #[must_use]
    pub fn of(u: &Usage) -> Tokens {
        Tokens {
            input: u.input,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
            cache_write_1h: u.cache_write_1h,
            output: u.output,
            reasoning: u.reasoning,
            input_audio: u.input_audio,
            cache_read_audio: u.cache_read_audio,
            output_audio: u.output_audio,
            input_image: u.input_image,
            output_image: u.output_image,
            total_tokens: u.total(),
        }
    }
}

/// One model of a row (`--breakdown`); `cost` is null for an unpriced model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRow {
    /// The model, as recorded.
    pub model: String,
    /// Tokens per bucket.
    #[serde(flatten)]
    pub tokens: Tokens,
    /// Records counted.
    pub records: u64,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost: Option<Decimal>,
    /// The report's currency.
    pub currency: Currency,
    /// Cost per million priced tokens (10 decimals at most).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost_per_million: Option<Decimal>,
    /// Tokens of records with no price.
    pub unpriced_tokens: u128,
}

/// One group of a row's breakdown by a dimension other than the model
/// (`--breakdown project`); `cost` is null when nothing in it is priced.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    /// The group's value, under the dimension's name (`"project": "web"`);
    /// null for records without one.
    #[serde(flatten)]
    pub label: BTreeMap<&'static str, Option<String>>,
    /// The value as shown (`-` for none).
    #[serde(skip)]
    pub name: String,
    /// Tokens per bucket.
    #[serde(flatten)]
    pub tokens: Tokens,
    /// Records counted.
    pub records: u64,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost: Option<Decimal>,
    /// The report's currency.
    pub currency: Currency,
    /// Cost per million priced tokens (10 decimals at most).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost_per_million: Option<Decimal>,
    /// Tokens of records with no price.
    pub unpriced_tokens: u128,
}

/// One row: a period, model, session or a dimension's value.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The row: a day, week (its Monday), month, model, session, or the
    /// value of the report's dimension (`-` for records without one).
    pub period: String,
    /// The session's project (session report), the row's project (project report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Provider, source, tag, key and device reports: the row's value under
    /// the dimension's name (null for records without one).
    #[serde(flatten)]
    pub dims: BTreeMap<&'static str, Option<String>>,
    /// Tokens per bucket.
    #[serde(flatten)]
    pub tokens: Tokens,
    /// Records counted.
    pub records: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// The report's currency.
    pub currency: Currency,
    /// Cost per million priced tokens (10 decimals at most).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost_per_million: Option<Decimal>,
    /// Tokens of records with no price.
    pub unpriced_tokens: u128,
    /// Per model, with `--breakdown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<ModelRow>>,
    /// With `--breakdown BY` (not the model): per value of BY, under its
    /// plural (`projects[]`, `tags[]`...).
    #[serde(flatten)]
    pub groups: BTreeMap<&'static str, Vec<GroupRow>>,
}

/// The sums of all rows.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Tokens per bucket.
    #[serde(flatten)]
    pub tokens: Tokens,
    /// Records counted.
    pub records: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// The report's currency.
    pub currency: Currency,
    /// Cost per million priced tokens (10 decimals at most).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost_per_million: Option<Decimal>,
    /// Tokens of records with no price.
    pub unpriced_tokens: u128,
}

/// A model with no price: its tokens and why.
#[derive(Debug, Clone, Serialize)]
pub struct UnpricedRow {
    /// The model, as recorded.
    pub model: String,
    /// Records counted.
    pub records: u64,
    /// Tokens per bucket.
    #[serde(flatten)]
    pub tokens: Tokens,
    /// Why there is no price.
    pub reason: String,
}

/// An exchange rate used.
#[derive(Debug, Clone, Serialize)]
pub struct FxRow {
    /// The list currency.
    pub from: Currency,
    /// The report's currency.
    pub to: Currency,
    /// One `from` in `to`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// A line that could not be read (or a model with no price).
#[derive(Debug, Clone, Serialize)]
pub struct IssueRow {
    /// The file.
    pub path: String,
    /// 1-based line (0: the whole file).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl IssueRow {
    /// The row of an issue.
    #[must_use]
    pub fn of(i: Issue) -> IssueRow {
        IssueRow {
            path: i.path.display().to_string(),
            line: i.line,
            message: i.message,
        }
    }
}

/// How many issues, and the first ones.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Issues {
    /// How many.
    pub count: u64,
    /// The first ones, in full.
    pub first: Vec<IssueRow>,
}

/// A report: what `llmcost report --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What rows are.
    pub report: Period,
    /// What rows are broken down by, when not the model (`--breakdown BY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Dimension>,
    /// The report's currency.
    pub currency: Currency,
    /// The zone days are cut in.
    pub tz: String,
    /// `paths` (logs read directly) or `ledger`.
    pub mode: &'static str,
    /// The rows.
    pub rows: Vec<Row>,
    /// The sums of all rows.
    pub totals: Totals,
    /// Models with no price.
    pub unpriced: Vec<UnpricedRow>,
    /// Exchange rates used.
    pub fx: Vec<FxRow>,
    /// Lines that could not be read, and unpriced models.
    pub issues: Issues,
    /// Last lines still being written (not problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<IssueRow>,
    /// Files read (path mode).
    pub files: Option<u64>,
    /// A holiday calendar that ended before some records (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The lines that could not be read, without the unpriced models
    /// `issues` also lists (not serialised: for a front end's warnings).
    #[serde(skip)]
    pub read_issues: Issues,
    /// How the usage was read (the ledger's rollups or every record, and why):
    /// for `--verbose`, not serialised.
    #[serde(skip)]
    pub read: String,
}

fn per_million(cost: Decimal, tokens: u128) -> Option<Decimal> {
    let t = Decimal::try_from_i128_with_scale(i128::try_from(tokens).ok()?, 0).ok()?;
    (tokens > 0).then(|| {
        (cost * Decimal::from(1_000_000) / t)
            .round_dp(10)
            .normalize()
    })
}

pub(crate) fn build(q: &ReportQuery, agg: Agg, mode: &'static str) -> Report {
    let period = q.period;
    let s = &q.settings;
    let by = q.breakdown.then_some(q.breakdown_by);
    let mut rows: BTreeMap<Key, (Sum, BTreeMap<Arc<str>, Sum>)> = BTreeMap::new();
    for ((key, group), sum) in agg.cells {
        let e = rows.entry(key).or_default();
        e.0.merge(&sum);
        e.1.entry(group).or_default().merge(&sum);
    }
    // Overlapping groups (tags): rows and the total count each record once.
    let overlap = agg.overlap;
    if let Some(o) = &overlap {
        for (key, e) in &mut rows {
            e.0 = o.rows.get(key).cloned().unwrap_or_default();
        }
    }
    let cur = s.currency;
    let mut total = Sum::default();
    let mut out_rows = Vec::new();
    for (key, (sum, groups)) in rows {
        total.merge(&sum);
        let (label, project) = match &key {
            Key::Day(d) => (
                if period == Period::Monthly {
                    month_label(*d)
                } else {
                    day_label(*d)
                },
                None,
            ),
            Key::Name(n, p) => (n.to_string(), p.as_ref().map(|p| p.to_string())),
        };
        let value = (label != NONE_LABEL).then(|| label.clone());
        let mut dims = BTreeMap::new();
        let project = match period.dimension() {
            Some(Dimension::Project) => value,
            Some(d) if d != Dimension::Model => {
                dims.insert(d.key(), value);
                project
            }
            _ => project,
        };
        let models = (by == Some(Dimension::Model)).then(|| {
            groups
                .iter()
                .map(|(m, ms)| ModelRow {
                    model: m.to_string(),
                    tokens: Tokens::of(&ms.usage),
                    records: ms.records,
                    cost: (ms.unpriced_records < ms.records).then_some(ms.cost.normalize()),
                    currency: cur,
                    cost_per_million: per_million(ms.cost, ms.priced_tokens),
                    unpriced_tokens: ms.unpriced_tokens,
                })
                .collect()
        });
        let mut by_groups = BTreeMap::new();
        if let Some(d) = by.filter(|d| *d != Dimension::Model) {
            let list = groups
                .iter()
                .map(|(g, gs)| GroupRow {
                    label: BTreeMap::from([(d.key(), (&**g != NONE_LABEL).then(|| g.to_string()))]),
                    name: g.to_string(),
                    tokens: Tokens::of(&gs.usage),
                    records: gs.records,
                    cost: (gs.unpriced_records < gs.records).then_some(gs.cost.normalize()),
                    currency: cur,
                    cost_per_million: per_million(gs.cost, gs.priced_tokens),
                    unpriced_tokens: gs.unpriced_tokens,
                })
                .collect();
            by_groups.insert(d.plural(), list);
        }
        out_rows.push(Row {
            period: label,
            project,
            dims,
            tokens: Tokens::of(&sum.usage),
            records: sum.records,
            cost: sum.cost.normalize(),
            currency: cur,
            cost_per_million: per_million(sum.cost, sum.priced_tokens),
            unpriced_tokens: sum.unpriced_tokens,
            models,
            groups: by_groups,
        });
    }
    if let Some(o) = overlap {
        total = o.total;
    }
    if period.dimension().is_some() {
        out_rows.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.period.cmp(&b.period)));
    }
    let mut report = Report {
        report: period,
        breakdown: by.filter(|d| *d != Dimension::Model),
        currency: cur,
        tz: s.tz_name.clone(),
        mode,
        rows: out_rows,
        totals: Totals {
            tokens: Tokens::of(&total.usage),
            records: total.records,
            cost: total.cost.normalize(),
            currency: cur,
            cost_per_million: per_million(total.cost, total.priced_tokens),
            unpriced_tokens: total.unpriced_tokens,
        },
        unpriced: agg
            .unpriced
            .into_iter()
            .map(|(m, u)| UnpricedRow {
                model: m.to_string(),
                records: u.records,
                tokens: Tokens::of(&u.usage),
                reason: u.reason,
            })
            .collect(),
        fx: agg
            .fx
            .into_iter()
            .map(|(from, rate)| FxRow {
                from,
                to: cur,
                rate,
            })
            .collect(),
        issues: Issues {
            count: agg.issue_count,
            first: agg.issues.into_iter().map(IssueRow::of).collect(),
        },
        notes: agg.notes.into_iter().map(IssueRow::of).collect(),
        files: (mode == "paths").then_some(agg.files),
        warnings: agg.calendars.warnings_at(None),
        read_issues: Issues::default(),
        read: String::new(),
    };
    report.read_issues = report.issues.clone();
    // Exit policy: a model left unpriced is an issue too.
    for u in &report.unpriced {
        report.issues.count += 1;
        report.issues.first.push(IssueRow {
            path: String::new(),
            line: 0,
            message: format!(
                "`{}` has no price ({}): {} records left out of the cost",
                u.model, u.reason, u.records
            ),
        });
    }
    report
}

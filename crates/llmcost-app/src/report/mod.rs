//! Usage and cost per day, week, month, model or session, from log files
//! read directly or from any ledger.
//!
//! * **paths**: the logs are read directly, without importing — files in
//!   parallel, each streamed; across files only fixed-size hashes are kept,
//!   to de-duplicate. Claude Code side-chain copies of a message counted
//!   outside the side chain are dropped across files too.
//! * **ledger**: the records of a [`Ledger`]. A record's stored cost is used
//!   when it is in the report's currency; otherwise it is priced again.
//!
//! Every record is priced at the price in force at its own timestamp
//! (time-of-day windows and long-context tiers included) in one currency;
//! `fx` rates convert a model listed only in another currency. A model with
//! no price is listed in `unpriced` with its tokens and never counted as
//! zero. [`run`] returns the [`Report`] that `llmcost report --format json`
//! prints (`docs/json.md` describes it).

mod agg;
mod dims;
mod from_ledger;
mod from_paths;
mod model;
mod pricer;
mod rollups;
#[cfg_attr(
    target_arch = "x86_64",
    expect(
        unsafe_code,
        reason = "a cache prefetch hint (`_mm_prefetch`) in the set of entries seen"
    )
)]
mod seen;
mod settings;

use std::path::PathBuf;

use llmcost_catalog::Catalog;
use llmcost_ledger::Ledger;
use llmcost_logs::SourceKind;
use serde::Serialize;

pub use agg::{Agg, Key, Overlap, Sum, Unpriced};
pub use dims::{DimFilters, Dimension, NONE_LABEL, record_source};
pub use from_ledger::aggregate_ledger;
pub use from_paths::aggregate_paths;
pub use llmcost_core::civil::day_label;
pub use model::{
    FxRow, GroupRow, IssueRow, Issues, ModelRow, Report, Row, Tokens, Totals, UnpricedRow,
};
pub use pricer::Pricer;
pub use settings::{ReportSettings, parse_bound, resolve_tz};

use crate::error::Result;

/// Issues kept in full; the rest are counted.
pub(crate) const MAX_ISSUES_SHOWN: usize = 20;

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One row per day.
    Daily,
    /// One row per week (Monday to Sunday), labelled with its Monday.
    Weekly,
    /// One row per month.
    Monthly,
    /// One row per model.
    Model,
    /// One row per session.
    Session,
    /// One row per project.
    Project,
    /// One row per provider.
    Provider,
    /// One row per source (`claude-code`, `codex`, `proxy`...).
    Source,
    /// One row per tag (a record with two tags is in both rows; the totals
    /// count it once).
    Tag,
    /// One row per API key fingerprint.
    Key,
    /// One row per device (machine or proxy instance).
    Device,
}

impl Period {
    /// The dimension rows are groups of (`None`: days, weeks, months, sessions).
    #[must_use]
    pub fn dimension(self) -> Option<Dimension> {
        match self {
            Period::Daily | Period::Weekly | Period::Monthly | Period::Session => None,
            Period::Model => Some(Dimension::Model),
            Period::Project => Some(Dimension::Project),
            Period::Provider => Some(Dimension::Provider),
            Period::Source => Some(Dimension::Source),
            Period::Tag => Some(Dimension::Tag),
            Period::Key => Some(Dimension::Key),
            Period::Device => Some(Dimension::Device),
        }
    }

    /// Rows are days, weeks or months.
    #[must_use]
    pub fn is_time(self) -> bool {
        matches!(self, Period::Daily | Period::Weekly | Period::Monthly)
    }
}

/// What to report: the grouping, the settings, and whether rows are broken
/// down (per model, or per another dimension).
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// What rows are.
    pub period: Period,
    /// Currency, zone, window and models.
    pub settings: ReportSettings,
    /// Also break each row down (per `breakdown_by`).
    pub breakdown: bool,
    /// What a breakdown lists (model by default).
    pub breakdown_by: Dimension,
    /// Filters on projects, providers, sources, tags, keys and devices.
    pub filters: DimFilters,
}

impl ReportQuery {
    /// Rows by `period`, no breakdown, no dimension filter.
    #[must_use]
    pub fn new(period: Period, settings: ReportSettings) -> ReportQuery {
        ReportQuery {
            period,
            settings,
            breakdown: false,
            breakdown_by: Dimension::Model,
            filters: DimFilters::default(),
        }
    }

    /// The dimensions the report needs besides time, model and session (its
    /// rows, breakdown and filters).
    pub(crate) fn dims(&self) -> Vec<Dimension> {
        let mut d = self.filters.dims();
        d.extend(self.period.dimension());
        if self.breakdown {
            d.push(self.breakdown_by);
        }
        d.retain(|x| *x != Dimension::Model);
        d.sort();
        d.dedup();
        d
    }

    /// How rows are keyed and broken down.
    pub(crate) fn shape(&self) -> agg::Shape {
        agg::Shape {
            period: self.period,
            breakdown: self.breakdown.then_some(self.breakdown_by),
        }
    }
}

/// Where the usage is read from.
pub enum Input<'a> {
    /// Log files or directories, read directly (of `source` kind, else told
    /// from path and content).
    Paths {
        /// Files or directories.
        paths: &'a [PathBuf],
        /// Their kind, when it cannot be told.
        source: Option<SourceKind>,
    },
    /// A ledger.
    Ledger(&'a dyn Ledger),
}

/// Reads the usage and builds the report. Lines that cannot be read, and
/// models with no price, are listed in its `issues` (a front end reports
/// the run as partial then); it never fails on them.
///
/// # Errors
/// The paths cannot be listed, or the ledger cannot be read.
pub fn run(cat: &Catalog, q: &ReportQuery, input: Input<'_>) -> Result<Report> {
    let q = &ReportQuery {
        filters: q.filters.normalised(),
        ..q.clone()
    };
    let (agg, mode, read) = match input {
        Input::Paths { paths, source } => (
            from_paths::aggregate_paths_by(cat, q, paths, source)?,
            "paths",
            "the log files were read".to_string(),
        ),
        // Hourly rollups when they can answer, else every record.
        Input::Ledger(led) => match rollups::aggregate(led, q)? {
            Ok((agg, rows)) => (
                agg,
                "ledger",
                format!("answered from the ledger's hourly rollups ({rows} rollup rows)"),
            ),
            Err(why) => (
                from_ledger::aggregate_ledger_by(cat, led, q)?,
                "ledger",
                format!("every record was read: {why}"),
            ),
        },
    };
    let mut report = model::build(q, agg, mode);
    report.read = read;
    Ok(report)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod dims_tests;

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
mod from_ledger;
mod from_paths;
mod model;
mod pricer;
#[expect(
    unsafe_code,
    reason = "a cache prefetch hint (`_mm_prefetch`) in the set of entries seen"
)]
mod seen;
mod settings;

use std::path::PathBuf;

use llmcost_catalog::Catalog;
use llmcost_ledger::Ledger;
use llmcost_logs::SourceKind;
use serde::Serialize;

pub use agg::{Agg, Key, Sum, Unpriced};
pub use from_ledger::aggregate_ledger;
pub use from_paths::aggregate_paths;
pub use llmcost_core::civil::day_label;
pub use model::{FxRow, IssueRow, Issues, ModelRow, Report, Row, Tokens, Totals, UnpricedRow};
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
}

/// What to report: the grouping, the settings, and whether rows are broken
/// down per model.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// What rows are.
    pub period: Period,
    /// Currency, zone, window and models.
    pub settings: ReportSettings,
    /// Also break each row down per model.
    pub breakdown: bool,
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
    let (agg, mode) = match input {
        Input::Paths { paths, source } => (
            aggregate_paths(cat, q.period, &q.settings, paths, source)?,
            "paths",
        ),
        Input::Ledger(led) => (aggregate_ledger(cat, led, q.period, &q.settings)?, "ledger"),
    };
    Ok(model::build(q.period, &q.settings, agg, mode, q.breakdown))
}

#[cfg(test)]
mod tests;

//! The engines behind the pages and the API. Each answer is the JSON the
//! CLI's `--format json` prints for the same question: the `llmcost` binary
//! implements [`Engine`] by running its own commands (the same code path as
//! `llmcost report --format json`), so the dashboard and the CLI cannot
//! disagree.

use std::fmt::Debug;

use serde_json::Value;

use crate::query::Filters;

/// Why a question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    /// HTTP status: 400 for a bad question, 404 for a missing ledger, 500 otherwise.
    pub status: u16,
    /// What went wrong and what to do.
    pub message: String,
}

impl EngineError {
    /// A bad question (400).
    #[must_use]
    pub fn bad(message: impl Into<String>) -> EngineError {
        EngineError {
            status: 400,
            message: message.into(),
        }
    }
}

/// What `/api/report/<period>` takes.
pub const PERIODS: &[&str] = &[
    "daily", "weekly", "monthly", "model", "session", "project", "provider", "source", "tag",
    "key", "device",
];

/// The questions the dashboard asks. Query pairs are the URL's, decoded.
pub trait Engine: Send + Sync + Debug {
    /// `report PERIOD --format json` with the filters `f` (`group` is the
    /// breakdown: `--breakdown`, or `--breakdown GROUP` for another dimension
    /// than model).
    ///
    /// # Errors
    /// A bad filter (400), a missing ledger (404), a ledger error (500).
    fn report(&self, period: &str, f: &Filters) -> Result<Value, EngineError>;

    /// `reconcile --billed BILLED --format json` with the filters `f`.
    ///
    /// # Errors
    /// As [`Engine::report`].
    fn reconcile(&self, f: &Filters, billed: &str) -> Result<Value, EngineError>;

    /// `prices [MODEL] --format json` (`model`, `at`, `provider`, `history`).
    ///
    /// # Errors
    /// A bad parameter (400), an unknown model (404).
    fn prices(&self, q: &[(String, String)]) -> Result<Value, EngineError>;

    /// `compare --format json` (`model` repeatable, `input`, `output`,
    /// `cache_read`, `ratio`, `reference`, `at`, `currency`, `fx`).
    ///
    /// # Errors
    /// As [`Engine::prices`].
    fn compare(&self, q: &[(String, String)]) -> Result<Value, EngineError>;

    /// `forecast --format json` (`model`, `requests_per_day`, `input`,
    /// `output`, `cache_hit_rate`, `days`, `from`, `hours`, `tz`, `at`,
    /// `currency`, `fx`).
    ///
    /// # Errors
    /// As [`Engine::prices`].
    fn forecast(&self, q: &[(String, String)]) -> Result<Value, EngineError>;
}

/// An engine that answers nothing (a dashboard with only prices and live).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEngine;

fn none() -> EngineError {
    EngineError {
        status: 503,
        message: "this dashboard has no report engine".into(),
    }
}

impl Engine for NoEngine {
    fn report(&self, _: &str, _: &Filters) -> Result<Value, EngineError> {
        Err(none())
    }
    fn reconcile(&self, _: &Filters, _: &str) -> Result<Value, EngineError> {
        Err(none())
    }
    fn prices(&self, _: &[(String, String)]) -> Result<Value, EngineError> {
        Err(none())
    }
    fn compare(&self, _: &[(String, String)]) -> Result<Value, EngineError> {
        Err(none())
    }
    fn forecast(&self, _: &[(String, String)]) -> Result<Value, EngineError> {
        Err(none())
    }
}

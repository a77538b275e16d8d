//! `report`: usage and cost per day, week, month, model, session, project, provider,
//! source, tag, key or device.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
    /// One row per source (claude-code, codex, proxy...).
    Source,
    /// One row per tag (a record with two tags is in both; the total counts it once).
    Tag,
    /// One row per API key fingerprint.
    Key,
    /// One row per device (machine or proxy instance).
    Device,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned table with a cost bar (figures rounded for display, and it says so).
    #[default]
    Table,
    /// Stable JSON; amounts are exact decimal strings.
    Json,
    /// CSV, one line per row (and per model with --breakdown).
    Csv,
}

/// Usage and cost per day, week, month, model, session, project, provider, source, tag, key or
/// device — from the ledger, or straight from log files.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Group by: daily, weekly, monthly, model, session, project, provider, source, tag, key
    /// or device.
    #[arg(value_enum)]
    pub period: Period,
    /// Log files or directories to read directly, without importing (same as --path).
    /// Without any, the ledger is read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A log file or directory to read directly (repeatable; added to the PATHs).
    #[arg(long = "path", value_name = "DIR")]
    pub path: Vec<PathBuf>,
    /// Read the default log folders directly, without importing: `$CLAUDE_CONFIG_DIR/projects`
    /// (else `~/.claude/projects` and `~/.config/claude/projects`) and
    /// `${CODEX_HOME:-~/.codex}/sessions`.
    #[arg(long, conflicts_with_all = ["paths", "path", "ledger"])]
    pub logs: bool,
    /// With PATHs: their format when it cannot be told from path and content (claude,
    /// codex, jsonl, openai-usage, anthropic-usage or csv). From the ledger: only records
    /// of these sources (repeatable; `claude` = `claude-code`, `proxy`...).
    #[arg(long, value_name = "KIND")]
    pub source: Vec<String>,
    #[command(flatten)]
    pub ledger: super::groups::LedgerOpt,
    /// Also break each row down: per model (bare `--breakdown`), or per project, provider,
    /// source, tag, key or device.
    #[arg(long, value_name = "BY", num_args = 0..=1, default_missing_value = "model")]
    pub breakdown: Option<String>,
    /// Only these projects (repeatable).
    #[arg(long, value_name = "NAME")]
    pub project: Vec<String>,
    /// Only these providers (repeatable).
    #[arg(long, value_name = "NAME")]
    pub provider: Vec<String>,
    /// Only records carrying one of these tags (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Only these API key fingerprints (repeatable).
    #[arg(long, value_name = "FINGERPRINT")]
    pub key: Vec<String>,
    /// Only these devices (repeatable).
    #[arg(long, value_name = "NAME")]
    pub device: Vec<String>,
    /// Say on stderr how the usage was read (the ledger's hourly rollups, or every
    /// record and why).
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub window: super::groups::WindowOpts,
    #[command(flatten)]
    pub money: super::groups::MoneyOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

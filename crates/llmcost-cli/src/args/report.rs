//! `report`: usage and cost per day, week, month, model or session.

use std::path::PathBuf;

use super::{LedgerOpt, MoneyOpts, WindowOpts};
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

/// Usage and cost per day, week, month, model or session — from the ledger, or straight from log files.
#[derive(Debug, Args)]
#[command(mut_arg("currency", |a| a.help("Currency of the report: each provider's own list in it (default USD)")))]
pub struct ReportArgs {
    /// Group by: daily, weekly, monthly, model or session.
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
    /// Source format of the paths when it cannot be told from path and content: claude,
    /// codex, jsonl, openai-usage, anthropic-usage or csv.
    #[arg(long, value_name = "KIND")]
    pub source: Option<String>,
    #[command(flatten)]
    pub ledger: LedgerOpt,
    /// Also break each row down per model.
    #[arg(long)]
    pub breakdown: bool,
    #[command(flatten)]
    pub window: WindowOpts,
    #[command(flatten)]
    pub money: MoneyOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

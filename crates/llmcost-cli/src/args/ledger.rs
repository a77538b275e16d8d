//! `import` and `reprice`: usage logs into the ledger, and the ledger re-priced.

use std::path::PathBuf;

use super::LedgerOpt;
use clap::Args;

use super::Format;

/// Import usage logs and exports into the ledger (idempotent: only new usage is added).
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to import (default: Claude Code and Codex CLI log folders).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Source format, when it cannot be told from the path and content: claude, codex,
    /// jsonl, openai-usage, anthropic-usage or csv.
    #[arg(long, value_name = "KIND")]
    pub source: Option<String>,
    #[command(flatten)]
    pub ledger: LedgerOpt,
    /// Currency records are priced in (the provider's own list in it; no conversion).
    #[arg(long, value_name = "CUR", default_value = "USD")]
    pub currency: String,
    /// The device the records name (default: this machine's host name). Not part of a
    /// record's identity: the same log imported from two machines is stored once.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// No progress bar (it is shown only on a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Re-price every record in the ledger from its stored usage with the current catalog.
#[derive(Debug, Args)]
pub struct RepriceArgs {
    #[command(flatten)]
    pub ledger: LedgerOpt,
    /// Price every record in this currency (default: each record's own currency, else USD).
    #[arg(long, value_name = "CUR")]
    pub currency: Option<String>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

//! `reconcile`: the recorded cost against the provider's bill.

use std::path::PathBuf;

use clap::Args;

use super::Format;

/// Compare the recorded cost with what the provider billed, per day and model.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The bill: a CSV or JSON file (see the docs for columns), or one amount for the whole period.
    #[arg(long, value_name = "FILE|AMOUNT", allow_negative_numbers = true)]
    pub billed: String,
    /// Log files or directories to read directly instead of the ledger.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Source format of the PATHs when it cannot be told.
    #[arg(long, value_name = "KIND")]
    pub source: Option<String>,
    /// Ledger file (default: `$LLMCOST_LEDGER`, else the data directory).
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Only usage at or after this time (RFC 3339, or a date: midnight in --tz).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only usage before this time, or up to the end of this date.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only these models (repeatable).
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<String>,
    /// Time zone the bill's days are cut in (default: `TZ`, else UTC).
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
    /// Currency of the comparison (default: the bill's, else USD).
    #[arg(long, value_name = "CUR")]
    pub currency: Option<String>,
    /// Exchange rate for models with no list in the currency: `CUR=RATE`.
    #[arg(long, value_name = "CUR=RATE")]
    pub fx: Vec<String>,
    /// Largest total difference (recorded − billed) accepted: an amount (`0.05`) or a share of
    /// the bill (`1%`). Beyond it the command exits 1. Default: 0.5% of the bill, at least 0.01.
    #[arg(long, value_name = "AMOUNT|PERCENT", allow_hyphen_values = true)]
    pub tolerance: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

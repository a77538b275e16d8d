//! `reconcile`: the recorded cost against the provider's bill.

use std::path::PathBuf;

use super::{LedgerOpt, MoneyOpts, WindowOpts};
use clap::Args;

use super::Format;

/// Compare the recorded cost with what the provider billed, per day and model.
#[derive(Debug, Args)]
#[command(
    mut_arg("currency", |a| a.help("Currency of the comparison (default: the bill's, else USD)")),
    mut_arg("tz", |a| a.help("Time zone the bill's days are cut in (default: `TZ`, else `tz` in the config file, else UTC)"))
)]
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
    #[command(flatten)]
    pub ledger: LedgerOpt,
    #[command(flatten)]
    pub window: WindowOpts,
    #[command(flatten)]
    pub money: MoneyOpts,
    /// Largest total difference (recorded − billed) accepted: an amount (`0.05`) or a share of
    /// the bill (`1%`). Beyond it the command exits 1. Default: 0.5% of the bill, at least 0.01.
    #[arg(long, value_name = "AMOUNT|PERCENT", allow_hyphen_values = true)]
    pub tolerance: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

//! `llmcost reconcile`: the ledger's cost against what the provider billed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::ExitStatus;

/// Compare the ledger's cost with what the provider billed, per day and model.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The bill: a file (CSV or JSON) or a single amount.
    #[arg(long, value_name = "FILE|AMOUNT")]
    pub billed: String,
    /// Ledger file.
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

pub fn run(_args: &ReconcileArgs, _out: &mut dyn Write) -> Result<ExitStatus> {
    bail!("not yet")
}

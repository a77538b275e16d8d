//! Opening the usage ledger for the commands that read or write it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use llmcost_ledger_sqlite::{SqliteLedger, default_ledger_path};

/// The environment variable naming the ledger file.
pub const LEDGER_ENV: &str = "LLMCOST_LEDGER";

/// Where the ledger is: `--ledger PATH`, else `$LLMCOST_LEDGER`, else the
/// user's data directory (`<data dir>/llmcost/ledger.db`).
///
/// # Errors
/// When neither is given and the platform has no data directory.
pub fn ledger_path(path: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = path {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(LEDGER_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    default_ledger_path().ok_or_else(|| {
        crate::common::usage_err!("no data directory is known on this system\nhint: choose a ledger file with `--ledger PATH` or `{LEDGER_ENV}`")
    })
}

/// Opens (creating if needed) the ledger chosen as [`ledger_path`] says.
///
/// # Errors
/// When the file cannot be created or opened, or was written by a newer llmcost.
pub fn open_ledger(path: Option<&Path>) -> Result<SqliteLedger> {
    let path = ledger_path(path)?;
    SqliteLedger::open(&path).with_context(|| format!("cannot open the ledger {}", path.display()))
}

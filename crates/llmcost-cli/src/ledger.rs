//! Opening the usage ledger for the commands that read or write it.
//!
//! Commands that only read (`report`, `reconcile`) use [`open_ledger_read`]:
//! they never create, migrate or write a ledger, and a missing one is a
//! [`MissingLedger`] error naming the path. `reprice` needs an existing one
//! too ([`open_existing_ledger`]); only `import` and `proxy` create it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use llmcost_ledger::LedgerError;
use llmcost_ledger_sqlite::{SqliteLedger, default_ledger_path};

/// The environment variable naming the ledger file.
pub const LEDGER_ENV: &str = "LLMCOST_LEDGER";

/// No ledger where one was expected (a configuration error: nothing was done).
#[derive(Debug)]
pub struct MissingLedger {
    /// Where it was looked for.
    pub path: PathBuf,
}

impl std::fmt::Display for MissingLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "there is no ledger at {}\nhint: run `llmcost import` to create it from your logs, or give the right file with `--ledger PATH` or `{LEDGER_ENV}`",
            self.path.display()
        )
    }
}

impl std::error::Error for MissingLedger {}

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

/// Opens an existing ledger for reading only (nothing created or written).
///
/// # Errors
/// [`MissingLedger`] when there is no file; else when it cannot be read, is
/// not a ledger, or was written by a newer llmcost.
pub fn open_ledger_read(path: Option<&Path>) -> Result<SqliteLedger> {
    let path = ledger_path(path)?;
    match SqliteLedger::open_read_only(&path) {
        Ok(l) => Ok(l),
        Err(LedgerError::NotFound) => Err(MissingLedger { path }.into()),
        Err(e) => {
            Err(anyhow::Error::new(e).context(format!("cannot read the ledger {}", path.display())))
        }
    }
}

/// Opens an existing ledger for writing (migrating it if needed), without
/// creating one.
///
/// # Errors
/// [`MissingLedger`] when there is no file; else as [`open_ledger`].
pub fn open_existing_ledger(path: Option<&Path>) -> Result<SqliteLedger> {
    let path = ledger_path(path)?;
    if !path.is_file() {
        return Err(MissingLedger { path }.into());
    }
    SqliteLedger::open(&path).with_context(|| format!("cannot open the ledger {}", path.display()))
}

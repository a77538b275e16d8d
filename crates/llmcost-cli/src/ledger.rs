//! Which ledger the commands that read or write it use: `--ledger PATH|URL`,
//! else `$LLMCOST_LEDGER`, else the data directory. `llmcost_app::ledger`
//! opens it (the backend is chosen there, from the path or URL).
//!
//! Commands that only read (`report`, `reconcile`) open it read-only: they
//! never create, migrate or write a ledger, and a missing one is a
//! [`MissingLedger`] error naming the path. `reprice` needs an existing one
//! too; only `import` and `proxy` create it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use llmcost_app::ledger::{Location, OpenMode, default_ledger_path};
use llmcost_ledger::Ledger;

pub use llmcost_app::ledger::{LEDGER_ENV, MissingLedger};

/// Where the ledger is: `--ledger PATH|URL`, else `$LLMCOST_LEDGER`, else the
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

/// Where the ledger is, as a path or URL ([`ledger_path`]).
///
/// # Errors
/// As [`ledger_path`].
pub fn location(path: Option<&Path>) -> Result<Location> {
    Ok(Location::parse(ledger_path(path)?.as_os_str()))
}

/// Opens the ledger at `at` in `mode`.
///
/// # Errors
/// [`MissingLedger`] when it must exist and does not; else when it cannot
/// be created, opened or read, or was written by a newer llmcost.
pub fn open_at(at: &Location, mode: OpenMode) -> Result<Box<dyn Ledger>> {
    Ok(llmcost_app::ledger::open_location(at, mode)?)
}

/// Opens (creating if needed) the ledger chosen as [`ledger_path`] says.
///
/// # Errors
/// As [`open_at`].
pub fn open_ledger(path: Option<&Path>) -> Result<Box<dyn Ledger>> {
    open_at(&location(path)?, OpenMode::Create)
}

/// Opens an existing ledger for reading only (nothing created or written).
///
/// # Errors
/// As [`open_at`].
pub fn open_ledger_read(path: Option<&Path>) -> Result<Box<dyn Ledger>> {
    open_at(&location(path)?, OpenMode::ReadOnly)
}

//! One module per command. Each takes its arguments and a writer for stdout.

pub mod blend;
pub mod compare;
pub mod cost;
pub mod estimate;
pub mod forecast;
pub mod prices;
pub mod usage_file;

use anyhow::{Result, anyhow};
use llmcost_catalog::Catalog;

/// The built-in catalog (validated by the catalog crate's tests).
pub fn catalog() -> Result<&'static Catalog> {
    Catalog::builtin().map_err(|e| anyhow!("the built-in price catalog is invalid: {e}"))
}

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// The command ran but some input could not be used (reported on stderr).
    Partial,
}

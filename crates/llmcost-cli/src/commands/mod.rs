//! One module per command. Each takes its arguments, the run's [`crate::ctx::Ctx`]
//! and a writer for stdout (data only: messages go through the printer).

pub mod blend;
pub mod catalog_layers;
pub mod clock;
pub mod compare;
pub mod cost;
pub mod estimate;
pub mod forecast;
pub mod import;
pub mod ledger_admin;
pub mod prices;
pub mod prices_admin;
pub mod proxy;
pub mod reconcile;
pub mod report;
pub mod reprice;
pub mod serve;
pub mod shell;
pub mod usage_file;

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// The command ran but some input could not be used (reported on stderr).
    Partial,
}

//! The llmcost application layer.
//!
//! Everything a front end (the `llmcost` CLI, the proxy, the web dashboard)
//! asks of llmcost, with no clap, no terminal and no process exit: reports
//! from log paths or any ledger, reconcile, reprice, the import pipeline,
//! price quotes (cost, estimate, compare, forecast, prices) and the one place
//! where a ledger backend is chosen from a URL or path.

pub mod device;
pub mod error;
pub mod import;
pub mod ledger;
pub mod quote;
pub mod reconcile;
pub mod report;
pub mod reprice;
pub mod text;
pub mod usage_file;
pub mod wire;

pub use error::{Error, Result, UnknownCurrency, UsageError};

//! `ledger init|prune|copy`: administration of a ledger.

use clap::{Args, Subcommand};

/// Arguments of `llmcost ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

/// The `ledger` subcommands.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Create a ledger's schema, or bring it up to date (a newer schema is refused).
    Init(InitArgs),
    /// Remove the records before a date: whole months at once on PostgreSQL, bounded deletes on SQLite.
    Prune(PruneArgs),
    /// Copy the records of one ledger into another (SQLite to PostgreSQL or back): only new
    /// records, idempotent, resumable.
    Copy(CopyArgs),
}

/// Arguments of `ledger init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The ledger: `postgres://user@host/db` (or `postgresql://`), or a SQLite file path.
    #[arg(value_name = "URL|PATH")]
    pub ledger: String,
}

/// Arguments of `ledger prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove the records before this instant: a date (`2025-03-01`, midnight UTC) or an RFC 3339 time.
    #[arg(long, value_name = "DATE")]
    pub before: String,
    /// The ledger (default: $LLMCOST_LEDGER, else the user's data directory).
    #[arg(long, value_name = "URL|PATH")]
    pub ledger: Option<String>,
    /// Remove them; without it, only say what would be removed.
    #[arg(long)]
    pub yes: bool,
}

/// Arguments of `ledger copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The ledger to read: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "URL|PATH")]
    pub from: String,
    /// The ledger to add the records to (created if needed).
    #[arg(long, value_name = "URL|PATH")]
    pub to: String,
    /// Records per transaction.
    #[arg(long, value_name = "N", default_value_t = llmcost_ledger::copy::DEFAULT_BATCH)]
    pub batch: usize,
}

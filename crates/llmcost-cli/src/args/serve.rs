//! `serve`: the web dashboard of the ledger.

use std::path::PathBuf;

use clap::Args;

/// Where `serve` listens unless told otherwise.
pub const DEFAULT_SERVE_LISTEN: &str = "127.0.0.1:8788";

/// The access token of the dashboard (required off loopback).
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Access token: required when listening on anything but loopback. Open the
    /// dashboard once with `?token=TOKEN` (a cookie keeps it), or send
    /// `Authorization: Bearer TOKEN`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LLMCOST_DASHBOARD_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Read the access token from this file (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
}

/// Web dashboard: spend by day, model, project, tag, key and device; live proxy
/// calls and budgets; price histories; reconcile. Read-only.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Ledger: a SQLite file, `sqlite:PATH` or a `postgres://` URL (default:
    /// $LLMCOST_LEDGER, else the data directory).
    #[arg(long, value_name = "URL")]
    pub ledger: Option<String>,
    /// Address to listen on. Anything but loopback needs --token or --token-file.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_SERVE_LISTEN)]
    pub listen: String,
    /// A bill (CSV or JSON, as `reconcile --billed` reads) that /reconcile may compare
    /// with, chosen there by its file name. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub bill: Vec<PathBuf>,
    #[command(flatten)]
    pub token: TokenArgs,
}

/// `--dashboard` and its token, for `llmcost proxy`.
#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    /// Also serve the web dashboard on the proxy's port (/, /live, /prices, /reconcile,
    /// /api/...); every other path is proxied as usual.
    #[arg(long)]
    pub dashboard: bool,
    #[command(flatten)]
    pub token: TokenArgs,
}

//! `proxy`: the metering reverse proxy.

use std::path::PathBuf;

use super::LedgerOpt;
use clap::Args;

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on (default 127.0.0.1:8787, or `listen` in the config file).
    /// Loopback unless you give another address.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<String>,
    /// Config file (TOML: upstreams, keys, budgets, writer; see docs/proxy.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// An upstream, reached at /NAME/...: `NAME=URL`, `NAME=URL,kind=KIND`
    /// (openai, anthropic, deepseek, mistral, xai, gemini, openrouter), or a bare `URL`
    /// that serves paths without a prefix (kind openai). Repeatable.
    #[arg(long, value_name = "NAME=URL")]
    pub upstream: Vec<String>,
    /// A budget, refused with 429 once spent: `SCOPE=AMOUNT/PERIOD` with scope `global`,
    /// `tag:NAME`, `key` (each key on its own) or `key:FINGERPRINT`, e.g.
    /// `global=5USD/day`, `tag:ci=20USD/month`, `key=1USD/day`. Repeatable.
    #[arg(long, value_name = "SCOPE=AMOUNT/PERIOD")]
    pub budget: Vec<String>,
    #[command(flatten)]
    pub ledger: LedgerOpt,
    /// An exchange rate for budgets in a currency the catalog lists no prices in:
    /// `CUR=RATE`, RATE units of CUR per 1 USD (e.g. `EUR=0.92`). Repeatable.
    #[arg(long, value_name = "CUR=RATE")]
    pub fx: Vec<String>,
    /// On SIGINT/SIGTERM, how long calls in flight may take to finish before they
    /// are cut (and recorded as incomplete), in seconds (default 10).
    #[arg(long, value_name = "SECS")]
    pub drain_timeout: Option<u64>,
    /// Largest request body of a metered call, in bytes (default 33554432); 413 beyond.
    #[arg(long, value_name = "BYTES")]
    pub max_request_body: Option<usize>,
    /// Extra CA certificates (PEM) trusted for HTTPS upstreams, besides the system's
    /// store and the built-in Mozilla roots.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// The device its records name (`--device` is the same): this proxy instance.
    /// Default `proxy@<host name>:<port>`.
    #[arg(long, visible_alias = "device", value_name = "NAME")]
    pub instance: Option<String>,
    /// Fleet budgets (a PostgreSQL ledger shared by several proxies): while the
    /// database cannot be reached, `open` keeps serving on this proxy's view of
    /// the spend, `closed` refuses calls with 503. Records are spilled either way.
    #[arg(long, value_name = "MODE", value_parser = ["open", "closed"], default_value = "open")]
    pub budget_fail: String,
    /// Worker threads (default: one per CPU).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the example config file and exit.
    #[arg(long)]
    pub print_config_example: bool,
    /// Read an API key from stdin and print the fingerprint this ledger records for
    /// it (salted per ledger), e.g. for a `key:FINGERPRINT` budget; then exit.
    #[arg(long)]
    pub print_key_fingerprint: bool,
    #[command(flatten)]
    pub dashboard: super::serve::DashboardArgs,
}

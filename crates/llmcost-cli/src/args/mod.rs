//! Command-line arguments: every clap type of `llmcost`, one file per command family,
//! with the shared flag groups flattened in. The doc comments are the help text.
//!
//! Nothing here imports a command: arguments flow one way, from here to the settings
//! a command resolves (`llmcost_app::quote::PriceSettings`, `crate::ctx::Ctx`).

use clap::{Args, Parser, Subcommand, ValueEnum};

mod global;
mod groups;
mod ledger;
pub mod ledger_admin;
pub mod prices;
mod proxy;
mod quote;
mod reconcile;
mod report;
mod serve;

pub use global::{CatalogOpts, GlobalOpts};
pub use groups::{LedgerOpt, MoneyOpts, WindowOpts};
pub use ledger::{ImportArgs, RepriceArgs};
pub use ledger_admin::LedgerArgs;
pub use prices::PricesArgs;
pub use proxy::ProxyArgs;
pub use quote::{BlendArgs, CompareArgs, CostArgs, EstimateArgs, ForecastArgs};
pub use reconcile::ReconcileArgs;
pub use report::{Period, ReportArgs, ReportFormat};
pub use serve::{ServeArgs, TokenArgs};

/// Exact LLM API costs: what a usage cost, what it will cost, which model is cheapest.
///
/// Prices come from a curated, sourced catalog with history built into the binary:
/// usage is priced at the price in force when the tokens were used.
#[derive(Debug, Parser)]
#[command(
    name = "llmcost",
    version,
    about,
    long_about,
    max_term_width = 100,
    disable_help_flag = true,
    after_long_help = "Defaults for --currency, --tz, --ledger and --prefer can be kept in a config file: \
        $LLMCOST_CONFIG, else <config dir>/llmcost/config.toml (keys currency, tz, ledger, prefer). \
        Flags and environment variables win over it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub layers: CatalogOpts,
    #[command(flatten)]
    pub global: GlobalOpts,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cost of a usage: token counts, or a provider response body / JSON Lines of them.
    Cost(CostArgs),
    /// Estimate a cost from a total token count and an assumed input share; reconcile with a bill.
    Estimate(EstimateArgs),
    /// Blended price per million tokens at an input:output ratio.
    Blend(BlendArgs),
    /// One workload, several models: cost of each, cheapest first, with ratios.
    Compare(CompareArgs),
    /// Daily and period cost of a steady workload.
    Forecast(ForecastArgs),
    /// Search the price catalog; show a model's price history and sources.
    Prices(PricesArgs),
    /// Import usage logs and exports into the ledger (only what is new is added).
    Import(ImportArgs),
    /// Re-price every ledger record from its stored usage with the current catalog.
    Reprice(RepriceArgs),
    /// Usage and cost per day, week, month, model or session, from the ledger or straight from logs.
    Report(ReportArgs),
    /// Compare the ledger's cost with what the provider billed, per day and model, and explain the gap.
    Reconcile(ReconcileArgs),
    /// Metering reverse proxy: forward LLM API calls, record each call's cost, enforce budgets.
    Proxy(ProxyArgs),
    /// Web dashboard of the ledger: spend, live proxy calls, price histories, reconcile.
    Serve(ServeArgs),
    /// Ledger administration: `init` a schema, `prune` old records, `copy` records between ledgers.
    Ledger(LedgerArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `llmcost man > llmcost.1`.
    Man,
}

/// Arguments of `completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned table with line items (figures rounded for display, and it says so).
    #[default]
    Table,
    /// Stable JSON; amounts are exact decimal strings.
    Json,
}

/// Options shared by every pricing command: the instant, currency and exchange rates
/// ([`MoneyOpts`]), and the output format.
#[derive(Debug, Clone, Args)]
pub struct PriceOpts {
    /// Instant the prices are taken at (RFC 3339, e.g. 2025-03-10T18:00:00Z, or a date). Default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[command(flatten)]
    pub money: MoneyOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Token counts: non-negative integers; `_` and `,` separators are accepted.
pub fn parse_tokens(s: &str) -> Result<u64, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect();
    if t.starts_with('-') {
        return Err(format!("token counts cannot be negative (got `{s}`)"));
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map_err(|_| format!("`{s}` is too large: at most {} tokens", u64::MAX));
    }
    Err(format!(
        "`{s}` is not a whole number of tokens (write e.g. 1200, 1_200 or 1,200)"
    ))
}

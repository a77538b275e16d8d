//! Command-line arguments. The doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    pub layers: crate::commands::catalog_layers::CatalogOpts,
    #[command(flatten)]
    pub global: GlobalOpts,
}

/// Options of every command: what reaches the terminal.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOpts {
    /// Print help (`-h` and `--help` print the same).
    #[arg(short = 'h', long = "help", action = clap::ArgAction::HelpLong, global = true)]
    pub help: Option<bool>,
    /// No progress, notes or warnings on stderr (data and errors are still shown).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless `NO_COLOR` is set), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Tables in plain ASCII (rules, arrows and marks).
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Tables at full width: no text shortened to fit the terminal.
    #[arg(long, global = true)]
    pub wide: bool,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn colors(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                terminal && !no_color && !dumb
            }
        }
    }
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
    Import(crate::commands::import::ImportArgs),
    /// Re-price every ledger record from its stored usage with the current catalog.
    Reprice(crate::commands::import::RepriceArgs),
    /// Usage and cost per day, week, month, model or session, from the ledger or straight from logs.
    Report(crate::commands::report::ReportArgs),
    /// Compare the ledger's cost with what the provider billed, per day and model, and explain the gap.
    Reconcile(crate::commands::reconcile::ReconcileArgs),
    /// Metering reverse proxy: forward LLM API calls, record each call's cost, enforce budgets.
    Proxy(crate::commands::proxy::ProxyArgs),
    /// Ledger administration: `init` a schema, `prune` old records, `copy` records between ledgers.
    Ledger(crate::commands::ledger_admin::LedgerArgs),
    /// Web dashboard of the ledger: spend, live proxy calls, price histories, reconcile.
    Serve(crate::commands::serve::ServeArgs),
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

/// Options shared by every pricing command.
#[derive(Debug, Clone, Args)]
pub struct PriceOpts {
    /// Instant the prices are taken at (RFC 3339, e.g. 2025-03-10T18:00:00Z, or a date). Default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Currency: the provider's own list in that currency (DeepSeek lists CNY and USD apart).
    #[arg(long, value_name = "CUR")]
    pub currency: Option<String>,
    /// Exchange rate when a model has no list in --currency: `RATE` (one unit of the model's
    /// list currency in --currency) or `CUR=RATE` (repeatable, e.g. `--fx CNY=0.14`).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fx: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Model id or alias (`deepseek-chat`, `deepseek/deepseek-chat`, `gpt-4o`). With --usage,
    /// overrides the model named in the body.
    #[arg(long, short)]
    pub model: Option<String>,
    /// Input tokens NOT read from cache (cache misses).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub input: Option<u64>,
    /// Input tokens read from the prompt cache (cache hits).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub cache_read: Option<u64>,
    /// Input tokens written to the cache with the 5-minute TTL.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub cache_write: Option<u64>,
    /// Input tokens written to the cache with the 1-hour TTL.
    #[arg(long = "cache-write-1h", value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub cache_write_1h: Option<u64>,
    /// Output tokens.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub output: Option<u64>,
    /// Reasoning tokens reported apart from --output (billed at the output rate unless the
    /// model prices them apart).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub reasoning: Option<u64>,
    /// Audio input tokens not read from cache (not counted in --input).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub input_audio: Option<u64>,
    /// Audio input tokens read from the prompt cache (not counted in --cache-read).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub cache_read_audio: Option<u64>,
    /// Audio output tokens (not counted in --output).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub output_audio: Option<u64>,
    /// Image input tokens (not counted in --input).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub input_image: Option<u64>,
    /// Image output tokens (not counted in --output).
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub output_image: Option<u64>,
    /// Price at the batch API rates.
    #[arg(long, conflicts_with = "service_tier")]
    pub batch: bool,
    /// Service tier: standard, batch, flex or priority.
    #[arg(long, value_name = "TIER")]
    pub service_tier: Option<String>,
    /// A provider response body or usage object (`-` for stdin); also a JSON array or
    /// JSON Lines of them, priced one by one at their own time and model.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning", "input_audio", "cache_read_audio", "output_audio", "input_image", "output_image"])]
    pub usage: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceOpts,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Model id or alias.
    #[arg(long, short)]
    pub model: String,
    /// Total tokens (input + output), e.g. from a console that shows only the total.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub total_tokens: u64,
    /// Assumed input share: `1/3`, `0.25` or `25%`. Input is rounded to the nearest token.
    #[arg(long, value_name = "SHARE")]
    pub input_share: String,
    /// The amount actually billed, to reconcile against (in the output currency).
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub billed: Option<String>,
    #[command(flatten)]
    pub price: PriceOpts,
}

#[derive(Debug, Args)]
pub struct BlendArgs {
    /// Models (repeat --model or give several values).
    #[arg(long, short, required = true, num_args = 1..)]
    pub model: Vec<String>,
    /// Input:output token ratio, e.g. `3:1`.
    #[arg(long, value_name = "IN:OUT")]
    pub ratio: String,
    /// Share of input tokens read from cache (0..1, or a percentage).
    #[arg(long, value_name = "R")]
    pub cache_hit_rate: Option<String>,
    #[command(flatten)]
    pub price: PriceOpts,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Models to compare (repeat --model or give several values).
    #[arg(long, short, required = true, num_args = 1..)]
    pub model: Vec<String>,
    /// Input tokens (cache misses) of the workload.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true, requires = "output", conflicts_with = "ratio")]
    pub input: Option<u64>,
    /// Output tokens of the workload.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true, requires = "input")]
    pub output: Option<u64>,
    /// Cache-read tokens of the workload.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true, requires = "input")]
    pub cache_read: Option<u64>,
    /// Or: one million tokens at this input:output ratio (compares blended prices).
    #[arg(long, value_name = "IN:OUT", required_unless_present = "input")]
    pub ratio: Option<String>,
    /// Model the ratios are relative to (default: the cheapest).
    #[arg(long, value_name = "ID")]
    pub reference: Option<String>,
    #[command(flatten)]
    pub price: PriceOpts,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Model id or alias.
    #[arg(long, short)]
    pub model: String,
    /// Requests per day.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub requests_per_day: u64,
    /// Input tokens per request.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub input: u64,
    /// Output tokens per request.
    #[arg(long, value_name = "N", value_parser = parse_tokens, allow_negative_numbers = true)]
    pub output: u64,
    /// Share of input tokens read from cache (0..1, or a percentage); shows the saving.
    #[arg(long, value_name = "R")]
    pub cache_hit_rate: Option<String>,
    /// Days in the period.
    #[arg(
        long,
        value_name = "D",
        default_value_t = 30,
        allow_negative_numbers = true
    )]
    pub days: u32,
    /// First day of the period (YYYY-MM-DD, a date in --tz). Default: today, or the date of --at.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Daily hours the requests are spread over, `HH:MM-HH:MM` in --tz (default: the whole day).
    /// Each hour is priced at the rate in force then (peak, off-peak).
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub hours: Option<String>,
    /// Time zone days and --hours are read in: an IANA name (Europe/Paris), UTC, or +08:00.
    /// Default: UTC.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[command(flatten)]
    pub price: PriceOpts,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PricesArgs {
    /// import, which, update or diff; without one, search the catalog.
    #[command(subcommand)]
    pub action: Option<crate::commands::prices_admin::PricesCommand>,
    /// Text to search in model ids, aliases and providers (empty: everything).
    pub query: Option<String>,
    /// Show the prices in force at this instant (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Show every row of each model's price history, with sources.
    #[arg(long)]
    pub history: bool,
    /// Only this provider's models (`deepseek`, `openai`, ...).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
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

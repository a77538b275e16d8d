//! `llmcost prices` and its verbs: search, import, which, update, status, diff.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Format as OutFormat;
use super::Format;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PricesArgs {
    /// import, which, update or diff; without one, search the catalog.
    #[command(subcommand)]
    pub action: Option<PricesCommand>,
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

/// The verbs of `llmcost prices`.
#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Convert a LiteLLM or OpenRouter price file into a catalog file (default: the user
    /// catalog directory), listing every price field that cannot be mapped.
    Import(ImportPricesArgs),
    /// Explain which row prices a model at an instant: layer, file, period, alias or
    /// pattern followed, and the precedence that chose it.
    Which(WhichArgs),
    /// Fetch the price databases (default: genai-prices and LiteLLM; or `--from URL|FILE`)
    /// and show what changes against the user catalog before writing it.
    Update(UpdateArgs),
    /// Age of each catalog layer (built-in, breadth snapshot, updated/imported, user);
    /// warns when the built-in data is over 60 days old or a holiday calendar runs out.
    Status(StatusArgs),
    /// Compare two catalogs: what got cheaper or dearer, what is new, what is gone.
    Diff(DiffArgs),
    /// Generate the breadth layer (`catalog/breadth/*.toml`) from price databases:
    /// genai-prices, and LiteLLM / OpenRouter for names it lacks (a maintainer's tool).
    GenerateBreadth(GenerateBreadthArgs),
}

#[derive(Debug, Args)]
pub struct GenerateBreadthArgs {
    /// pydantic/genai-prices `prices/new_data/v2/data.json`.
    #[arg(long, value_name = "FILE")]
    pub genai_prices: PathBuf,
    /// Snapshot date of the genai-prices file (its commit date), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub genai_prices_date: String,
    /// Where the genai-prices file came from (written as each row's source; default: the path).
    #[arg(long, value_name = "TEXT")]
    pub genai_prices_source: Option<String>,
    /// LiteLLM `model_prices_and_context_window.json`.
    #[arg(long, value_name = "FILE", requires = "litellm_date")]
    pub litellm: Option<PathBuf>,
    /// Snapshot date of the LiteLLM file, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub litellm_date: Option<String>,
    /// Where the LiteLLM file came from (default: the path).
    #[arg(long, value_name = "TEXT")]
    pub litellm_source: Option<String>,
    /// OpenRouter `GET /api/v1/models` JSON.
    #[arg(long, value_name = "FILE", requires = "openrouter_date")]
    pub openrouter: Option<PathBuf>,
    /// Snapshot date of the OpenRouter file, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub openrouter_date: Option<String>,
    /// Where the OpenRouter file came from (default: the path).
    #[arg(long, value_name = "TEXT")]
    pub openrouter_source: Option<String>,
    /// Directory to write the catalog files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportPricesArgs {
    /// LiteLLM `model_prices_and_context_window.json` or OpenRouter `/api/v1/models` JSON.
    pub file: PathBuf,
    /// Input format: litellm or openrouter (default: detected from the file).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Catalog file to write (default: `<config dir>/llmcost/catalog/<format>.toml`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// First instant of the imported prices (default: the start of today, UTC). Imported
    /// prices have no history before it.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Name written as the rows' source (default: the file path).
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// Print the import report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WhichArgs {
    /// Model id, alias or a name a pattern matches.
    pub model: String,
    #[command(flatten)]
    pub price: super::PriceOpts,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// URL (http or https) or file of a genai-prices, LiteLLM or OpenRouter price file
    /// (default: the genai-prices and LiteLLM databases; `$LLMCOST_PRICE_SOURCES` replaces them).
    #[arg(long = "from", value_name = "URL|FILE")]
    pub source: Option<String>,
    /// Input format: genai-prices, litellm or openrouter (default: detected).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Catalog file to compare with and write (default: `<config dir>/llmcost/catalog/<format>.toml`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Judge ages at this instant (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Catalog A: a catalog TOML file, a LiteLLM or OpenRouter JSON file, `built-in`, or
    /// `current` (this run's layered catalog).
    pub a: String,
    /// Catalog B, the same kinds.
    pub b: String,
    /// Compare the prices in force at this instant (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Also list models whose price did not change.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

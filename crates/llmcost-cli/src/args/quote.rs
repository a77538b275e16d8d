//! The pricing commands: `cost`, `estimate`, `blend`, `compare`, `forecast`.

use std::path::PathBuf;

use clap::Args;

use super::{PriceOpts, parse_tokens};

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

//! Flag groups several commands flatten in: currency and exchange rates.

use clap::Args;

/// Currency and exchange rates.
#[derive(Debug, Clone, Default, Args)]
pub struct MoneyOpts {
    /// Currency: the provider's own list in that currency (DeepSeek lists CNY and USD apart).
    #[arg(long, value_name = "CUR")]
    pub currency: Option<String>,
    /// Exchange rate when a model has no list in --currency: `RATE` (one unit of the model's
    /// list currency in --currency) or `CUR=RATE` (repeatable, e.g. `--fx CNY=0.14`).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true)]
    pub fx: Vec<String>,
}

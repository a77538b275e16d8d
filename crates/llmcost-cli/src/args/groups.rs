//! Flag groups several commands flatten in: the ledger, a time window and zone,
//! currency and exchange rates.

use std::path::PathBuf;

use clap::Args;

/// `--ledger`.
#[derive(Debug, Clone, Default, Args)]
pub struct LedgerOpt {
    /// Ledger file (default: `$LLMCOST_LEDGER`, else <data dir>/llmcost/ledger.db, or
    /// `ledger` in the config file).
    #[arg(id = "ledger", long = "ledger", value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// Which usage: a time window, models, and the zone days are cut in.
#[derive(Debug, Clone, Default, Args)]
pub struct WindowOpts {
    /// Only usage at or after this time (RFC 3339, or a date: midnight in --tz).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only usage before this time (RFC 3339), or up to the end of this date in --tz.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only these models (as recorded; repeatable).
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<String>,
    /// Time zone days are cut in (IANA name such as `Europe/Paris`, or `UTC`).
    /// Default: the `TZ` environment variable, else `tz` in the config file, else UTC.
    #[arg(long, value_name = "TZ")]
    pub tz: Option<String>,
}

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

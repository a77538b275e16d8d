//! What the commands share: usage errors (exit 2), warnings, and the price
//! settings of `llmcost_app::quote` read from the pricing flags.

/// A usage or configuration error: a bad flag value, a missing option, an
/// invalid catalog or config file. Nothing was done; `main` exits 2.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    pub fn new(msg: impl Into<String>) -> UsageError {
        UsageError(msg.into())
    }
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns a [`UsageError`] from the enclosing function (like `anyhow::bail!`).
macro_rules! usage_bail {
    ($($t:tt)*) => {
        return Err($crate::common::UsageError::new(format!($($t)*)).into())
    };
}
pub(crate) use usage_bail;

/// A [`UsageError`] as an `anyhow::Error` (like `anyhow::anyhow!`).
macro_rules! usage_err {
    ($($t:tt)*) => {
        anyhow::Error::from($crate::common::UsageError::new(format!($($t)*)))
    };
}
pub(crate) use usage_err;

/// Marks an error as a usage or configuration error (exit 2), keeping its message.
pub fn into_usage(e: anyhow::Error) -> anyhow::Error {
    if e.chain().any(|c| c.is::<UsageError>()) {
        e
    } else {
        UsageError::new(format!("{e:#}")).into()
    }
}

/// Prints a warning on stderr (through the printer of the run: `--quiet` silences it).
pub fn warn(msg: &str) {
    crate::printer::Printer::current().warn(msg);
}

/// Warns on stderr that models were left unpriced (exit code 1).
pub fn warn_unpriced<'a>(models: impl Iterator<Item = &'a str>) {
    let list: Vec<String> = models.map(|m| format!("`{m}`")).collect();
    if !list.is_empty() {
        warn(&format!(
            "no price for {}: listed as unpriced, with no cost (never counted as zero)\n  hint: check the model names (`llmcost prices NAME`), or price them in a user catalog file",
            list.join(", ")
        ));
    }
}

pub use llmcost_app::quote::{PriceSettings, Priced, Provenance, parse_time, resolve};

impl llmcost_app::quote::PriceInput for crate::args::PriceOpts {
    fn at(&self) -> Option<&str> {
        self.at.as_deref()
    }
    fn currency(&self) -> Option<&str> {
        self.money.currency.as_deref()
    }
    fn fx(&self) -> &[String] {
        &self.money.fx
    }
}

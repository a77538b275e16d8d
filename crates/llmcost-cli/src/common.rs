//! Settings shared by the pricing commands: instants, currencies, exchange rates,
//! shares and ratios, and pricing a usage with provenance.

use anyhow::Result;
use llmcost_catalog::Catalog;
use llmcost_core::Decimal;

use crate::args::PriceOpts;

pub use llmcost_app::UsageError;

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
    if e.chain().any(|c| {
        c.is::<UsageError>()
            || c.downcast_ref::<llmcost_app::Error>()
                .is_some_and(|a| a.is_usage() == Some(true))
    }) {
        e
    } else {
        UsageError::new(format!("{e:#}")).into()
    }
}

/// Prints a warning on stderr.
#[expect(clippy::print_stderr, reason = "warnings go to stderr")]
pub fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

/// Warns on stderr that models were left unpriced (exit code 1).
#[expect(clippy::print_stderr, reason = "warnings go to stderr")]
pub fn warn_unpriced<'a>(models: impl Iterator<Item = &'a str>) {
    let list: Vec<String> = models.map(|m| format!("`{m}`")).collect();
    if !list.is_empty() {
        eprintln!(
            "warning: no price for {}: listed as unpriced, with no cost (never counted as zero)\n  hint: check the model names (`llmcost prices NAME`), or price them in a user catalog file",
            list.join(", ")
        );
    }
}

pub use llmcost_app::pricing::{
    FxApplied, PriceSettings, Priced, Provenance, parse_time, price, resolve,
};

/// [`llmcost_app::pricing::blended`], for closures that return `anyhow` results.
pub fn blended(
    cat: &Catalog,
    model: &str,
    ratio: (Decimal, Decimal),
    hit: Decimal,
    s: &PriceSettings,
) -> Result<(Decimal, Priced)> {
    Ok(llmcost_app::pricing::blended(cat, model, ratio, hit, s)?)
}

impl llmcost_app::pricing::PriceOptions for PriceOpts {
    fn at(&self) -> Option<&str> {
        self.at.as_deref()
    }
    fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }
    fn fx(&self) -> &[String] {
        &self.fx
    }
}

/// A fraction in [0, 1]: `1/3`, `0.25` or `25%`.
pub fn parse_share(s: &str, what: &str) -> Result<Decimal> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim()
            .parse::<Decimal>()
            .map(|d| d / Decimal::ONE_HUNDRED)
            .map_err(|_| usage_err!("{what}: `{s}` is not a percentage"))?
    } else if let Some((a, b)) = t.split_once('/') {
        let a: Decimal = a
            .trim()
            .parse()
            .map_err(|_| usage_err!("{what}: `{s}` is not a fraction"))?;
        let b: Decimal = b
            .trim()
            .parse()
            .map_err(|_| usage_err!("{what}: `{s}` is not a fraction"))?;
        if b.is_zero() {
            usage_bail!("{what}: `{s}` divides by zero");
        }
        a / b
    } else {
        t.parse::<Decimal>()
            .map_err(|_| usage_err!("{what}: `{s}` is not a share (use 1/3, 0.25 or 25%)"))?
    };
    if v < Decimal::ZERO || v > Decimal::ONE {
        usage_bail!("{what}: `{s}` is outside [0, 1]");
    }
    Ok(v)
}

/// An `IN:OUT` ratio of non-negative decimals, not both zero.
pub fn parse_ratio(s: &str) -> Result<(Decimal, Decimal)> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| usage_err!("--ratio: `{s}` is not IN:OUT (e.g. 3:1)"))?;
    let a: Decimal = a
        .trim()
        .parse()
        .map_err(|_| usage_err!("--ratio: `{s}` is not IN:OUT (e.g. 3:1)"))?;
    let b: Decimal = b
        .trim()
        .parse()
        .map_err(|_| usage_err!("--ratio: `{s}` is not IN:OUT (e.g. 3:1)"))?;
    if a < Decimal::ZERO || b < Decimal::ZERO || (a + b).is_zero() {
        usage_bail!("--ratio: `{s}` needs non-negative parts that are not both zero");
    }
    Ok((a, b))
}

/// Rounds a non-negative decimal to the nearest integer, halves up.
pub fn round_tokens(d: Decimal) -> Result<u64> {
    let r = d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    u64::try_from(r).map_err(|_| usage_err!("token count {d} out of range"))
}

//! Price quotes: what a usage costs, what a workload will cost, which model is
//! cheapest, and what the catalog says. One engine per answer, each returning
//! its JSON wire type (what `--format json` prints and a web API returns) and
//! what a table needs beside it. No clap, no terminal, no process exit.
//!
//! This module holds what every engine shares: the price settings (instant,
//! currency, exchange rates), pricing a usage with its provenance, and the
//! parsers of shares, ratios and instants.

pub mod blend;
pub mod calendar;
pub mod clock;
pub mod compare;
pub mod cost;
pub mod estimate;
pub mod forecast;
pub mod prices;

use std::collections::BTreeMap;

use llmcost_catalog::{Catalog, LookupError, PriceError, Resolved};
use llmcost_core::{Cost, Currency, CurrencyError, Decimal, ServiceTier, Timestamp, Usage};

pub use crate::wire::{FxApplied, Provenance};

/// Why a quote could not be given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad input (a flag value, a missing option, a model that is not
    /// there): nothing was done. The message says what to do.
    #[error("{0}")]
    Invalid(String),
    /// What was being done when `source` happened.
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
    /// A model or price row could not be found.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// A usage could not be priced.
    #[error(transparent)]
    Price(#[from] PriceError),
    /// The pricing engine refused (an overflow, an invalid period).
    #[error(transparent)]
    Engine(#[from] llmcost_core::Error),
    /// An unknown currency code.
    #[error(transparent)]
    Currency(#[from] CurrencyError),
    /// A date that does not parse.
    #[error(transparent)]
    Date(#[from] jiff::Error),
}

impl Error {
    /// Whether the input was at fault (a usage or configuration error), not
    /// the run (an overflow, an unreadable date).
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Error::Invalid(_) | Error::Lookup(_) | Error::Currency(_) => true,
            Error::Context { source, .. } => source.is_invalid_input(),
            Error::Price(PriceError::Engine(llmcost_core::Error::Overflow))
            | Error::Engine(llmcost_core::Error::Overflow)
            | Error::Date(_) => false,
            Error::Price(_) | Error::Engine(_) => true,
        }
    }

    /// This error with what was being done (like `anyhow::Context`).
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }
}

/// The result of a quote.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns an [`Error::Invalid`] from the enclosing function.
macro_rules! invalid {
    ($($t:tt)*) => {
        return Err($crate::quote::Error::Invalid(format!($($t)*)))
    };
}
pub(crate) use invalid;

/// An [`Error::Invalid`] (like `anyhow::anyhow!`).
macro_rules! invalid_err {
    ($($t:tt)*) => {
        $crate::quote::Error::Invalid(format!($($t)*))
    };
}
pub(crate) use invalid_err;

/// `context` for results whose error converts into [`Error`].
pub(crate) trait Context<T> {
    fn context(self, c: &str) -> Result<T>;
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, c: &str) -> Result<T> {
        self.map_err(|e| e.into().context(c))
    }
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

/// An error and its sources, joined with `: ` (as `{:#}` shows an `anyhow` chain).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Parses an RFC 3339 instant, a civil date-time taken as UTC, or a date (00:00 UTC).
pub fn parse_time(s: &str) -> Result<Timestamp> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp());
    }
    invalid!(
        "`{s}` is not a time: use RFC 3339 such as `2025-03-10T18:00:00Z`, or a date `2025-03-10`"
    )
}

/// The raw price inputs of a front end (`--at`, `--currency`, `--fx`), as typed.
pub trait PriceInput {
    /// The instant the prices are taken at (RFC 3339 or a date); none: now.
    fn at(&self) -> Option<&str>;
    /// The currency asked for.
    fn currency(&self) -> Option<&str>;
    /// Exchange rates: `RATE` or `CUR=RATE`.
    fn fx(&self) -> &[String];
}

/// [`PriceInput`] as plain values (for front ends without flags).
#[derive(Debug, Clone, Default)]
pub struct PriceRequest {
    pub at: Option<String>,
    pub currency: Option<String>,
    pub fx: Vec<String>,
}

impl PriceInput for PriceRequest {
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

/// Resolved price settings.
#[derive(Debug, Clone)]
pub struct PriceSettings {
    pub at: Timestamp,
    pub at_given: bool,
    pub currency: Option<Currency>,
    pub fx: Fx,
}

impl PriceSettings {
    /// Reads the instant, currency and exchange rates.
    pub fn resolve(o: &impl PriceInput) -> Result<PriceSettings> {
        let (at, at_given) = match o.at() {
            Some(a) => (parse_time(a).context("invalid --at")?, true),
            None => (Timestamp::now(), false),
        };
        let currency = o
            .currency()
            .map(Currency::new)
            .transpose()
            .context("invalid --currency")?;
        let fx = Fx::parse(o.fx(), currency)?;
        Ok(PriceSettings {
            at,
            at_given,
            currency,
            fx,
        })
    }
}

/// Exchange rates given by the user: one unit of a list currency in the target currency.
#[derive(Debug, Clone, Default)]
pub struct Fx {
    any: Option<Decimal>,
    per: BTreeMap<Currency, Decimal>,
}

impl Fx {
    fn parse(items: &[String], target: Option<Currency>) -> Result<Fx> {
        let mut fx = Fx::default();
        for it in items {
            match it.split_once('=') {
                Some((cur, rate)) => {
                    let c = Currency::new(cur).with_context(|| format!("invalid --fx `{it}`"))?;
                    fx.per.insert(c, parse_positive(rate, "--fx")?);
                }
                None => fx.any = Some(parse_positive(it, "--fx")?),
            }
        }
        if (fx.any.is_some() || !fx.per.is_empty()) && target.is_none() {
            invalid!("--fx needs --currency: the currency the rate converts into");
        }
        Ok(fx)
    }

    /// The rate from a list currency, if one was given.
    pub fn rate(&self, from: Currency) -> Option<Decimal> {
        self.per.get(&from).copied().or(self.any)
    }
}

fn parse_positive(s: &str, what: &str) -> Result<Decimal> {
    let d: Decimal = s
        .trim()
        .parse()
        .map_err(|_| invalid_err!("{what}: `{s}` is not a decimal number"))?;
    if d <= Decimal::ZERO {
        invalid!("{what}: `{s}` must be greater than zero");
    }
    Ok(d)
}

/// The service tier of `--batch` or `--service-tier`.
pub fn tier_of(batch: bool, service_tier: Option<&str>) -> Result<ServiceTier> {
    if batch {
        return Ok(ServiceTier::Batch);
    }
    match service_tier {
        None => Ok(ServiceTier::Standard),
        Some(t) => t
            .parse()
            .map_err(|e: String| invalid_err!("invalid --service-tier: {e}")),
    }
}

/// A usage priced, with the row that priced it.
#[derive(Debug, Clone)]
pub struct Priced {
    pub cost: Cost,
    pub price: Provenance,
    pub fx: Option<FxApplied>,
}

/// A conversion to apply: (list currency, asked currency, rate).
pub type Conversion = Option<(Currency, Currency, Decimal)>;

/// Resolves a model at the settings' instant and currency, converting with --fx
/// when the model has no list in the asked currency.
pub fn resolve<'c>(
    cat: &'c Catalog,
    model: &str,
    at: Timestamp,
    s: &PriceSettings,
) -> Result<(Resolved<'c>, Conversion)> {
    match cat.resolve(model, at, s.currency) {
        Ok(r) => Ok((r, None)),
        Err(LookupError::Currency {
            currency,
            available,
            ..
        }) => {
            if let Some((from, rate)) = available
                .iter()
                .find_map(|c| s.fx.rate(*c).map(|r| (*c, r)))
            {
                let r = cat.resolve(model, at, Some(from))?;
                Ok((r, Some((from, currency, rate))))
            } else {
                let list = available
                    .iter()
                    .map(Currency::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let first = available.first().map_or("USD", Currency::as_str);
                invalid!(
                    "`{model}` has no {currency} price list at {at} (it is listed in {list})\n\
                     hint: pass an exchange rate, e.g. `--fx {first}=RATE` (one {first} in {currency}), or drop --currency"
                )
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Prices a usage: the resolved row's exact cost, converted if needed.
pub fn price(
    cat: &Catalog,
    model: &str,
    usage: &Usage,
    at: Timestamp,
    tier: ServiceTier,
    s: &PriceSettings,
) -> Result<Priced> {
    let (r, conv) = resolve(cat, model, at, s)?;
    let mut cost = r
        .row
        .price(usage, at, tier)
        .with_context(|| format!("cannot price `{model}` ({}) at {at}", r.model.id))?;
    let fx = conv.map(|(from, to, rate)| convert(&mut cost, from, to, rate));
    Ok(Priced {
        cost,
        price: Provenance::of(&r),
        fx,
    })
}

/// Converts a cost in place (exact multiplication) and describes the conversion.
pub fn convert(cost: &mut Cost, from: Currency, to: Currency, rate: Decimal) -> FxApplied {
    let list_total = cost.total;
    cost.total = (cost.total * rate).normalize();
    for it in &mut cost.items {
        it.cost = (it.cost * rate).normalize();
        it.rate_per_million = (it.rate_per_million * rate).normalize();
    }
    cost.currency = to;
    FxApplied {
        from,
        to,
        rate,
        list_total,
    }
}

/// A fraction in [0, 1]: `1/3`, `0.25` or `25%`.
pub fn parse_share(s: &str, what: &str) -> Result<Decimal> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim()
            .parse::<Decimal>()
            .map(|d| d / Decimal::ONE_HUNDRED)
            .map_err(|_| invalid_err!("{what}: `{s}` is not a percentage"))?
    } else if let Some((a, b)) = t.split_once('/') {
        let a: Decimal = a
            .trim()
            .parse()
            .map_err(|_| invalid_err!("{what}: `{s}` is not a fraction"))?;
        let b: Decimal = b
            .trim()
            .parse()
            .map_err(|_| invalid_err!("{what}: `{s}` is not a fraction"))?;
        if b.is_zero() {
            invalid!("{what}: `{s}` divides by zero");
        }
        a / b
    } else {
        t.parse::<Decimal>()
            .map_err(|_| invalid_err!("{what}: `{s}` is not a share (use 1/3, 0.25 or 25%)"))?
    };
    if v < Decimal::ZERO || v > Decimal::ONE {
        invalid!("{what}: `{s}` is outside [0, 1]");
    }
    Ok(v)
}

/// An `IN:OUT` ratio of non-negative decimals, not both zero.
pub fn parse_ratio(s: &str) -> Result<(Decimal, Decimal)> {
    let bad = || invalid_err!("--ratio: `{s}` is not IN:OUT (e.g. 3:1)");
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let a: Decimal = a.trim().parse().map_err(|_| bad())?;
    let b: Decimal = b.trim().parse().map_err(|_| bad())?;
    if a < Decimal::ZERO || b < Decimal::ZERO || (a + b).is_zero() {
        invalid!("--ratio: `{s}` needs non-negative parts that are not both zero");
    }
    Ok((a, b))
}

/// Rounds a non-negative decimal to the nearest integer, halves up.
pub fn round_tokens(d: Decimal) -> Result<u64> {
    let r = d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    u64::try_from(r).map_err(|_| invalid_err!("token count {d} out of range"))
}

/// Blended price per million tokens at a ratio, with a cache-hit share of input.
pub fn blended(
    cat: &Catalog,
    model: &str,
    ratio: (Decimal, Decimal),
    hit: Decimal,
    s: &PriceSettings,
) -> Result<(Decimal, Priced)> {
    // Price one million tokens' worth of each bucket and mix exactly:
    // blend = (in × ((1−h)·r_in + h·r_hit) + out × r_out) / (in + out).
    let (r, conv) = resolve(cat, model, s.at, s)?;
    let probe = Usage {
        input: 1,
        cache_read: u64::from(!hit.is_zero()),
        output: 1,
        ..Usage::default()
    };
    let rates = r.row.rates_at(&probe, s.at, ServiceTier::Standard)?;
    let rin = rates
        .effective(llmcost_core::Bucket::Input)
        .map(|x| x.0)
        .ok_or_else(|| invalid_err!("`{model}` has no input price"))?;
    let rhit = rates
        .effective(llmcost_core::Bucket::CacheRead)
        .map_or(rin, |x| x.0);
    let rout = rates
        .effective(llmcost_core::Bucket::Output)
        .map(|x| x.0)
        .ok_or_else(|| invalid_err!("`{model}` has no output price"))?;
    let (a, b) = ratio;
    let mut per_m = (a * ((Decimal::ONE - hit) * rin + hit * rhit) + b * rout) / (a + b);
    let mut cost = r.row.price(&probe, s.at, ServiceTier::Standard)?;
    let fx = conv.map(|(from, to, rate)| {
        per_m *= rate;
        convert(&mut cost, from, to, rate)
    });
    Ok((
        per_m.normalize(),
        Priced {
            cost,
            price: Provenance::of(&r),
            fx,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_ratios() {
        // 1/3 is 0.333… to 28 digits; 25% is 0.25.
        assert_eq!(parse_share("25%", "x").unwrap(), Decimal::new(25, 2));
        assert_eq!(parse_share("1/4", "x").unwrap(), Decimal::new(25, 2));
        assert!(parse_share("2", "x").unwrap_err().is_invalid_input());
        assert_eq!(
            parse_ratio("3:1").unwrap(),
            (Decimal::from(3), Decimal::ONE)
        );
        assert!(matches!(parse_ratio("0:0"), Err(Error::Invalid(_))));
    }

    #[test]
    fn context_reads_like_a_chain() {
        let e = parse_time("soon").context("invalid --at").unwrap_err();
        assert_eq!(
            chain(&e),
            "invalid --at: `soon` is not a time: use RFC 3339 such as `2025-03-10T18:00:00Z`, or a date `2025-03-10`"
        );
        assert!(e.is_invalid_input());
    }
}

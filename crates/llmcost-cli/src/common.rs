//! Settings shared by the pricing commands: instants, currencies, exchange rates,
//! shares and ratios, and pricing a usage with provenance.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use llmcost_catalog::{Catalog, LookupError, Resolved};
use llmcost_core::{Cost, Currency, Decimal, ServiceTier, Timestamp, Usage};
use serde::Serialize;

use crate::args::PriceOpts;

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
    usage_bail!(
        "`{s}` is not a time: use RFC 3339 such as `2025-03-10T18:00:00Z`, or a date `2025-03-10`"
    )
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
    pub fn resolve(o: &PriceOpts) -> Result<PriceSettings> {
        let (at, at_given) = match &o.at {
            Some(a) => (parse_time(a).context("invalid --at")?, true),
            None => (Timestamp::now(), false),
        };
        let currency = o
            .currency
            .as_deref()
            .map(Currency::new)
            .transpose()
            .context("invalid --currency")?;
        let fx = Fx::parse(&o.fx, currency)?;
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
            usage_bail!("--fx needs --currency: the currency the rate converts into");
        }
        Ok(fx)
    }

    fn rate(&self, from: Currency) -> Option<Decimal> {
        self.per.get(&from).copied().or(self.any)
    }
}

fn parse_positive(s: &str, what: &str) -> Result<Decimal> {
    let d: Decimal = s
        .trim()
        .parse()
        .map_err(|_| usage_err!("{what}: `{s}` is not a decimal number"))?;
    if d <= Decimal::ZERO {
        usage_bail!("{what}: `{s}` must be greater than zero");
    }
    Ok(d)
}

/// A conversion applied to a price in another currency.
#[derive(Debug, Clone, Serialize)]
pub struct FxApplied {
    pub from: Currency,
    pub to: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Total in the list currency, before conversion.
    #[serde(with = "rust_decimal::serde::str")]
    pub list_total: Decimal,
}

/// Where a price came from.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub model: String,
    pub provider: String,
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub currency: Currency,
    pub source: String,
    pub confidence: Option<String>,
    pub note: Option<String>,
    /// Aliases followed to reach the model (`gpt-4o` → `gpt-4o-2024-08-06`).
    pub via: Vec<String>,
    /// The catalog layer that priced it: `built-in`, `user:<file>` or `imported:<file>`.
    pub catalog: String,
}

impl Provenance {
    pub fn of(r: &Resolved<'_>) -> Provenance {
        let s = r.row.spec();
        Provenance {
            model: r.model.id.clone(),
            provider: r.model.provider.clone(),
            from: s.from,
            until: s.until,
            currency: s.currency,
            source: s.source.clone(),
            confidence: r.confidence.map(str::to_string),
            note: s.note.clone(),
            via: r
                .via
                .iter()
                .map(|a| format!("{} → {}", a.name, a.target))
                .collect(),
            catalog: r.origin().label(),
        }
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
                usage_bail!(
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
        .ok_or_else(|| usage_err!("`{model}` has no input price"))?;
    let rhit = rates
        .effective(llmcost_core::Bucket::CacheRead)
        .map_or(rin, |x| x.0);
    let rout = rates
        .effective(llmcost_core::Bucket::Output)
        .map(|x| x.0)
        .ok_or_else(|| usage_err!("`{model}` has no output price"))?;
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

//! Price settings shared by every engine: the instant, the currency and the
//! exchange rates given by the user, and pricing a usage with provenance.

use std::collections::BTreeMap;

use llmcost_catalog::{Catalog, LookupError, Resolved};
use llmcost_core::{Cost, Currency, Decimal, ServiceTier, Timestamp, Usage};
use serde::Serialize;

use crate::error::{Result, ResultExt, usage_bail, usage_err};

/// Parses an RFC 3339 instant, a civil date-time taken as UTC, or a date (00:00 UTC).
///
/// # Errors
/// A [`crate::UsageError`] saying what a time looks like.
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

/// The price options as given (flags, query parameters): what
/// [`PriceSettings::resolve`] reads.
pub trait PriceOptions {
    /// The instant to price at (`--at`), as given.
    fn at(&self) -> Option<&str>;
    /// The currency (`--currency`), as given.
    fn currency(&self) -> Option<&str>;
    /// Exchange rates (`--fx CUR=RATE` or `--fx RATE`), as given.
    fn fx(&self) -> &[String];
}

/// Resolved price settings.
#[derive(Debug, Clone)]
pub struct PriceSettings {
    /// The instant to price at (now when not given).
    pub at: Timestamp,
    /// Whether the instant was given.
    pub at_given: bool,
    /// The currency asked for (each model's own list when `None`).
    pub currency: Option<Currency>,
    /// Exchange rates given by the user.
    pub fx: Fx,
}

impl PriceSettings {
    /// Resolves the options as given.
    ///
    /// # Errors
    /// An invalid `--at`, `--currency` or `--fx` (usage errors).
    pub fn resolve(o: &impl PriceOptions) -> Result<PriceSettings> {
        Self::resolve_parts(o.at(), o.currency(), o.fx())
    }

    /// Resolves an instant, a currency and exchange rates, as given.
    ///
    /// # Errors
    /// As [`PriceSettings::resolve`].
    pub fn resolve_parts(
        at: Option<&str>,
        currency: Option<&str>,
        fx: &[String],
    ) -> Result<PriceSettings> {
        let (at, at_given) = match at {
            Some(a) => (parse_time(a).context("invalid --at")?, true),
            None => (Timestamp::now(), false),
        };
        let currency = currency
            .map(Currency::new)
            .transpose()
            .context("invalid --currency")?;
        let fx = Fx::parse(fx, currency)?;
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
    /// Parses `CUR=RATE` (a rate for one currency) and `RATE` (for any) items.
    ///
    /// # Errors
    /// A malformed item, a rate that is not positive, or rates without a
    /// `target` currency (usage errors).
    pub fn parse(items: &[String], target: Option<Currency>) -> Result<Fx> {
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

    /// The rate of one unit of `from` in the target currency, if given.
    #[must_use]
    pub fn rate(&self, from: Currency) -> Option<Decimal> {
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
    /// The list currency.
    pub from: Currency,
    /// The currency asked for.
    pub to: Currency,
    /// One `from` in `to`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Total in the list currency, before conversion.
    #[serde(with = "rust_decimal::serde::str")]
    pub list_total: Decimal,
}

/// Where a price came from.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// The model's catalog id.
    pub model: String,
    /// Its provider.
    pub provider: String,
    /// Start of the row's period.
    pub from: Timestamp,
    /// End of the row's period (open when `None`).
    pub until: Option<Timestamp>,
    /// The row's currency.
    pub currency: Currency,
    /// The source URL.
    pub source: String,
    /// Confidence grade (A/B/C).
    pub confidence: Option<String>,
    /// The row's note.
    pub note: Option<String>,
    /// Aliases followed to reach the model (`gpt-4o` → `gpt-4o-2024-08-06`).
    pub via: Vec<String>,
    /// The catalog layer that priced it: `built-in`, `user:<file>` or `imported:<file>`.
    pub catalog: String,
}

impl Provenance {
    /// The provenance of a resolved row.
    #[must_use]
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
    /// The exact cost.
    pub cost: Cost,
    /// The row that priced it.
    pub price: Provenance,
    /// The conversion applied, if any.
    pub fx: Option<FxApplied>,
}

/// A conversion to apply: (list currency, asked currency, rate).
pub type Conversion = Option<(Currency, Currency, Decimal)>;

/// Resolves a model at an instant in the settings' currency, converting with
/// the given rates when the model has no list in the asked currency.
///
/// # Errors
/// The model is unknown, has no row at `at`, or has no list in the currency
/// and no rate was given (usage errors).
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
///
/// # Errors
/// As [`resolve`], or the row cannot price the usage.
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

/// Blended price per million tokens at an `IN:OUT` ratio, with a cache-hit
/// share of input, and the probe usage priced (for its provenance).
///
/// # Errors
/// As [`resolve`], or the model has no input or output price.
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

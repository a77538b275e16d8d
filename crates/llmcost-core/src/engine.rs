//! The cost engine: exact cost of a usage under a price row at an instant.
//!
//! Every rate is per million tokens. A rate set is compiled once into integer
//! mantissas at a common scale, so pricing a usage is one integer
//! multiply-add per non-empty bucket and one scale shift: exact, and no allocation on the
//! [`PriceRow::total`] path.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::Currency;
use crate::price::{Compiled, PriceRow, Rates, ServiceTier, TierPricing};
use crate::usage::{Bucket, Usage};
use crate::{Error, Result};

/// Which variant of a row's prices applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Regime {
    /// Off-peak (time-of-day) rates applied.
    pub off_peak: bool,
    /// The long-context tier applied to the whole request.
    pub long_context: bool,
    /// The service tier priced.
    pub service_tier: ServiceTier,
    /// The time-of-day schedule was asked about an instant after its holiday
    /// calendar ends: off-peak was decided by the weekday rule alone, and a
    /// holiday announced later is not known. Absent from JSON when false. Set by
    /// [`PriceRow::price`]; bulk callers of [`PriceRow::total`] ask
    /// [`PriceRow::beyond_calendar`] (one comparison) when they need it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub beyond_calendar: bool,
}

/// One bucket of a priced usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineItem {
    /// The bucket.
    pub bucket: Bucket,
    /// Tokens in it.
    pub tokens: u64,
    /// Rate per million tokens that billed it.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_per_million: Decimal,
    /// Exact cost of the bucket.
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// The bucket whose published rate was used (differs on fallback:
    /// a cache read with no cache price bills at the input rate).
    pub rate_of: Bucket,
}

/// An exact, itemised cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// Currency of every amount.
    pub currency: Currency,
    /// Exact total (never rounded).
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// One item per bucket with tokens.
    pub items: Vec<LineItem>,
    /// Which prices applied.
    pub regime: Regime,
}

const MILLION_SCALE: u32 = 6;

fn to_decimal(mantissa: i128, scale: u32) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(mantissa, scale + MILLION_SCALE)
        .map(|d| d.normalize())
        .map_err(|_| Error::Overflow)
}

enum Chosen<'a> {
    Compiled(&'a Compiled),
    Owned(Box<(Compiled, Rates)>),
}

impl PriceRow {
    fn regime(&self, usage: &Usage, at: Timestamp, tier: ServiceTier) -> Regime {
        let long_context = self.is_long_context(usage);
        Regime {
            long_context,
            off_peak: !long_context && self.is_off_peak(at),
            service_tier: tier,
            // Set by `price` only: `total` (the bulk path) does not report it.
            beyond_calendar: false,
        }
    }

    fn chosen_rates(&self, regime: Regime) -> &Rates {
        let spec = self.spec();
        if regime.long_context
            && let Some(lc) = &spec.long_context
        {
            return &lc.rates;
        }
        if regime.off_peak
            && let Some(op) = &spec.off_peak
        {
            return &op.rates;
        }
        &spec.rates
    }

    fn chosen_compiled(&self, regime: Regime) -> &Compiled {
        if regime.long_context
            && let Some(c) = &self.long_context
        {
            return c;
        }
        if regime.off_peak
            && let Some(c) = &self.off_peak
        {
            return c;
        }
        &self.base
    }

    fn choose(&self, regime: Regime) -> Result<Chosen<'_>> {
        if regime.service_tier == ServiceTier::Standard {
            return Ok(Chosen::Compiled(self.chosen_compiled(regime)));
        }
        let rates = match self.service_tier(regime.service_tier) {
            None => {
                return Err(Error::NoServiceTier {
                    tier: regime.service_tier,
                });
            }
            Some(TierPricing::Multiplier(m)) => self.chosen_rates(regime).scaled(*m),
            Some(TierPricing::Rates(r)) => {
                if regime.long_context {
                    return Err(Error::NoLongContextServiceTier {
                        tier: regime.service_tier,
                    });
                }
                r.clone()
            }
        };
        Ok(Chosen::Owned(Box::new((
            Compiled::from_rates(&rates)?,
            rates,
        ))))
    }

    /// The rates in effect for a usage at an instant (after time window, context
    /// tier and service tier), before per-bucket fallback.
    ///
    /// # Errors
    /// When the service tier is not published.
    pub fn rates_at(&self, usage: &Usage, at: Timestamp, tier: ServiceTier) -> Result<Rates> {
        let regime = self.regime(usage, at, tier);
        Ok(match self.choose(regime)? {
            Chosen::Compiled(_) => self.chosen_rates(regime).clone(),
            Chosen::Owned(b) => b.1,
        })
    }

    /// The exact total cost of a usage at an instant, without line items.
    ///
    /// # Errors
    /// Tokens in a bucket with no price, an unpublished service tier, overflow.
    pub fn total(&self, usage: &Usage, at: Timestamp, tier: ServiceTier) -> Result<Decimal> {
        let regime = self.regime(usage, at, tier);
        let thinking = self.spec().thinking_output && usage.reasoning > 0;
        match self.choose(regime)? {
            Chosen::Compiled(c) => sum(c, usage, thinking),
            Chosen::Owned(b) => sum(&b.0, usage, thinking),
        }
    }

    /// The exact, itemised cost of a usage at an instant.
    ///
    /// # Errors
    /// Tokens in a bucket with no price, an unpublished service tier, overflow.
    pub fn price(&self, usage: &Usage, at: Timestamp, tier: ServiceTier) -> Result<Cost> {
        let mut regime = self.regime(usage, at, tier);
        // The schedule decided the rates only outside the long-context tier.
        regime.beyond_calendar = !regime.long_context && self.beyond_calendar(at);
        let thinking = self.spec().thinking_output && usage.reasoning > 0;
        let chosen = self.choose(regime)?;
        let (compiled, rates) = match &chosen {
            Chosen::Compiled(c) => (*c, self.chosen_rates(regime)),
            Chosen::Owned(b) => (&b.0, &b.1),
        };
        let mut items = Vec::with_capacity(Bucket::ALL.len());
        let mut total_m: i128 = 0;
        for b in Bucket::ALL {
            let tokens = usage.get(b);
            if tokens == 0 {
                continue;
            }
            let priced_as = if thinking && b == Bucket::Output {
                Bucket::Reasoning
            } else {
                b
            };
            let m = compiled.mantissa[priced_as.index()]
                .ok_or(Error::MissingRate { bucket: b, tokens })?;
            let (rate, rate_of) = rates
                .effective(priced_as)
                .ok_or(Error::MissingRate { bucket: b, tokens })?;
            let cost_m = i128::from(tokens).checked_mul(m).ok_or(Error::Overflow)?;
            total_m = total_m.checked_add(cost_m).ok_or(Error::Overflow)?;
            items.push(LineItem {
                bucket: b,
                tokens,
                rate_per_million: rate.normalize(),
                cost: to_decimal(cost_m, compiled.scale)?,
                rate_of,
            });
        }
        Ok(Cost {
            currency: self.spec().currency,
            total: to_decimal(total_m, compiled.scale)?,
            items,
            regime,
        })
    }
}

#[inline]
fn sum(c: &Compiled, usage: &Usage, thinking: bool) -> Result<Decimal> {
    let mut total: i128 = 0;
    add_buckets(&mut total, &Bucket::TEXT, c, usage, thinking)?;
    // The modality buckets are empty for most records: one test skips them.
    if usage.has_modal() {
        add_buckets(&mut total, &Bucket::MODAL, c, usage, thinking)?;
    }
    // Not normalised: sums of totals at one scale add without rescaling, and
    // trailing zeros are dropped when displayed.
    Decimal::try_from_i128_with_scale(total, c.scale + MILLION_SCALE).map_err(|_| Error::Overflow)
}

#[inline]
fn add_buckets(
    total: &mut i128,
    buckets: &[Bucket],
    c: &Compiled,
    usage: &Usage,
    thinking: bool,
) -> Result<()> {
    for &b in buckets {
        let tokens = usage.get(b);
        if tokens == 0 {
            continue;
        }
        let idx = if thinking && b == Bucket::Output {
            Bucket::Reasoning.index()
        } else {
            b.index()
        };
        let m = c.mantissa[idx].ok_or(Error::MissingRate { bucket: b, tokens })?;
        // u64 × (mantissa < 2^96) fits i128 for any realistic rate; checked anyway.
        *total = i128::from(tokens)
            .checked_mul(m)
            .and_then(|p| total.checked_add(p))
            .ok_or(Error::Overflow)?;
    }
    Ok(())
}

//! The price model: one [`PriceRow`] is the price of one model in one currency
//! for one effective period `[from, until)`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;
use crate::schedule::Schedule;
use crate::usage::{Bucket, Usage};
use crate::{Error, Result};

/// Rates per million tokens for each bucket. `None` means "not published".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// Uncached input (cache miss).
    pub input: Option<Decimal>,
    /// Cache read (hit). Without it, cache reads bill at the input rate.
    pub cache_read: Option<Decimal>,
    /// Cache write, 5-minute TTL. Without it, cache writes bill at the input rate.
    pub cache_write: Option<Decimal>,
    /// Cache write, 1-hour TTL. Without it, the 5-minute write rate, then input.
    pub cache_write_1h: Option<Decimal>,
    /// Output.
    pub output: Option<Decimal>,
    /// Reasoning, when priced apart from output. Without it, the output rate.
    pub reasoning: Option<Decimal>,
    /// Audio input (cache miss). Without it, the input rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_audio: Option<Decimal>,
    /// Audio cache read. Without it, the cache-read rate, then input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_audio: Option<Decimal>,
    /// Audio output. Without it, the output rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_audio: Option<Decimal>,
    /// Image input. Without it, the input rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_image: Option<Decimal>,
    /// Image output. Without it, the output rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_image: Option<Decimal>,
}

impl Rates {
    /// The rate published for a bucket, without fallback.
    #[must_use]
    pub fn get(&self, b: Bucket) -> Option<Decimal> {
        match b {
            Bucket::Input => self.input,
            Bucket::CacheRead => self.cache_read,
            Bucket::CacheWrite => self.cache_write,
            Bucket::CacheWrite1h => self.cache_write_1h,
            Bucket::Output => self.output,
            Bucket::Reasoning => self.reasoning,
            Bucket::InputAudio => self.input_audio,
            Bucket::CacheReadAudio => self.cache_read_audio,
            Bucket::OutputAudio => self.output_audio,
            Bucket::InputImage => self.input_image,
            Bucket::OutputImage => self.output_image,
        }
    }

    /// Sets the rate published for a bucket.
    pub fn set(&mut self, b: Bucket, rate: Option<Decimal>) {
        *self.get_mut(b) = rate;
    }

    fn get_mut(&mut self, b: Bucket) -> &mut Option<Decimal> {
        match b {
            Bucket::Input => &mut self.input,
            Bucket::CacheRead => &mut self.cache_read,
            Bucket::CacheWrite => &mut self.cache_write,
            Bucket::CacheWrite1h => &mut self.cache_write_1h,
            Bucket::Output => &mut self.output,
            Bucket::Reasoning => &mut self.reasoning,
            Bucket::InputAudio => &mut self.input_audio,
            Bucket::CacheReadAudio => &mut self.cache_read_audio,
            Bucket::OutputAudio => &mut self.output_audio,
            Bucket::InputImage => &mut self.input_image,
            Bucket::OutputImage => &mut self.output_image,
        }
    }

    /// The rate that bills a bucket and the bucket it was published for:
    /// cache reads and writes without their own price bill as input, a 1-hour
    /// write without its own price bills as a 5-minute write, reasoning as output,
    /// and a modality without its own price at the text rate of its direction
    /// (audio cache reads as cache reads, then input).
    #[must_use]
    pub fn effective(&self, b: Bucket) -> Option<(Decimal, Bucket)> {
        let chain: &[Bucket] = match b {
            Bucket::Input => &[Bucket::Input],
            Bucket::CacheRead => &[Bucket::CacheRead, Bucket::Input],
            Bucket::CacheWrite => &[Bucket::CacheWrite, Bucket::Input],
            Bucket::CacheWrite1h => &[Bucket::CacheWrite1h, Bucket::CacheWrite, Bucket::Input],
            Bucket::Output => &[Bucket::Output],
            Bucket::Reasoning => &[Bucket::Reasoning, Bucket::Output],
            Bucket::InputAudio => &[Bucket::InputAudio, Bucket::Input],
            Bucket::CacheReadAudio => &[Bucket::CacheReadAudio, Bucket::CacheRead, Bucket::Input],
            Bucket::OutputAudio => &[Bucket::OutputAudio, Bucket::Output],
            Bucket::InputImage => &[Bucket::InputImage, Bucket::Input],
            Bucket::OutputImage => &[Bucket::OutputImage, Bucket::Output],
        };
        chain.iter().find_map(|&c| self.get(c).map(|r| (r, c)))
    }

    /// Every published rate multiplied by `m` (service-tier discounts).
    #[must_use]
    pub fn scaled(&self, m: Decimal) -> Rates {
        let mut out = self.clone();
        for b in Bucket::ALL {
            if let Some(r) = out.get_mut(b) {
                *r *= m;
            }
        }
        out
    }

    fn validate(&self, what: &str) -> Result<()> {
        for b in Bucket::ALL {
            if let Some(r) = self.get(b)
                && r.is_sign_negative()
                && !r.is_zero()
            {
                return Err(Error::InvalidRow(format!("{what}: negative {b} rate {r}")));
            }
        }
        if self.input.is_none() && self.output.is_none() {
            return Err(Error::InvalidRow(format!(
                "{what}: neither an input nor an output rate"
            )));
        }
        Ok(())
    }
}

/// A provider service tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTier {
    /// Interactive, default pricing.
    Standard,
    /// Asynchronous batch API.
    Batch,
    /// OpenAI / Gemini flex processing.
    Flex,
    /// Priority processing.
    Priority,
}

impl ServiceTier {
    /// Stable key.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Batch => "batch",
            ServiceTier::Flex => "flex",
            ServiceTier::Priority => "priority",
        }
    }
}

impl fmt::Display for ServiceTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ServiceTier {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "standard" | "default" | "auto" | "on_demand" => Ok(ServiceTier::Standard),
            "batch" => Ok(ServiceTier::Batch),
            "flex" => Ok(ServiceTier::Flex),
            "priority" | "fast" => Ok(ServiceTier::Priority),
            other => Err(format!(
                "unknown service tier `{other}` (expected standard, batch, flex or priority)"
            )),
        }
    }
}

/// How a service tier is priced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a few per price row, built once when the catalog loads"
)]
pub enum TierPricing {
    /// A multiplier on whatever rates apply (time window and context tier included).
    Multiplier(Decimal),
    /// An explicit table of rates (standard context only).
    Rates(Rates),
}

/// Which token counts decide a long-context tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// Every input-side token: uncached input, cache reads and cache writes.
    Prompt,
    /// Every token of the request, input and output.
    Total,
}

/// A long-context tier: when the basis count is *greater than* the threshold,
/// the whole request bills at these rates (exactly at the threshold is standard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongContext {
    /// Tokens above which the tier applies.
    pub threshold: u64,
    /// What is counted against the threshold.
    pub basis: TierBasis,
    /// The full replacement rate set.
    pub rates: Rates,
}

/// Alternate rates in force while a schedule says off-peak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffPeak {
    /// The schedule that decides off-peak instants.
    pub schedule: Arc<Schedule>,
    /// Rates while off-peak.
    pub rates: Rates,
}

/// Everything a price row says, as written in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRowSpec {
    /// First instant the row applies (inclusive).
    pub from: Timestamp,
    /// First instant it no longer applies (exclusive); `None` = still current.
    pub until: Option<Timestamp>,
    /// The list's currency.
    pub currency: Currency,
    /// Standard (or peak) rates.
    pub rates: Rates,
    /// Off-peak rates and their schedule.
    pub off_peak: Option<OffPeak>,
    /// Long-context tier.
    pub long_context: Option<LongContext>,
    /// Batch, flex and priority pricing.
    pub service_tiers: Vec<(ServiceTier, TierPricing)>,
    /// When reasoning tokens are present, all output bills at the reasoning rate
    /// (Gemini 2.5 Flash preview's "thinking" output price).
    pub thinking_output: bool,
    /// Where the price was published.
    pub source: String,
    /// A short remark (promotions, alias targets).
    pub note: Option<String>,
}

/// A validated price row with its rates compiled for fast exact pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    spec: PriceRowSpec,
    pub(crate) base: Compiled,
    pub(crate) off_peak: Option<Compiled>,
    pub(crate) long_context: Option<Compiled>,
}

impl PriceRow {
    /// Validates a row and compiles its rates.
    ///
    /// # Errors
    /// Negative rates, an empty period, a row with no rates, an unsourced row.
    pub fn new(spec: PriceRowSpec) -> Result<PriceRow> {
        if let Some(until) = spec.until
            && until <= spec.from
        {
            return Err(Error::InvalidRow(format!(
                "period is empty: from {} until {}",
                spec.from, until
            )));
        }
        if spec.source.trim().is_empty() {
            return Err(Error::InvalidRow("no source".into()));
        }
        spec.rates.validate("rates")?;
        if let Some(op) = &spec.off_peak {
            op.rates.validate("off-peak rates")?;
        }
        if let Some(lc) = &spec.long_context {
            lc.rates.validate("long-context rates")?;
            if spec.off_peak.is_some() {
                return Err(Error::InvalidRow(
                    "a row cannot have both a long-context tier and off-peak rates".into(),
                ));
            }
        }
        for (tier, p) in &spec.service_tiers {
            match p {
                TierPricing::Multiplier(m) if m.is_sign_negative() => {
                    return Err(Error::InvalidRow(format!("negative {tier} multiplier")));
                }
                TierPricing::Rates(r) => r.validate(tier.key())?,
                TierPricing::Multiplier(_) => {}
            }
        }
        let base = Compiled::from_rates(&spec.rates)?;
        let off_peak = spec
            .off_peak
            .as_ref()
            .map(|o| Compiled::from_rates(&o.rates))
            .transpose()?;
        let long_context = spec
            .long_context
            .as_ref()
            .map(|l| Compiled::from_rates(&l.rates))
            .transpose()?;
        Ok(PriceRow {
            spec,
            base,
            off_peak,
            long_context,
        })
    }

    /// What the row says.
    #[must_use]
    pub fn spec(&self) -> &PriceRowSpec {
        &self.spec
    }

    /// Whether the row is in force at an instant.
    #[must_use]
    pub fn covers(&self, at: Timestamp) -> bool {
        at >= self.spec.from && self.spec.until.is_none_or(|u| at < u)
    }

    /// Whether the long-context tier applies to a usage.
    #[must_use]
    pub fn is_long_context(&self, usage: &Usage) -> bool {
        self.spec.long_context.as_ref().is_some_and(|lc| {
            let n = match lc.basis {
                TierBasis::Prompt => usage.prompt_tokens(),
                TierBasis::Total => usage.total(),
            };
            n > u128::from(lc.threshold)
        })
    }

    /// Whether the off-peak rates apply at an instant.
    #[must_use]
    pub fn is_off_peak(&self, at: Timestamp) -> bool {
        self.spec
            .off_peak
            .as_ref()
            .is_some_and(|o| o.schedule.is_off_peak(at))
    }

    /// Whether an instant falls after the holiday calendar of this row's
    /// time-of-day schedule (see [`crate::Schedule::beyond_calendar`]).
    #[inline]
    #[must_use]
    pub fn beyond_calendar(&self, at: Timestamp) -> bool {
        self.spec
            .off_peak
            .as_ref()
            .is_some_and(|o| o.schedule.beyond_calendar(at))
    }

    /// The multiplier or explicit table of a service tier, if published.
    #[must_use]
    pub fn service_tier(&self, tier: ServiceTier) -> Option<&TierPricing> {
        self.spec
            .service_tiers
            .iter()
            .find(|(t, _)| *t == tier)
            .map(|(_, p)| p)
    }
}

/// Rates of one rate set as integer mantissas at one common scale, so a cost
/// is `Σ tokens × mantissa` in `i128`, exact, then one scale shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiled {
    /// Per bucket: the mantissa of the effective rate (after fallback) at `scale`,
    /// or `None` when nothing prices that bucket.
    pub(crate) mantissa: [Option<i128>; Bucket::ALL.len()],
    pub(crate) scale: u32,
}

impl Compiled {
    pub(crate) fn from_rates(rates: &Rates) -> Result<Compiled> {
        let eff: Vec<Option<Decimal>> = Bucket::ALL
            .iter()
            .map(|&b| rates.effective(b).map(|(r, _)| r))
            .collect();
        let scale = eff.iter().flatten().map(Decimal::scale).max().unwrap_or(0);
        let mut mantissa = [None; Bucket::ALL.len()];
        for (i, r) in eff.iter().enumerate() {
            if let Some(r) = r {
                let shift = scale - r.scale();
                let m = r
                    .mantissa()
                    .checked_mul(10_i128.checked_pow(shift).ok_or(Error::Overflow)?)
                    .ok_or(Error::Overflow)?;
                mantissa[i] = Some(m);
            }
        }
        Ok(Compiled { mantissa, scale })
    }
}

//! Core of llmcost: money, token usage, the price model and the cost engine.
//!
//! This crate must stay pure: no I/O, no clock, no randomness and no floating
//! point for money. "Now" and "which prices" are always parameters, so a cost is
//! always the cost of a usage *at a given instant* under a given price row.
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

pub mod civil;
pub mod engine;
pub mod money;
pub mod price;
pub mod schedule;
pub mod spread;
pub mod usage;

pub use engine::{Cost, LineItem, Regime};
pub use money::{Currency, CurrencyError, Money, round_for_display};
pub use price::{
    LongContext, OffPeak, PriceRow, PriceRowSpec, Rates, ServiceTier, TierBasis, TierPricing,
};
pub use schedule::{DayWindow, Schedule, ScheduleKind};
pub use spread::{DaySpan, Part, Period, RateRegime, Ratio};
pub use usage::{Bucket, Usage};

/// Instants are UTC timestamps.
pub use jiff::Timestamp;
/// Exact decimal used for every amount and rate.
pub use rust_decimal::Decimal;

/// Errors of the pure core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The usage has tokens in a bucket the price row has no rate for.
    #[error("no {bucket} price for this model in this period ({tokens} tokens cannot be priced)")]
    MissingRate {
        /// The bucket without a rate.
        bucket: Bucket,
        /// How many tokens were in it.
        tokens: u64,
    },
    /// A requested service tier (batch, flex, priority) has no published price.
    #[error("no {tier} price is published for this model in this period")]
    NoServiceTier {
        /// The tier asked for.
        tier: ServiceTier,
    },
    /// A service tier with explicit rates cannot combine with a long-context request.
    #[error("no {tier} price is published for long-context requests of this model")]
    NoLongContextServiceTier {
        /// The tier asked for.
        tier: ServiceTier,
    },
    /// An invalid price row.
    #[error("invalid price row: {0}")]
    InvalidRow(String),
    /// A period of days that cannot be laid out (no days, a date out of range).
    #[error("invalid period: {0}")]
    InvalidPeriod(String),
    /// Arithmetic left the exact decimal range (amounts beyond 28 significant digits).
    #[error("amount out of exact decimal range")]
    Overflow,
}

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

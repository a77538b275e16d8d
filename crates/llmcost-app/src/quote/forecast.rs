//! `forecast`: daily and period cost of a steady workload.

use llmcost_catalog::Catalog;
use llmcost_core::{Currency, DaySpan, Decimal, Ratio, ServiceTier, Usage};
use serde::Serialize;

use super::clock::{self, RateJson, RateShare};
use super::{
    Context as _, PriceSettings, Provenance, Result, invalid, invalid_err, price, round_tokens,
};
use crate::text::when;

/// Wire format of `forecast --format json` (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct ForecastJson {
    pub model: String,
    /// First instant of the period.
    pub at: llmcost_core::Timestamp,
    /// First and last day of the period (dates in `tz`).
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// Daily hours the requests are spread over (`00:00-24:00`: the whole day).
    pub hours: String,
    pub tz: String,
    pub days: u32,
    pub requests_per_day: u64,
    /// Tokens per day, by bucket.
    pub daily_usage: Usage,
    /// Average cost of a day of the period.
    #[serde(with = "rust_decimal::serde::str")]
    pub daily_total: Decimal,
    /// Cost of the period: exact when `exact` (always, unless the value has no
    /// finite decimal expansion; `period_total_fraction` is then the exact value).
    #[serde(with = "rust_decimal::serde::str")]
    pub period_total: Decimal,
    /// `period_total` as an exact fraction `N/D`.
    pub period_total_fraction: String,
    /// `daily_total` (the period total over its days) as an exact fraction `N/D`.
    pub daily_total_fraction: String,
    /// Whether `period_total` is the exact value (not rounded).
    pub exact: bool,
    /// Whether some of the period was priced by a time-of-day rule.
    pub time_of_day: bool,
    /// Each rate the period was priced at, with its share of the requests.
    pub rates: Vec<ForecastRate>,
    pub currency: Currency,
    pub items: Vec<llmcost_core::LineItem>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cache_hit_rate: Decimal,
    /// Daily cost if nothing were read from cache (present with --cache-hit-rate).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub daily_total_without_cache: Option<Decimal>,
    /// What caching saves per day and per period.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub daily_saving: Option<Decimal>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub period_saving: Option<Decimal>,
    pub price: Provenance,
    /// What the answer cannot account for (a holiday calendar that ends inside the period).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One rate of a forecast (stable; add only).
#[derive(Debug, Clone, Serialize)]
pub struct ForecastRate {
    #[serde(flatten)]
    pub rate: RateJson,
    /// Cost of one whole day's requests at this rate, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub day_cost: Decimal,
    /// A day's usage priced at this rate.
    pub items: Vec<llmcost_core::LineItem>,
}

/// What to forecast.
#[derive(Debug, Clone)]
pub struct ForecastRequest {
    /// Model id or alias.
    pub model: String,
    pub requests_per_day: u64,
    /// Input tokens per request.
    pub input: u64,
    /// Output tokens per request.
    pub output: u64,
    /// Share of input tokens read from cache, in [0, 1]; shows the saving.
    pub cache_hit_rate: Option<Decimal>,
    /// Days in the period (at least 1).
    pub days: u32,
    /// First day of the period (`YYYY-MM-DD` in `tz`); default: today, or the date of `--at`.
    pub from: Option<String>,
    /// Daily hours the requests are spread over, `HH:MM-HH:MM` in `tz`.
    pub hours: Option<String>,
    /// Time zone: an IANA name, `UTC`, or `+08:00`; default UTC.
    pub tz: Option<String>,
}

impl ForecastRequest {
    /// Checks the request before any catalog is read.
    pub fn check(&self, s: &PriceSettings) -> Result<()> {
        if self.days == 0 {
            invalid!("--days must be at least 1");
        }
        if self.from.is_some() && s.at_given {
            invalid!("give --from DATE or --at TIME, not both: the period starts on one day");
        }
        Ok(())
    }
}

/// A forecast: the wire answer, the rates it used and the day spans.
#[derive(Debug, Clone)]
pub struct ForecastQuote {
    pub json: ForecastJson,
    pub rates: Vec<RateShare>,
    pub spans: Vec<DaySpan>,
}

/// Prices a steady workload over a period, each hour at the rate in force then.
pub fn quote(cat: &Catalog, req: &ForecastRequest, s: &PriceSettings) -> Result<ForecastQuote> {
    req.check(s)?;
    let hit = req.cache_hit_rate;
    let n = req.requests_per_day;
    let input_day = n
        .checked_mul(req.input)
        .ok_or_else(|| invalid_err!("input tokens per day overflow"))?;
    let output_day = n
        .checked_mul(req.output)
        .ok_or_else(|| invalid_err!("output tokens per day overflow"))?;
    let cached = round_tokens(Decimal::from(input_day) * hit.unwrap_or(Decimal::ZERO))?;
    let usage = Usage {
        input: input_day - cached,
        cache_read: cached,
        output: output_day,
        ..Usage::default()
    };
    let tz = clock::zone(req.tz.as_deref())?;
    let tz_name = req.tz.clone().unwrap_or_else(|| "UTC".into());
    let from = clock::first_day(req.from.as_deref(), s.at_given.then_some(s.at), &tz)?;
    let spans = clock::period(from, req.days, req.hours.as_deref(), tz)?;
    let model = &req.model;
    let spread_of = |u: &Usage| {
        clock::spread(cat, model, &spans, s, |st| {
            let p = price(cat, model, u, st.at, ServiceTier::Standard, st).with_context(|| {
                format!(
                    "the forecast period reaches {} (--from, --days)",
                    when(st.at)
                )
            })?;
            Ok((p.cost.total, p))
        })
    };
    let rates = spread_of(&usage)?;
    let Some(first) = rates.first() else {
        invalid!("nothing to price in the period");
    };
    let days = Ratio::new(i128::from(req.days), 1)?;
    let daily = clock::weighted(&rates)?;
    let period = daily.checked_mul(days)?;
    let without = match hit {
        Some(_) => {
            let flat = Usage {
                input: input_day,
                output: output_day,
                ..Usage::default()
            };
            Some(clock::weighted(&spread_of(&flat)?)?)
        }
        None => None,
    };
    let saving = without
        .map(|w| w.checked_add(daily.checked_mul(Ratio::new(-1, 1)?)?))
        .transpose()?;
    let period_saving = saving.map(|x| x.checked_mul(days)).transpose()?;
    let time_of_day = clock::follows_clock(&rates);
    let hours = req.hours.clone().unwrap_or_else(|| "00:00-24:00".into());
    let (first_span, last_span) = (spans.first(), spans.last());
    let json = ForecastJson {
        model: req.model.clone(),
        at: first_span.map_or(s.at, |x| x.start),
        from,
        to: last_span.map_or(from, |x| x.date),
        hours,
        tz: tz_name,
        days: req.days,
        requests_per_day: n,
        daily_usage: usage,
        daily_total: daily.to_decimal(),
        period_total: period.to_decimal(),
        period_total_fraction: period.to_string(),
        daily_total_fraction: daily.to_string(),
        exact: period.is_exact_decimal(),
        time_of_day,
        rates: rates
            .iter()
            .map(|r| ForecastRate {
                rate: RateJson::of(r),
                day_cost: r.value.normalize(),
                items: r.priced.cost.items.clone(),
            })
            .collect(),
        currency: first.priced.cost.currency,
        items: first.priced.cost.items.clone(),
        cache_hit_rate: hit.unwrap_or(Decimal::ZERO).normalize(),
        daily_total_without_cache: without.map(|w| w.to_decimal()),
        daily_saving: saving.map(|x| x.to_decimal()),
        period_saving: period_saving.map(|x| x.to_decimal()),
        price: first.priced.price.clone(),
        warnings: clock::calendar_warning(cat, model, &spans, s)
            .into_iter()
            .collect(),
    };
    Ok(ForecastQuote { json, rates, spans })
}

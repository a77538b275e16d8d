//! Resolved report settings: currency and rates, the time zone days are cut
//! in, the time window and the models kept.

use jiff::tz::TimeZone;
use llmcost_core::{Currency, Timestamp};

use crate::error::{Error, Result, ResultExt, usage_bail, usage_err};
use crate::quote::{PriceRequest, PriceSettings, parse_time};

/// Resolved settings shared by `report` and `reconcile`.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// Price settings (currency and exchange rates).
    pub price: PriceSettings,
    /// The report's currency.
    pub currency: Currency,
    /// The zone days are cut in.
    pub tz: TimeZone,
    /// Its name, as shown (`UTC`, `Europe/Paris`).
    pub tz_name: String,
    /// Only usage at or after this instant.
    pub since: Option<Timestamp>,
    /// Only usage before this instant.
    pub until: Option<Timestamp>,
    /// Only these models (as recorded; empty: all).
    pub models: Vec<String>,
}

/// The time zone: `tz` (`--tz`), else the `TZ` environment variable, else
/// UTC; with its name as shown.
///
/// # Errors
/// An unknown zone name.
pub fn resolve_tz(tz: Option<&str>) -> Result<(TimeZone, String)> {
    if let Some(name) = tz {
        let t = name.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok((TimeZone::UTC, "UTC".into()));
        }
        let z = TimeZone::get(t).map_err(|e| Error::Time {
            context: format!("--tz: unknown time zone `{t}`\nhint: use an IANA name such as `Europe/Paris` or `America/New_York`, or `UTC`"),
            source: e,
        })?;
        return Ok((z, t.to_string()));
    }
    match std::env::var("TZ") {
        Ok(v) if !v.trim().is_empty() => {
            let name = v.trim().trim_start_matches(':');
            if name.eq_ignore_ascii_case("utc") || name == "UTC0" {
                return Ok((TimeZone::UTC, "UTC".into()));
            }
            match TimeZone::get(name).or_else(|_| TimeZone::try_system()) {
                Ok(z) => Ok((z, name.to_string())),
                Err(_) => Ok((TimeZone::UTC, "UTC".into())),
            }
        }
        _ => Ok((TimeZone::UTC, "UTC".into())),
    }
}

/// A bound: an instant, or a date (midnight in `tz`; `end_of_day` moves it
/// to the next midnight). `what` names the setting in messages (`--since`).
///
/// # Errors
/// Neither an instant nor a date (a usage error).
pub fn parse_bound(s: &str, tz: &TimeZone, end_of_day: bool, what: &str) -> Result<Timestamp> {
    let t = s.trim();
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        let d = if end_of_day {
            d.tomorrow().map_err(|e| usage_err!("{what}: {e}"))?
        } else {
            d
        };
        return Ok(d
            .to_zoned(tz.clone())
            .map_err(|e| usage_err!("{what}: {e}"))?
            .timestamp());
    }
    parse_time(t).with_context(|| format!("invalid {what}"))
}

impl ReportSettings {
    /// Resolves the settings as given: `currency` (USD when `None`), `fx`
    /// items (`CUR=RATE`), the zone (see [`resolve_tz`]), `since` and
    /// `until` (see [`parse_bound`]; a date `until` includes that day) and the
    /// models kept.
    ///
    /// # Errors
    /// Any invalid value, or `since` not before `until` (usage errors).
    pub fn resolve(
        currency: Option<&str>,
        fx: &[String],
        tz: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        models: &[String],
    ) -> Result<ReportSettings> {
        let (tz, tz_name) = resolve_tz(tz)?;
        let cur = currency.unwrap_or("USD").to_string();
        let price = PriceSettings::resolve(&PriceRequest {
            at: None,
            currency: Some(cur),
            fx: fx.to_vec(),
        })?;
        let currency = price.currency.unwrap_or(Currency::USD);
        let since = since
            .map(|s| parse_bound(s, &tz, false, "--since"))
            .transpose()?;
        let until = until
            .map(|s| parse_bound(s, &tz, true, "--until"))
            .transpose()?;
        if let (Some(a), Some(b)) = (since, until)
            && a >= b
        {
            usage_bail!("--since ({a}) is not before --until ({b})");
        }
        Ok(ReportSettings {
            price,
            currency,
            tz,
            tz_name,
            since,
            until,
            models: models.to_vec(),
        })
    }

    /// Whether a record at `at` of `model` is in the report.
    #[must_use]
    pub fn keeps(&self, at: Timestamp, model: &str) -> bool {
        self.since.is_none_or(|s| at >= s)
            && self.until.is_none_or(|u| at < u)
            && (self.models.is_empty() || self.models.iter().any(|m| m == model))
    }

    /// Days since the epoch of the civil date of `at` in the report's zone.
    #[must_use]
    pub fn day(&self, at: Timestamp) -> i64 {
        let off = if self.tz == TimeZone::UTC {
            0
        } else {
            i64::from(self.tz.to_offset(at).seconds())
        };
        (at.as_second() + off).div_euclid(86_400)
    }
}

//! Answers that follow the clock: a workload spread over a period's hours and
//! priced at the rate in force at each moment (see `llmcost_core::spread`).

use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use llmcost_catalog::Catalog;
use llmcost_core::spread::{Period, Ratio, regime_at, shares};
use llmcost_core::{
    Currency, DaySpan, DayWindow, Decimal, RateRegime, Schedule, ScheduleKind, Timestamp,
};
use serde::Serialize;

use super::{Context as _, PriceSettings, Priced, Result, invalid, invalid_err, resolve};

/// Days of the weekly average used by `blend` and `compare` without a time.
pub const WEEK_DAYS: u32 = 7;

/// One rate a period was priced at, and the share of the workload under it.
#[derive(Debug, Clone)]
pub struct RateShare {
    /// Peak, off-peak or standard.
    pub regime: RateRegime,
    /// Exact share of the period's requests (the shares sum to 1).
    pub share: Ratio,
    /// The value at this rate (a cost, a blended price), exact.
    pub value: Decimal,
    /// The usage priced at this rate, with the row that priced it.
    pub priced: Priced,
}

/// Every instant in `[a, b)` where a price row, an alias or a retirement starts
/// or ends: the row in force may differ on each side.
pub fn cuts(cat: &Catalog, a: Timestamp, b: Timestamp) -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = Vec::new();
    let mut push = |t: Timestamp| {
        if t > a && t < b {
            v.push(t);
        }
    };
    for m in cat.models() {
        for r in &m.rows {
            push(r.spec().from);
            if let Some(u) = r.spec().until {
                push(u);
            }
        }
        if let Some(r) = m.retired {
            push(r);
        }
    }
    for al in cat.timed_aliases() {
        push(al.from);
        if let Some(u) = al.until {
            push(u);
        }
    }
    v.sort();
    v.dedup();
    v
}

/// The time-of-day schedule of the row that prices `model` at `at`, if any.
pub fn schedule_at(
    cat: &Catalog,
    model: &str,
    at: Timestamp,
    s: &PriceSettings,
) -> Option<Arc<Schedule>> {
    resolve(cat, model, at, s)
        .ok()
        .and_then(|(r, _)| r.row.spec().off_peak.as_ref().map(|o| o.schedule.clone()))
}

/// The regime that prices `model` at `at`.
pub fn regime_of(cat: &Catalog, model: &str, at: Timestamp, s: &PriceSettings) -> RateRegime {
    regime_at(schedule_at(cat, model, at, s).as_deref(), at)
}

/// Spreads a workload evenly over each day's span and values it at the rate in
/// force at each moment. `value_at` prices the workload with the settings'
/// instant moved to a moment; equal (row, regime) pairs are merged.
pub fn spread<F>(
    cat: &Catalog,
    model: &str,
    spans: &[DaySpan],
    s: &PriceSettings,
    mut value_at: F,
) -> Result<Vec<RateShare>>
where
    F: FnMut(&PriceSettings) -> Result<(Decimal, Priced)>,
{
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        invalid!("the period has no days");
    };
    let cut = cuts(cat, first.start, last.end);
    type Key = (String, Timestamp, Currency, RateRegime);
    let mut found: Vec<(Key, Decimal, Priced)> = Vec::new();
    let keyed: Vec<(Key, Ratio)> = shares(
        spans,
        &cut,
        |t| schedule_at(cat, model, t, s),
        |part| -> Result<Key> {
            let at = PriceSettings {
                at: part.start,
                at_given: true,
                ..s.clone()
            };
            let (value, priced) = value_at(&at)?;
            let key = (
                priced.price.model.clone(),
                priced.price.from,
                priced.price.currency,
                part.regime,
            );
            if !found.iter().any(|f| f.0 == key) {
                found.push((key.clone(), value, priced));
            }
            Ok(key)
        },
    )?;
    let mut out: Vec<RateShare> = keyed
        .into_iter()
        .filter_map(|(k, share)| {
            found
                .iter()
                .find(|f| f.0 == k)
                .map(|(_, value, p)| RateShare {
                    regime: k.3,
                    share,
                    value: *value,
                    priced: p.clone(),
                })
        })
        .collect();
    out.sort_by_key(|a| (a.priced.price.from, a.regime));
    Ok(out)
}

/// `Σ share × value`, exact.
pub fn weighted(rates: &[RateShare]) -> Result<Ratio> {
    let mut total = Ratio::ZERO;
    for r in rates {
        total = total.checked_add(r.share.checked_mul(Ratio::from_decimal(r.value)?)?)?;
    }
    Ok(total)
}

/// Whether any part of the period was priced by a time-of-day rule.
pub fn follows_clock(rates: &[RateShare]) -> bool {
    rates.iter().any(|r| r.regime != RateRegime::Standard)
}

/// A share as `7/24 (≈29.17%)`.
pub fn share_text(r: Ratio) -> String {
    let pct = Ratio::new(100, 1)
        .and_then(|h| r.checked_mul(h))
        .map(|x| x.to_decimal())
        .unwrap_or_default();
    let rounded = llmcost_core::round_for_display(pct, 2).normalize();
    let mark = if rounded == pct.normalize() {
        ""
    } else {
        "≈"
    };
    if r.denom() == 1 {
        return format!("{} ({mark}{rounded}%)", r.numer());
    }
    format!("{r} ({mark}{rounded}%)")
}

/// A share in percent rounded to 2 decimals, for JSON.
pub fn share_percent(r: Ratio) -> Decimal {
    Ratio::new(100, 1)
        .and_then(|h| r.checked_mul(h))
        .map(|x| llmcost_core::round_for_display(x.to_decimal(), 2).normalize())
        .unwrap_or_default()
}

/// Words for a schedule: `peak 01:00–04:00, 06:00–10:00 UTC on working days (calendar UTC+08:00)`.
pub fn describe(s: &Schedule) -> String {
    let w = |ws: &[DayWindow]| {
        ws.iter()
            .map(|w| format!("{}–{}", hhmm(w.start), hhmm(w.end)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &s.kind {
        ScheduleKind::OffPeakWindows(ws) => format!("off-peak {} UTC daily", w(ws)),
        ScheduleKind::PeakWindows {
            windows,
            utc_offset_seconds,
            ..
        } => {
            let h = utc_offset_seconds / 3600;
            let m = (utc_offset_seconds % 3600).abs() / 60;
            format!(
                "peak {} UTC on working days (weekdays and holidays by the UTC{}{:02}:{m:02} calendar), off-peak otherwise",
                w(windows),
                if h < 0 { '-' } else { '+' },
                h.abs()
            )
        }
    }
}

fn hhmm(secs: u32) -> String {
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// The time zone of `--tz` (IANA name, `UTC`, or a fixed offset such as `+08:00`).
pub fn zone(name: Option<&str>) -> Result<TimeZone> {
    let Some(n) = name.map(str::trim) else {
        return Ok(TimeZone::UTC);
    };
    if n.eq_ignore_ascii_case("utc") || n == "Z" {
        return Ok(TimeZone::UTC);
    }
    if let Some(off) = fixed_offset(n) {
        return Ok(TimeZone::fixed(off));
    }
    TimeZone::get(n).map_err(|e| {
        invalid_err!(
            "--tz: `{n}` is not a time zone (use an IANA name such as Europe/Paris, UTC, or +08:00): {e}"
        )
    })
}

/// `+08:00`, `-05:30` or `+8`.
fn fixed_offset(n: &str) -> Option<jiff::tz::Offset> {
    let sign = match n.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &n[1..];
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// The dates and hours of a period.
pub fn period(from: Date, days: u32, hours: Option<&str>, tz: TimeZone) -> Result<Vec<DaySpan>> {
    let hours = hours
        .map(|h| DayWindow::parse(h).map_err(|e| invalid_err!("--hours: {e}")))
        .transpose()?;
    Ok(Period {
        from,
        days,
        hours,
        tz,
    }
    .spans()?)
}

/// The first day of a period: `--from`, else the date of the instant given
/// with `--at`, else today (in `tz`).
pub fn first_day(from: Option<&str>, at: Option<Timestamp>, tz: &TimeZone) -> Result<Date> {
    if let Some(f) = from {
        return f
            .trim()
            .parse::<Date>()
            .with_context(|| format!("--from: `{f}` is not a date (YYYY-MM-DD)"));
    }
    Ok(at
        .unwrap_or_else(Timestamp::now)
        .to_zoned(tz.clone())
        .date())
}

/// A bare date given with `--at` (not a time).
pub fn bare_date(at: Option<&str>) -> Option<Date> {
    at.and_then(|a| a.trim().parse::<Date>().ok())
}

/// One rate of a spread, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct RateJson {
    pub regime: RateRegime,
    /// Exact share of the workload at this rate, a fraction `N/D`.
    pub share: String,
    /// The share in percent, rounded to 2 decimals.
    #[serde(with = "rust_decimal::serde::str")]
    pub share_percent: Decimal,
    /// The model and row that priced it.
    pub model: String,
    pub price_from: Timestamp,
    pub currency: Currency,
}

impl RateJson {
    pub fn of(r: &RateShare) -> RateJson {
        RateJson {
            regime: r.regime,
            share: r.share.to_string(),
            share_percent: share_percent(r.share),
            model: r.priced.price.model.clone(),
            price_from: r.priced.price.from,
            currency: r.priced.cost.currency,
        }
    }
}

/// A value priced now, at an instant, or as the weekly average.
#[derive(Debug, Clone)]
pub struct Valued {
    /// The value (exact unless `fraction` is set).
    pub value: Decimal,
    /// The exact value as `N/D` when `value` had to be rounded.
    pub fraction: Option<String>,
    /// The row (the first row, for an average) that priced it.
    pub priced: Priced,
    /// `weekly_average`, `peak`, `off_peak` or `standard`.
    pub regime: &'static str,
    /// The rates of a weekly average (empty otherwise).
    pub rates: Vec<RateShare>,
    /// A holiday calendar that ends inside the week.
    pub warning: Option<String>,
}

/// The week `blend` and `compare` average over: without `--at`, the 7 days
/// from today (UTC); with a bare date, the 7 days from it; with a time, none.
pub fn week_of(at: Option<&str>) -> Option<Date> {
    match at {
        None => Some(Timestamp::now().to_zoned(TimeZone::UTC).date()),
        Some(a) => bare_date(Some(a)),
    }
}

/// Values a model as the weekly average from `week` when its price depends on
/// the hour, else at the settings' instant.
pub fn value_now_or_week<F>(
    cat: &Catalog,
    model: &str,
    s: &PriceSettings,
    week: Option<Date>,
    mut value_at: F,
) -> Result<Valued>
where
    F: FnMut(&PriceSettings) -> Result<(Decimal, Priced)>,
{
    let mut note = None;
    if let Some(from) = week {
        let spans = period(from, WEEK_DAYS, None, TimeZone::UTC)?;
        let rates = match spread(cat, model, &spans, s, &mut value_at) {
            Ok(r) => r,
            // Not priced all week (a retirement, a first price): one instant instead.
            Err(e) if schedule_at(cat, model, s.at, s).is_some() => {
                note = Some(format!(
                    "{model}: no weekly average ({}); priced at {} instead",
                    super::chain(&e),
                    crate::text::when(s.at)
                ));
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        if follows_clock(&rates)
            && let Some(first) = rates.first()
        {
            let avg = weighted(&rates)?;
            return Ok(Valued {
                value: avg.to_decimal(),
                fraction: (!avg.is_exact_decimal()).then(|| avg.to_string()),
                priced: first.priced.clone(),
                regime: "weekly_average",
                rates,
                warning: calendar_warning(cat, model, &spans, s),
            });
        }
    }
    let (value, priced) = value_at(s)?;
    Ok(Valued {
        value,
        fraction: None,
        warning: note.or_else(|| super::calendar::instant_warning(cat, &priced, s.at)),
        priced,
        regime: regime_of(cat, model, s.at, s).key(),
        rates: Vec::new(),
    })
}

/// The note under a table with weekly averages.
pub fn week_note(week: Option<Date>, rows: &[&Valued]) -> Option<String> {
    let from = week?;
    let avg: Vec<&&Valued> = rows.iter().filter(|v| !v.rates.is_empty()).collect();
    let first = avg.first()?;
    let to = from
        .checked_add(jiff::Span::new().days(i64::from(WEEK_DAYS) - 1))
        .unwrap_or(from);
    let shares = first
        .rates
        .iter()
        .map(|r| format!("{} {}", r.regime, share_text(r.share)))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "* price depends on the hour: weekly average over {} → {} (UTC days), spread evenly over 24 h,\n  each hour at the rate in force (holidays of the provider's calendar included); {} of the time ({}).\n  --at TIME prices one instant.",
        from.strftime("%a %Y-%m-%d"),
        to.strftime("%a %Y-%m-%d"),
        shares,
        first.priced.price.model,
    ))
}

/// One regime of a weekly average, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct RegimeValueJson {
    #[serde(flatten)]
    pub rate: RateJson,
    /// The value at this regime, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
}

impl RegimeValueJson {
    pub fn list(v: &Valued) -> Vec<RegimeValueJson> {
        v.rates
            .iter()
            .map(|r| RegimeValueJson {
                rate: RateJson::of(r),
                value: r.value.normalize(),
            })
            .collect()
    }
}

/// The regime that priced a result at `at`, and the schedule of its row.
pub fn regime_of_priced(
    cat: &Catalog,
    p: &Priced,
    at: Timestamp,
) -> (RateRegime, Option<Arc<Schedule>>) {
    let sched = cat.model(&p.price.model).and_then(|m| {
        m.rows_at(at)
            .find(|r| r.spec().currency == p.price.currency && r.spec().from == p.price.from)
            .and_then(|r| r.spec().off_peak.as_ref().map(|o| o.schedule.clone()))
    });
    let regime = if p.cost.regime.off_peak {
        RateRegime::OffPeak
    } else {
        regime_at(sched.as_deref(), at)
    };
    (regime, sched)
}

/// A warning when a period runs past the holiday calendar of the schedule that
/// prices its end.
pub fn calendar_warning(
    cat: &Catalog,
    model: &str,
    spans: &[DaySpan],
    s: &PriceSettings,
) -> Option<String> {
    let end = spans.last()?.end;
    let last = Timestamp::from_second(end.as_second() - 1).ok()?;
    let sched = schedule_at(cat, model, last, s)?;
    let until = llmcost_core::spread::passes_calendar_end(&sched, end)?;
    Some(format!(
        "{model}: the holiday calendar of schedule `{}` ends {until}; later days are priced as if none were a holiday (weekdays at peak)",
        sched.name
    ))
}

/// A line for tables priced at 00:00 UTC of a bare `--at` date when the price
/// depends on the hour.
pub fn bare_date_hint(
    cat: &Catalog,
    at_arg: Option<&str>,
    p: &Priced,
    at: Timestamp,
) -> Option<String> {
    bare_date(at_arg)?;
    let (regime, sched) = regime_of_priced(cat, p, at);
    sched?;
    Some(format!(
        "hint: a date alone is priced at 00:00 UTC ({regime} for this model); give a time with --at, or spread a workload over the day with `llmcost forecast`"
    ))
}

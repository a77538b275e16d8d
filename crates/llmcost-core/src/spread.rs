//! A workload spread over the clock: which share of a period falls under each
//! time-of-day regime (peak, off-peak, standard), exactly.
//!
//! A period is a run of days cut in a time zone, each the whole day or daily
//! hours. Requests are spread evenly over each day's span, so the share of a
//! day's requests in a stretch is its seconds over the span's seconds. Shares
//! are exact fractions ([`Ratio`]): `7/24` is never rounded.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::schedule::{DAY, DayWindow, Schedule, ScheduleKind};
use crate::{Error, Result};

/// The rate a moment is priced at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateRegime {
    /// No time-of-day rule, or outside a night discount (DeepSeek 2025).
    Standard,
    /// Inside a peak window (DeepSeek from 2026-08-16).
    Peak,
    /// Off-peak rates.
    OffPeak,
}

impl RateRegime {
    /// Stable key: `standard`, `peak`, `off_peak`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            RateRegime::Standard => "standard",
            RateRegime::Peak => "peak",
            RateRegime::OffPeak => "off_peak",
        }
    }

    /// Words for tables: `standard`, `peak`, `off-peak`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            RateRegime::Standard => "standard",
            RateRegime::Peak => "peak",
            RateRegime::OffPeak => "off-peak",
        }
    }
}

impl fmt::Display for RateRegime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The regime at an instant under a schedule (`None`: no time-of-day rule).
#[must_use]
pub fn regime_at(schedule: Option<&Schedule>, at: Timestamp) -> RateRegime {
    match schedule {
        None => RateRegime::Standard,
        Some(s) if s.is_off_peak(at) => RateRegime::OffPeak,
        Some(s) => match s.kind {
            ScheduleKind::OffPeakWindows(_) => RateRegime::Standard,
            ScheduleKind::PeakWindows { .. } => RateRegime::Peak,
        },
    }
}

impl Schedule {
    /// Every second in `(a, b)` (Unix seconds) where the regime may change:
    /// window edges, local midnights, the weekend rule's start.
    fn change_points(&self, a: i64, b: i64, out: &mut Vec<i64>) {
        let (windows, local): (&[DayWindow], Option<(i64, Option<Timestamp>)>) = match &self.kind {
            ScheduleKind::OffPeakWindows(w) => (w, None),
            ScheduleKind::PeakWindows {
                windows,
                utc_offset_seconds,
                weekends_off_peak_from,
                ..
            } => (
                windows,
                Some((i64::from(*utc_offset_seconds), *weekends_off_peak_from)),
            ),
        };
        let mut push = |t: i64| {
            if t > a && t < b {
                out.push(t);
            }
        };
        for day in a.div_euclid(DAY)..=b.div_euclid(DAY) {
            let base = day * DAY;
            for w in windows {
                push(base + i64::from(w.start));
                push(base + i64::from(w.end));
            }
            if let Some((offset, _)) = local {
                // Local midnight of the calendar, in UTC seconds (two: the offset
                // may move it to the previous or next UTC day).
                push(base - offset);
                push(base + DAY - offset);
            }
        }
        if let Some((_, Some(from))) = local {
            push(from.as_second());
        }
    }
}

/// The last local date a schedule's holiday calendar speaks for, as declared in
/// the catalog ([`Schedule::calendar_until`]). `None` for a schedule without
/// holidays. Later dates are priced as if no day were a holiday.
#[must_use]
pub fn holidays_known_until(s: &Schedule) -> Option<Date> {
    s.calendar_until()
}

/// Whether `[start, end)` reaches past a schedule's holiday calendar (local dates).
#[must_use]
pub fn passes_calendar_end(s: &Schedule, end: Timestamp) -> Option<Date> {
    // The span's last second is at or after the calendar's end.
    if end > s.calendar_end()? {
        s.calendar_until()
    } else {
        None
    }
}

/// A stretch of time under one price row and one regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// First instant (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// The regime in force throughout.
    pub regime: RateRegime,
}

impl Part {
    /// Length in seconds.
    #[must_use]
    pub fn seconds(&self) -> i64 {
        self.end.as_second() - self.start.as_second()
    }
}

/// Cuts `[start, end)` into stretches of one regime each. It is cut at every
/// instant of `cuts` (price changes: the caller's row may differ on each side)
/// and wherever the schedule in force changes regime. `schedule_at` gives the
/// schedule of the row in force at an instant (`None`: no time-of-day rule); it
/// is asked once per stretch between cuts.
pub fn split<F>(
    start: Timestamp,
    end: Timestamp,
    cuts: &[Timestamp],
    mut schedule_at: F,
) -> Vec<Part>
where
    F: FnMut(Timestamp) -> Option<Arc<Schedule>>,
{
    let (a, b) = (start.as_second(), end.as_second());
    let mut points: Vec<i64> = cuts
        .iter()
        .map(|t| t.as_second())
        .filter(|&t| t > a && t < b)
        .collect();
    points.push(a);
    points.push(b);
    points.sort_unstable();
    points.dedup();
    let mut parts = Vec::new();
    for seg in points.windows(2) {
        let (s, e) = (seg[0], seg[1]);
        let sched = schedule_at(ts(s));
        let mut inner = vec![s, e];
        if let Some(sc) = &sched {
            sc.change_points(s, e, &mut inner);
        }
        inner.sort_unstable();
        inner.dedup();
        let first = parts.len();
        for w in inner.windows(2) {
            let regime = regime_at(sched.as_deref(), ts(w[0]));
            // Merge with the previous stretch of the same regime inside this segment.
            if parts.len() > first
                && let Some(last) = parts.last_mut()
                && let Part { regime: r, .. } = *last
                && r == regime
            {
                last.end = ts(w[1]);
                continue;
            }
            parts.push(Part {
                start: ts(w[0]),
                end: ts(w[1]),
                regime,
            });
        }
    }
    parts
}

fn ts(s: i64) -> Timestamp {
    // Seconds come from valid timestamps and their day edges.
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A run of days cut in a time zone, each the whole day or daily hours.
#[derive(Debug, Clone)]
pub struct Period {
    /// First day (a date in `tz`).
    pub from: Date,
    /// Number of days.
    pub days: u32,
    /// Local hours `[start, end)`; `None` = the whole day. An end not after
    /// the start runs into the next day (`22:00-06:00`).
    pub hours: Option<DayWindow>,
    /// The zone days and hours are read in.
    pub tz: TimeZone,
}

/// One day's span of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpan {
    /// The local date.
    pub date: Date,
    /// First instant (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
}

impl DaySpan {
    /// Length in seconds (23 or 25 hours on a whole day with a clock change).
    #[must_use]
    pub fn seconds(&self) -> i64 {
        self.end.as_second() - self.start.as_second()
    }
}

impl Period {
    /// The span of each day. A local time skipped by a clock change is read as
    /// the later side (jiff's "compatible" rule).
    ///
    /// # Errors
    /// A date out of range, or no days.
    pub fn spans(&self) -> Result<Vec<DaySpan>> {
        if self.days == 0 {
            return Err(Error::InvalidPeriod("no days".into()));
        }
        let (s, e) = self
            .hours
            .map_or((0, DAY), |w| (i64::from(w.start), i64::from(w.end)));
        let e = if e <= s { e + DAY } else { e };
        let mut out = Vec::with_capacity(self.days as usize);
        let mut date = self.from;
        for _ in 0..self.days {
            out.push(DaySpan {
                date,
                start: self.local(date, s)?,
                end: self.local(date, e)?,
            });
            date = date
                .tomorrow()
                .map_err(|e| Error::InvalidPeriod(e.to_string()))?;
        }
        Ok(out)
    }

    /// The instant `secs` seconds of wall-clock time after local midnight of `date`.
    fn local(&self, date: Date, secs: i64) -> Result<Timestamp> {
        let bad = |e: jiff::Error| Error::InvalidPeriod(e.to_string());
        let mut d = date;
        let mut secs = secs;
        while secs >= DAY {
            d = d.tomorrow().map_err(bad)?;
            secs -= DAY;
        }
        let t = jiff::civil::Time::MIN
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .map_err(bad)?;
        let z = d.to_datetime(t).to_zoned(self.tz.clone()).map_err(bad)?;
        Ok(z.timestamp())
    }
}

/// The exact share of a period's requests under each key: requests are spread
/// evenly over each day's span, every day has the same number of requests, so a
/// key's share is `(1/days) × Σ_day seconds_under_key / seconds_of_day`. The
/// shares sum to 1; keys keep the order they first appear in.
///
/// `key_of` names what prices a stretch (typically the row and regime).
///
/// # Errors
/// What `key_of` returns; [`Error::Overflow`] if a fraction leaves `i128`.
pub fn shares<K, E, S, G>(
    spans: &[DaySpan],
    cuts: &[Timestamp],
    mut schedule_at: S,
    mut key_of: G,
) -> std::result::Result<Vec<(K, Ratio)>, E>
where
    K: PartialEq,
    E: From<Error>,
    S: FnMut(Timestamp) -> Option<Arc<Schedule>>,
    G: FnMut(&Part) -> std::result::Result<K, E>,
{
    let mut out: Vec<(K, Ratio)> = Vec::new();
    let days = i128::try_from(spans.len()).map_err(|_| Error::Overflow)?;
    for span in spans {
        let len = i128::from(span.seconds());
        if len <= 0 {
            continue;
        }
        for part in split(span.start, span.end, cuts, &mut schedule_at) {
            let k = key_of(&part)?;
            let share = Ratio::new(
                i128::from(part.seconds()),
                len.checked_mul(days).ok_or(Error::Overflow)?,
            )?;
            match out.iter_mut().find(|(x, _)| *x == k) {
                Some((_, r)) => *r = r.checked_add(share)?,
                None => out.push((k, share)),
            }
        }
    }
    Ok(out)
}

/// An exact fraction `num/den`, reduced, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    /// Zero.
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    /// One.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num/den`, reduced.
    ///
    /// # Errors
    /// A zero denominator ([`Error::Overflow`]).
    pub fn new(num: i128, den: i128) -> Result<Ratio> {
        if den == 0 {
            return Err(Error::Overflow);
        }
        let g = gcd(num, den).max(1);
        let sign = if den < 0 { -1 } else { 1 };
        Ok(Ratio {
            num: sign * num / g,
            den: sign * den / g,
        })
    }

    /// The exact value of a decimal.
    ///
    /// # Errors
    /// [`Error::Overflow`] (never for a `Decimal`, whose scale is at most 28).
    pub fn from_decimal(d: Decimal) -> Result<Ratio> {
        let den = 10_i128.checked_pow(d.scale()).ok_or(Error::Overflow)?;
        Ratio::new(d.mantissa(), den)
    }

    /// Numerator.
    #[must_use]
    pub fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator (positive).
    #[must_use]
    pub fn denom(&self) -> i128 {
        self.den
    }

    /// Exact sum.
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn checked_add(self, o: Ratio) -> Result<Ratio> {
        let g = gcd(self.den, o.den).max(1);
        let den = (self.den / g).checked_mul(o.den).ok_or(Error::Overflow)?;
        let a = self.num.checked_mul(o.den / g).ok_or(Error::Overflow)?;
        let b = o.num.checked_mul(self.den / g).ok_or(Error::Overflow)?;
        Ratio::new(a.checked_add(b).ok_or(Error::Overflow)?, den)
    }

    /// Exact product.
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn checked_mul(self, o: Ratio) -> Result<Ratio> {
        // Cross-reduce first to keep the numbers small.
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let num = (self.num / g1)
            .checked_mul(o.num / g2)
            .ok_or(Error::Overflow)?;
        let den = (self.den / g2)
            .checked_mul(o.den / g1)
            .ok_or(Error::Overflow)?;
        Ratio::new(num, den)
    }

    /// The value as a decimal when it has a finite decimal expansion that fits
    /// a `Decimal` (denominator `2^a·5^b`), else `None`.
    #[must_use]
    pub fn to_decimal_exact(&self) -> Option<Decimal> {
        let mut d = self.den;
        let (mut twos, mut fives) = (0u32, 0u32);
        while d % 2 == 0 {
            d /= 2;
            twos += 1;
        }
        while d % 5 == 0 {
            d /= 5;
            fives += 1;
        }
        if d != 1 {
            return None;
        }
        // num/den = num × 2^(k−twos) × 5^(k−fives) / 10^k with k = max(twos, fives).
        let k = twos.max(fives);
        let m = self
            .num
            .checked_mul(2_i128.checked_pow(k - twos)?)?
            .checked_mul(5_i128.checked_pow(k - fives)?)?;
        Decimal::try_from_i128_with_scale(m, k)
            .ok()
            .map(|x| x.normalize())
    }

    /// The value as a decimal, exact when possible, otherwise rounded to
    /// `Decimal`'s 28 significant digits.
    #[must_use]
    pub fn to_decimal(&self) -> Decimal {
        self.to_decimal_exact().unwrap_or_else(|| {
            match (
                Decimal::try_from_i128_with_scale(self.num, 0),
                Decimal::try_from_i128_with_scale(self.den, 0),
            ) {
                (Ok(n), Ok(d)) => n.checked_div(d).unwrap_or_default().normalize(),
                _ => Decimal::ZERO,
            }
        })
    }

    /// Whether the decimal form is exact.
    #[must_use]
    pub fn is_exact_decimal(&self) -> bool {
        self.to_decimal_exact().is_some()
    }
}

impl fmt::Display for Ratio {
    /// `num/den` (`7/24`, `1/1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::civil::epoch_day;
    use jiff::civil::date;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    /// DeepSeek 2026 as in catalog/schedules.toml, with the CN 2026 National
    /// Day holidays (10-01..10-07) and Mid-Autumn (09-25..09-27).
    fn ds2026() -> Arc<Schedule> {
        let holidays: BTreeSet<i64> = (1..=7)
            .map(|d| date(2026, 10, d))
            .chain((25..=27).map(|d| date(2026, 9, d)))
            .map(epoch_day)
            .collect();
        Arc::new(Schedule {
            name: "deepseek-peak-2026".into(),
            kind: ScheduleKind::PeakWindows {
                windows: vec![
                    DayWindow::parse("01:00-04:00").unwrap(),
                    DayWindow::parse("06:00-10:00").unwrap(),
                ],
                utc_offset_seconds: 8 * 3600,
                weekends_off_peak_from: Some(t("2026-08-22T16:00:00Z")),
                holidays,
                calendar_end: crate::schedule::calendar_end_of(date(2026, 12, 31), 8 * 3600),
            },
        })
    }

    fn ds2025() -> Arc<Schedule> {
        Arc::new(Schedule {
            name: "deepseek-offpeak-2025".into(),
            kind: ScheduleKind::OffPeakWindows(vec![DayWindow::parse("16:30-00:30").unwrap()]),
        })
    }

    fn period(from: Date, days: u32, hours: Option<&str>, tz: TimeZone) -> Vec<DaySpan> {
        Period {
            from,
            days,
            hours: hours.map(|h| DayWindow::parse(h).unwrap()),
            tz,
        }
        .spans()
        .unwrap()
    }

    fn regime_shares(spans: &[DaySpan], s: &Arc<Schedule>) -> Vec<(RateRegime, Ratio)> {
        let mut v =
            shares::<_, Error, _, _>(spans, &[], |_| Some(s.clone()), |p| Ok(p.regime)).unwrap();
        v.sort_by_key(|x| x.0);
        v
    }

    #[test]
    fn a_weekday_has_seven_peak_hours() {
        // Monday 2026-10-12 (UTC day): peak 01–04 and 06–10 UTC = 7 h.
        let s = ds2026();
        let parts = split(
            t("2026-10-12T00:00:00Z"),
            t("2026-10-13T00:00:00Z"),
            &[],
            |_| Some(s.clone()),
        );
        let got: Vec<(String, i64, RateRegime)> = parts
            .iter()
            .map(|p| (p.start.to_string(), p.seconds(), p.regime))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-10-12T00:00:00Z".into(), 3600, RateRegime::OffPeak),
                ("2026-10-12T01:00:00Z".into(), 3 * 3600, RateRegime::Peak),
                ("2026-10-12T04:00:00Z".into(), 2 * 3600, RateRegime::OffPeak),
                ("2026-10-12T06:00:00Z".into(), 4 * 3600, RateRegime::Peak),
                (
                    "2026-10-12T10:00:00Z".into(),
                    14 * 3600,
                    RateRegime::OffPeak
                ),
            ]
        );
    }

    #[test]
    fn a_week_without_holidays() {
        // 2026-10-12 (Mon) .. 10-18 (Sun), UTC days: 5 weekdays × 7 peak hours
        // = 35 of 168 hours → 35/168 = 5/24 peak, 19/24 off-peak.
        let spans = period(date(2026, 10, 12), 7, None, TimeZone::UTC);
        assert_eq!(
            regime_shares(&spans, &ds2026()),
            vec![
                (RateRegime::Peak, r(5, 24)),
                (RateRegime::OffPeak, r(19, 24))
            ]
        );
    }

    #[test]
    fn office_hours_in_paris_summer_time() {
        // 09:00–17:00 Paris in October 2026 (CEST, UTC+2) = 07:00–15:00 UTC;
        // peak 07–10 = 3 of 8 hours on the 5 weekdays: (5 × 3/8) / 7 = 15/56.
        let paris = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let spans = period(date(2026, 10, 12), 7, Some("09:00-17:00"), paris);
        assert_eq!(spans[0].start, t("2026-10-12T07:00:00Z"));
        assert_eq!(spans[0].end, t("2026-10-12T15:00:00Z"));
        assert_eq!(
            regime_shares(&spans, &ds2026()),
            vec![
                (RateRegime::Peak, r(15, 56)),
                (RateRegime::OffPeak, r(41, 56))
            ]
        );
    }

    #[test]
    fn national_day_week_and_make_up_workday() {
        // 2026-09-28 (Mon) .. 10-11 (Sun), Beijing-cut days (UTC+8).
        // Working days with peak: 09-28, 09-29, 09-30 (Mon–Wed) and 10-08, 10-09
        // (Thu, Fri). 10-01..10-07 are holidays; 10-10 (Sat) is a make-up
        // working day (调休) but DeepSeek's rule is Monday–Friday, so it stays
        // off-peak, as do the weekends. 5 days × 7 h = 35 h of 14 × 24 = 336 h.
        let bj = TimeZone::fixed(jiff::tz::offset(8));
        let spans = period(date(2026, 9, 28), 14, None, bj);
        assert_eq!(
            regime_shares(&spans, &ds2026()),
            vec![
                (RateRegime::Peak, r(35, 336)),
                (RateRegime::OffPeak, r(301, 336))
            ]
        );
        // The holiday week alone, 10-01 (Thu) .. 10-07 (Wed): no peak at all.
        let spans = period(
            date(2026, 10, 1),
            7,
            None,
            TimeZone::fixed(jiff::tz::offset(8)),
        );
        assert_eq!(
            regime_shares(&spans, &ds2026()),
            vec![(RateRegime::OffPeak, Ratio::ONE)]
        );
    }

    #[test]
    fn utc_days_see_the_same_beijing_windows() {
        // Peak hours lie inside Beijing 09:00–18:00, so UTC-cut days give the
        // same shares as Beijing-cut days over whole weeks.
        let a = period(date(2026, 9, 28), 14, None, TimeZone::UTC);
        assert_eq!(
            regime_shares(&a, &ds2026()),
            vec![
                (RateRegime::Peak, r(35, 336)),
                (RateRegime::OffPeak, r(301, 336))
            ]
        );
    }

    #[test]
    fn weekend_rule_starts_mid_week() {
        // Before 2026-08-22T16:00Z the windows applied every day: Saturday
        // 2026-08-22 (UTC day) has 7 peak hours; Sunday 08-23 none.
        let s = ds2026();
        let spans = period(date(2026, 8, 22), 2, None, TimeZone::UTC);
        assert_eq!(
            regime_shares(&spans, &s),
            vec![
                (RateRegime::Peak, r(7, 48)),
                (RateRegime::OffPeak, r(41, 48))
            ]
        );
    }

    #[test]
    fn night_discount_2025_wraps_midnight() {
        // 16:30–00:30 UTC off-peak = 8 h of 24 every day.
        let spans = period(date(2025, 3, 10), 3, None, TimeZone::UTC);
        assert_eq!(
            regime_shares(&spans, &ds2025()),
            vec![
                (RateRegime::Standard, r(2, 3)),
                (RateRegime::OffPeak, r(1, 3))
            ]
        );
    }

    #[test]
    fn cuts_split_stretches_for_price_changes() {
        // A price change at 02:30 inside a peak window splits it in two.
        let s = ds2026();
        let parts = split(
            t("2026-10-12T00:00:00Z"),
            t("2026-10-12T05:00:00Z"),
            &[t("2026-10-12T02:30:00Z")],
            |_| Some(s.clone()),
        );
        let secs: Vec<(i64, RateRegime)> = parts.iter().map(|p| (p.seconds(), p.regime)).collect();
        assert_eq!(
            secs,
            vec![
                (3600, RateRegime::OffPeak),
                (5400, RateRegime::Peak),
                (5400, RateRegime::Peak),
                (3600, RateRegime::OffPeak),
            ]
        );
        // Before the schedule (None) everything is standard.
        let parts = split(
            t("2026-10-12T00:00:00Z"),
            t("2026-10-13T00:00:00Z"),
            &[],
            |_| None,
        );
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].regime, RateRegime::Standard);
    }

    #[test]
    fn dst_days_are_23_and_25_hours() {
        let paris = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let spans = period(date(2026, 10, 24), 2, None, paris.clone());
        assert_eq!(spans[0].seconds(), 24 * 3600);
        // Sunday 2026-10-25: clocks go back, 25 h.
        assert_eq!(spans[1].seconds(), 25 * 3600);
        let spans = period(date(2026, 3, 29), 1, None, paris);
        assert_eq!(spans[0].seconds(), 23 * 3600);
    }

    #[test]
    fn wrapping_hours_run_into_the_next_day() {
        let spans = period(date(2026, 10, 12), 1, Some("22:00-06:00"), TimeZone::UTC);
        assert_eq!(spans[0].start, t("2026-10-12T22:00:00Z"));
        assert_eq!(spans[0].end, t("2026-10-13T06:00:00Z"));
    }

    #[test]
    fn calendar_end_is_the_last_listed_year() {
        let s = ds2026();
        assert_eq!(holidays_known_until(&s), Some(date(2026, 12, 31)));
        assert_eq!(holidays_known_until(&ds2025()), None);
        // 2026-12-31T16:00Z is 2027-01-01 00:00 Beijing: a span ending there stays inside.
        assert_eq!(passes_calendar_end(&s, t("2026-12-31T16:00:00Z")), None);
        assert_eq!(
            passes_calendar_end(&s, t("2026-12-31T16:00:01Z")),
            Some(date(2026, 12, 31))
        );
    }

    #[test]
    fn ratio_arithmetic_and_decimals() {
        assert_eq!(r(2, 4), r(1, 2));
        assert_eq!(r(1, -2), r(-1, 2));
        assert_eq!(r(1, 6).checked_add(r(1, 3)).unwrap(), r(1, 2));
        assert_eq!(r(7, 24).checked_mul(r(12, 7)).unwrap(), r(1, 2));
        assert_eq!(
            r(31, 24)
                .checked_mul(Ratio::from_decimal("8.58".parse().unwrap()).unwrap())
                .unwrap()
                .to_decimal_exact(),
            Some("11.0825".parse().unwrap())
        );
        assert_eq!(r(1, 3).to_decimal_exact(), None);
        assert!(!r(1, 3).is_exact_decimal());
        assert_eq!(
            r(1, 3).to_decimal(),
            "0.3333333333333333333333333333".parse::<Decimal>().unwrap()
        );
        assert_eq!(r(3, 80).to_decimal_exact(), Some("0.0375".parse().unwrap()));
        assert_eq!(r(31, 24).to_string(), "31/24");
        assert!(Ratio::new(1, 0).is_err());
    }
}

//! Civil (proleptic Gregorian) dates as day numbers since 1970-01-01: the one
//! place llmcost converts between the two, through jiff.
//!
//! Earlier code carried hand-rolled copies of Howard Hinnant's integer
//! algorithms for speed. `cargo bench -p llmcost-core --bench civil` found
//! jiff as fast or faster on both jobs that run once per record (a date to
//! its day number, a day number to the first day of its month; figures in
//! `bench/RESULTS.md`, "Civil dates"), so none is kept.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// Seconds in a civil day (Unix time has no leap seconds).
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Day number 0.
const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// Days since 1970-01-01 of a civil date (negative before it).
#[must_use]
pub fn epoch_day(date: Date) -> i64 {
    match date.to_zoned(TimeZone::UTC) {
        Ok(z) => z.timestamp().as_second().div_euclid(SECONDS_PER_DAY),
        // The first and last days of jiff's range have no UTC midnight.
        Err(_) => EPOCH.until(date).map_or(0, |s| i64::from(s.get_days())),
    }
}

/// The civil date of a day number since 1970-01-01, or `None` outside jiff's
/// range (years -9999 to 9999).
#[must_use]
pub fn date_of_day(day: i64) -> Option<Date> {
    match day
        .checked_mul(SECONDS_PER_DAY)
        .and_then(|s| Timestamp::from_second(s).ok())
    {
        Some(t) => Some(t.to_zoned(TimeZone::UTC).date()),
        None => EPOCH.checked_add(Span::new().try_days(day).ok()?).ok(),
    }
}

/// The day number of the first day of the month of day `day`.
#[must_use]
pub fn first_of_month(day: i64) -> i64 {
    date_of_day(day).map_or(day, |d| epoch_day(d.first_of_month()))
}

/// `YYYY-MM-DD` of a day number.
#[must_use]
pub fn day_label(day: i64) -> String {
    date_of_day(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

/// `YYYY-MM` of a day number.
#[must_use]
pub fn month_label(day: i64) -> String {
    date_of_day(day).map_or_else(
        || format!("day {day}"),
        |d| format!("{:04}-{:02}", d.year(), d.month()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn known_days() {
        // 2025-06-01: 55 years of 365 days (20,075) + 14 leap days (1972..2024)
        // = 20,089, + 151 days of January to May 2025 = 20,240.
        assert_eq!(epoch_day(date(2025, 6, 1)), 20_240);
        assert_eq!(day_label(20_240), "2025-06-01");
        assert_eq!(day_label(0), "1970-01-01");
        assert_eq!(day_label(-1), "1969-12-31");
        // 2000-03-01: 30 years (10,957 days with 7 leap days) + 31 + 29.
        assert_eq!(epoch_day(date(2000, 3, 1)), 11_017);
        assert_eq!(month_label(11_017), "2000-03");
        // 2024-02-01: 54 years (19,710 days) + 13 leap days (1972..2020) + 31.
        assert_eq!(first_of_month(epoch_day(date(2024, 2, 29))), 19_754);
        assert_eq!(day_label(19_754), "2024-02-01");
        assert_eq!(first_of_month(19_754), 19_754);
    }

    /// Every day of 1600–2400 counted one at a time, and the ends of jiff's
    /// range (which have no UTC midnight instant).
    #[test]
    fn day_numbers_count_days() {
        let mut day = epoch_day(date(1600, 1, 1));
        // 370 years back from 1970: 370 × 365 + 90 leap days (1600..1968,
        // without 1700, 1800, 1900) = 135,140.
        assert_eq!(day, -135_140);
        for y in 1600..=2400_i16 {
            for m in 1..=12_i8 {
                for d in 1..=date(y, m, 1).days_in_month() {
                    let dt = date(y, m, d);
                    assert_eq!(epoch_day(dt), day, "{dt}");
                    assert_eq!(date_of_day(day), Some(dt), "{day}");
                    day += 1;
                }
            }
        }
        let first = epoch_day(Date::MIN);
        let last = epoch_day(Date::MAX);
        assert_eq!(date_of_day(first), Some(Date::MIN));
        assert_eq!(date_of_day(first + 1), Date::MIN.tomorrow().ok());
        assert_eq!(date_of_day(last), Some(Date::MAX));
        assert_eq!(date_of_day(last - 1), Date::MAX.yesterday().ok());
        assert_eq!(date_of_day(first - 1), None);
        assert_eq!(date_of_day(last + 1), None);
        assert_eq!(epoch_day(Date::MIN.tomorrow().unwrap()), first + 1);
        assert_eq!(first_of_month(first + 5), first);
    }
}

//! Civil-date conversions: `llmcost_core::civil` (jiff) against the
//! hand-rolled integer algorithms (Howard Hinnant's) that llmcost used to
//! carry, on the jobs that run once per record: a log line's date and time
//! fields to an instant (`llmcost-logs`' timestamp fast path), a date to its
//! day number, and a day number to the first day of its month (a monthly
//! report's key). Results in `bench/RESULTS.md`, "Civil dates".

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use llmcost_core::civil::{epoch_day, first_of_month};

/// The former hand-rolled day number of `y-m-d`.
fn hinnant_days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The former hand-rolled date of a day number.
fn hinnant_civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// 1,024 dates spread over 2020–2027.
fn dates() -> Vec<(i16, i8, i8)> {
    (0..1024_i16)
        .map(|i| {
            (
                2020 + i % 8,
                1 + (i * 7 % 12) as i8,
                1 + (i * 13 % 28) as i8,
            )
        })
        .collect()
}

fn date_to_day(c: &mut Criterion) {
    let ds = dates();
    let mut g = c.benchmark_group("date_to_day");
    g.bench_function("hand_rolled", |b| {
        b.iter(|| {
            ds.iter()
                .map(|&(y, m, d)| {
                    hinnant_days_from_civil(black_box(i64::from(y)), i64::from(m), i64::from(d))
                })
                .sum::<i64>()
        });
    });
    g.bench_function("jiff", |b| {
        b.iter(|| {
            ds.iter()
                .filter_map(|&(y, m, d)| Some(epoch_day(Date::new(black_box(y), m, d).ok()?)))
                .sum::<i64>()
        });
    });
    g.finish();
}

fn fields_to_instant(c: &mut Criterion) {
    let ds = dates();
    let mut g = c.benchmark_group("fields_to_instant");
    g.bench_function("hand_rolled", |b| {
        b.iter(|| {
            ds.iter()
                .filter_map(|&(y, m, d)| {
                    let (h, mi, s) = (i64::from(m), i64::from(d), 7_i64);
                    let secs = hinnant_days_from_civil(
                        black_box(i64::from(y)),
                        i64::from(m),
                        i64::from(d),
                    ) * 86_400
                        + h * 3600
                        + mi * 60
                        + s;
                    Timestamp::new(secs, 917_000_000).ok()
                })
                .map(|t| t.as_second())
                .sum::<i64>()
        });
    });
    g.bench_function("jiff", |b| {
        b.iter(|| {
            ds.iter()
                .filter_map(|&(y, m, d)| {
                    let dt = DateTime::new(black_box(y), m, d, m, d, 7, 917_000_000).ok()?;
                    TimeZone::UTC.to_timestamp(dt).ok()
                })
                .map(|t| t.as_second())
                .sum::<i64>()
        });
    });
    g.finish();
}

fn day_to_month_start(c: &mut Criterion) {
    let days: Vec<i64> = dates()
        .into_iter()
        .map(|(y, m, d)| hinnant_days_from_civil(i64::from(y), i64::from(m), i64::from(d)))
        .collect();
    let mut g = c.benchmark_group("day_to_month_start");
    g.bench_function("hand_rolled", |b| {
        b.iter(|| {
            days.iter()
                .map(|&d| {
                    let (y, m, _) = hinnant_civil_from_days(black_box(d));
                    hinnant_days_from_civil(y, m, 1)
                })
                .sum::<i64>()
        });
    });
    g.bench_function("jiff", |b| {
        b.iter(|| {
            days.iter()
                .map(|&d| first_of_month(black_box(d)))
                .sum::<i64>()
        });
    });
    g.finish();
}

criterion_group!(benches, fields_to_instant, date_to_day, day_to_month_start);
criterion_main!(benches);

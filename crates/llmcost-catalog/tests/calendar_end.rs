//! The end of a holiday calendar (catalog/schedules.toml `covers_until`): an
//! instant after it is still priced by the weekday rule, and the priced result
//! says so (`Regime::beyond_calendar`). Amounts by hand from catalog/deepseek.toml
//! (per 1M tokens).
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a bad fixture"
)]

use llmcost_catalog::Catalog;
use llmcost_core::{Cost, Currency, Decimal, ServiceTier, Timestamp, Usage};

fn cat() -> &'static Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("built-in catalog invalid: {e}"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// 1M uncached input + 1M cache reads + 1M output: the total is the sum of the rates.
fn one_m_each() -> Usage {
    Usage {
        input: 1_000_000,
        cache_read: 1_000_000,
        output: 1_000_000,
        ..Usage::default()
    }
}

fn cost(name: &str, at: &str, cur: Currency) -> Cost {
    let at = ts(at);
    let r = cat().resolve(name, at, Some(cur)).expect("resolves");
    r.row
        .price(&one_m_each(), at, ServiceTier::Standard)
        .expect("prices")
}

#[test]
fn cn_statutory_calendar_is_declared_to_end_2026_12_31() {
    let s = cat().schedule("deepseek-peak-2026").expect("schedule");
    assert_eq!(s.calendar_until(), Some(jiff::civil::date(2026, 12, 31)));
    // 2027-01-01 00:00 Beijing (UTC+08:00) = 2026-12-31 16:00 UTC.
    assert_eq!(s.calendar_end(), Some(ts("2026-12-31T16:00:00Z")));
    // The 2025 night discount has no holiday calendar.
    let s25 = cat().schedule("deepseek-offpeak-2025").expect("schedule");
    assert_eq!(s25.calendar_end(), None);
}

#[test]
fn last_second_inside_the_calendar_has_no_flag() {
    // Thursday 2026-12-31 23:59:59 Beijing = 15:59:59 UTC: outside the peak windows
    // (01:00-04:00, 06:00-10:00 UTC) -> off-peak 0.66 + 0.022 + 1.98 = 2.662 USD.
    let c = cost("deepseek-v4-pro", "2026-12-31T15:59:59Z", Currency::USD);
    assert_eq!(c.total, d("2.662"));
    assert!(c.regime.off_peak);
    assert!(!c.regime.beyond_calendar);
    // Thursday 2026-12-31 10:00 Beijing, a working day: peak 1.32 + 0.044 + 3.96 = 5.324 USD.
    let c = cost("deepseek-v4-pro", "2026-12-31T02:00:00Z", Currency::USD);
    assert_eq!(c.total, d("5.324"));
    assert!(!c.regime.beyond_calendar);
}

#[test]
fn first_second_after_the_calendar_is_flagged() {
    // Friday 2027-01-01 00:00:00 Beijing = 2026-12-31T16:00:00Z: off-peak by the
    // window rule, 2.662 USD as above, but past the calendar.
    let c = cost("deepseek-v4-pro", "2026-12-31T16:00:00Z", Currency::USD);
    assert_eq!(c.total, d("2.662"));
    assert!(c.regime.off_peak);
    assert!(c.regime.beyond_calendar);
    // Friday 2027-01-01 10:00 Beijing (元旦 by custom; the 2027 notice is not known):
    // peak by the weekday rule, 5.324 USD, flagged.
    let c = cost("deepseek-v4-pro", "2027-01-01T02:00:00Z", Currency::USD);
    assert_eq!(c.total, d("5.324"));
    assert!(!c.regime.off_peak);
    assert!(c.regime.beyond_calendar);
    // deepseek-flash CNY at the same instant: peak 2 + 0.04 + 8 = 10.04 CNY.
    let c = cost("deepseek-flash", "2027-01-01T02:00:00Z", Currency::CNY);
    assert_eq!(c.total, d("10.04"));
    assert!(c.regime.beyond_calendar);
}

#[test]
fn rows_without_a_calendar_are_never_flagged() {
    // Rows with no time-of-day rule are never flagged, even in 2027.
    let at = ts("2027-01-01T02:00:00Z");
    let r = cat()
        .resolve("deepseek-v4-pro", at, None)
        .expect("resolves");
    assert!(r.row.beyond_calendar(at));
    for m in cat().models() {
        for row in &m.rows {
            if row.spec().off_peak.is_none() {
                assert!(!row.beyond_calendar(at), "{}", m.id);
            }
        }
    }
}

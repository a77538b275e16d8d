//! Time-of-day price schedules (DeepSeek's off-peak and peak/off-peak regimes).
//!
//! A schedule answers one question for an instant: is it off-peak? Windows are
//! start-inclusive and end-exclusive, in seconds of the UTC day.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::civil::{SECONDS_PER_DAY, date_of_day, epoch_day};

pub(crate) const DAY: i64 = SECONDS_PER_DAY;

/// A daily window `[start, end)` in seconds since 00:00 UTC. When `end <= start`
/// the window wraps past midnight (16:30–00:30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayWindow {
    /// Start, seconds after 00:00 UTC (inclusive).
    pub start: u32,
    /// End, seconds after 00:00 UTC (exclusive); 86400 is midnight.
    pub end: u32,
}

impl DayWindow {
    /// Whether a second of the UTC day falls in the window.
    #[must_use]
    pub fn contains(&self, second_of_day: u32) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&second_of_day)
        } else {
            second_of_day >= self.start || second_of_day < self.end
        }
    }

    /// Parses `HH:MM-HH:MM` (UTC).
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(text: &str) -> Result<DayWindow, String> {
        let (a, b) = text
            .split_once('-')
            .ok_or_else(|| format!("window `{text}` is not `HH:MM-HH:MM`"))?;
        let start = parse_hhmm(a)?;
        let end = parse_hhmm(b)?;
        if start == end {
            return Err(format!("window `{text}` is empty"));
        }
        Ok(DayWindow { start, end })
    }
}

fn parse_hhmm(t: &str) -> Result<u32, String> {
    let t = t.trim();
    let (h, m) = t
        .split_once(':')
        .ok_or_else(|| format!("`{t}` is not HH:MM"))?;
    let h: u32 = h.parse().map_err(|_| format!("`{t}` is not HH:MM"))?;
    let m: u32 = m.parse().map_err(|_| format!("`{t}` is not HH:MM"))?;
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(format!("`{t}` is not a time of day"));
    }
    Ok(h * 3600 + m * 60)
}

/// A named schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The name the catalog refers to.
    pub name: String,
    /// How off-peak is decided.
    pub kind: ScheduleKind,
}

/// The two kinds of regime providers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Off-peak inside any of these UTC windows, every day (DeepSeek 2025).
    OffPeakWindows(Vec<DayWindow>),
    /// Peak inside these UTC windows on working days of a local calendar;
    /// every other moment is off-peak (DeepSeek from 2026-08-16).
    PeakWindows {
        /// Peak windows, UTC.
        windows: Vec<DayWindow>,
        /// Offset of the calendar that decides weekdays and holidays (seconds east of UTC).
        utc_offset_seconds: i32,
        /// From this instant on, Saturdays and Sundays (local) are off-peak all day.
        /// Before it, the windows apply every day.
        weekends_off_peak_from: Option<Timestamp>,
        /// Local dates that are off-peak all day (statutory holidays), as days since 1970-01-01.
        holidays: BTreeSet<i64>,
        /// The first instant the holiday calendar does not cover (local midnight
        /// after its last date); `None` when the schedule has no holiday calendar.
        /// Later instants are decided by the weekday rule alone: see
        /// [`Schedule::beyond_calendar`].
        calendar_end: Option<Timestamp>,
    },
}

impl Schedule {
    /// Whether the instant is off-peak under this schedule.
    #[must_use]
    pub fn is_off_peak(&self, at: Timestamp) -> bool {
        let secs = at.as_second();
        // rem_euclid is in [0, DAY): fits u32.
        let sod = u32::try_from(secs.rem_euclid(DAY)).unwrap_or(0);
        match &self.kind {
            ScheduleKind::OffPeakWindows(ws) => ws.iter().any(|w| w.contains(sod)),
            ScheduleKind::PeakWindows {
                windows,
                utc_offset_seconds,
                weekends_off_peak_from,
                holidays,
                ..
            } => {
                let local = secs + i64::from(*utc_offset_seconds);
                let local_day = local.div_euclid(DAY);
                if holidays.contains(&local_day) {
                    return true;
                }
                if weekends_off_peak_from.is_some_and(|from| at >= from) {
                    // 1970-01-01 was a Thursday: (day + 3) % 7 gives Monday = 0.
                    let weekday = (local_day + 3).rem_euclid(7);
                    if weekday >= 5 {
                        return true;
                    }
                }
                !windows.iter().any(|w| w.contains(sod))
            }
        }
    }

    /// The last local date its holiday calendar covers (`None`: no calendar).
    #[must_use]
    pub fn calendar_until(&self) -> Option<jiff::civil::Date> {
        let ScheduleKind::PeakWindows {
            utc_offset_seconds,
            calendar_end: Some(end),
            ..
        } = &self.kind
        else {
            return None;
        };
        let last_local = end.as_second() - 1 + i64::from(*utc_offset_seconds);
        date_of_day(last_local.div_euclid(DAY))
    }

    /// The first instant its holiday calendar does not cover: local midnight
    /// after [`Schedule::calendar_until`] (`None`: no calendar).
    #[must_use]
    pub fn calendar_end(&self) -> Option<Timestamp> {
        match &self.kind {
            ScheduleKind::PeakWindows { calendar_end, .. } => *calendar_end,
            ScheduleKind::OffPeakWindows(_) => None,
        }
    }

    /// Whether the instant falls after its holiday calendar, so that off-peak is
    /// decided by the weekday rule alone (a holiday announced later is not
    /// known). One comparison with the precomputed end.
    #[inline]
    #[must_use]
    pub fn beyond_calendar(&self, at: Timestamp) -> bool {
        match &self.kind {
            ScheduleKind::PeakWindows {
                calendar_end: Some(end),
                ..
            } => at >= *end,
            _ => false,
        }
    }
}

/// The local midnight after `last` (the last date a calendar covers) in UTC, for
/// a calendar `utc_offset_seconds` east of UTC.
#[must_use]
pub fn calendar_end_of(last: jiff::civil::Date, utc_offset_seconds: i32) -> Option<Timestamp> {
    let secs = epoch_day(last)
        .checked_add(1)?
        .checked_mul(DAY)?
        .checked_sub(i64::from(utc_offset_seconds))?;
    Timestamp::from_second(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn ds2025() -> Schedule {
        Schedule {
            name: "deepseek-2025".into(),
            kind: ScheduleKind::OffPeakWindows(vec![DayWindow::parse("16:30-00:30").unwrap()]),
        }
    }

    fn ds2026() -> Schedule {
        let holidays = [
            jiff::civil::date(2026, 10, 1),
            jiff::civil::date(2026, 10, 2),
        ]
        .into_iter()
        .map(epoch_day)
        .collect();
        Schedule {
            name: "deepseek-2026".into(),
            kind: ScheduleKind::PeakWindows {
                windows: vec![
                    DayWindow::parse("01:00-04:00").unwrap(),
                    DayWindow::parse("06:00-10:00").unwrap(),
                ],
                utc_offset_seconds: 8 * 3600,
                weekends_off_peak_from: Some(ts("2026-08-22T16:00:00Z")),
                holidays,
                calendar_end: calendar_end_of(jiff::civil::date(2026, 12, 31), 8 * 3600),
            },
        }
    }

    #[test]
    fn wrapping_window_is_start_inclusive_end_exclusive() {
        let s = ds2025();
        assert!(!s.is_off_peak(ts("2025-03-10T16:29:59Z")));
        assert!(s.is_off_peak(ts("2025-03-10T16:30:00Z")));
        assert!(s.is_off_peak(ts("2025-03-10T23:59:59Z")));
        assert!(s.is_off_peak(ts("2025-03-11T00:00:00Z")));
        assert!(s.is_off_peak(ts("2025-03-11T00:29:59Z")));
        assert!(!s.is_off_peak(ts("2025-03-11T00:30:00Z")));
        assert!(!s.is_off_peak(ts("2025-03-10T10:00:00Z")));
    }

    #[test]
    fn peak_windows_on_working_days() {
        let s = ds2026();
        // Tuesday 2026-09-08: 02:00 UTC is peak, 05:00 UTC is off-peak, 09:59:59 peak, 10:00 off.
        assert!(!s.is_off_peak(ts("2026-09-08T02:00:00Z")));
        assert!(s.is_off_peak(ts("2026-09-08T05:00:00Z")));
        assert!(!s.is_off_peak(ts("2026-09-08T09:59:59Z")));
        assert!(s.is_off_peak(ts("2026-09-08T10:00:00Z")));
        assert!(!s.is_off_peak(ts("2026-09-08T01:00:00Z")));
        assert!(s.is_off_peak(ts("2026-09-08T00:59:59Z")));
    }

    #[test]
    fn weekends_off_peak_only_from_2026_08_23() {
        let s = ds2026();
        // Saturday 2026-08-22 02:00 UTC (Beijing Saturday 10:00): windows still applied daily.
        assert!(!s.is_off_peak(ts("2026-08-22T02:00:00Z")));
        // Sunday 2026-08-23 02:00 UTC: weekend, off-peak.
        assert!(s.is_off_peak(ts("2026-08-23T02:00:00Z")));
        // Saturday 2026-09-12 03:00 UTC.
        assert!(s.is_off_peak(ts("2026-09-12T03:00:00Z")));
        // Monday 2026-09-14 03:00 UTC is peak.
        assert!(!s.is_off_peak(ts("2026-09-14T03:00:00Z")));
    }

    #[test]
    fn holidays_use_the_local_date() {
        let s = ds2026();
        // 2026-10-01 is Thursday; 02:00 UTC is Beijing 2026-10-01 10:00, a holiday.
        assert!(s.is_off_peak(ts("2026-10-01T02:00:00Z")));
        // 2026-10-05 Monday is not in this test calendar: peak.
        assert!(!s.is_off_peak(ts("2026-10-05T02:00:00Z")));
    }

    #[test]
    fn calendar_ends_at_local_midnight_after_its_last_date() {
        let s = ds2026();
        // 2027-01-01 00:00 Beijing = 2026-12-31 16:00 UTC.
        assert_eq!(s.calendar_end(), Some(ts("2026-12-31T16:00:00Z")));
        assert_eq!(s.calendar_until(), Some(jiff::civil::date(2026, 12, 31)));
        // 2026-12-31 23:59:59 Beijing is covered; 2027-01-01 00:00:00 Beijing is not.
        assert!(!s.beyond_calendar(ts("2026-12-31T15:59:59Z")));
        assert!(s.beyond_calendar(ts("2026-12-31T16:00:00Z")));
        // Without a calendar there is nothing to run past.
        assert_eq!(ds2025().calendar_end(), None);
        assert_eq!(ds2025().calendar_until(), None);
        assert!(!ds2025().beyond_calendar(ts("2030-01-01T00:00:00Z")));
    }

    #[test]
    fn window_parse_errors() {
        assert!(DayWindow::parse("1600").is_err());
        assert!(DayWindow::parse("25:00-01:00").is_err());
        assert!(DayWindow::parse("01:00-01:00").is_err());
        assert_eq!(DayWindow::parse("00:00-24:00").unwrap().end, 86_400);
    }
}

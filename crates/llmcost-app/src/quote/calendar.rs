//! Warnings for answers priced after a schedule's holiday calendar ends
//! (`covers_until` in catalog/schedules.toml). Such instants are still priced by
//! the weekday rule, the best known answer; these words say so.

use std::sync::Arc;

use llmcost_core::{PriceRow, Schedule, Timestamp};

use super::Priced;
use crate::text::when;
use llmcost_catalog::Catalog;

const RULE: &str = "the weekday rule, as if no later day were a holiday (weekdays at peak)";

/// `the holiday calendar of schedule `x` ends 2026-12-31 (UTC+08:00 dates)`.
pub fn ended(s: &Schedule) -> Option<String> {
    let until = s.calendar_until()?;
    let offset = match &s.kind {
        llmcost_core::ScheduleKind::PeakWindows {
            utc_offset_seconds, ..
        } => *utc_offset_seconds,
        llmcost_core::ScheduleKind::OffPeakWindows(_) => 0,
    };
    let (h, m) = (offset / 3600, (offset % 3600).abs() / 60);
    let sign = if offset < 0 { '-' } else { '+' };
    Some(format!(
        "the holiday calendar of schedule `{}` ends {until} (UTC{sign}{:02}:{m:02} dates)",
        s.name,
        h.abs()
    ))
}

/// The warning for one answer priced at `at`, when the schedule of its row had
/// run past its holiday calendar (`Regime::beyond_calendar`).
pub fn instant_warning(cat: &Catalog, p: &Priced, at: Timestamp) -> Option<String> {
    if !p.cost.regime.beyond_calendar {
        return None;
    }
    let sched = super::clock::regime_of_priced(cat, p, at).1?;
    Some(format!(
        "{}: {}; {} is priced by {RULE}",
        p.price.model,
        ended(&sched)?,
        when(at)
    ))
}

/// The warning for a list of rows shown at `at` (`prices --at`): one per
/// schedule whose calendar had ended by then.
pub fn rows_warnings<'a>(rows: impl Iterator<Item = &'a PriceRow>, at: Timestamp) -> Vec<String> {
    let mut seen = Ended::default();
    for r in rows {
        seen.note_row(r, at);
    }
    seen.warnings_at(Some(at))
}

/// Schedules whose holiday calendar had ended at some instant priced in a run
/// (`report`, `import`): noted once each, reported once per run.
#[derive(Debug, Default, Clone)]
pub struct Ended(pub Vec<Arc<Schedule>>);

impl Ended {
    /// Notes the schedule of `row` when `at` is after its calendar.
    pub fn note_row(&mut self, row: &PriceRow, at: Timestamp) {
        if let Some(o) = &row.spec().off_peak
            && o.schedule.beyond_calendar(at)
        {
            self.note(&o.schedule);
        }
    }

    /// Notes a schedule (once).
    pub fn note(&mut self, s: &Arc<Schedule>) {
        if !self.0.iter().any(|x| Arc::ptr_eq(x, s) || x.name == s.name) {
            self.0.push(s.clone());
        }
    }

    /// Merges another run's notes.
    pub fn extend(&mut self, o: Ended) {
        for s in &o.0 {
            self.note(s);
        }
    }

    /// One warning per schedule noted (records of a run, or rows at an instant).
    pub fn warnings_at(&self, at: Option<Timestamp>) -> Vec<String> {
        let mut v: Vec<String> = self
            .0
            .iter()
            .filter_map(|s| {
                let what = match at {
                    Some(t) => format!("at {} peak and off-peak follow", when(t)),
                    None => "records after it were priced by".to_string(),
                };
                Some(format!("{}; {what} {RULE}", ended(s)?))
            })
            .collect();
        v.sort();
        v
    }
}

//! Warnings for answers priced after a schedule's holiday calendar ends
//! (`covers_until` in catalog/schedules.toml). Such instants are still priced by
//! the weekday rule, the best known answer; these words say so.

use llmcost_core::{PriceRow, Timestamp};

use crate::common::Priced;
use crate::output::when;

pub use llmcost_app::calendar::{Ended, RULE, ended};

/// The warning for one answer priced at `at`, when the schedule of its row had
/// run past its holiday calendar (`Regime::beyond_calendar`).
pub fn instant_warning(p: &Priced, at: Timestamp) -> Option<String> {
    if !p.cost.regime.beyond_calendar {
        return None;
    }
    let sched = super::clock::regime_of_priced(p, at).1?;
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

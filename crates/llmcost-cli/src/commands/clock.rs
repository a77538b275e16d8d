//! Table words for answers that follow the clock (the engine is
//! `llmcost_app::quote::clock`).

use llmcost_app::quote::clock::Valued;

use crate::output::Display;

/// `peak 1.98 · off-peak 0.99` for a weekly average; `peak` for one instant of
/// a time-of-day price; empty otherwise.
pub fn by_time_of_day(v: &Valued, d: &mut Display) -> String {
    if !v.rates.is_empty() {
        return v
            .rates
            .iter()
            .map(|r| format!("{} {}", r.regime, d.amount(r.value)))
            .collect::<Vec<_>>()
            .join(" · ");
    }
    match v.regime {
        "peak" => "peak (at that instant)".into(),
        "off_peak" => "off-peak (at that instant)".into(),
        _ => String::new(),
    }
}

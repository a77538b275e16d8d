//! Plain-text tables and number formatting for terminal output.
//!
//! Tables never change stored values: amounts are shown exactly up to
//! [`DISPLAY_DP`] decimals; longer ones are rounded half away from zero and
//! marked, and the table says so. `--format json` always gives exact values.

use std::fmt::Write as _;
use std::io::Write;

use llmcost_core::{Decimal, round_for_display};

/// Decimals shown for amounts in tables.
pub const DISPLAY_DP: u32 = 8;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A simple aligned table.
#[derive(Debug, Default)]
pub struct Table {
    head: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
    /// Index of rows preceded by a rule (e.g. a total line).
    rules: Vec<usize>,
}

impl Table {
    pub fn new(head: &[(&str, Align)]) -> Table {
        Table {
            head: head.iter().map(|(h, a)| ((*h).to_string(), *a)).collect(),
            ..Table::default()
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Adds a rule before the next row.
    pub fn rule(&mut self) {
        self.rules.push(self.rows.len());
    }

    pub fn render(&self) -> String {
        let n = self.head.len();
        let mut w = vec![0usize; n];
        for (i, (h, _)) in self.head.iter().enumerate() {
            w[i] = h.chars().count();
        }
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut s = String::new();
            for (i, width) in w.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                let pad = width.saturating_sub(c.chars().count());
                if i > 0 {
                    s.push_str("  ");
                }
                match self.head[i].1 {
                    Align::Left => {
                        s.push_str(c);
                        s.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        let head: Vec<String> = self.head.iter().map(|(h, _)| h.clone()).collect();
        line(&head, &mut out);
        let total: usize = w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        let _ = writeln!(out, "{}", "─".repeat(total));
        for (i, r) in self.rows.iter().enumerate() {
            if self.rules.contains(&i) {
                let _ = writeln!(out, "{}", "─".repeat(total));
            }
            line(r, &mut out);
        }
        out
    }
}

pub use llmcost_app::text::{int, since, when};

/// Tracks whether any figure was rounded for display.
#[derive(Debug, Default)]
pub struct Display {
    pub rounded: bool,
}

impl Display {
    /// An amount, exact when it has at most [`DISPLAY_DP`] decimals, else rounded and marked `≈`.
    pub fn amount(&mut self, d: Decimal) -> String {
        let n = d.normalize();
        if n.scale() <= DISPLAY_DP {
            n.to_string()
        } else {
            self.rounded = true;
            format!("≈{}", round_for_display(n, DISPLAY_DP).normalize())
        }
    }

    /// An amount rounded to `dp` decimals for a summary (always marked when rounded).
    pub fn rounded(&mut self, d: Decimal, dp: u32) -> String {
        let r = round_for_display(d, dp);
        if r != d {
            self.rounded = true;
            format!("≈{r}")
        } else {
            format!("{}", d.normalize())
        }
    }

    /// The footnote to print when something was rounded.
    pub fn footnote(&self) -> Option<&'static str> {
        self.rounded.then_some(
            "≈ rounded for display (half away from zero); --format json gives exact values",
        )
    }
}

/// Writes JSON (pretty, newline-terminated).
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, v: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_marks_rounding() {
        let mut d = Display::default();
        assert_eq!(d.amount("9.0503876".parse().unwrap()), "9.0503876");
        assert!(!d.rounded);
        assert_eq!(d.amount("0.123456789".parse().unwrap()), "≈0.12345679");
        assert!(d.rounded);
    }
}

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

    /// The table drawn in the run's [`Style`].
    pub fn render(&self) -> String {
        self.render_in(style())
    }

    /// The table drawn in `st`: fitted to `st.width` by wrapping text columns onto
    /// more lines (never a figure, never a word lost), in plain ASCII with `st.ascii`,
    /// the head in bold with `st.color`.
    pub fn render_in(&self, st: Style) -> String {
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
        if let Some(max) = st.width {
            self.fit(&mut w, max);
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let parts: Vec<Vec<String>> = w
                .iter()
                .enumerate()
                .map(|(i, width)| wrap(cells.get(i).map_or("", String::as_str), *width))
                .collect();
            let height = parts.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut s = String::new();
                for (i, width) in w.iter().enumerate() {
                    let c = parts[i].get(k).map_or("", String::as_str);
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
            }
        };
        let head: Vec<String> = self.head.iter().map(|(h, _)| h.clone()).collect();
        if st.color {
            let mut h = String::new();
            line(&head, &mut h);
            for l in h.lines() {
                let _ = writeln!(out, "{BOLD}{l}{RESET}");
            }
        } else {
            line(&head, &mut out);
        }
        let total: usize = w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        let rule = if st.ascii { "-" } else { "─" }.repeat(total);
        let _ = writeln!(out, "{rule}");
        for (i, r) in self.rows.iter().enumerate() {
            if self.rules.contains(&i) {
                let _ = writeln!(out, "{rule}");
            }
            line(r, &mut out);
        }
        if st.ascii { ascii(&out) } else { out }
    }

    /// Narrows the text (left-aligned) columns, widest first and the first column
    /// last, until the table fits in `max` columns or none can narrow further.
    /// Figures (right-aligned) keep their width.
    fn fit(&self, w: &mut [usize], max: usize) {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        let floor: Vec<usize> = self
            .head
            .iter()
            .map(|(h, _)| h.chars().count().max(MIN_TEXT_WIDTH))
            .collect();
        for first_too in [false, true] {
            while total(w) > max {
                let widest = (0..w.len())
                    .filter(|&i| (first_too || i > 0) && self.head[i].1 == Align::Left)
                    .filter(|&i| w[i] > floor[i])
                    .max_by_key(|&i| (w[i], std::cmp::Reverse(i)));
                let Some(i) = widest else { break };
                w[i] -= 1;
            }
        }
    }
}

/// A cell's text in lines of at most `width` characters: broken at a space, else after
/// `-`, `/` or `,`, when one is in the second half of the line; else anywhere.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width || width == 0 {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        let at = |pred: fn(&char) -> bool| {
            window
                .iter()
                .rposition(pred)
                .filter(|&p| p + 1 > width / 2)
                .map(|p| p + 1)
        };
        let cut = if chars.get(start + width) == Some(&' ') {
            width
        } else {
            at(|c| *c == ' ')
                .or_else(|| at(|c| matches!(c, '-' | '/' | ',')))
                .unwrap_or(width)
        };
        let piece: String = chars[start..start + cut].iter().collect();
        lines.push(piece.trim_end().to_string());
        start += cut;
        while chars.get(start) == Some(&' ') {
            start += 1;
        }
    }
    lines.push(chars[start..].iter().collect());
    lines
}

/// The narrowest a text column is cut to (or its header, if wider).
const MIN_TEXT_WIDTH: usize = 10;

const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The characters of a table in plain ASCII: rules, arrows, marks.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '─' | '—' | '–' => out.push('-'),
            '→' => out.push_str("->"),
            '≈' => out.push('~'),
            '×' => out.push('x'),
            '·' => out.push('|'),
            '≥' => out.push_str(">="),
            c => out.push(c),
        }
    }
    out
}

/// How tables are drawn in this run: chosen once from `--color`, `--ascii`, `--wide`,
/// the terminal and the environment (an output toggle, like the printer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Bold table heads (stdout is a terminal that allows colour, or `--color always`).
    pub color: bool,
    /// `--ascii`: rules, arrows and marks in plain ASCII.
    pub ascii: bool,
    /// Columns to fit in (`COLUMNS`, else the terminal's width); none with `--wide` or
    /// when stdout is not a terminal.
    pub width: Option<usize>,
}

/// The width to fit tables in: `COLUMNS` when set, else the terminal's when stdout is one.
pub fn terminal_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(c);
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

static STYLE: std::sync::OnceLock<Style> = std::sync::OnceLock::new();

/// Sets the style of the run (the first call wins).
pub fn set_style(s: Style) {
    let _ = STYLE.set(s);
}

/// The style of the run (plain, unlimited width, before [`set_style`]).
pub fn style() -> Style {
    STYLE.get().copied().unwrap_or_default()
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
        let text = if style().ascii {
            "~ rounded for display (half away from zero); --format json gives exact values"
        } else {
            "≈ rounded for display (half away from zero); --format json gives exact values"
        };
        self.rounded.then_some(text)
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
    fn text_wraps_to_fit_and_figures_keep_their_width() {
        let mut t = Table::new(&[
            ("model", Align::Left),
            ("input", Align::Right),
            ("since", Align::Left),
        ]);
        t.row(vec![
            "claude-3-5-sonnet-20241022".into(),
            "3.75".into(),
            "2024-10-22 (user:my prices.toml)".into(),
        ]);
        let st = Style {
            width: Some(40),
            ..Style::default()
        };
        let text = t.render_in(st);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        // Every character is still there, in order, and the figure is whole.
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(squeezed.contains("3.75"), "{text}");
        assert!(squeezed.contains("(user:myprices.toml)"), "{text}");
        assert_eq!(
            wrap("2024-10-22 (user:my prices.toml)", 12),
            ["2024-10-22", "(user:my", "prices.toml)"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        // --wide (no width): one line per row, as wide as it takes.
        assert_eq!(t.render_in(Style::default()).lines().count(), 3);
        let a = t.render_in(Style {
            ascii: true,
            ..Style::default()
        });
        assert!(a.is_ascii(), "{a}");
    }

    #[test]
    fn display_marks_rounding() {
        let mut d = Display::default();
        assert_eq!(d.amount("9.0503876".parse().unwrap()), "9.0503876");
        assert!(!d.rounded);
        assert_eq!(d.amount("0.123456789".parse().unwrap()), "≈0.12345679");
        assert!(d.rounded);
    }
}

//! Charts drawn as SVG on the server: stacked bars (cost per period, stacked
//! by a dimension) and step charts (a price's history).
//!
//! Values are exact decimals; only pixel positions are rounded (to 0.01 px).
//! Every mark has a `<title>` with its exact value (a tooltip, and what a
//! screen reader reads), and the chart is `role="img"` with a label. Colours
//! are CSS classes (`s0`..`s9`), so light and dark themes apply, and no
//! `style` attribute is used (the CSP forbids inline styles).

use std::fmt::Write as _;

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::html::esc;

const W: i64 = 760;
const H: i64 = 280;
const LEFT: i64 = 72;
const RIGHT: i64 = 16;
const TOP: i64 = 24;
const BOTTOM: i64 = 44;

/// Colour classes cycle through this many.
pub const PALETTE: usize = 10;

/// A stacked bar chart.
#[derive(Debug, Clone, Default)]
pub struct Bars {
    /// What the chart shows (its accessible name).
    pub title: String,
    /// Unit of the values (a currency).
    pub unit: String,
    /// Stack names, bottom first.
    pub series: Vec<String>,
    /// One bar per label: a value per series (zero where absent).
    pub bars: Vec<(String, Vec<Decimal>)>,
}

/// The smallest 1, 2 or 5 × 10^k at or above `v` (axis maximum); 1 for v ≤ 0.
#[must_use]
pub fn nice_max(v: Decimal) -> Decimal {
    if v <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut p = Decimal::new(1, 12);
    // Up to 10^16: far beyond any spend or rate.
    for _ in 0..30 {
        for m in [1, 2, 5] {
            let c = p * Decimal::from(m);
            if c >= v {
                return c;
            }
        }
        p *= Decimal::TEN;
    }
    v
}

fn px(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

fn label_num(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The stacked bars as an `<svg>` element. Each segment is a `<rect>` with
/// `data-series`, `data-label` and `data-value` (exact).
#[must_use]
pub fn stacked_bars(b: &Bars) -> String {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let totals: Vec<Decimal> = b
        .bars
        .iter()
        .map(|(_, v)| v.iter().copied().sum())
        .collect();
    let max = nice_max(totals.iter().copied().max().unwrap_or(Decimal::ZERO));
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\"><title>{}</title>",
        esc(&b.title),
        esc(&b.title)
    );
    axis_y(&mut s, max, &b.unit);
    let n = b.bars.len().max(1);
    let slot = Decimal::from(plot_w) / Decimal::from(n as u64);
    let bar_w = (slot * Decimal::new(7, 1)).max(Decimal::ONE);
    // At most ~12 x labels.
    let every = n.div_ceil(12).max(1);
    for (i, (label, values)) in b.bars.iter().enumerate() {
        let x =
            Decimal::from(LEFT) + slot * Decimal::from(i as u64) + (slot - bar_w) / Decimal::TWO;
        let mut y = Decimal::from(TOP + plot_h);
        let _ = write!(s, "<g class=\"bar\" data-label=\"{}\">", esc(label));
        for (j, v) in values.iter().enumerate() {
            if v.is_zero() {
                continue;
            }
            let h = *v * Decimal::from(plot_h) / max;
            y -= h;
            let name = b.series.get(j).map_or("", String::as_str);
            let _ = write!(
                s,
                "<rect class=\"s{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-series=\"{}\" data-value=\"{}\"><title>{} · {}: {} {}</title></rect>",
                j % PALETTE,
                px(x),
                px(y),
                px(bar_w),
                px(h.max(Decimal::new(5, 1))),
                esc(name),
                label_num(*v),
                esc(label),
                esc(name),
                label_num(*v),
                esc(&b.unit)
            );
        }
        s.push_str("</g>");
        if i % every == 0 {
            let cx = x + bar_w / Decimal::TWO;
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                px(cx),
                H - BOTTOM + 16,
                esc(label)
            );
        }
    }
    if b.bars.is_empty() {
        let _ = write!(
            s,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">No cost in this period</text>",
            LEFT + plot_w / 2,
            TOP + plot_h / 2
        );
    }
    s.push_str("</svg>");
    s
}

fn axis_y(s: &mut String, max: Decimal, unit: &str) {
    let plot_h = H - TOP - BOTTOM;
    for k in 0..=4i64 {
        let v = max * Decimal::from(k) / Decimal::from(4);
        let y = Decimal::from(TOP + plot_h) - Decimal::from(plot_h * k) / Decimal::from(4);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            px(y),
            px(y),
            LEFT - 6,
            px(y + Decimal::from(4)),
            label_num(v)
        );
    }
    let _ = write!(
        s,
        "<text class=\"unit\" x=\"4\" y=\"{}\">{}</text>",
        14,
        esc(unit)
    );
}

/// One step of a price history: a rate in force over `[from, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Start.
    pub from: Timestamp,
    /// End; `None` while in force.
    pub until: Option<Timestamp>,
    /// Rate per 1M tokens.
    pub rate: Decimal,
}

/// One line of a step chart (a bucket in a currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSeries {
    /// Its name (`output USD`).
    pub name: String,
    /// Its steps, in time order.
    pub steps: Vec<Step>,
}

/// A step chart of `series` sharing one time axis (to `now` for open rows)
/// and one rate axis. Each step is a `<line class="step">` with `data-step`,
/// `data-series`, `data-from`, `data-until` and `data-rate`; a vertical
/// connector joins two steps that touch.
#[must_use]
pub fn step_chart(title: &str, unit: &str, series: &[StepSeries], now: Timestamp) -> String {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let all = series.iter().flat_map(|s| s.steps.iter());
    let t0 = all.clone().map(|s| s.from).min().unwrap_or(now);
    let t1 = all
        .clone()
        .map(|s| s.until.unwrap_or(now).max(s.from))
        .max()
        .unwrap_or(now)
        .max(now.min(t0 + jiff::SignedDuration::from_hours(24 * 30)));
    let span = (t1.as_second() - t0.as_second()).max(1);
    let max = nice_max(all.clone().map(|s| s.rate).max().unwrap_or(Decimal::ZERO));
    let x_of = |t: Timestamp| -> Decimal {
        Decimal::from(LEFT)
            + Decimal::from(plot_w) * Decimal::from(t.as_second() - t0.as_second())
                / Decimal::from(span)
    };
    let y_of =
        |r: Decimal| -> Decimal { Decimal::from(TOP + plot_h) - r * Decimal::from(plot_h) / max };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    axis_y(&mut s, max, &format!("{unit} / 1M"));
    for (label, t) in [("first", t0), ("last", t1)] {
        let anchor = if label == "first" { "start" } else { "end" };
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            px(x_of(t)),
            H - BOTTOM + 16,
            t.strftime("%Y-%m-%d")
        );
    }
    for (i, ser) in series.iter().enumerate() {
        let _ = write!(
            s,
            "<g class=\"series s{}\" data-series=\"{}\" data-steps=\"{}\">",
            i % PALETTE,
            esc(&ser.name),
            ser.steps.len()
        );
        let mut prev: Option<&Step> = None;
        for st in &ser.steps {
            let end = st.until.unwrap_or(now).max(st.from);
            if let Some(p) = prev
                && p.until == Some(st.from)
            {
                let _ = write!(
                    s,
                    "<line class=\"riser\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/>",
                    px(y_of(p.rate)),
                    px(y_of(st.rate)),
                    x = px(x_of(st.from))
                );
            }
            let until = st
                .until
                .map_or_else(|| "now".to_string(), |u| u.to_string());
            let _ = write!(
                s,
                "<line class=\"step\" data-step=\"\" data-series=\"{name}\" data-from=\"{}\" data-until=\"{}\" data-rate=\"{}\" x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"><title>{name}: {} {} per 1M tokens, {} to {}</title></line>",
                st.from,
                until,
                label_num(st.rate),
                px(x_of(st.from)),
                px(x_of(end).max(x_of(st.from) + Decimal::ONE)),
                label_num(st.rate),
                esc(unit),
                st.from.strftime("%Y-%m-%d"),
                st.until
                    .map_or_else(|| "now".to_string(), |u| u.strftime("%Y-%m-%d").to_string()),
                name = esc(&ser.name),
                y = px(y_of(st.rate)),
            );
            prev = Some(st);
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// An HTML legend for `series` (colour swatch and name), matching the
/// chart's classes.
#[must_use]
pub fn legend(series: &[String]) -> String {
    let mut s = String::from("<ul class=\"legend\">");
    for (i, name) in series.iter().enumerate() {
        let _ = write!(
            s,
            "<li><svg class=\"swatch\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect class=\"s{}\" width=\"10\" height=\"10\"/></svg>{}</li>",
            i % PALETTE,
            esc(name)
        );
    }
    s.push_str("</ul>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn nice_max_rounds_up_to_1_2_5() {
        assert_eq!(nice_max(d("0")), d("1"));
        assert_eq!(nice_max(d("0.7")), d("1"));
        assert_eq!(nice_max(d("1.2")), d("2"));
        assert_eq!(nice_max(d("3")), d("5"));
        assert_eq!(nice_max(d("7.01")), d("10"));
        assert_eq!(nice_max(d("0.013")), d("0.02"));
        assert_eq!(nice_max(d("200")), d("200"));
    }

    #[test]
    fn stacked_segments_carry_exact_values_and_heights_add_up() {
        // Axis max: totals 3 and 1.5 -> nice max 5; plot height 280-24-44 = 212 px.
        // Day 1: 1 + 2 = 3 -> 42.4 + 84.8 px; day 2: 1.5 -> 63.6 px.
        let b = Bars {
            title: "Cost per day".into(),
            unit: "USD".into(),
            series: vec!["gpt-4o".into(), "claude".into()],
            bars: vec![
                ("2025-01-01".into(), vec![d("1"), d("2")]),
                ("2025-01-02".into(), vec![d("1.5"), d("0")]),
            ],
        };
        let svg = stacked_bars(&b);
        assert_eq!(
            svg.matches("<rect ").count(),
            3,
            "a zero segment is not drawn"
        );
        assert!(svg.contains("height=\"42.4\" data-series=\"gpt-4o\" data-value=\"1\""));
        assert!(svg.contains("height=\"84.8\" data-series=\"claude\" data-value=\"2\""));
        assert!(svg.contains("height=\"63.6\" data-series=\"gpt-4o\" data-value=\"1.5\""));
        // The stack starts at the bottom (y = 24 + 212 = 236): 236 - 42.4 = 193.6.
        assert!(svg.contains("y=\"193.6\""));
        assert!(svg.contains("role=\"img\" aria-label=\"Cost per day\""));
        assert!(svg.contains("<title>2025-01-01 · claude: 2 USD</title>"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn empty_bars_say_so() {
        let svg = stacked_bars(&Bars::default());
        assert!(svg.contains("No cost in this period"));
    }

    #[test]
    fn one_step_per_row_and_risers_between_touching_rows() {
        let now = ts("2026-01-01T00:00:00Z");
        let ser = StepSeries {
            name: "output USD".into(),
            steps: vec![
                Step {
                    from: ts("2024-05-13T00:00:00Z"),
                    until: Some(ts("2024-08-06T00:00:00Z")),
                    rate: d("15"),
                },
                Step {
                    from: ts("2024-08-06T00:00:00Z"),
                    until: Some(ts("2025-01-01T00:00:00Z")),
                    rate: d("10"),
                },
                // A gap, then a row still in force.
                Step {
                    from: ts("2025-02-01T00:00:00Z"),
                    until: None,
                    rate: d("8"),
                },
            ],
        };
        let svg = step_chart("gpt-4o output", "USD", std::slice::from_ref(&ser), now);
        assert_eq!(svg.matches("data-step=\"\"").count(), 3);
        assert_eq!(
            svg.matches("class=\"riser\"").count(),
            1,
            "the gap has no riser"
        );
        assert!(svg.contains("data-steps=\"3\""));
        assert!(svg.contains("data-rate=\"15\""));
        assert!(svg.contains("data-until=\"now\""));
        // Rate axis to 20 (nice max of 15): y of 10 = 236 - 10*212/20 = 130.
        assert!(svg.contains("y1=\"130\" y2=\"130\""));
        // The first step starts at the left edge (x = 72).
        assert!(svg.contains("x1=\"72\""));
    }

    #[test]
    fn legend_names_each_series() {
        let l = legend(&["a<b".into(), "c".into()]);
        assert!(l.contains("a&lt;b"));
        assert!(l.contains("class=\"s1\""));
    }
}

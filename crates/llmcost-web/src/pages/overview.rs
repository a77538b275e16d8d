//! `/`: the overview. Everything on it comes from the report engine's JSON
//! (what `llmcost report --format json` prints), so the page and the CLI
//! agree to the last digit.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::WebState;
use crate::engine::EngineError;
use crate::html::{Nav, esc, page as layout, table};
use crate::query::Filters;
use crate::svg::{Bars, legend, stacked_bars};

/// Dimensions the chart can be stacked by (`group`).
pub const GROUPS: &[&str] = &[
    "model", "project", "provider", "source", "tag", "key", "device",
];

const BUCKETS: &[(&str, &str)] = &[
    ("input", "Input (uncached)"),
    ("cache_read", "Cache read"),
    ("cache_write", "Cache write 5m"),
    ("cache_write_1h", "Cache write 1h"),
    ("output", "Output"),
    ("reasoning", "Reasoning"),
];

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, k: &str) -> u128 {
    v.get(k)
        .and_then(|x| {
            x.as_u64()
                .map(u128::from)
                .or_else(|| x.as_str()?.parse().ok())
        })
        .or_else(|| v.get(k).and_then(|x| x.to_string().parse().ok()))
        .unwrap_or(0)
}

fn dec(v: &Value, k: &str) -> Option<Decimal> {
    v.get(k)?.as_str()?.parse().ok()
}

fn rows(v: &Value) -> &[Value] {
    v.get("rows")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Thousands separators for display (`1234567` → `1,234,567`).
#[must_use]
pub fn int(x: u128) -> String {
    let d = x.to_string();
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The previous period of the same length, when both bounds are dates or
/// instants: `(since, until)` as the report takes them.
#[must_use]
pub fn previous(f: &Filters) -> Option<(String, String)> {
    let (a, b) = (f.since.as_deref()?, f.until.as_deref()?);
    if let (Ok(a), Ok(b)) = (
        a.parse::<jiff::civil::Date>(),
        b.parse::<jiff::civil::Date>(),
    ) {
        // `until` as a date includes that day: the period is b - a + 1 days.
        let days = a.until(b).ok()?.get_days() + 1;
        let pu = a.yesterday().ok()?;
        let ps = a.checked_sub(jiff::Span::new().days(days)).ok()?;
        return Some((ps.to_string(), pu.to_string()));
    }
    let (a, b) = (
        a.parse::<jiff::Timestamp>().ok()?,
        b.parse::<jiff::Timestamp>().ok()?,
    );
    let len = a.duration_until(b);
    let ps = a.checked_sub(len).ok()?;
    Some((ps.to_string(), a.to_string()))
}

fn filter_form(f: &Filters, models: &[String]) -> String {
    let mut b = String::from(
        "<form class=\"filters\" action=\"/\" method=\"get\" aria-label=\"Filters\" data-testid=\"filters\">",
    );
    let text = |b: &mut String,
                name: &str,
                label: &str,
                v: Option<&str>,
                kind: &str,
                hint: &str| {
        let _ = write!(
            b,
            "<label>{label}<input type=\"{kind}\" name=\"{name}\" value=\"{}\" placeholder=\"{hint}\" data-testid=\"filter-{name}\"></label>",
            esc(v.unwrap_or("")),
        );
    };
    text(
        &mut b,
        "since",
        "Since",
        f.since.as_deref(),
        "text",
        "2025-01-01",
    );
    text(
        &mut b,
        "until",
        "Until",
        f.until.as_deref(),
        "text",
        "2025-12-31",
    );
    text(&mut b, "tz", "Time zone", f.tz.as_deref(), "text", "UTC");
    text(
        &mut b,
        "currency",
        "Currency",
        f.currency.as_deref(),
        "text",
        "USD",
    );
    text(
        &mut b,
        "fx",
        "FX",
        f.fx.first().map(String::as_str),
        "text",
        "CNY=7.2",
    );
    // The model filter: every model of the period (and the one chosen).
    b.push_str("<label>Model<select name=\"model\" data-testid=\"filter-model\"><option value=\"\">All models</option>");
    let mut all: Vec<&String> = models.iter().collect();
    for m in &f.model {
        if !all.contains(&m) {
            all.push(m);
        }
    }
    for m in all {
        let sel = if f.model.contains(m) { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{}\"{sel}>{}</option>", esc(m), esc(m));
    }
    b.push_str("</select></label>");
    for (name, label, vals) in [
        ("project", "Project", &f.project),
        ("tag", "Tag", &f.tag),
        ("key", "Key fingerprint", &f.key),
        ("device", "Device", &f.device),
        ("source", "Source", &f.source),
    ] {
        text(
            &mut b,
            name,
            label,
            vals.first().map(String::as_str),
            "text",
            "",
        );
    }
    b.push_str("<label>Bars<select name=\"period\" data-testid=\"filter-period\">");
    let period = f.period.as_deref().unwrap_or("daily");
    for p in ["daily", "weekly", "monthly"] {
        let sel = if p == period { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{p}\"{sel}>{p}</option>");
    }
    b.push_str(
        "</select></label><label>Stacked by<select name=\"group\" data-testid=\"filter-group\">",
    );
    let group = f.group.as_deref().unwrap_or("model");
    for g in GROUPS {
        let sel = if *g == group { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{g}\"{sel}>{g}</option>");
    }
    b.push_str(
        "</select></label><button type=\"submit\">Apply</button> <a href=\"/\">Reset</a></form>",
    );
    b
}

/// The chart's bars: one per row, stacked by the breakdown entries.
fn bars(report: &Value, group: &str, unit: &str, period: &str) -> Bars {
    let mut series: Vec<String> = Vec::new();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in rows(report) {
        for m in r
            .get("models")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            let name = m
                .get(group)
                .or_else(|| m.get("model"))
                .and_then(Value::as_str)
                .unwrap_or("(none)")
                .to_string();
            *totals.entry(name).or_default() += dec(m, "cost").unwrap_or_default();
        }
    }
    // Most expensive first, at the bottom of each stack.
    let mut order: Vec<(String, Decimal)> = totals.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    series.extend(order.into_iter().map(|(k, _)| k));
    let bars = rows(report)
        .iter()
        .map(|r| {
            let mut vals = vec![Decimal::ZERO; series.len()];
            let models = r.get("models").and_then(Value::as_array);
            match models {
                Some(ms) => {
                    for m in ms {
                        let name = m
                            .get(group)
                            .or_else(|| m.get("model"))
                            .and_then(Value::as_str)
                            .unwrap_or("(none)");
                        if let Some(i) = series.iter().position(|x| x == name) {
                            vals[i] += dec(m, "cost").unwrap_or_default();
                        }
                    }
                }
                None => {
                    if series.is_empty() {
                        series.push("cost".into());
                        vals.push(Decimal::ZERO);
                    }
                    vals[0] += dec(r, "cost").unwrap_or_default();
                }
            }
            (s(r, "period").to_string(), vals)
        })
        .collect();
    Bars {
        title: format!(
            "Cost per {} in {unit}, stacked by {group}",
            match period {
                "weekly" => "week",
                "monthly" => "month",
                _ => "day",
            }
        ),
        unit: unit.to_string(),
        series,
        bars,
    }
}

fn card(label: &str, value: &str, testid: &str, sub: &str) -> String {
    let tid = if testid.is_empty() {
        String::new()
    } else {
        format!(" data-testid=\"{testid}\"")
    };
    let sub = if sub.is_empty() {
        String::new()
    } else {
        format!("<span class=\"sub\">{sub}</span>")
    };
    format!("<div class=\"card\"><dt>{label}</dt><dd><span{tid}>{value}</span>{sub}</dd></div>")
}

/// Everything the overview needs from the engine.
#[derive(Debug)]
pub struct Data {
    /// The chart's report (daily/weekly/monthly with a breakdown).
    pub chart: Value,
    /// The model report (the model table).
    pub models: Value,
    /// Every model of the period (for the filter), without the model filter.
    pub model_names: Vec<String>,
    /// The previous period's report, when the period has two bounds.
    pub previous: Option<Value>,
}

/// Asks the engine for the overview of `f`.
///
/// # Errors
/// As [`crate::engine::Engine::report`].
pub fn data(state: &WebState, f: &Filters) -> Result<Data, EngineError> {
    let eng = state.engine();
    let period = f.period.clone().unwrap_or_else(|| "daily".into());
    if !["daily", "weekly", "monthly"].contains(&period.as_str()) {
        return Err(EngineError::bad(format!(
            "unknown period `{period}`: use daily, weekly or monthly"
        )));
    }
    let mut cf = f.clone();
    cf.group = Some(f.group.clone().unwrap_or_else(|| "model".into()));
    let mut mf = f.clone();
    mf.group = None;
    let mut all = mf.clone();
    all.model.clear();
    let prev = previous(f).map(|(a, b)| {
        let mut pf = mf.clone();
        pf.since = Some(a);
        pf.until = Some(b);
        pf
    });
    let names =
        |v: &Value| -> Vec<String> { rows(v).iter().map(|r| s(r, "period").to_string()).collect() };
    // The questions are independent: asked side by side.
    let (chart, models, all_models, previous) = std::thread::scope(|sc| {
        let chart = sc.spawn(|| eng.report(&period, &cf));
        let all_models = (!f.model.is_empty()).then(|| sc.spawn(|| eng.report("model", &all)));
        let previous = prev
            .as_ref()
            .map(|pf| sc.spawn(move || eng.report("model", pf)));
        let models = eng.report("model", &mf);
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<Value, EngineError>>| {
            h.join().unwrap_or_else(|_| {
                Err(EngineError {
                    status: 500,
                    message: "the report failed".into(),
                })
            })
        };
        (
            join(chart),
            models,
            all_models.map(join),
            previous.map(join),
        )
    });
    let (chart, models) = (chart?, models?);
    let model_names = match all_models {
        Some(a) => names(&a?),
        None => names(&models),
    };
    let previous = previous.transpose()?;
    Ok(Data {
        chart,
        models,
        model_names,
        previous,
    })
}

/// The overview's HTML body.
#[must_use]
pub fn render(f: &Filters, d: &Data) -> String {
    let totals = d.models.get("totals").cloned().unwrap_or(Value::Null);
    let cur = s(&d.models, "currency").to_string();
    let mut b = filter_form(f, &d.model_names);
    let total = s(&totals, "cost");
    let mut prev_sub = String::new();
    if let Some(p) = &d.previous {
        let pc = p
            .get("totals")
            .and_then(|t| dec(t, "cost"))
            .unwrap_or_default();
        let now = dec(&totals, "cost").unwrap_or_default();
        let diff = now - pc;
        let pct = if pc.is_zero() {
            String::new()
        } else {
            format!(" ({:+}%)", (diff * Decimal::from(100) / pc).round_dp(1))
        };
        let cls = if diff > Decimal::ZERO { "up" } else { "down" };
        let _ = write!(
            prev_sub,
            "previous period: <span data-testid=\"previous-cost\">{}</span> {}; <span class=\"{cls}\">{:+}{pct}</span>",
            pc.normalize(),
            esc(&cur),
            diff.normalize()
        );
    } else {
        prev_sub.push_str("give since and until to compare with the period before");
    }
    b.push_str(
        "<section aria-labelledby=\"sum-h\"><h2 id=\"sum-h\">Summary</h2><dl class=\"cards\">",
    );
    b.push_str(&card(
        &format!("Cost ({})", esc(&cur)),
        &esc(total),
        "total-cost",
        &prev_sub,
    ));
    let input = n(&totals, "input");
    let cache = n(&totals, "cache_read");
    let hit = if input + cache == 0 {
        "—".to_string()
    } else {
        let r = Decimal::from(cache) * Decimal::from(100) / Decimal::from(input + cache);
        format!("{}%", r.round_dp(2).normalize())
    };
    b.push_str(&card(
        "Cache hit rate",
        &hit,
        "cache-hit-rate",
        "cache reads ÷ (cache reads + uncached input)",
    ));
    b.push_str(&card(
        "Cost per 1M tokens",
        &esc(totals
            .get("cost_per_million")
            .and_then(Value::as_str)
            .unwrap_or("—")),
        "cost-per-million",
        "over priced tokens",
    ));
    b.push_str(&card("Records", &int(n(&totals, "records")), "records", ""));
    b.push_str(&card(
        "Tokens",
        &int(n(&totals, "total_tokens")),
        "total-tokens",
        "",
    ));
    let unpriced = n(&totals, "unpriced_tokens");
    b.push_str(&card(
        "Unpriced tokens",
        &int(unpriced),
        "unpriced-tokens",
        if unpriced > 0 {
            "<span class=\"warn\">not in the cost: no price known for them (never counted as zero)</span>"
        } else {
            "every token was priced"
        },
    ));
    b.push_str("</dl>");
    let rows_b: Vec<Vec<String>> = BUCKETS
        .iter()
        .map(|(k, label)| vec![(*label).to_string(), int(n(&totals, k))])
        .collect();
    b.push_str(&table(
        "bucket-table",
        "Tokens per bucket",
        &["Bucket", "Tokens"],
        &[false, true],
        &rows_b,
    ));
    b.push_str("</section>");
    // The chart.
    let group = f.group.as_deref().unwrap_or("model");
    let period = f.period.as_deref().unwrap_or("daily");
    let bars = bars(&d.chart, group, &cur, period);
    b.push_str("<section aria-labelledby=\"chart-h\"><h2 id=\"chart-h\">Cost over time</h2>");
    let _ = write!(
        b,
        "<figure class=\"figure\" data-testid=\"cost-chart\" data-total=\"{}\">",
        esc(s(d.chart.get("totals").unwrap_or(&Value::Null), "cost"))
    );
    b.push_str(&stacked_bars(&bars));
    b.push_str(&legend(&bars.series));
    let _ = write!(
        b,
        "<figcaption class=\"note\">{}</figcaption></figure></section>",
        esc(&bars.title)
    );
    // The model table.
    let mrows: Vec<Vec<String>> = rows(&d.models)
        .iter()
        .map(|r| {
            vec![
                s(r, "period").to_string(),
                int(n(r, "records")),
                int(n(r, "input")),
                int(n(r, "cache_read")),
                int(n(r, "cache_write") + n(r, "cache_write_1h")),
                int(n(r, "output") + n(r, "reasoning")),
                s(r, "cost").to_string(),
                r.get("cost_per_million")
                    .and_then(Value::as_str)
                    .unwrap_or("—")
                    .to_string(),
                int(n(r, "unpriced_tokens")),
            ]
        })
        .collect();
    b.push_str("<section aria-labelledby=\"models-h\"><h2 id=\"models-h\">By model</h2>");
    b.push_str(&table(
        "model-table",
        &format!("Cost per model ({cur}), exact"),
        &[
            "Model",
            "Records",
            "Input",
            "Cache read",
            "Cache write",
            "Output",
            "Cost",
            "Per 1M",
            "Unpriced tokens",
        ],
        &[false, true, true, true, true, true, true, true, true],
        &mrows,
    ));
    if let Some(un) = d.models.get("unpriced").and_then(Value::as_array)
        && !un.is_empty()
    {
        let urows: Vec<Vec<String>> = un
            .iter()
            .map(|u| {
                vec![
                    s(u, "model").to_string(),
                    int(n(u, "records")),
                    int(n(u, "total_tokens")),
                    s(u, "reason").to_string(),
                ]
            })
            .collect();
        b.push_str(&table(
            "unpriced-table",
            "Usage without a price (not in the cost)",
            &["Model", "Records", "Tokens", "Why"],
            &[false, true, true, false],
            &urows,
        ));
    }
    b.push_str("</section>");
    let q = f.to_query();
    let _ = write!(
        b,
        "<p class=\"note\">The same figures as JSON: <a href=\"/api/report/model{sep}{q}\">/api/report/model</a> (what <code>llmcost report model --format json</code> prints for these filters).</p>",
        sep = if q.is_empty() { "" } else { "?" },
        q = esc(&q)
    );
    b
}

/// `GET /`.
pub async fn page(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let f = Filters::from_query(q.as_deref());
    let st = state.clone();
    let f2 = f.clone();
    let got = tokio::task::spawn_blocking(move || data(&st, &f2)).await;
    match got {
        Ok(Ok(d)) => Html(layout("Overview", Nav::Overview, &render(&f, &d))).into_response(),
        Ok(Err(e)) => super::error_page("Overview", Nav::Overview, &e, &filter_form(&f, &[])),
        Err(e) => super::error_page(
            "Overview",
            Nav::Overview,
            &EngineError {
                status: 500,
                message: format!("the report failed: {e}"),
            },
            "",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1234567), "1,234,567");
    }

    #[test]
    fn previous_period_of_dates_and_instants() {
        let f = Filters {
            since: Some("2025-02-01".into()),
            until: Some("2025-02-28".into()),
            ..Filters::default()
        };
        // 28 days, so the 28 days before: 2025-01-04 .. 2025-01-31.
        assert_eq!(
            previous(&f),
            Some(("2025-01-04".into(), "2025-01-31".into()))
        );
        let f = Filters {
            since: Some("2025-02-01T00:00:00Z".into()),
            until: Some("2025-02-01T12:00:00Z".into()),
            ..Filters::default()
        };
        assert_eq!(
            previous(&f),
            Some(("2025-01-31T12:00:00Z".into(), "2025-02-01T00:00:00Z".into()))
        );
        assert_eq!(previous(&Filters::default()), None);
    }

    #[test]
    fn renders_the_exact_total_and_the_hooks() {
        let models = serde_json::json!({
            "report": "model", "currency": "USD", "tz": "UTC", "mode": "ledger",
            "rows": [
                {"period": "gpt-4o", "input": 1000, "cache_read": 3000, "cache_write": 0, "cache_write_1h": 0,
                 "output": 500, "reasoning": 0, "total_tokens": 4500, "records": 2, "cost": "0.0125",
                 "currency": "USD", "cost_per_million": "2.7777777778", "unpriced_tokens": 0}
            ],
            "totals": {"input": 1000, "cache_read": 3000, "cache_write": 0, "cache_write_1h": 0,
                 "output": 500, "reasoning": 0, "total_tokens": 4500, "records": 2, "cost": "0.0125",
                 "currency": "USD", "cost_per_million": "2.7777777778", "unpriced_tokens": 0},
            "unpriced": [], "fx": [], "issues": {"count": 0, "first": []}, "files": null
        });
        let chart = serde_json::json!({
            "currency": "USD",
            "rows": [{"period": "2025-01-01", "cost": "0.0125", "models": [{"model": "gpt-4o", "cost": "0.0125"}]}],
            "totals": {"cost": "0.0125"}
        });
        let d = Data {
            chart,
            models,
            model_names: vec!["gpt-4o".into()],
            previous: None,
        };
        let html = render(&Filters::default(), &d);
        assert!(html.contains("<span data-testid=\"total-cost\">0.0125</span>"));
        assert!(html.contains("data-testid=\"cost-chart\""));
        assert!(html.contains("data-testid=\"model-table\""));
        assert!(html.contains("data-testid=\"filter-model\""));
        // Cache hit rate: 3000 / (1000 + 3000) = 75%.
        assert!(html.contains(">75%<"));
        assert!(html.contains("data-value=\"0.0125\""));
    }
}

//! `/prices` (search the catalog) and `/prices/<model>` (its price history as
//! a step chart per currency, one line per bucket; its time-of-day windows,
//! sources and confidence).

use std::fmt::Write as _;

use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use llmcost_catalog::Model;
use llmcost_core::{Bucket, Currency, ScheduleKind, TierPricing};

use crate::WebState;
use crate::html::{Nav, esc, page as layout};
use crate::svg::{Step, StepSeries, legend, step_chart};

/// The JSON name of a bucket (`cache_write_1h`), as in `prices --format json`.
#[must_use]
pub fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::Input => "input",
        Bucket::CacheRead => "cache_read",
        Bucket::CacheWrite => "cache_write",
        Bucket::CacheWrite1h => "cache_write_1h",
        Bucket::Output => "output",
        Bucket::Reasoning => "reasoning",
        Bucket::InputAudio => "input_audio",
        Bucket::CacheReadAudio => "cache_read_audio",
        Bucket::OutputAudio => "output_audio",
        Bucket::InputImage => "input_image",
        Bucket::OutputImage => "output_image",
    }
}

fn rate(d: Option<rust_decimal::Decimal>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.normalize().to_string())
}

/// The step series of `m` in `cur`: one per bucket with a published rate,
/// one step per row of that currency publishing it.
#[must_use]
pub fn series(m: &Model, cur: Currency) -> Vec<StepSeries> {
    let rows: Vec<_> = m.rows.iter().filter(|r| r.spec().currency == cur).collect();
    let mut out = Vec::new();
    for b in Bucket::ALL {
        let mut steps: Vec<Step> = rows
            .iter()
            .filter_map(|r| {
                let s = r.spec();
                s.rates.get(b).map(|rate| Step {
                    from: s.from,
                    until: s.until,
                    rate,
                })
            })
            .collect();
        steps.sort_by_key(|s| s.from);
        if !steps.is_empty() {
            out.push(StepSeries {
                name: format!("{} {}", bucket_name(b), cur),
                steps,
            });
        }
    }
    out
}

/// `GET /prices?q=TEXT`.
pub async fn search(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let q = crate::query::parse(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let cat = state.catalog();
    let now = Timestamp::now();
    let mut b = String::new();
    let _ = write!(
        b,
        "<form class=\"filters\" action=\"/prices\" method=\"get\" role=\"search\"><label>Model, alias or provider<input type=\"search\" name=\"q\" value=\"{}\" data-testid=\"price-search\"></label><button type=\"submit\">Search</button></form>",
        esc(&q)
    );
    let found = cat.search(&q);
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|m| {
            let cur: Vec<String> = m
                .rows_at(now)
                .map(|r| {
                    let s = r.spec();
                    format!(
                        "{} in / {} out {}",
                        rate(s.rates.input),
                        rate(s.rates.output),
                        s.currency
                    )
                })
                .collect();
            vec![
                m.id.clone(),
                m.provider.clone(),
                if cur.is_empty() {
                    "no price in force".to_string()
                } else {
                    cur.join("; ")
                },
                m.rows.len().to_string(),
            ]
        })
        .collect();
    let _ = write!(
        b,
        "<p class=\"note\">{} models{}. Rates per 1M tokens, in force now.</p>",
        rows.len(),
        if q.is_empty() {
            String::new()
        } else {
            format!(" matching “{}”", esc(&q))
        }
    );
    // Model names link to their history.
    let mut t = crate::html::table(
        "price-table",
        "Catalog models",
        &["Model", "Provider", "Current rates", "Rows"],
        &[false, false, false, true],
        &rows,
    );
    for m in &found {
        let cell = format!("<td>{}</td>", esc(&m.id));
        let link = format!(
            "<td><a href=\"/prices/{}\">{}</a></td>",
            esc(&crate::query::encode(&m.id)).replace("%2F", "/"),
            esc(&m.id)
        );
        t = t.replacen(&cell, &link, 1);
    }
    b.push_str(&t);
    Html(layout("Prices", Nav::Prices, &b)).into_response()
}

fn schedule_text(kind: &ScheduleKind) -> String {
    let hm = |s: u32| format!("{:02}:{:02}", s / 3600, (s % 3600) / 60);
    match kind {
        ScheduleKind::OffPeakWindows(ws) => format!(
            "off-peak every day {} UTC",
            ws.iter()
                .map(|w| format!("{}–{}", hm(w.start), hm(w.end)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ScheduleKind::PeakWindows { windows, .. } => format!(
            "peak on working days {} UTC; off-peak otherwise (weekends and holidays of the provider's calendar)",
            windows
                .iter()
                .map(|w| format!("{}–{}", hm(w.start), hm(w.end)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The calculator: one request's cost (`compare` of this model alone) and a
/// steady workload's (`forecast`), from the same engines as the CLI.
fn calculator(state: &WebState, id: &str, q: &[(String, String)]) -> String {
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let input = get("input");
    let output = get("output");
    let rpd = get("requests_per_day").unwrap_or_else(|| "1000".into());
    let days = get("days").unwrap_or_else(|| "30".into());
    let mut b =
        String::from("<section aria-labelledby=\"calc-h\"><h2 id=\"calc-h\">Calculator</h2>");
    let _ = write!(
        b,
        "<form class=\"filters\" action=\"\" method=\"get\" aria-label=\"Calculator\" data-testid=\"calculator\"><label>Input tokens per request<input type=\"text\" inputmode=\"numeric\" name=\"input\" value=\"{}\"></label><label>Output tokens per request<input type=\"text\" inputmode=\"numeric\" name=\"output\" value=\"{}\"></label><label>Requests per day<input type=\"text\" inputmode=\"numeric\" name=\"requests_per_day\" value=\"{}\"></label><label>Days<input type=\"text\" inputmode=\"numeric\" name=\"days\" value=\"{}\"></label><button type=\"submit\">Price it</button></form>",
        esc(input.as_deref().unwrap_or("")),
        esc(output.as_deref().unwrap_or("")),
        esc(&rpd),
        esc(&days)
    );
    let (Some(input), Some(output)) = (input, output) else {
        b.push_str("<p class=\"note\">Give token counts to price one request now and a steady workload over the coming days (as <code>llmcost compare</code> and <code>llmcost forecast</code>).</p></section>");
        return b;
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    let one = state.engine().compare(&[
        pair("model", id),
        pair("input", &input),
        pair("output", &output),
    ]);
    let fc = state.engine().forecast(&[
        pair("model", id),
        pair("input", &input),
        pair("output", &output),
        pair("requests_per_day", &rpd),
        pair("days", &days),
    ]);
    let txt = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    match (one, fc) {
        (Ok(c), Ok(f)) => {
            let row = &c["rows"][0];
            let _ = write!(
                b,
                "<dl class=\"cards\"><div class=\"card\"><dt>One request</dt><dd data-testid=\"calc-request\">{} {}</dd></div><div class=\"card\"><dt>Per day ({} requests)</dt><dd data-testid=\"calc-day\">{} {}</dd></div><div class=\"card\"><dt>{} days from {}</dt><dd data-testid=\"calc-period\">{} {}</dd></div></dl>",
                esc(&txt(&row["total"])),
                esc(&txt(&row["currency"])),
                esc(&rpd),
                esc(&txt(&f["daily_total"])),
                esc(&txt(&f["currency"])),
                esc(&days),
                esc(&txt(&f["from"])),
                esc(&txt(&f["period_total"])),
                esc(&txt(&f["currency"])),
            );
        }
        (Err(e), _) | (_, Err(e)) => {
            let _ = write!(
                b,
                "<p role=\"alert\" class=\"warn\">{}</p>",
                esc(&e.message)
            );
        }
    }
    b.push_str("</section>");
    b
}

/// `GET /prices/<model>` (with the calculator's `input`, `output`,
/// `requests_per_day`, `days`).
pub async fn model(
    State(state): State<WebState>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let q = crate::query::parse(q.as_deref());
    let cat = state.catalog();
    let now = Timestamp::now();
    // An exact id first; then what the name means now (aliases, timed
    // aliases: what `llmcost prices NAME` lists first); then any layer.
    let mut via = Vec::new();
    let found = cat
        .models()
        .iter()
        .find(|m| m.id == name)
        .or_else(|| cat.resolve_model(&name, now, None, &mut via).ok())
        .or_else(|| cat.model(&name));
    let Some(m) = found else {
        let sugg = cat.suggestions(&name, 5);
        let mut b = format!(
            "<p>No model <strong>{}</strong> in the catalog.</p>",
            esc(&name)
        );
        if !sugg.is_empty() {
            b.push_str("<p>Did you mean: ");
            for s in &sugg {
                let _ = write!(b, "<a href=\"/prices/{}\">{}</a> ", esc(s), esc(s));
            }
            b.push_str("</p>");
        }
        let mut r = Html(layout("Unknown model", Nav::Prices, &b)).into_response();
        *r.status_mut() = http::StatusCode::NOT_FOUND;
        return r;
    };
    let mut b = String::new();
    let _ = write!(
        b,
        "<dl class=\"cards\"><div class=\"card\"><dt>Model</dt><dd data-testid=\"model-id\">{}</dd></div><div class=\"card\"><dt>Provider</dt><dd>{}</dd></div><div class=\"card\"><dt>Aliases</dt><dd>{}</dd></div><div class=\"card\"><dt>Status</dt><dd>{}</dd></div></dl>",
        esc(&m.id),
        esc(&m.provider),
        if m.aliases.is_empty() {
            "none".to_string()
        } else {
            esc(&m.aliases.join(", "))
        },
        match (&m.retired, &m.successor) {
            (Some(r), Some(s)) => format!("retired {r}; successor {}", esc(s)),
            (Some(r), None) => format!("retired {r}"),
            _ => "available".to_string(),
        }
    );
    if name != m.id {
        let _ = write!(
            b,
            "<p class=\"note\">{} means {} now.</p>",
            esc(&name),
            esc(&m.id)
        );
    }
    let timed = cat.timed_alias(&name);
    if !timed.is_empty() {
        let rows: Vec<Vec<String>> = timed
            .iter()
            .map(|a| {
                vec![
                    a.target.clone(),
                    a.from.to_string(),
                    a.until.map_or_else(|| "now".to_string(), |u| u.to_string()),
                    a.source.clone(),
                ]
            })
            .collect();
        b.push_str(&crate::html::table(
            "timed-alias-table",
            &format!("What {name} has pointed to"),
            &["Model", "From", "Until", "Source"],
            &[false, false, false, false],
            &rows,
        ));
    }
    let total_steps: usize = m
        .currencies()
        .into_iter()
        .map(|c| series(m, c).iter().map(|s| s.steps.len()).sum::<usize>())
        .sum();
    let _ = write!(
        b,
        "<section aria-labelledby=\"hist-h\"><h2 id=\"hist-h\">Price history</h2><div class=\"figure\" data-testid=\"price-history-chart\" data-rows=\"{}\" data-steps=\"{total_steps}\">",
        m.rows.len()
    );
    for cur in m.currencies() {
        let ser = series(m, cur);
        let title = format!("{} rates in {cur} per 1M tokens over time", m.id);
        let _ = write!(b, "<h3>{cur}</h3>");
        b.push_str(&step_chart(&title, cur.as_str(), &ser, now));
        let names: Vec<String> = ser.iter().map(|s| s.name.clone()).collect();
        b.push_str(&legend(&names));
    }
    if m.rows.is_empty() {
        b.push_str("<p>No price rows.</p>");
    }
    b.push_str("</div>");
    // The same history as a table (what a screen reader reads).
    let rows: Vec<Vec<String>> = m
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let s = r.spec();
            let mut extra = Vec::new();
            if let Some(op) = &s.off_peak {
                extra.push(format!(
                    "time of day: {} (in {}: {} in / {} out)",
                    schedule_text(&op.schedule.kind),
                    if matches!(op.schedule.kind, ScheduleKind::PeakWindows { .. }) {
                        "off-peak"
                    } else {
                        "the window"
                    },
                    rate(op.rates.input),
                    rate(op.rates.output)
                ));
            }
            if let Some(lc) = &s.long_context {
                extra.push(format!(
                    "above {} tokens: {} in / {} out",
                    lc.threshold,
                    rate(lc.rates.input),
                    rate(lc.rates.output)
                ));
            }
            for (tier, p) in &s.service_tiers {
                extra.push(match p {
                    TierPricing::Multiplier(x) => format!("{}: ×{}", tier.key(), x.normalize()),
                    TierPricing::Rates(r) => format!(
                        "{}: {} in / {} out",
                        tier.key(),
                        rate(r.input),
                        rate(r.output)
                    ),
                });
            }
            if let Some(n) = &s.note {
                extra.push(n.clone());
            }
            vec![
                s.from.to_string(),
                s.until.map_or_else(|| "now".to_string(), |u| u.to_string()),
                s.currency.to_string(),
                rate(s.rates.input),
                rate(s.rates.cache_read),
                rate(s.rates.cache_write),
                rate(s.rates.cache_write_1h),
                rate(s.rates.output),
                rate(s.rates.reasoning),
                extra.join("; "),
                s.source.clone(),
                m.confidence
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| "—".to_string()),
                m.origins.get(i).map(|o| o.label()).unwrap_or_default(),
            ]
        })
        .collect();
    b.push_str(&crate::html::table(
        "price-history-table",
        "Every price row (per 1M tokens)",
        &[
            "From",
            "Until",
            "Currency",
            "Input",
            "Cache read",
            "Cache write 5m",
            "Cache write 1h",
            "Output",
            "Reasoning",
            "Time of day, tiers, notes",
            "Source",
            "Confidence",
            "Catalog",
        ],
        &[
            false, false, false, true, true, true, true, true, true, false, false, false, false,
        ],
        &rows,
    ));
    b.push_str("<p class=\"note\">Confidence: A official page, B two catalogues agree, C one secondary source.</p></section>");
    let st = state.clone();
    let id = m.id.clone();
    b.push_str(
        &tokio::task::spawn_blocking(move || calculator(&st, &id, &q))
            .await
            .unwrap_or_default(),
    );
    let _ = write!(
        b,
        "<p><a href=\"/api/prices?model={}&amp;history=true\">This model as JSON</a> (what <code>llmcost prices {} --history --format json</code> prints).</p>",
        esc(&crate::query::encode(&m.id)),
        esc(&m.id)
    );
    Html(layout(&format!("Prices: {}", m.id), Nav::Prices, &b)).into_response()
}

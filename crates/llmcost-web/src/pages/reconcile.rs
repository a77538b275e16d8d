//! `/reconcile`: billed against recorded, per day and model, with the
//! explanations (what `llmcost reconcile --format json` says).

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::WebState;
use crate::engine::EngineError;
use crate::html::{Nav, esc, page as layout, table};
use crate::query::Filters;

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    }
}

fn form(f: &Filters, billed: &str) -> String {
    let mut b = String::from(
        "<form class=\"filters\" action=\"/reconcile\" method=\"get\" aria-label=\"Reconcile\">",
    );
    let _ = write!(
        b,
        "<label>Billed (an amount, or a bill file given to <code>llmcost serve --bill</code>)<input type=\"text\" name=\"billed\" value=\"{}\" data-testid=\"billed\"></label>",
        esc(billed)
    );
    for (name, v) in [
        ("since", &f.since),
        ("until", &f.until),
        ("tz", &f.tz),
        ("currency", &f.currency),
    ] {
        let _ = write!(
            b,
            "<label>{name}<input type=\"text\" name=\"{name}\" value=\"{}\"></label>",
            esc(v.as_deref().unwrap_or(""))
        );
    }
    b.push_str("<button type=\"submit\">Reconcile</button></form>");
    b
}

/// The reconcile report's HTML.
#[must_use]
pub fn render(v: &Value) -> String {
    let mut b = String::new();
    let t = v.get("totals").cloned().unwrap_or(Value::Null);
    let cur = s(v, "currency");
    let _ = write!(
        b,
        "<dl class=\"cards\"><div class=\"card\"><dt>Recorded ({cur})</dt><dd data-testid=\"recorded-total\">{}</dd></div><div class=\"card\"><dt>Billed</dt><dd data-testid=\"billed-total\">{}</dd></div><div class=\"card\"><dt>Difference</dt><dd data-testid=\"difference\">{} <span class=\"sub\">{}%</span></dd></div><div class=\"card\"><dt>Within tolerance ({})</dt><dd>{}</dd></div></dl>",
        esc(&s(&t, "ledger_cost")),
        esc(&s(&t, "billed")),
        esc(&s(&t, "difference")),
        esc(&s(&t, "difference_percent")),
        esc(&s(v, "tolerance")),
        if v.get("within_tolerance")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            "yes"
        } else {
            "<strong class=\"warn\">no</strong>"
        }
    );
    let rows: Vec<Vec<String>> = v
        .get("rows")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|r| {
            vec![
                s(r, "date"),
                if r.get("model").is_some_and(Value::is_null) {
                    "(whole day)".into()
                } else {
                    s(r, "model")
                },
                s(r, "ledger_cost"),
                s(r, "billed"),
                s(r, "difference"),
                if r.get("matches").and_then(Value::as_bool).unwrap_or(false) {
                    "yes".into()
                } else {
                    "no".into()
                },
                s(r, "explanation"),
            ]
        })
        .collect();
    b.push_str(&table(
        "reconcile-table",
        &format!("Billed against recorded ({cur})"),
        &[
            "Date",
            "Model",
            "Recorded",
            "Billed",
            "Difference",
            "Matches",
            "Explanation",
        ],
        &[false, false, true, true, true, false, false],
        &rows,
    ));
    b
}

/// `GET /reconcile?billed=...`.
pub async fn page(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let f = Filters::from_query(q.as_deref());
    let billed = crate::query::parse(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "billed")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let mut b = form(&f, &billed);
    if billed.trim().is_empty() {
        b.push_str("<p class=\"note\">Give the amount the provider billed for the period (or the name of a bill file the server was started with) to compare it with what the ledger recorded, per day and model.</p>");
        return Html(layout("Reconcile", Nav::Reconcile, &b)).into_response();
    }
    let st = state.clone();
    let f2 = f.clone();
    let got = tokio::task::spawn_blocking(move || st.engine().reconcile(&f2, &billed)).await;
    match got {
        Ok(Ok(v)) => {
            b.push_str(&render(&v));
            Html(layout("Reconcile", Nav::Reconcile, &b)).into_response()
        }
        Ok(Err(e)) => super::error_page("Reconcile", Nav::Reconcile, &e, &b),
        Err(e) => super::error_page(
            "Reconcile",
            Nav::Reconcile,
            &EngineError {
                status: 500,
                message: e.to_string(),
            },
            &b,
        ),
    }
}

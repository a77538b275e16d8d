//! `/live`: calls through the proxy as they are recorded, and its budgets.
//!
//! The page lists the latest calls (server-rendered); the script then adds
//! each new one from `/live/events` (Server-Sent Events, one `call` event per
//! recorded call, published by the proxy when it queues the record).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::stream::{self, Stream};
use jiff::Timestamp;
use llmcost_ledger::UsageRecord;
use llmcost_proxy::{Budgets, Scope};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::WebState;
use crate::html::{Nav, esc, page as layout};

/// One call as the live feed shows it. The key is its fingerprint only.
#[derive(Debug, Serialize)]
pub struct CallView<'a> {
    /// The record's key.
    pub id: &'a str,
    /// When the call started.
    pub at: String,
    /// Model as the provider echoed it.
    pub model: &'a str,
    /// Upstream name.
    pub upstream: Option<&'a str>,
    /// Provider key.
    pub provider: Option<&'a str>,
    /// Tokens of every bucket.
    pub tokens: u128,
    /// Tokens per bucket.
    pub usage: &'a llmcost_core::Usage,
    /// Exact cost, `None` when unpriced.
    pub cost: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// Total latency.
    pub latency_ms: Option<u64>,
    /// Time to the upstream's headers.
    pub ttfb_ms: Option<u64>,
    /// HTTP status returned.
    pub status: Option<u16>,
    /// The usage may be partial.
    pub incomplete: bool,
    /// Key fingerprint.
    pub key: Option<&'a str>,
    /// Tags.
    pub tags: &'a [String],
    /// Project.
    pub project: Option<&'a str>,
}

impl<'a> CallView<'a> {
    /// The view of a record.
    #[must_use]
    pub fn of(r: &'a UsageRecord) -> CallView<'a> {
        CallView {
            id: &r.dedup_key,
            at: r.at.to_string(),
            model: &r.model,
            upstream: r.origin.as_deref(),
            provider: r.provider.as_deref(),
            tokens: r.usage.total(),
            usage: &r.usage,
            cost: r.cost.map(|c| c.normalize().to_string()),
            currency: r.currency.map(|c| c.as_str().to_string()),
            latency_ms: r.latency_ms,
            ttfb_ms: r.ttfb_ms,
            status: r.status,
            incomplete: r.incomplete,
            key: r.key_fingerprint.as_deref(),
            tags: &r.tags,
            project: r.project.as_deref(),
        }
    }
}

fn row(r: &UsageRecord) -> String {
    let v = CallView::of(r);
    let cost = match (&v.cost, &v.currency) {
        (Some(c), Some(cur)) => format!("{c} {cur}"),
        (Some(c), None) => c.clone(),
        _ => "unpriced".to_string(),
    };
    format!(
        "<tr class=\"call\" data-key=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td>{}</td></tr>",
        esc(v.id),
        r.at.strftime("%Y-%m-%d %H:%M:%S"),
        esc(v.model),
        esc(v.upstream.unwrap_or("")),
        v.tokens,
        esc(&cost),
        v.latency_ms.map_or(String::new(), |l| format!("{l} ms")),
        v.status.map_or(String::new(), |s| s.to_string()),
        if v.incomplete { " (incomplete)" } else { "" },
        esc(v.key.unwrap_or("")),
    )
}

/// A budget's state for the panel and `/api/budgets`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BudgetView {
    /// `global`, `tag:NAME`, `key`, `key:FP`.
    pub scope: String,
    /// The tag or key fingerprint of a per-key account.
    pub subject: Option<String>,
    /// `day` or `month`.
    pub period: String,
    /// The limit.
    pub limit: String,
    /// Spent in the current period.
    pub spent: String,
    /// Its currency.
    pub currency: String,
    /// Start of the period.
    pub since: String,
    /// When it resets.
    pub resets_at: String,
    /// Spend per hour so far this period (rounded to 6 decimals).
    pub burn_per_hour: String,
    /// When the limit is reached at that rate: null when nothing is spent,
    /// or when it would be after the reset.
    pub exhausted_at: Option<String>,
    /// The limit is reached.
    pub spent_out: bool,
}

/// Every budget's current period at `now`: one entry per account with spend,
/// and one with nothing spent for a rule no call has touched yet.
#[must_use]
pub fn budget_views(b: &Budgets, now: Timestamp) -> Vec<BudgetView> {
    let spend = b.spend(now);
    let mut out = Vec::new();
    for rule in b.rules() {
        let (since, resets) = rule.bounds(now);
        let mine: Vec<_> = spend.iter().filter(|s| &s.rule == rule).collect();
        let accounts: Vec<(Option<String>, Decimal)> = if mine.is_empty() {
            vec![(None, Decimal::ZERO)]
        } else {
            mine.iter().map(|s| (s.subject.clone(), s.spent)).collect()
        };
        for (subject, spent) in accounts {
            let elapsed = (now.as_second() - since.as_second()).max(1);
            // Spend per second, exact; per hour for display.
            let per_sec = spent / Decimal::from(elapsed);
            let exhausted_at = if spent >= rule.limit {
                Some(now.to_string())
            } else if per_sec > Decimal::ZERO {
                // Multiply first: (limit - spent) × elapsed / spent is exact more often.
                let secs = ((rule.limit - spent) * Decimal::from(elapsed) / spent).ceil();
                let at = i64::try_from(secs)
                    .ok()
                    .and_then(|s| now.as_second().checked_add(s))
                    .and_then(|s| Timestamp::from_second(s).ok());
                at.filter(|a| *a < resets).map(|a| a.to_string())
            } else {
                None
            };
            out.push(BudgetView {
                scope: match &rule.scope {
                    Scope::Global => "global".into(),
                    other => other.to_string(),
                },
                subject,
                period: match rule.period {
                    llmcost_proxy::Period::Day => "day".into(),
                    llmcost_proxy::Period::Month => "month".into(),
                },
                limit: rule.limit.normalize().to_string(),
                spent: spent.normalize().to_string(),
                currency: rule.currency.as_str().to_string(),
                since: since.to_string(),
                resets_at: resets.to_string(),
                burn_per_hour: (per_sec * Decimal::from(3600))
                    .round_dp(6)
                    .normalize()
                    .to_string(),
                exhausted_at,
                spent_out: spent >= rule.limit,
            });
        }
    }
    out
}

fn budgets_panel(state: &WebState) -> String {
    let mut s =
        String::from("<section aria-labelledby=\"budgets-h\"><h2 id=\"budgets-h\">Budgets</h2>");
    let Some(p) = state.proxy() else {
        s.push_str("<p class=\"note\">Budgets are kept by a running proxy: run <code>llmcost proxy --dashboard</code> to see them here.</p></section>");
        return s;
    };
    let views = budget_views(p.budgets(), Timestamp::now());
    if views.is_empty() {
        s.push_str("<p class=\"note\">This proxy has no budget (<code>--budget global=5USD/day</code>).</p></section>");
        return s;
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                match &v.subject {
                    Some(x) => format!("{} ({x})", v.scope),
                    None => v.scope.clone(),
                },
                format!("{} {}", v.spent, v.currency),
                format!("{} {} / {}", v.limit, v.currency, v.period),
                v.resets_at.clone(),
                format!("{} {}/h", v.burn_per_hour, v.currency),
                if v.spent_out {
                    "spent: calls are refused".to_string()
                } else {
                    v.exhausted_at
                        .clone()
                        .unwrap_or_else(|| "not before the reset".to_string())
                },
            ]
        })
        .collect();
    s.push_str(&crate::html::table(
        "budgets",
        "Spend of each budget in its current period",
        &[
            "Budget",
            "Spent",
            "Limit",
            "Resets at",
            "Burn rate",
            "Projected exhaustion",
        ],
        &[false, true, true, false, true, false],
        &rows,
    ));
    s.push_str("<p class=\"note\">The burn rate is this period's spend over the time elapsed in it; the projection assumes it goes on.</p></section>");
    s
}

/// `GET /live`.
pub async fn page(State(state): State<WebState>) -> Response {
    let mut b = String::new();
    if state.proxy().is_some() {
        b.push_str("<p id=\"live-status\" class=\"live-status\" role=\"status\" aria-live=\"polite\">Calls through this proxy, newest first. With JavaScript they appear as they are recorded; without it, reload the page.</p>");
    } else {
        b.push_str("<p id=\"live-status\" class=\"live-status\" role=\"status\">No proxy runs in this process: start <code>llmcost proxy --dashboard</code> and open its port to watch calls live. Calls the proxy recorded are in the overview (source <code>proxy</code>).</p>");
    }
    let stream = if state.proxy().is_some() {
        " data-stream=\"/live/events\""
    } else {
        ""
    };
    let _ = write!(
        b,
        "<div class=\"table-wrap\"><table id=\"live-feed\" class=\"sortable\" data-testid=\"live-feed\"{stream} aria-describedby=\"live-status\"><caption>Latest calls</caption><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Model</th><th scope=\"col\">Upstream</th><th scope=\"col\" class=\"num\">Tokens</th><th scope=\"col\" class=\"num\">Cost</th><th scope=\"col\" class=\"num\">Latency</th><th scope=\"col\" class=\"num\">Status</th><th scope=\"col\">Key</th></tr></thead><tbody aria-live=\"polite\">"
    );
    let recent = state.recent();
    if recent.is_empty() {
        b.push_str("<tr class=\"empty\"><td colspan=\"8\">No call yet.</td></tr>");
    }
    for r in recent.iter().rev() {
        b.push_str(&row(r));
    }
    b.push_str("</tbody></table></div>");
    b.push_str(&budgets_panel(&state));
    Html(layout("Live", Nav::Live, &b)).into_response()
}

/// `GET /live/events`: `event: call` with a [`CallView`] as JSON, for each
/// call the proxy records from now on. Without a proxy: 404.
pub async fn events(State(state): State<WebState>) -> Response {
    let Some(p) = state.proxy() else {
        return (
            http::StatusCode::NOT_FOUND,
            "no proxy runs in this process: `llmcost proxy --dashboard` streams its calls\n",
        )
            .into_response();
    };
    let rx = p.subscribe_calls();
    Sse::new(call_stream(rx, state.closing()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn call_stream(
    rx: tokio::sync::broadcast::Receiver<llmcost_proxy::CallEvent>,
    closing: tokio::sync::watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        let got = tokio::select! {
            r = rx.recv() => r,
            _ = closing.wait_for(|c| *c) => return None,
        };
        let ev = match got {
            Ok(r) => {
                let data = serde_json::to_string(&CallView::of(&r)).unwrap_or_default();
                Event::default().event("call").data(data)
            }
            Err(RecvError::Lagged(n)) => Event::default()
                .event("lagged")
                .data(format!("{{\"skipped\":{n}}}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(ev), (rx, closing)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmcost_core::Currency;
    use llmcost_proxy::{BudgetRule, Period};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn untouched_budget_shows_zero_and_its_reset() {
        let b = Budgets::new(vec![BudgetRule {
            scope: Scope::Global,
            limit: Decimal::from(5),
            currency: Currency::USD,
            period: Period::Day,
            tz: None,
        }]);
        let v = budget_views(&b, ts("2026-11-23T06:00:00Z"));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].spent, "0");
        assert_eq!(v[0].resets_at, "2026-11-24T00:00:00Z");
        assert_eq!(v[0].burn_per_hour, "0");
        assert_eq!(v[0].exhausted_at, None);
    }

    #[test]
    fn burn_rate_projects_exhaustion() {
        let b = Budgets::new(vec![BudgetRule {
            scope: Scope::Global,
            limit: Decimal::from(5),
            currency: Currency::USD,
            period: Period::Day,
            tz: None,
        }]);
        let now = ts("2026-11-23T06:00:00Z");
        // 1.5 USD spent in the 6 h since 00:00: 0.25 USD/h; the 3.5 USD left
        // last 14 h more, so the limit is reached at 20:00, before the reset.
        b.preload(now, now, None, &[], "m", &|_| Some(Decimal::new(15, 1)));
        let v = budget_views(&b, now);
        assert_eq!(v[0].spent, "1.5");
        assert_eq!(v[0].burn_per_hour, "0.25");
        assert_eq!(v[0].exhausted_at.as_deref(), Some("2026-11-23T20:00:00Z"));
        assert!(!v[0].spent_out);
    }
}

//! The read-only JSON API: what the CLI's `--format json` prints for the same
//! question, from the same engines. Described in `docs/openapi.json`.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::WebState;
use crate::engine::EngineError;
use crate::query::Filters;

/// The OpenAPI description of this API.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

fn json(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_string_pretty(v).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(e: &EngineError) -> Response {
    json(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &serde_json::json!({"error": {"status": e.status, "message": e.message}}),
    )
}

async fn blocking(f: impl FnOnce() -> Result<Value, EngineError> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => json(StatusCode::OK, &v),
        Ok(Err(e)) => error(&e),
        Err(e) => error(&EngineError {
            status: 500,
            message: format!("the engine failed: {e}"),
        }),
    }
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /api/report/{period}?since&until&tz&currency&fx&model&project&tag&key&device&source&group`.
pub async fn report(
    State(state): State<WebState>,
    Path(period): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let f = Filters::from_query(q.as_deref());
    blocking(move || state.engine().report(&period, &f)).await
}

/// `GET /api/reconcile?billed=...` (and the report's filters).
pub async fn reconcile(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let f = Filters::from_query(q.as_deref());
    let billed = crate::query::parse(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "billed")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if billed.trim().is_empty() {
        return error(&EngineError::bad(
            "give `billed`: an amount, or the name of a bill file the server was started with",
        ));
    }
    blocking(move || state.engine().reconcile(&f, &billed)).await
}

/// `GET /api/prices?model&at&provider&history&currency`.
pub async fn prices(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let pairs = crate::query::parse(q.as_deref());
    blocking(move || state.engine().prices(&pairs)).await
}

/// `GET /api/compare?model=A&model=B&input&output&cache_read&ratio&total&at&currency`.
pub async fn compare(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let pairs = crate::query::parse(q.as_deref());
    blocking(move || state.engine().compare(&pairs)).await
}

/// `GET /api/forecast?model&requests_per_day&input&output&days&...`.
pub async fn forecast(State(state): State<WebState>, RawQuery(q): RawQuery) -> Response {
    let pairs = crate::query::parse(q.as_deref());
    blocking(move || state.engine().forecast(&pairs)).await
}

/// `GET /api/budgets`: the proxy's budgets in their current period.
pub async fn budgets(State(state): State<WebState>) -> Response {
    let Some(p) = state.proxy() else {
        return error(&EngineError {
            status: 404,
            message: "no proxy runs in this process: `llmcost proxy --dashboard` has budgets"
                .into(),
        });
    };
    let views = crate::live::budget_views(p.budgets(), jiff::Timestamp::now());
    json(
        StatusCode::OK,
        &serde_json::json!({ "at": jiff::Timestamp::now().to_string(), "budgets": views }),
    )
}

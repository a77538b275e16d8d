//! The server-rendered pages.

pub mod overview;
pub mod prices;
pub mod reconcile;

use axum::response::{Html, IntoResponse, Response};

use crate::engine::EngineError;
use crate::html::{Nav, esc, page};

/// A page saying what went wrong (with the engine's status).
#[must_use]
pub fn error_page(title: &str, nav: Nav, e: &EngineError, before: &str) -> Response {
    let body = format!(
        "{before}<div role=\"alert\" class=\"warn\" data-testid=\"error\"><p><strong>Cannot show this:</strong> {}</p></div>",
        esc(&e.message)
    );
    let mut r = Html(page(title, nav, &body)).into_response();
    *r.status_mut() =
        http::StatusCode::from_u16(e.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// Any other path: 404.
pub async fn not_found() -> Response {
    let mut r = Html(page(
        "Not found",
        Nav::None,
        "<p>No such page. Try the <a href=\"/\">overview</a>.</p>",
    ))
    .into_response();
    *r.status_mut() = http::StatusCode::NOT_FOUND;
    r
}

//! The llmcost web dashboard: `llmcost serve`, and `llmcost proxy --dashboard`
//! on the proxy's port.
//!
//! * Pages, server-rendered and readable without JavaScript: `/` (overview),
//!   `/live` (calls through the proxy and its budgets), `/prices` and
//!   `/prices/<model>` (price history as a step chart), `/reconcile`.
//! * A read-only JSON API under `/api/` returning what the CLI's
//!   `--format json` returns for the same question, described in
//!   `docs/openapi.json` (served at `/api/openapi.json`).
//! * Charts are SVG drawn here ([`svg`]); assets are embedded; the one script
//!   (`assets/app.js`) only enhances (live feed, sorting, filters that submit).
//! * Security: only GET and HEAD; a token for anything but loopback
//!   ([`check_listen`]); CSP and friends on every response; key fingerprints
//!   only, never keys.
#![deny(missing_docs)]

mod api;
mod assets;
pub mod engine;
pub mod html;
mod live;
mod pages;
pub mod query;
mod security;
pub mod svg;

use std::collections::VecDeque;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::routing::get;
use llmcost_catalog::Catalog;
use llmcost_proxy::{CallEvent, ProxyState};

pub use crate::security::{COOKIE, CSP};

/// Errors of setting the dashboard up.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A non-loopback address without a token.
    #[error(
        "{0} is not a loopback address: the dashboard would be open to the network. Give a token with `--token TOKEN` or `--token-file FILE` (then open it with ?token=TOKEN once, or send `Authorization: Bearer TOKEN`), or listen on 127.0.0.1"
    )]
    NeedsToken(String),
    /// The listen address cannot be resolved.
    #[error("cannot resolve the listen address `{0}`: {1}")]
    Address(String, String),
    /// An empty token.
    #[error("the token is empty: give at least 16 characters")]
    EmptyToken,
}

/// Checks `listen` against the token rule: loopback needs none, any other
/// address needs one. Returns the resolved addresses.
///
/// # Errors
/// [`WebError::NeedsToken`] for a non-loopback address without a token,
/// [`WebError::Address`] for one that does not resolve.
pub fn check_listen(listen: &str, token: Option<&str>) -> Result<Vec<SocketAddr>, WebError> {
    if token.is_some_and(|t| t.trim().is_empty()) {
        return Err(WebError::EmptyToken);
    }
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| WebError::Address(listen.to_string(), e.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(WebError::Address(listen.to_string(), "no address".into()));
    }
    if token.is_none()
        && let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback())
    {
        return Err(WebError::NeedsToken(a.to_string()));
    }
    Ok(addrs)
}

/// What the dashboard serves.
#[derive(Debug, Clone)]
pub struct Options {
    /// What answers reports, reconcile and quotes.
    pub engine: Arc<dyn engine::Engine>,
    /// The access token (required off loopback; see [`check_listen`]).
    pub token: Option<String>,
    /// The price catalog (built-in plus the user's layers).
    pub catalog: &'static Catalog,
    /// The proxy in this process, for `/live` (`llmcost proxy --dashboard`).
    pub proxy: Option<ProxyState>,
}

/// The shared state of the dashboard.
#[derive(Debug, Clone)]
pub struct WebState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    opts: Options,
    /// The latest calls through the proxy, newest last (for `/live` without JS).
    recent: Mutex<VecDeque<CallEvent>>,
    /// True once the server shuts down: live streams end.
    closing: tokio::sync::watch::Sender<bool>,
}

/// Calls kept for the server-rendered live feed.
const RECENT: usize = 100;

impl WebState {
    /// The state; with a proxy, a thread keeps its latest calls.
    #[must_use]
    pub fn new(opts: Options) -> WebState {
        let rx = opts.proxy.as_ref().map(ProxyState::subscribe_calls);
        let state = WebState(Arc::new(Inner {
            opts,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            closing: tokio::sync::watch::Sender::new(false),
        }));
        if let Some(mut rx) = rx {
            let weak = Arc::downgrade(&state.0);
            let _ = std::thread::Builder::new()
                .name("llmcost-web-recent".into())
                .spawn(move || {
                    loop {
                        match rx.blocking_recv() {
                            Ok(ev) => {
                                let Some(inner) = weak.upgrade() else { return };
                                let mut q =
                                    inner.recent.lock().unwrap_or_else(PoisonError::into_inner);
                                if q.len() == RECENT {
                                    q.pop_front();
                                }
                                q.push_back(ev);
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                        }
                    }
                });
        }
        state
    }

    /// Ends the live streams (they never end otherwise), so a graceful
    /// shutdown does not wait for open `/live` pages.
    pub fn close(&self) {
        self.0.closing.send_replace(true);
    }

    fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.0.opts
    }

    fn token(&self) -> Option<&str> {
        self.0.opts.token.as_deref()
    }

    fn engine(&self) -> &dyn engine::Engine {
        self.0.opts.engine.as_ref()
    }

    fn catalog(&self) -> &'static Catalog {
        self.0.opts.catalog
    }

    fn proxy(&self) -> Option<&ProxyState> {
        self.0.opts.proxy.as_ref()
    }

    fn recent(&self) -> Vec<CallEvent> {
        self.0
            .recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// The dashboard's routes, behind the read-only/token/headers guard.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::overview::page))
        .route("/live", get(live::page))
        .route("/live/events", get(live::events))
        .route("/prices", get(pages::prices::search))
        .route("/prices/{*model}", get(pages::prices::model))
        .route("/reconcile", get(pages::reconcile::page))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/report/{period}", get(api::report))
        .route("/api/reconcile", get(api::reconcile))
        .route("/api/prices", get(api::prices))
        .route("/api/compare", get(api::compare))
        .route("/api/forecast", get(api::forecast))
        .route("/api/budgets", get(api::budgets))
        .route("/assets/{file}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

/// The paths the dashboard answers on the proxy's port; every other path is
/// proxied (for [`llmcost_proxy::ExtraRoutes`]).
#[must_use]
pub fn claims(path: &str) -> bool {
    matches!(
        path,
        "/" | "/live" | "/prices" | "/reconcile" | "/favicon.ico"
    ) || ["/live/", "/prices/", "/api/", "/assets/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Serves the dashboard on `listener` until `shutdown` resolves.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let s = state.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            s.close();
        })
        .await
}

/// The token in a `--token-file`'s text: the text without surrounding
/// whitespace; `None` when nothing is left.
#[must_use]
pub fn token_from_file_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_needs_no_token_and_others_do() {
        assert!(check_listen("127.0.0.1:0", None).is_ok());
        assert!(check_listen("[::1]:0", None).is_ok());
        assert!(matches!(
            check_listen("0.0.0.0:0", None),
            Err(WebError::NeedsToken(_))
        ));
        assert!(check_listen("0.0.0.0:0", Some("0123456789abcdef")).is_ok());
        assert!(matches!(
            check_listen("127.0.0.1:0", Some("  ")),
            Err(WebError::EmptyToken)
        ));
    }

    #[test]
    fn claims_only_dashboard_paths() {
        for p in [
            "/",
            "/live",
            "/live/events",
            "/prices/gpt-4o",
            "/api/report/daily",
            "/assets/app.js",
        ] {
            assert!(claims(p), "{p}");
        }
        for p in [
            "/openai/v1/chat/completions",
            "/v1/chat/completions",
            "/health",
            "/metrics",
            "/anthropic/v1/messages",
        ] {
            assert!(!claims(p), "{p}");
        }
    }
}

//! Integration tests of the metering proxy, run in-process against a mock
//! upstream; everything binds 127.0.0.1:0.
#![expect(
    clippy::expect_used,
    reason = "test helpers (mock, harness) fail the test on a setup error"
)]

mod budgets; // budgets: sequential, concurrent (reserve/commit), scopes, spend read at start
mod errors; // upstream errors passed through unchanged, unreachable upstream, dropped streams
mod faults; // fault injection: failing/locked/full ledger and the spill file, hangs, drains, limits
mod mock; // the mock upstream
mod ops; // /health, /metrics, shutdown flushes, ledger failures never fail a call
mod outbound; // HTTPS verification, --ca-file, HTTPS_PROXY, forwarding only to configured upstreams
mod routes; // every route and provider shape, JSON
mod secrets; // keys never reach the ledger or the logs; injected keys
mod streaming; // SSE pass-through byte for byte, usage from streams, disconnects

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use llmcost_core::{Currency, Decimal};
use llmcost_ledger::Ledger;
use llmcost_proxy::{Proxy, ProxyState, Settings, WriterReport};

/// A ledger in memory, shared with the test (clones share the store).
pub use llmcost_ledger_tests::MemLedger;

/// A proxy served on 127.0.0.1:0 with a [`MemLedger`].
pub struct Harness {
    pub url: String,
    pub ledger: MemLedger,
    pub state: ProxyState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<WriterReport>>,
}

impl Harness {
    pub async fn start(settings: Settings) -> Harness {
        Harness::with_ledger(settings, MemLedger::default()).await
    }

    pub async fn with_ledger(settings: Settings, ledger: MemLedger) -> Harness {
        let mut h = Harness::with_any(settings, Box::new(ledger.clone())).await;
        h.ledger = ledger;
        h
    }

    /// A proxy over any ledger (`self.ledger` is then an unused [`MemLedger`]).
    pub async fn with_any(settings: Settings, ledger: Box<dyn Ledger>) -> Harness {
        let proxy = Proxy::start(settings, ledger).expect("proxy starts");
        let ledger = MemLedger::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = proxy.state();
        // As `llmcost proxy` serves: two serving threads, each with its own runtime.
        let served = proxy.state();
        let task = tokio::task::spawn_blocking(move || {
            llmcost_proxy::serve_threads(listener, served, 2, async move {
                let _ = rx.await;
            })
        });
        Harness {
            url,
            ledger,
            state,
            stop: Some(tx),
            task,
        }
    }

    /// Stops the proxy; returns the writer's totals.
    pub async fn stop(mut self) -> WriterReport {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let task = std::mem::replace(
            &mut self.task,
            tokio::spawn(async { Ok(WriterReport::default()) }),
        );
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("stops in time")
            .expect("joins")
            .expect("serves")
    }
}

/// Settings with the mock as `openai`, `anthropic`, `xai` and the default upstream.
pub fn settings_for(mock_url: &str) -> Settings {
    let cli = llmcost_proxy::CliOverrides {
        upstreams: vec![
            format!("openai={mock_url}"),
            format!("anthropic={mock_url}"),
            format!("xai={mock_url}"),
            format!("gem={mock_url}/v1beta/openai,kind=gemini"),
            mock_url.to_string(),
        ],
        budgets: vec![],
        fx: vec![],
    };
    let file = llmcost_proxy::FileConfig {
        builtin_upstreams: Some(false),
        ..llmcost_proxy::FileConfig::default()
    };
    let base = Settings::resolve(&file, &cli, &|_| None).expect("settings");
    Settings {
        writer: Settings::for_tests().writer,
        ..base
    }
}

pub type TestClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A response read whole.
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

pub async fn send(
    c: &TestClient,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Got {
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if method == "POST" {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let resp = c.request(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Got {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn post(c: &TestClient, url: &str, body: &str) -> Got {
    send(
        c,
        "POST",
        url,
        &[("authorization", "Bearer sk-test-key")],
        body,
    )
    .await
}

pub fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub const USD: Currency = Currency::USD;

/// Cost of the mock's chat usage (58 in, 52 out) for gpt-4o-mini at 0.15 / 0.60
/// per million: 58×0.15 + 52×0.6 = 39.9 per million.
pub const CHAT_COST: &str = "0.0000399";

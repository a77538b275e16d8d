//! The forwarding handler and the metering lifecycle of one call.
//!
//! 1. Route by path prefix to an upstream; classify the endpoint.
//! 2. Metered endpoints: read the (small) request body for `model` and
//!    `stream`, inject `stream_options.include_usage` where configured, and ask
//!    the budgets to admit the call (429 before forwarding otherwise).
//! 3. Forward through the pooled client.
//! 4. A JSON response is read whole, its usage extracted and the call recorded
//!    before the response goes out; an SSE response passes through frame by
//!    frame while a copy of each chunk feeds the [`SseUsage`] reader.
//! 5. The [`Meter`] is finalised exactly once: at the stream's final event or
//!    end, on an upstream error, or in `Drop` when the client went away (the
//!    record is then marked incomplete).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri};
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use llmcost_catalog::PriceRefs;
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_ledger::UsageRecord;
use llmcost_usage::Shape;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::budget::Reservation;
use crate::client::Checkin;
use crate::config::{ProviderKind, Upstream};
use crate::error::ProxyError;
use crate::sse::{SseUsage, raw_usage_of};
use crate::writer::Msg;
use crate::{ProxyState, Shared};

/// What a path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST …/chat/completions`.
    Chat,
    /// `POST …/completions` (legacy and FIM).
    Completions,
    /// `POST …/embeddings`.
    Embeddings,
    /// `POST …/responses`.
    Responses,
    /// `POST …/messages` (Anthropic).
    Messages,
    /// Anything else: forwarded unchanged, recorded without usage.
    Unmetered,
}

impl Endpoint {
    /// Classifies a request by method and path (after the upstream prefix).
    #[must_use]
    pub fn classify(method: &Method, path: &str) -> Endpoint {
        if method != Method::POST {
            return Endpoint::Unmetered;
        }
        let p = path.trim_end_matches('/');
        if p.ends_with("/chat/completions") {
            Endpoint::Chat
        } else if p.ends_with("/completions") {
            Endpoint::Completions
        } else if p.ends_with("/embeddings") {
            Endpoint::Embeddings
        } else if p.ends_with("/responses") {
            Endpoint::Responses
        } else if p.ends_with("/messages") {
            Endpoint::Messages
        } else {
            Endpoint::Unmetered
        }
    }

    fn metered(self) -> bool {
        self != Endpoint::Unmetered
    }

    fn hint(self) -> Option<Shape> {
        (self == Endpoint::Messages).then_some(Shape::Anthropic)
    }

    fn takes_include_usage(self) -> bool {
        matches!(self, Endpoint::Chat | Endpoint::Completions)
    }
}

/// Short fingerprint of an API key: the first 12 hex digits of
/// SHA-256(`salt` `:` `key`), or of SHA-256(`key`) with an empty salt (what
/// proxies before the per-ledger salt recorded). The salt is the ledger's
/// ([`crate::key_salt`]), so the same key has unrelated fingerprints in two
/// ledgers, and a short fingerprint cannot be matched against a list of
/// leaked keys without the ledger.
#[must_use]
pub fn fingerprint(salt: &str, key: &str) -> String {
    let mut d = Sha256::new();
    if !salt.is_empty() {
        d.update(salt.as_bytes());
        d.update(b":");
    }
    d.update(key.as_bytes());
    let h = d.finalize();
    let mut s = String::with_capacity(12);
    for b in &h[..6] {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The API key a client sent: `Authorization: Bearer`, `x-api-key`,
/// `x-goog-api-key` or `api-key`.
fn client_key(h: &HeaderMap) -> Option<&str> {
    if let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        let k = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim();
        if !k.is_empty() {
            return Some(k);
        }
    }
    [&X_API_KEY, &X_GOOG_API_KEY, &API_KEY]
        .iter()
        .find_map(|n| h.get(*n).and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

fn header_list(h: &HeaderMap, name: &HeaderName) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in h.get_all(name) {
        if let Ok(s) = v.to_str() {
            for t in s.split(',') {
                let t = t.trim();
                if !t.is_empty() && !out.iter().any(|x| x == t) {
                    out.push(t.to_string());
                }
            }
        }
    }
    out
}

fn header_str(h: &HeaderMap, name: &HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_GOOG_API_KEY: HeaderName = HeaderName::from_static("x-goog-api-key");
const API_KEY: HeaderName = HeaderName::from_static("api-key");
const X_LLMCOST_TAG: HeaderName = HeaderName::from_static("x-llmcost-tag");
const X_LLMCOST_PROJECT: HeaderName = HeaderName::from_static("x-llmcost-project");
const X_LLMCOST_SESSION: HeaderName = HeaderName::from_static("x-llmcost-session");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

const HOP: [HeaderName; 6] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::TE,
    header::TRAILER,
    header::PROXY_AUTHORIZATION,
];

fn strip_hop_by_hop(h: &mut HeaderMap) {
    for n in &HOP {
        h.remove(n);
    }
    h.remove(KEEP_ALIVE);
    h.remove(PROXY_CONNECTION);
}

/// The few request fields the proxy needs.
#[derive(Debug, Default, Deserialize)]
struct ReqInfo<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Default, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

fn inject_include_usage(body: &[u8]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object_mut()?;
    let so = obj
        .entry("stream_options")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if !so.is_object() {
        *so = serde_json::Value::Object(serde_json::Map::new());
    }
    so.as_object_mut()?
        .insert("include_usage".into(), serde_json::Value::Bool(true));
    serde_json::to_vec(&v).ok()
}

/// Usage found in a response.
#[derive(Debug, Default)]
struct Found {
    usage: Option<Usage>,
    model: Option<String>,
    service_tier: Option<ServiceTier>,
    reported_cost_usd_ticks: Option<i64>,
    raw_usage: Option<String>,
}

impl Found {
    fn of_json(body: &[u8], hint: Option<Shape>) -> Found {
        match llmcost_usage::extract_ref_with_hint(body, hint) {
            Ok(e) => Found {
                usage: Some(e.usage),
                model: e.model.map(Cow::into_owned),
                service_tier: e.service_tier,
                reported_cost_usd_ticks: e.reported_cost_usd_ticks,
                raw_usage: raw_usage_of(body),
            },
            Err(_) => Found::default(),
        }
    }

    fn of_stream(p: &mut SseUsage) -> Found {
        p.finish();
        Found {
            usage: p.usage(),
            model: p.model().map(str::to_string),
            service_tier: p.service_tier(),
            reported_cost_usd_ticks: p.reported_cost_usd_ticks(),
            raw_usage: p.raw_usage().map(str::to_string),
        }
    }
}

thread_local! {
    /// Provenance texts of the price rows used on this thread (the catalog is
    /// `'static`, so its rows' addresses are stable keys).
    static PRICE_REFS: RefCell<PriceRefs> = RefCell::new(PriceRefs::default());
}

/// The metering context of one call; finalised exactly once.
struct Meter {
    st: ProxyState,
    upstream: usize,
    endpoint: Endpoint,
    at: Timestamp,
    start: Instant,
    ttfb: Option<Duration>,
    status: u16,
    model: Option<String>,
    key_fp: Option<String>,
    tags: Vec<String>,
    project: Option<String>,
    session: Option<String>,
    reservation: Reservation,
    parser: Option<SseUsage>,
    done: bool,
}

impl Meter {
    fn finish(&mut self, found: Found, incomplete: bool, failed: bool) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        if self.status == 0 {
            // The client went away before the upstream answered (nginx's 499).
            self.status = 499;
        }
        let st: &Shared = &self.st.0;
        let latency = self.start.elapsed();
        let currency = st.settings.currency;
        let metered = self.endpoint.metered();
        let model = if metered {
            found
                .model
                .or_else(|| self.model.take())
                .unwrap_or_else(|| "unknown".to_string())
        } else {
            "unmetered".to_string()
        };
        let success = (200..300).contains(&self.status);
        let incomplete = incomplete || (metered && success && found.usage.is_none());
        let usage = found.usage.unwrap_or_default();
        let tier = found.service_tier.unwrap_or(ServiceTier::Standard);
        // An error answer used nothing (priced at zero tokens); a call cut short
        // without usage has an unknown cost (`None`, never 0).
        let priceable = metered && (found.usage.is_some() || (!success && !incomplete));
        let price_in = |cur: Currency| -> Option<(Decimal, String)> {
            if !priceable {
                return None;
            }
            // The provenance text of a price row is made once per thread and row.
            PRICE_REFS.with_borrow_mut(|refs| {
                st.catalog
                    .price_usage_with(&model, self.at, cur, &usage, tier, refs)
                    .ok()
            })
        };
        let priced = price_in(currency);
        let reservation = std::mem::take(&mut self.reservation);
        if !reservation.is_empty() {
            let recorded = priced.as_ref().map(|p| (p.0, currency));
            st.budgets.commit(reservation, &|cur| {
                if !priceable {
                    return None;
                }
                crate::cost_in(
                    st.catalog,
                    &st.settings,
                    cur,
                    recorded,
                    &model,
                    self.at,
                    &usage,
                    tier,
                )
            });
        }
        st.metrics.observe(
            self.upstream,
            &model,
            self.status,
            &usage,
            priced.as_ref().map(|p| (p.0, currency)),
            incomplete,
            Some(latency),
            failed,
        );
        let up = &st.settings.upstreams[self.upstream];
        tracing::debug!(
            upstream = %up.name,
            model = %model,
            status = self.status,
            latency_us = latency.as_micros() as u64,
            input = usage.prompt_tokens(),
            output = usage.completion_tokens(),
            incomplete,
            "call recorded"
        );
        if !metered && !st.settings.record_unmetered {
            return;
        }
        let seq = st.seq.fetch_add(1, Relaxed);
        // A sequenced key (`seq:<stem>:<n>`): the ledger keeps consecutive calls
        // side by side in its key index.
        let mut key = String::with_capacity(10 + st.boot.len() + 21);
        key.push_str("seq:proxy-");
        key.push_str(&st.boot);
        let _ = write!(key, ":{seq}");
        let mut r = UsageRecord::new(key, self.at, "proxy", model, usage);
        r.origin = Some(up.name.clone());
        r.provider = Some(up.kind.provider().to_string());
        r.project = self.project.take();
        r.session = self.session.take();
        r.device.clone_from(&st.settings.device);
        r.service_tier = tier;
        if let Some((cost, pref)) = priced {
            r.cost = Some(cost);
            r.currency = Some(currency);
            r.price_ref = Some(pref);
        }
        if let Some(t) = found.reported_cost_usd_ticks {
            r.billed = Some(Decimal::new(t, 10));
            r.billed_currency = Some(Currency::USD);
        }
        r.raw_usage = found.raw_usage;
        r.tags = std::mem::take(&mut self.tags);
        if !metered {
            r.tags.push("unmetered".into());
        }
        r.status = Some(self.status);
        r.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        r.ttfb_ms = self
            .ttfb
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        r.key_fingerprint = self.key_fp.take();
        r.incomplete = incomplete;
        if st.calls.receiver_count() > 0 {
            let _ = st.calls.send(std::sync::Arc::new(r.clone()));
        }
        st.metrics.queue_depth.fetch_add(1, Relaxed);
        if let Err(e) = st.tx.try_send(Msg::Record(Box::new(r))) {
            st.metrics.queue_depth.fetch_sub(1, Relaxed);
            let n = st.metrics.dropped.fetch_add(1, Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "ledger queue full: record dropped");
            }
            // Never stored: the fleet stops counting its pending spend.
            if st.budgets.is_fleet()
                && let std::sync::mpsc::TrySendError::Full(Msg::Record(r))
                | std::sync::mpsc::TrySendError::Disconnected(Msg::Record(r)) = e
            {
                st.budgets.unstored(std::slice::from_ref(&*r), &|r, cur| {
                    crate::record_cost_in(st.catalog, &st.settings, r, cur)
                });
            }
        }
    }

    fn finish_stream(&mut self, incomplete: bool, failed: bool) {
        let found = self
            .parser
            .as_mut()
            .map(Found::of_stream)
            .unwrap_or_default();
        self.finish(found, incomplete, failed);
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        if !self.done {
            self.finish_stream(true, false);
        }
    }
}

/// A response body passed through unchanged while it is metered; at its end
/// the upstream connection goes back to its pool.
struct MeteredBody {
    /// `None` only once handed to the task that reads an abandoned stream to its usage.
    inner: Option<Incoming>,
    meter: Option<Box<Meter>>,
    checkin: Option<Checkin>,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let r = Pin::new(&mut *inner).poll_frame(cx);
        let end = inner.is_end_stream();
        let ended = match &r {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(_))) => end,
            _ => false,
        };
        if ended && let Some(c) = this.checkin.take() {
            c.give_back();
        }
        if let Some(m) = this.meter.as_mut() {
            match &r {
                Poll::Ready(Some(Ok(frame))) => {
                    let done = match (frame.data_ref(), m.parser.as_mut()) {
                        (Some(d), Some(p)) => p.push(d),
                        _ => false,
                    };
                    if done || end {
                        m.finish_stream(false, false);
                        this.meter = None;
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::warn!(error = %e, "upstream response failed mid-stream");
                    m.finish_stream(true, true);
                    this.meter = None;
                }
                Poll::Ready(None) => {
                    m.finish_stream(false, false);
                    this.meter = None;
                }
                Poll::Pending => {}
            }
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

impl Drop for MeteredBody {
    /// The client went away mid-stream. The provider bills what it generated,
    /// and OpenAI-style streams carry their usage only at the end: keep reading
    /// the upstream for at most `abandoned_stream_drain` to learn it. The
    /// record is incomplete either way (the client did not get the whole answer).
    fn drop(&mut self) {
        let Some(mut m) = self.meter.take() else {
            return;
        };
        let limit = m.st.0.settings.abandoned_stream_drain;
        let (Some(inner), Some(_), false, Ok(rt)) = (
            self.inner.take(),
            m.parser.as_ref(),
            limit.is_zero(),
            tokio::runtime::Handle::try_current(),
        ) else {
            m.finish_stream(true, false);
            return;
        };
        let checkin = self.checkin.take();
        rt.spawn(async move {
            let mut inner = inner;
            let read = tokio::time::timeout(limit, async {
                while let Some(frame) = inner.frame().await {
                    let Ok(frame) = frame else { return false };
                    if let (Some(d), Some(p)) = (frame.data_ref(), m.parser.as_mut())
                        && p.push(d)
                    {
                        return inner.is_end_stream();
                    }
                }
                true
            })
            .await;
            if read == Ok(true)
                && inner.is_end_stream()
                && let Some(c) = checkin
            {
                c.give_back();
            }
            tracing::debug!(read_to_usage = read.is_ok(), "abandoned stream drained");
            // If this task is dropped instead (shutdown), `Meter`'s drop records it.
            m.finish_stream(true, false);
        });
    }
}

/// The fallback handler: everything that is not `/health` or `/metrics`.
pub(crate) async fn forward(State(state): State<ProxyState>, req: Request) -> Response {
    let start = Instant::now();
    let at = Timestamp::now();
    let st: &Shared = &state.0;
    let (mut parts, body) = req.into_parts();
    let Some((ui, rest)) = st.route(parts.uri.path()) else {
        st.metrics.no_upstream.fetch_add(1, Relaxed);
        return ProxyError::NoUpstream {
            path: parts.uri.path().to_string(),
            known: st.upstream_names.clone(),
        }
        .into_response();
    };
    if st.metrics.health.refusing.load(Relaxed) {
        st.metrics.ledger_refused.fetch_add(1, Relaxed);
        return ProxyError::Unavailable(format!(
            "the proxy cannot record calls: {}; calls are refused until records can be written again",
            st.metrics.health.reason().unwrap_or_else(|| "the ledger fails".into())
        ))
        .into_response();
    }
    let up: &Upstream = &st.settings.upstreams[ui];
    let path = &parts.uri.path()[rest..];
    let endpoint = Endpoint::classify(&parts.method, path);
    let uri = {
        let mut pq = String::with_capacity(up.base_path.len() + path.len() + 64);
        pq.push_str(&up.base_path);
        if !path.starts_with('/') {
            pq.push('/');
        }
        pq.push_str(path);
        if let Some(q) = parts.uri.query() {
            pq.push('?');
            pq.push_str(q);
        }
        // Origin form: the pooled client sends it as is, with a `Host` header.
        Uri::try_from(pq)
    };
    let uri = match uri {
        Ok(u) => u,
        Err(e) => return ProxyError::BadRequest(format!("invalid path: {e}")).into_response(),
    };
    let h = &mut parts.headers;
    let tags = header_list(h, &X_LLMCOST_TAG);
    let project = header_str(h, &X_LLMCOST_PROJECT);
    let session = header_str(h, &X_LLMCOST_SESSION);
    let key_fp = client_key(h)
        .or_else(|| up.api_key.as_ref().map(|k| k.expose()))
        .map(|k| fingerprint(&st.key_salt, k));
    strip_hop_by_hop(h);
    h.remove(header::HOST);
    for n in [X_LLMCOST_TAG, X_LLMCOST_PROJECT, X_LLMCOST_SESSION] {
        h.remove(n);
    }
    if let Some(k) = &up.api_key {
        h.remove(header::AUTHORIZATION);
        h.remove(X_API_KEY);
        h.remove(X_GOOG_API_KEY);
        let set = if up.kind == ProviderKind::Anthropic {
            HeaderValue::from_str(k.expose()).map(|v| (X_API_KEY, v))
        } else {
            HeaderValue::from_str(&format!("Bearer {}", k.expose()))
                .map(|v| (header::AUTHORIZATION, v))
        };
        if let Ok((n, mut v)) = set {
            v.set_sensitive(true);
            h.insert(n, v);
        }
    }
    let mut meter = Meter {
        st: state.clone(),
        upstream: ui,
        endpoint,
        at,
        start,
        ttfb: None,
        status: 0,
        model: None,
        key_fp,
        tags,
        project,
        session,
        reservation: Reservation::default(),
        parser: None,
        done: false,
    };
    let body = if endpoint.metered() {
        // Compressed answers could not be read for usage.
        h.remove(header::ACCEPT_ENCODING);
        let limit = st.settings.max_request_body;
        let too_large = || {
            ProxyError::TooLarge(format!(
                "the request body is larger than the proxy's limit of {limit} bytes (max-request-body)"
            ))
            .into_response()
        };
        let declared = h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            meter.done = true;
            return too_large();
        }
        let bytes = match http_body_util::Limited::new(body, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                meter.done = true;
                if e.is::<http_body_util::LengthLimitError>() {
                    return too_large();
                }
                return ProxyError::BadRequest(format!("could not read the request body: {e}"))
                    .into_response();
            }
        };
        let info: ReqInfo<'_> = serde_json::from_slice(&bytes).unwrap_or_default();
        let model = info.model.as_deref().unwrap_or_default().to_string();
        let streaming = info.stream == Some(true);
        let has_include = info.stream_options.as_ref().and_then(|s| s.include_usage) == Some(true);
        let bytes =
            if streaming && up.include_usage && endpoint.takes_include_usage() && !has_include {
                inject_include_usage(&bytes).map_or(bytes, Bytes::from)
            } else {
                bytes
            };
        match st
            .budgets
            .admit(at, meter.key_fp.as_deref(), &meter.tags, &model)
        {
            Ok(r) => meter.reservation = r,
            Err(e) => {
                meter.done = true;
                st.metrics.budget_refused.fetch_add(1, Relaxed);
                tracing::info!(upstream = %up.name, model = %model, "refused: {e}");
                return e.into_response();
            }
        }
        if !model.is_empty() {
            meter.model = Some(model);
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        Body::from(bytes)
    } else {
        body
    };
    parts.uri = uri;
    let upstream_req = http::Request::from_parts(parts, body);
    let (resp, checkin) = match st.pools.send(ui, up, upstream_req).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(upstream = %up.name, error = %e.message, "upstream request failed");
            meter.status = StatusCode::BAD_GATEWAY.as_u16();
            // A connection that could not be made sent nothing: complete, used nothing.
            meter.finish(Found::default(), !e.connect, true);
            return ProxyError::Upstream {
                upstream: up.name.clone(),
                message: e.message,
            }
            .into_response();
        }
    };
    meter.ttfb = Some(start.elapsed());
    meter.status = resp.status().as_u16();
    let (mut rparts, rbody) = resp.into_parts();
    strip_hop_by_hop(&mut rparts.headers);
    let is_sse = rparts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
    if endpoint.metered() && !is_sse {
        let limit = st.settings.max_response_body;
        let bytes = match http_body_util::Limited::new(rbody, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                let message = if e.is::<http_body_util::LengthLimitError>() {
                    format!(
                        "the response body is larger than the proxy's limit of {limit} bytes (max-response-body)"
                    )
                } else {
                    error_chain(e.as_ref())
                };
                meter.finish(Found::default(), true, true);
                return ProxyError::Upstream {
                    upstream: up.name.clone(),
                    message,
                }
                .into_response();
            }
        };
        checkin.give_back();
        let found = Found::of_json(&bytes, endpoint.hint());
        meter.finish(found, false, false);
        return Response::from_parts(rparts, Body::from(bytes));
    }
    if endpoint.metered() {
        meter.parser = Some(SseUsage::new(endpoint.hint()));
    }
    let mut metered = MeteredBody {
        inner: Some(rbody),
        meter: Some(Box::new(meter)),
        checkin: Some(checkin),
    };
    if rbody_ended(&metered) {
        if let Some(mut m) = metered.meter.take() {
            m.finish_stream(false, false);
        }
        if let Some(c) = metered.checkin.take() {
            c.give_back();
        }
    }
    Response::from_parts(rparts, Body::new(metered))
}

fn rbody_ended(b: &MeteredBody) -> bool {
    b.inner.as_ref().is_none_or(http_body::Body::is_end_stream)
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_by_path() {
        let post = Method::POST;
        assert_eq!(
            Endpoint::classify(&post, "/v1/chat/completions"),
            Endpoint::Chat
        );
        assert_eq!(
            Endpoint::classify(&post, "/chat/completions/"),
            Endpoint::Chat
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/completions"),
            Endpoint::Completions
        );
        assert_eq!(
            Endpoint::classify(&post, "/beta/fim/completions"),
            Endpoint::Completions
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/embeddings"),
            Endpoint::Embeddings
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/responses"),
            Endpoint::Responses
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/messages"),
            Endpoint::Messages
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/messages/count_tokens"),
            Endpoint::Unmetered
        );
        assert_eq!(
            Endpoint::classify(&Method::GET, "/v1/chat/completions"),
            Endpoint::Unmetered
        );
        assert_eq!(
            Endpoint::classify(&Method::GET, "/v1/models"),
            Endpoint::Unmetered
        );
    }

    #[test]
    fn fingerprints_are_short_and_stable() {
        // Unsalted: the first 6 bytes of sha256("sk-test") (`printf sk-test | sha256sum`).
        let fp = fingerprint("", "sk-test");
        assert_eq!(fp, "f3abf2a6cc4f");
        assert_eq!(fp.len(), 12);
        assert_ne!(fp, fingerprint("", "sk-test2"));
        assert!(!fp.contains("sk-"));
        // Salted: sha256("s1:sk-test") (`printf s1:sk-test | sha256sum`), unrelated to the unsalted one.
        let salted = fingerprint("s1", "sk-test");
        assert_eq!(salted, "2ef30d608bdd");
        assert_ne!(salted, fingerprint("s2", "sk-test"));
        assert_eq!(salted, fingerprint("s1", "sk-test"));
    }

    #[test]
    fn keys_come_from_the_usual_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sk-a"),
        );
        assert_eq!(client_key(&h), Some("sk-a"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static("sk-ant"));
        assert_eq!(client_key(&h), Some("sk-ant"));
        assert_eq!(client_key(&HeaderMap::new()), None);
    }

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        let mut h = HeaderMap::new();
        h.append("x-llmcost-tag", HeaderValue::from_static("ci, nightly"));
        h.append("x-llmcost-tag", HeaderValue::from_static("ci"));
        assert_eq!(header_list(&h, &X_LLMCOST_TAG), vec!["ci", "nightly"]);
    }

    #[test]
    fn include_usage_is_added_and_kept() {
        let out = inject_include_usage(br#"{"model":"m","stream":true}"#).expect("json");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            v["stream_options"]["include_usage"],
            serde_json::Value::Bool(true)
        );
        assert_eq!(v["model"], "m");
        let out = inject_include_usage(br#"{"stream_options":{"include_usage":false,"x":1}}"#)
            .expect("json");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            v["stream_options"]["include_usage"],
            serde_json::Value::Bool(true)
        );
        assert_eq!(v["stream_options"]["x"], 1);
        assert!(inject_include_usage(b"not json").is_none());
    }
}

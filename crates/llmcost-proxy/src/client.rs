//! The upstream client: one pool of idle HTTP/1.1 connections per upstream.
//!
//! A connection is taken from its pool for one call and given back when the
//! response body has been read to its end (a JSON answer once collected, a
//! stream at its end), so no task is spawned per call to watch for that. A
//! connection dropped mid-response (client gone, stream cut) is closed. A
//! request that a pooled connection could not send (the upstream closed it
//! while idle) is retried once on a new connection.
//!
//! Each serving thread of [`crate::serve_threads`] has its own pools (a
//! connection's I/O task runs on the runtime that opened it, so a call served
//! on the same thread never wakes another one); other runtimes share slot 0.

use std::cell::Cell;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use tower_service::Service;

use crate::config::Upstream;

/// Opens a connection with `connector` and hands it to an HTTP/1.1 client.
async fn dial<C>(mut connector: C, uri: http::Uri) -> Result<SendRequest<Body>, SendError>
where
    C: Service<http::Uri>,
    C::Response: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let fail = |what: &str, e: Box<dyn std::error::Error + Send + Sync>| SendError {
        connect: true,
        message: format!("{what}: {}", crate::proxy::error_chain(e.as_ref())),
    };
    std::future::poll_fn(|cx| connector.poll_ready(cx))
        .await
        .map_err(|e| fail("connect", e.into()))?;
    let io = connector
        .call(uri)
        .await
        .map_err(|e| fail("connect", e.into()))?;
    let (tx, conn) = http1::Builder::new()
        .handshake(io)
        .await
        .map_err(|e| fail("handshake", Box::new(e)))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection closed with an error");
        }
    });
    Ok(tx)
}

/// Most idle connections kept per upstream.
const MAX_IDLE: usize = 1024;

/// An idle connection older than this is closed rather than reused: the
/// upstream (or a NAT on the way) may have dropped it silently.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Pool slots: serving thread `i` uses slot `i % SLOTS`.
const SLOTS: usize = 16;

thread_local! {
    /// The pool slot of the current thread (0 unless set by a serving thread).
    static SLOT: Cell<usize> = const { Cell::new(0) };
}

/// Makes the current thread use pool slot `i % SLOTS`.
pub(crate) fn set_thread_slot(i: usize) {
    SLOT.with(|s| s.set(i % SLOTS));
}

/// Why a call could not be forwarded.
#[derive(Debug)]
pub(crate) struct SendError {
    /// The connection could not be made: nothing was sent.
    pub connect: bool,
    /// What failed (no secrets).
    pub message: String,
}

/// Idle connections of one upstream, with when each was given back.
type Idle = Vec<(SendRequest<Body>, Instant)>;

/// How an upstream is reached.
#[derive(Clone)]
enum Connector {
    Direct(HttpsConnector<HttpConnector>),
    /// Through an HTTP proxy's `CONNECT` tunnel (`HTTPS_PROXY`).
    Tunnel(HttpsConnector<Tunnel<HttpConnector>>),
}

/// Pools of idle connections, one per upstream and pool slot.
pub(crate) struct Pools {
    /// Indexed by `slot * upstreams + upstream`.
    idle: Vec<Mutex<Idle>>,
    upstreams: usize,
    /// One per upstream.
    connectors: Vec<Connector>,
}

/// Where the proxy's own outbound connections go: `HTTPS_PROXY` and `NO_PROXY`.
#[derive(Debug, Clone, Default)]
pub struct OutboundProxy {
    /// `http://[user:pass@]host:port` of a proxy that tunnels HTTPS upstreams (`CONNECT`).
    pub https_proxy: Option<String>,
    /// Hosts reached directly (`NO_PROXY`: comma-separated names, domains, IPs, CIDRs).
    pub no_proxy: Option<String>,
}

/// The trusted roots: the Mozilla roots built in, the system's store (corporate
/// CAs), and the certificates of `ca_file`.
fn roots(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "a system certificate could not be read");
    }
    let (added, _) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(certificates = added, "system certificates trusted");
    if let Some(p) = ca_file {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(p)
            .and_then(Iterator::collect)
            .map_err(|e| format!("cannot read the CA file {}: {e}", p.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "the CA file {} holds no PEM certificate",
                p.display()
            ));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("a certificate in {} is invalid: {e}", p.display()))?;
        }
    }
    Ok(roots)
}

/// A connection in use; [`Checkin::give_back`] returns it to its pool.
pub(crate) struct Checkin {
    pools: Arc<Pools>,
    /// The pool it goes back to (see [`Pools::pool`]).
    pool: usize,
    tx: SendRequest<Body>,
}

impl Checkin {
    /// Returns the connection to its pool (the response has been read whole).
    pub(crate) fn give_back(self) {
        if self.tx.is_closed() {
            return;
        }
        let mut idle = self.pools.idle[self.pool]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push((self.tx, Instant::now()));
        }
    }
}

impl Pools {
    pub(crate) fn new(
        upstreams: &[Upstream],
        connect_timeout: Duration,
        ca_file: Option<&Path>,
        outbound: &OutboundProxy,
    ) -> Result<Pools, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(ca_file)?)
        .with_no_client_auth();
        let wrap = |tls: rustls::ClientConfig| {
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
        };
        let matcher = outbound.https_proxy.as_ref().map(|p| {
            Matcher::builder()
                .https(p.clone())
                .no(outbound.no_proxy.clone().unwrap_or_default())
                .build()
        });
        let mut connectors = Vec::with_capacity(upstreams.len());
        for up in upstreams {
            let via = matcher.as_ref().and_then(|m| {
                let uri = http::Uri::builder()
                    .scheme(up.scheme.clone())
                    .authority(up.authority.clone())
                    .path_and_query("/")
                    .build()
                    .ok()?;
                m.intercept(&uri)
            });
            connectors.push(match via {
                Some(i) => {
                    let mut t = Tunnel::new(i.uri().clone(), http.clone());
                    if let Some(auth) = i.basic_auth() {
                        t = t.with_auth(auth.clone());
                    }
                    tracing::info!(upstream = %up.name, "reached through the HTTPS_PROXY tunnel");
                    Connector::Tunnel(wrap(tls.clone()).wrap_connector(t))
                }
                None => Connector::Direct(wrap(tls.clone()).wrap_connector(http.clone())),
            });
        }
        Ok(Pools {
            idle: (0..upstreams.len() * SLOTS)
                .map(|_| Mutex::new(Vec::new()))
                .collect(),
            upstreams: upstreams.len(),
            connectors,
        })
    }

    /// The pool of `upstream` for the current thread's slot.
    fn pool(&self, upstream: usize) -> usize {
        SLOT.with(Cell::get) * self.upstreams + upstream
    }

    fn checkout(&self, pool: usize) -> Option<SendRequest<Body>> {
        let mut idle = self.idle[pool]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Most recently used first; anything past the idle timeout is closed.
        while let Some((tx, since)) = idle.pop() {
            if since.elapsed() > IDLE_TIMEOUT {
                idle.clear();
                return None;
            }
            if !tx.is_closed() {
                return Some(tx);
            }
        }
        None
    }

    async fn connect(&self, ui: usize, up: &Upstream) -> Result<SendRequest<Body>, SendError> {
        let uri = http::Uri::builder()
            .scheme(up.scheme.clone())
            .authority(up.authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| SendError {
                connect: true,
                message: e.to_string(),
            })?;
        match &self.connectors[ui] {
            Connector::Direct(c) => dial(c.clone(), uri).await,
            Connector::Tunnel(c) => dial(c.clone(), uri).await,
        }
    }

    /// Sends `req` (origin-form URI; the `Host` header is set here) to upstream
    /// `ui`; returns the response and the connection to give back once the
    /// body has been read.
    pub(crate) async fn send(
        self: &Arc<Self>,
        ui: usize,
        up: &Upstream,
        mut req: Request<Body>,
    ) -> Result<(Response<Incoming>, Checkin), SendError> {
        if let Ok(host) = HeaderValue::from_str(up.authority.as_str()) {
            req.headers_mut().insert(header::HOST, host);
        }
        let pool = self.pool(ui);
        let mut pooled = true;
        loop {
            let mut tx = match self.checkout(pool) {
                Some(tx) => tx,
                None => {
                    pooled = false;
                    self.connect(ui, up).await?
                }
            };
            if tx.ready().await.is_err() {
                // Closed while idle: try another.
                continue;
            }
            match tx.try_send_request(req).await {
                Ok(resp) => {
                    return Ok((
                        resp,
                        Checkin {
                            pools: self.clone(),
                            pool,
                            tx,
                        },
                    ));
                }
                Err(mut e) => match e.take_message() {
                    // Not sent: a pooled connection the upstream had closed. Once more.
                    Some(r) if pooled => req = r,
                    _ => {
                        return Err(SendError {
                            connect: false,
                            message: crate::proxy::error_chain(e.error()),
                        });
                    }
                },
            }
        }
    }
}

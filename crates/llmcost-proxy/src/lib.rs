//! The metering reverse proxy of llmcost.
//!
//! A client points its base URL at `http://127.0.0.1:PORT/<upstream>`; the proxy
//! forwards every call to the upstream unchanged (apart from hop-by-hop headers,
//! an injected key where configured, `Accept-Encoding` on metered routes, and
//! `stream_options.include_usage` where configured), and records one
//! [`UsageRecord`](llmcost_ledger::UsageRecord) per call through the
//! [`Ledger`] trait: time, upstream, model, usage, cost priced at that instant,
//! status, latency, time to first byte, a key fingerprint and tags.
//!
//! * [`Proxy::start`] resolves nothing itself: it takes resolved [`Settings`]
//!   and any `Box<dyn Ledger>`, reads the current periods' spend for the
//!   budgets, and starts the ledger writer thread.
//! * [`router`] builds the axum router; [`serve`] runs it on a listener until
//!   the shutdown future resolves, then flushes the writer. [`serve_threads`]
//!   does the same on one single-threaded runtime per serving thread (what
//!   `llmcost proxy` uses).
//!
//! # What this crate must not do
//!
//! It never loses an acknowledged record to a ledger error: records the
//! ledger refuses go to a spill file and are replayed (see `spill`); only when
//! they can be neither written nor spilled are new calls refused (503, by
//! default) rather than served unmetered. A full queue is logged and counted. It never stores an API key (only a 12-hex-digit
//! SHA-256 fingerprint), never logs one, and never stores request or response
//! bodies (only the usage JSON). It buffers whole only request bodies of
//! metered routes and non-streaming responses of metered routes; SSE passes
//! through frame by frame. It does not choose a ledger backend.
#![deny(missing_docs)]

pub mod budget;
mod client;
pub mod config;
pub mod error;
pub mod metrics;
mod proxy;
mod server;
mod spill;
pub mod sse;
mod writer;

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use http::{HeaderValue, header};
use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Timestamp};
use llmcost_core::{Decimal, ServiceTier, Usage};
use llmcost_ledger::{Ledger, UsageRecord};

pub use crate::budget::{BudgetFail, BudgetRule, Budgets, Period, Scope};
pub use crate::client::OutboundProxy;
pub use crate::config::{CliOverrides, FileConfig, ProviderKind, Settings, Upstream};
pub use crate::error::{ConfigError, ProxyError};
pub use crate::proxy::{Endpoint, fingerprint};
pub use crate::server::{ExtraRoutes, serve_threads, serve_threads_with};
pub use crate::writer::{SpillFull, WriterReport};

/// The spill file of a ledger at `ledger` (`<ledger>.spill.jsonl`).
#[must_use]
pub fn spill_path_for(ledger: &std::path::Path) -> std::path::PathBuf {
    spill::Spill::path_for(ledger)
}

/// Where a ledger keeps the proxy's key-fingerprint salt: a `file_progress`
/// entry of this name (no file path can have it), its `head_hash` the salt.
pub const KEY_SALT_ENTRY: &str = "llmcost-meta:proxy-key-salt";

/// The ledger's key-fingerprint salt: read from the ledger, or made (16
/// random bytes, hex) and stored there on first use. If it cannot be stored
/// (the ledger fails at start), this run uses it anyway and says so.
///
/// # Errors
/// Reading the ledger fails; the system has no random source.
pub fn key_salt(ledger: &mut dyn Ledger) -> Result<String, ConfigError> {
    if let Some(p) = ledger.file_progress(KEY_SALT_ENTRY)?
        && p.head_hash.len() == 32
        && p.head_hash.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(p.head_hash);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConfigError::Invalid(format!("no random source for the key salt: {e}")))?;
    let salt: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let entry = llmcost_ledger::FileProgress {
        path: KEY_SALT_ENTRY.to_string(),
        offset: 0,
        head_hash: salt.clone(),
        lines: 0,
    };
    if let Err(e) = ledger.insert_with_progress(&[], &entry) {
        tracing::warn!(error = %e, "cannot store the key-fingerprint salt in the ledger: this run's fingerprints will not match later runs'");
    }
    Ok(salt)
}

/// Checks that every budget's currency can be priced: the catalog lists
/// prices in it, or `settings.fx` gives its rate.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the budget and the `--fx` to add.
pub fn check_budget_currencies(settings: &Settings, catalog: &Catalog) -> Result<(), ConfigError> {
    let mut listed: Vec<Currency> = catalog
        .models()
        .iter()
        .flat_map(|m| m.currencies())
        .collect();
    listed.sort();
    listed.dedup();
    for b in &settings.budgets {
        if !listed.contains(&b.currency) && settings.fx_rate(b.currency).is_none() {
            let names: Vec<&str> = listed.iter().map(|c| c.as_str()).collect();
            return Err(ConfigError::Invalid(format!(
                "budget `{b}`: no price list is in {cur} (prices are listed in {list}), so this budget could never be spent; give an exchange rate with `--fx {cur}=RATE` (units of {cur} per 1 USD) or `[fx]` in the config, or set the budget in {list}",
                cur = b.currency,
                list = names.join(", "),
            )));
        }
    }
    Ok(())
}

/// A call as the proxy recorded it, published to live views when it is
/// queued for the ledger (see [`ProxyState::subscribe_calls`]).
pub type CallEvent = Arc<UsageRecord>;

/// The example config file shipped with llmcost (documented in `docs/proxy.md`).
pub const EXAMPLE_CONFIG: &str = include_str!("../proxy.example.toml");

/// Connections a proxy keeps for fleet budget admissions.
const FLEET_SLOTS: usize = 4;

/// Shared state of a running proxy.
#[derive(Debug, Clone)]
pub struct ProxyState(Arc<Shared>);

struct Shared {
    settings: Settings,
    catalog: &'static Catalog,
    pools: Arc<client::Pools>,
    budgets: Arc<Budgets>,
    metrics: Arc<metrics::Metrics>,
    tx: SyncSender<writer::Msg>,
    writer: Mutex<Option<JoinHandle<WriterReport>>>,
    writer_stop: Arc<std::sync::atomic::AtomicBool>,
    boot: String,
    seq: AtomicU64,
    upstream_names: String,
    key_salt: String,
    /// Each recorded call, for live views (`ProxyState::subscribe_calls`).
    calls: tokio::sync::broadcast::Sender<CallEvent>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("settings", &self.settings)
            .field("boot", &self.boot)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The upstream serving `path` and where the forwarded path starts in it.
    fn route(&self, path: &str) -> Option<(usize, usize)> {
        let ups = &self.settings.upstreams;
        if let Some(rest) = path.strip_prefix('/') {
            let name = rest.split('/').next().unwrap_or_default();
            if let Some(i) = ups.iter().position(|u| u.name == name) {
                return Some((i, 1 + name.len()));
            }
        }
        self.settings.default_upstream.map(|i| (i, 0))
    }
}

/// The cost of a call in `cur`, for budgets: the recorded cost when it is in
/// that currency, else the catalog's price in it, else (a model not listed in
/// `cur`) the USD price times the `--fx` rate of `cur`.
#[expect(clippy::too_many_arguments, reason = "one flat pricing call")]
pub(crate) fn cost_in(
    catalog: &Catalog,
    settings: &Settings,
    cur: Currency,
    recorded: Option<(Decimal, Currency)>,
    model: &str,
    at: Timestamp,
    usage: &Usage,
    tier: ServiceTier,
) -> Option<Decimal> {
    if let Some((c, rc)) = recorded
        && rc == cur
    {
        return Some(c);
    }
    if let Ok((c, _)) = catalog.price_usage(model, at, cur, usage, tier) {
        return Some(c);
    }
    let rate = settings.fx_rate(cur)?;
    let usd = match recorded {
        Some((c, Currency::USD)) => c,
        _ => {
            catalog
                .price_usage(model, at, Currency::USD, usage, tier)
                .ok()?
                .0
        }
    };
    Some(usd * rate)
}

/// [`cost_in`] of a stored record (its recorded cost, model, time, usage, tier).
pub(crate) fn record_cost_in(
    catalog: &Catalog,
    settings: &Settings,
    r: &UsageRecord,
    cur: Currency,
) -> Option<Decimal> {
    cost_in(
        catalog,
        settings,
        cur,
        r.cost.zip(r.currency),
        &r.model,
        r.at,
        &r.usage,
        r.service_tier,
    )
}

/// A started proxy: its state and its ledger writer.
#[derive(Debug)]
pub struct Proxy {
    state: ProxyState,
}

impl Proxy {
    /// Reads the current periods' spend of every budget from `ledger` (records
    /// of source `proxy`), then starts the writer thread that owns `ledger`.
    ///
    /// # Errors
    /// Ledger read errors, the TLS client set-up, the writer thread.
    pub fn start(settings: Settings, ledger: Box<dyn Ledger>) -> Result<Proxy, ConfigError> {
        let catalog = Catalog::builtin().map_err(|e| {
            ConfigError::Invalid(format!("the built-in price catalog is invalid: {e}"))
        })?;
        Proxy::start_with_catalog(settings, ledger, catalog)
    }

    /// [`Proxy::start`], pricing with `catalog` (e.g. the built-in catalog with
    /// user layers) instead of the built-in one.
    ///
    /// # Errors
    /// As [`Proxy::start`].
    pub fn start_with_catalog(
        settings: Settings,
        mut ledger: Box<dyn Ledger>,
        catalog: &'static Catalog,
    ) -> Result<Proxy, ConfigError> {
        check_budget_currencies(&settings, catalog)?;
        let key_salt = key_salt(ledger.as_mut())?;
        let now = Timestamp::now();
        let boot = format!("{:x}-{:x}", now.as_nanosecond(), std::process::id());
        let mut budgets = Budgets::new(settings.budgets.clone());
        // A ledger several proxies share (PostgreSQL): budgets hold across the fleet.
        if !settings.budgets.is_empty()
            && let Some(settler) = ledger.fleet_budgets()?
        {
            let mut slots = Vec::new();
            for _ in 0..FLEET_SLOTS {
                if let Some(c) = ledger.fleet_budgets()? {
                    slots.push(c);
                }
            }
            budgets.set_fleet(slots, settler, boot.clone(), settings.budget_fail)?;
        }
        let (spill, backlog) = match &settings.spill_path {
            Some(p) => {
                let (s, b) = spill::Spill::open(p, settings.spill_max_bytes).map_err(|e| {
                    ConfigError::Invalid(format!("cannot open the spill file {}: {e}", p.display()))
                })?;
                if !b.records.is_empty() || b.skipped > 0 {
                    tracing::warn!(
                        records = b.records.len(),
                        torn_lines = b.skipped,
                        spill = %p.display(),
                        "records left in the spill file by an earlier run: replaying them"
                    );
                }
                (Some(s), b.records)
            }
            None => (None, Vec::new()),
        };
        // The current periods' spend: hourly rollups where the ledger keeps
        // them, records for the rest; spilled records not yet in the ledger too.
        let cost_of = |r: &UsageRecord, cur: Currency| record_cost_in(catalog, &settings, r, cur);
        let read = budgets.preload_ledger(ledger.as_ref(), now, &backlog, &cost_of)?;
        tracing::debug!(
            rollups = read.rollups,
            scans = read.scans,
            records = read.records,
            "budgets: current spend read"
        );
        drop(backlog);
        let budgets = Arc::new(budgets);
        let fleet: Option<(writer::SpendFn, writer::LostFn)> = if budgets.is_fleet() {
            let (b, st) = (budgets.clone(), Arc::new(settings.clone()));
            let (b2, st2) = (b.clone(), st.clone());
            Some((
                Arc::new(move |records: &[UsageRecord]| {
                    let mut out = Vec::new();
                    for (i, r) in records.iter().enumerate() {
                        b.spend_of(i, r, &|cur| record_cost_in(catalog, &st, r, cur), &mut out);
                    }
                    out
                }),
                // Records the writer loses release their pending fleet spend.
                Arc::new(move |records: &[UsageRecord]| {
                    b2.unstored(records, &|r, cur| record_cost_in(catalog, &st2, r, cur));
                }),
            ))
        } else {
            None
        };
        let pools = Arc::new(
            client::Pools::new(
                &settings.upstreams,
                settings.connect_timeout,
                settings.ca_file.as_deref(),
                &settings.outbound,
            )
            .map_err(ConfigError::Client)?,
        );
        let metrics = Arc::new(metrics::Metrics::new(
            settings.upstreams.iter().map(|u| u.name.clone()),
        ));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, handle) = writer::spawn(
            ledger,
            fleet,
            spill,
            settings.spill_full,
            settings.writer,
            metrics.clone(),
            stop.clone(),
        )?;
        let upstream_names = settings
            .upstreams
            .iter()
            .map(|u| format!("`{}`", u.name))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Proxy {
            state: ProxyState(Arc::new(Shared {
                settings,
                catalog,
                pools,
                budgets,
                metrics,
                tx,
                writer: Mutex::new(Some(handle)),
                writer_stop: stop,
                boot,
                seq: AtomicU64::new(0),
                upstream_names,
                key_salt,
                calls: tokio::sync::broadcast::channel(1024).0,
            })),
        })
    }

    /// The state, for [`router`] and [`serve`].
    #[must_use]
    pub fn state(&self) -> ProxyState {
        self.state.clone()
    }
}

impl ProxyState {
    /// The resolved settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The budgets and their spend.
    #[must_use]
    pub fn budgets(&self) -> &Budgets {
        &self.0.budgets
    }

    /// Records dropped so far because the writer queue was full.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.0
            .metrics
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The fingerprint this proxy records for `key` (salted per ledger).
    #[must_use]
    pub fn key_fingerprint(&self, key: &str) -> String {
        fingerprint(&self.0.key_salt, key)
    }

    /// Why the ledger cannot be written, while it cannot (`/health`'s `reason`).
    #[must_use]
    pub fn degraded(&self) -> Option<String> {
        self.0.metrics.health.reason()
    }

    /// Records in the spill file, waiting to be replayed.
    #[must_use]
    pub fn spill_backlog(&self) -> u64 {
        self.0
            .metrics
            .health
            .spill_backlog
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every call recorded from now on, as it is queued for the ledger. A
    /// receiver that falls more than 1,024 calls behind skips the oldest.
    #[must_use]
    pub fn subscribe_calls(&self) -> tokio::sync::broadcast::Receiver<CallEvent> {
        self.0.calls.subscribe()
    }

    /// The Prometheus text of `/metrics`.
    #[must_use]
    pub fn metrics_text(&self) -> String {
        self.0.metrics.render()
    }

    /// Stops the ledger writer after it has written every queued record;
    /// returns its totals (zero if it was already stopped). Blocks: call it
    /// from a blocking context (or use [`ProxyState::close`]).
    #[must_use]
    pub fn close_blocking(&self) -> WriterReport {
        let handle = self
            .0
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(handle) = handle else {
            return WriterReport::default();
        };
        self.0
            .writer_stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = self.0.tx.send(writer::Msg::Shutdown);
        let report = handle.join().unwrap_or_else(|_| {
            tracing::error!("the ledger writer panicked");
            WriterReport::default()
        });
        // Fleet holds: settled, and dropped when every record is stored.
        self.0
            .budgets
            .close_fleet(report.left_in_spill == 0 && report.failed == 0);
        report
    }

    /// [`ProxyState::close_blocking`] on tokio's blocking pool.
    pub async fn close(&self) -> WriterReport {
        let s = self.clone();
        tokio::task::spawn_blocking(move || s.close_blocking())
            .await
            .unwrap_or_default()
    }
}

/// The router: `GET /health`, `GET /metrics`, and every other path forwarded
/// by upstream prefix (or to the default upstream).
///
/// No layers are stacked on purpose: per-call tracing happens once, when the
/// call is finalised (never per chunk), and there is no compression, which
/// would buffer SSE.
pub fn router(state: ProxyState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_handler))
        .fallback(proxy::forward)
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, lets calls in
/// flight finish (for at most the drain timeout), then flushes the ledger
/// writer and returns its totals.
///
/// Calls still running after the drain timeout stay on the caller's runtime
/// and are recorded only when it drops them, after the writer has stopped
/// (they then count as dropped); [`serve_threads`], which `llmcost proxy`
/// uses, drops them before the writer stops.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ProxyState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<WriterReport> {
    let app = router(state.clone());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let (said, heard) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = said.send(());
    };
    let drain = state.settings().drain_timeout;
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown);
    tokio::select! {
        r = served => r?,
        () = async {
            if heard.await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(drain).await;
        } => tracing::warn!("shutdown: calls still in flight after the drain timeout are cut"),
    }
    Ok(state.close().await)
}

async fn health(State(state): State<ProxyState>) -> Response {
    let m = &state.0.metrics;
    let h = &m.health;
    let reason = h.reason();
    let refusing = h.refusing.load(std::sync::atomic::Ordering::Relaxed);
    let status = match (&reason, refusing) {
        (_, true) => "failing",
        (Some(_), false) => "degraded",
        (None, false) => "ok",
    };
    let body = serde_json::json!({
        "status": status,
        "reason": reason,
        "upstreams": state.0.settings.upstreams.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        "ledger_queue_depth": m.queue_depth.load(std::sync::atomic::Ordering::Relaxed),
        "ledger_dropped": m.dropped.load(std::sync::atomic::Ordering::Relaxed),
        "spill_backlog": h.spill_backlog.load(std::sync::atomic::Ordering::Relaxed),
        "spill_bytes": h.spill_bytes.load(std::sync::atomic::Ordering::Relaxed),
        "ledger_held": h.held.load(std::sync::atomic::Ordering::Relaxed),
    });
    let mut r = Response::new(Body::from(body.to_string()));
    if refusing {
        *r.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    }
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn metrics_handler(State(state): State<ProxyState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics_text(),
    )
        .into_response()
}

//! Thread-per-core serving: [`serve_threads`].
//!
//! One OS thread per worker, each with its own single-threaded tokio runtime,
//! its own client connections and its own pools. The calling thread accepts
//! and hands the connections out in turn; from then on a call is served, sent
//! upstream and answered on one thread. Compared with tokio's work-stealing
//! runtime this saves the wake-ups of other workers on every hand-over between
//! the server connection, the handler and the upstream connection's task
//! (futex calls and context switches that cost most on a small machine) and
//! the cross-core traffic of tasks that move between workers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, watch};
use tower_service::Service;

use crate::{ProxyState, WriterReport, client, router};

/// Open connections of one serving thread, for the graceful shutdown.
#[derive(Default)]
struct Open {
    count: AtomicUsize,
    idle: Notify,
}

/// Counts one open connection while alive.
struct OpenGuard(Arc<Open>);

impl OpenGuard {
    fn new(open: &Arc<Open>) -> OpenGuard {
        open.count.fetch_add(1, Ordering::AcqRel);
        OpenGuard(open.clone())
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Open {
    async fn all_closed(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Serves `state` on `listener` with `threads` serving threads (at least 1)
/// until `shutdown` resolves; then lets the calls in flight finish (for at
/// most `drain_timeout`, after which they are cut and recorded as incomplete),
/// flushes the ledger writer and returns its totals. Blocks the calling thread, which
/// accepts connections (and polls `shutdown`) on a runtime of its own.
///
/// # Errors
/// I/O errors of the listener or of starting a runtime or a thread.
pub fn serve_threads(
    listener: std::net::TcpListener,
    state: ProxyState,
    threads: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<WriterReport> {
    serve_threads_with(listener, state, threads, shutdown, None)
}

/// Routes served beside the proxy on its port (the dashboard of
/// `llmcost proxy --dashboard`): a request whose path `claims` accepts goes
/// to `router`, every other one is proxied as usual.
#[derive(Clone, Debug)]
pub struct ExtraRoutes {
    /// The routes.
    pub router: Router,
    /// Which paths are theirs.
    pub claims: fn(&str) -> bool,
}

/// [`serve_threads`], also serving `extra` on the same port.
///
/// # Errors
/// As [`serve_threads`].
pub fn serve_threads_with(
    listener: std::net::TcpListener,
    state: ProxyState,
    threads: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
    extra: Option<ExtraRoutes>,
) -> std::io::Result<WriterReport> {
    let threads = threads.max(1);
    listener.set_nonblocking(true)?;
    let app = router(state.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut senders = Vec::with_capacity(threads);
    let mut handles = Vec::with_capacity(threads);
    let mut failed = None;
    for i in 0..threads {
        let (tx, rx) = mpsc::unbounded_channel::<std::net::TcpStream>();
        let app = app.clone();
        let st = state.clone();
        let stop = stop_rx.clone();
        let extra = extra.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("llmcost-proxy-{i}"))
            .spawn(move || serving_thread(i, rx, app, st, stop, extra));
        match spawned {
            Ok(h) => {
                senders.push(tx);
                handles.push(h);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let accepted = match failed {
        Some(e) => Err(e),
        None => accept_loop(listener, &senders, shutdown),
    };
    // Stop every thread (also when starting one failed), then wait for them.
    let _ = stop_tx.send(true);
    drop(senders);
    for h in handles {
        if h.join().is_err() {
            tracing::error!("a serving thread panicked");
        }
    }
    let report = state.close_blocking();
    accepted.map(|()| report)
}

/// Accepts on a runtime of the calling thread until `shutdown` resolves; gives
/// each connection to the next serving thread in turn.
fn accept_loop(
    listener: std::net::TcpListener,
    senders: &[mpsc::UnboundedSender<std::net::TcpStream>],
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut shutdown = pin!(shutdown);
        let mut next = 0usize;
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => return Ok(()),
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let stream = match stream.into_std() {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::debug!(error = %e, "accepted connection lost");
                            continue;
                        }
                    };
                    // The next thread in turn; one whose runtime failed to start
                    // (its receiver is gone) is skipped.
                    let mut stream = Some(stream);
                    for _ in 0..senders.len() {
                        let Some(s) = stream.take() else { break };
                        let to = &senders[next % senders.len()];
                        next = next.wrapping_add(1);
                        if let Err(e) = to.send(s) {
                            stream = Some(e.0);
                        }
                    }
                    if stream.is_some() {
                        tracing::error!("no serving thread is running: connection closed");
                    }
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // Out of file descriptors and the like: wait before retrying.
                    tracing::error!(error = %e, "accept failed");
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    })
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// One serving thread: a single-threaded runtime that serves the connections
/// it is given until the stop signal, then lets them finish.
fn serving_thread(
    i: usize,
    mut rx: mpsc::UnboundedReceiver<std::net::TcpStream>,
    app: Router,
    state: ProxyState,
    mut stop: watch::Receiver<bool>,
    extra: Option<ExtraRoutes>,
) {
    client::set_thread_slot(i);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a serving runtime");
            return;
        }
    };
    let drain = state.settings().drain_timeout;
    rt.block_on(async move {
        let open = Arc::new(Open::default());
        loop {
            tokio::select! {
                s = rx.recv() => match s {
                    Some(s) => match TcpStream::from_std(s) {
                        Ok(s) => {
                            serve_connection(s, app.clone(), state.clone(), stop.clone(), &open, extra.clone());
                        }
                        Err(e) => tracing::debug!(error = %e, "accepted connection lost"),
                    },
                    None => break,
                },
                r = stop.changed() => {
                    if r.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        // Calls in flight get `drain_timeout` to finish; then the runtime is
        // dropped with them, which records each as incomplete (status 499 if
        // no answer had come).
        if tokio::time::timeout(drain, open.all_closed())
            .await
            .is_err()
        {
            tracing::warn!(
                connections = open.count.load(Ordering::Acquire),
                "shutdown: calls still in flight after the drain timeout are cut"
            );
        }
    });
}

/// Serves one HTTP/1.1 connection on the current runtime; on the stop signal
/// it finishes the call in flight and closes.
///
/// A call to be forwarded goes straight to the forwarding handler (what the
/// router's fallback is) without the router's matching and boxing; `/health`
/// and `/metrics` go through the router.
fn serve_connection(
    stream: TcpStream,
    app: Router,
    state: ProxyState,
    mut stop: watch::Receiver<bool>,
    open: &Arc<Open>,
    extra: Option<ExtraRoutes>,
) {
    let guard = OpenGuard::new(open);
    tokio::spawn(async move {
        let _guard = guard;
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            let req = req.map(Body::new);
            let app = app.clone();
            let state = state.clone();
            let extra = extra.clone();
            async move {
                if let Some(x) = extra
                    && (x.claims)(req.uri().path())
                {
                    let mut r = x.router;
                    r.call(req).await
                } else if matches!(req.uri().path(), "/health" | "/metrics") {
                    let mut app = app;
                    app.call(req).await
                } else {
                    Ok::<_, Infallible>(crate::proxy::forward(State(state), req).await)
                }
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let mut conn = pin!(conn);
        let mut stopping = *stop.borrow();
        if stopping {
            conn.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "client connection closed with an error");
                    }
                    break;
                }
                r = stop.changed(), if !stopping => {
                    if r.is_err() || *stop.borrow() {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    });
}

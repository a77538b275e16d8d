//! `llmcost proxy`: the metering reverse proxy, writing to the same ledger as
//! `import`. The library (`llmcost-proxy`) does the work; this file parses the
//! config, opens the ledger, binds, and runs until SIGINT or SIGTERM.

use crate::ctx::Ctx;
use std::io::Write;

use anyhow::{Context, Result};
use llmcost_app::ledger::OpenMode;
use llmcost_proxy::{CliOverrides, FileConfig, Proxy, Settings};

use super::ExitStatus;
use crate::args::ProxyArgs;

/// Where the proxy listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

pub fn run(args: &ProxyArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    if args.print_config_example {
        out.write_all(llmcost_proxy::EXAMPLE_CONFIG.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    if args.print_key_fingerprint {
        let mut key = String::new();
        std::io::stdin()
            .read_line(&mut key)
            .context("cannot read the key from stdin")?;
        let key = key.trim();
        if key.is_empty() {
            crate::common::usage_bail!(
                "no key on stdin\nhint: pipe the key in: `printenv OPENAI_API_KEY | llmcost proxy --print-key-fingerprint`"
            );
        }
        let mut ledger = crate::ledger::open_ledger(args.ledger.path.as_deref())?;
        let salt = llmcost_proxy::key_salt(ledger.as_mut()).context("cannot read the ledger")?;
        writeln!(out, "{}", llmcost_proxy::fingerprint(&salt, key))?;
        return Ok(ExitStatus::Success);
    }
    init_tracing();
    let file = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the config file {}", p.display()))?;
            FileConfig::parse(&text).with_context(|| format!("in {}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let cli = CliOverrides {
        upstreams: args.upstream.clone(),
        budgets: args.budget.clone(),
        fx: args.fx.clone(),
    };
    let where_ = || {
        args.config.as_ref().map_or_else(
            || "invalid proxy settings".to_string(),
            |p| format!("invalid proxy settings (config {})", p.display()),
        )
    };
    // Configuration errors (`ConfigError`) exit with 2, before anything is opened or bound.
    let mut settings =
        Settings::resolve(&file, &cli, &|v| std::env::var(v).ok()).with_context(where_)?;
    if let Some(s) = args.drain_timeout {
        settings.drain_timeout = std::time::Duration::from_secs(s);
    }
    if let Some(n) = args.max_request_body {
        settings.max_request_body = n;
    }
    if let Some(p) = &args.ca_file {
        settings.ca_file = Some(p.clone());
    }
    settings.budget_fail = args
        .budget_fail
        .parse()
        .map_err(|e: String| crate::common::usage_err!("{e}"))?;
    let catalog = ctx.catalog()?;
    llmcost_proxy::check_budget_currencies(&settings, catalog).with_context(where_)?;
    let listen = args
        .listen
        .clone()
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    // The dashboard off loopback needs a token: refused before anything is bound.
    let dashboard_token = if args.dashboard.dashboard {
        let t = args.dashboard.token.resolve()?;
        llmcost_web::check_listen(&listen, t.as_deref())
            .map_err(|e| crate::common::usage_err!("--dashboard: {e}"))?;
        Some(t)
    } else {
        None
    };
    let at = crate::ledger::location(args.ledger.path.as_deref())?;
    // A locked ledger must not hold the writer for SQLite's usual 30 s: after
    // 1 s the records go to the spill file and are replayed later.
    let options = llmcost_app::ledger::OpenOptions {
        lock_timeout: Some(std::time::Duration::from_secs(1)),
    };
    let mut ledger = llmcost_app::ledger::open_location_with(&at, OpenMode::Create, &options)?;
    // Checkpoints run on a connection of their own, beside the writer's inserts
    // (as in `import`): the writer never stops to copy the log into the file,
    // which would hold up the records queued behind it.
    let bulk = ledger
        .bulk_load()
        .context("cannot prepare the ledger for writing")?;
    // One single-threaded runtime per serving thread (see `llmcost_proxy::serve_threads`).
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let listener = std::net::TcpListener::bind(&listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener
        .local_addr()
        .map_or(listen.clone(), |a| a.to_string());
    let port = listener.local_addr().ok().map(|a| a.port());
    settings.device = Some(llmcost_app::device::proxy_instance(
        args.instance.as_deref(),
        port,
    ));
    settings.spill_path = spill_path(&at, port)?;
    let budgets: Vec<String> = settings.budgets.iter().map(ToString::to_string).collect();
    let default = settings
        .default_upstream
        .map(|i| settings.upstreams[i].base_url());
    let proxy =
        Proxy::start_with_catalog(settings, ledger, catalog).context("cannot start the proxy")?;
    tracing::info!(
        listen = %local,
        ledger = %at,
        default_upstream = default.as_deref().unwrap_or("-"),
        budgets = %budgets.join(" "),
        threads,
        "llmcost proxy listening on http://{local}"
    );
    let state = proxy.state();
    let web = match dashboard_token {
        // As given (a URL keeps its password); none: the commands' default.
        Some(token) => Some(super::serve::web_state(
            ctx,
            args.ledger.path.as_ref().map(|l| l.display().to_string()),
            Vec::new(),
            token,
            Some(state.clone()),
        )?),
        None => None,
    };
    let extra = web.as_ref().map(|w| llmcost_proxy::ExtraRoutes {
        router: llmcost_web::router(w.clone()),
        claims: llmcost_web::claims,
    });
    // Open /live pages must not hold the shutdown: their streams end first.
    let shutdown = async move {
        shutdown_signal().await;
        if let Some(w) = web {
            w.close();
        }
    };
    let report =
        llmcost_proxy::serve_threads_with(listener, state.clone(), threads, shutdown, extra)
            .context("the proxy stopped with an error");
    drop(bulk);
    let report = report?;
    let dropped = state.dropped();
    writeln!(
        out,
        "llmcost proxy stopped: {} records written, {} dropped (queue full), {} failed (ledger errors), {} spilled, {} replayed, {} left in the spill file",
        report.written,
        dropped,
        report.failed,
        report.spilled,
        report.replayed,
        report.left_in_spill
    )?;
    Ok(ExitStatus::Success)
}

/// Where records go while the ledger cannot be written: next to a SQLite
/// ledger; for a PostgreSQL ledger, a file of this proxy's own in the user's
/// data directory (`llmcost/proxy-<url digest>-<port>.spill.jsonl`), so that
/// an outage of the database loses nothing and the next start replays it.
fn spill_path(
    at: &llmcost_app::ledger::Location,
    port: Option<u16>,
) -> Result<Option<std::path::PathBuf>> {
    use sha2::Digest as _;
    match at {
        llmcost_app::ledger::Location::Sqlite(p) => Ok(Some(llmcost_proxy::spill_path_for(p))),
        llmcost_app::ledger::Location::Postgres(url) => {
            let Some(dir) = llmcost_app::ledger::default_ledger_path()
                .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            else {
                return Ok(None);
            };
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {} for the spill file", dir.display()))?;
            let digest = sha2::Sha256::digest(llmcost_ledger_postgres::redact(url).as_bytes());
            let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            Ok(Some(dir.join(format!(
                "proxy-{hex}-{}.spill.jsonl",
                port.unwrap_or(0)
            ))))
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing calls in flight and flushing the ledger");
}

/// Logs to stderr; `LLMCOST_LOG` sets the filter (`info` by default,
/// `llmcost_proxy=debug` logs every call). Keys are never logged.
fn init_tracing() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let filter: Targets = std::env::var("LLMCOST_LOG")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false),
        )
        .with(filter)
        .try_init();
}

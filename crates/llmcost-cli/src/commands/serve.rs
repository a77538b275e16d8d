//! `llmcost serve`: the web dashboard (`llmcost-web`), and the dashboard
//! options of `llmcost proxy --dashboard`.
//!
//! The dashboard's engine runs this binary's own commands in-process with
//! `--format json` (parsed by the same clap definitions), so every figure it
//! shows is what `llmcost report --format json` prints for the same question.

use crate::ctx::Ctx;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use llmcost_web::engine::{Engine, EngineError};
use llmcost_web::query::Filters;
use serde_json::Value;

use super::ExitStatus;
use crate::args::{ServeArgs, TokenArgs};

impl TokenArgs {
    /// The token, from `--token` or `--token-file`.
    pub fn resolve(&self) -> Result<Option<String>> {
        if let Some(p) = &self.token_file {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the token file {}", p.display()))?;
            return match llmcost_web::token_from_file_text(&text) {
                Some(t) => Ok(Some(t)),
                None => crate::common::usage_bail!(
                    "the token file {} is empty\nhint: put a long random string in it, e.g. `openssl rand -hex 24 > {}`",
                    p.display(),
                    p.display()
                ),
            };
        }
        Ok(self.token.clone())
    }
}

/// Runs this binary's commands for the dashboard.
#[derive(Debug)]
pub struct CliEngine {
    /// The context of the run that serves (catalog options, printer).
    pub ctx: &'static Ctx,
    /// `--ledger` of every ledger question (none: the commands' default,
    /// `$LLMCOST_LEDGER` or the data directory).
    pub ledger: Option<String>,
    /// Bill files `/reconcile` may use, by file name.
    pub bills: Vec<PathBuf>,
    /// The SQLite file behind the ledger questions, when it is one: answers
    /// are kept while it (and its write-ahead log) is unchanged.
    pub file: Option<PathBuf>,
    /// Answers to ledger questions, with the file state they were read at.
    pub cache: std::sync::Mutex<Answers>,
}

/// Answers kept by [`CliEngine`], valid for one state of the ledger file.
#[derive(Debug, Default)]
pub struct Answers {
    state: Option<FileState>,
    answers: std::collections::HashMap<Vec<String>, Value>,
}

/// Length and modification time of the ledger file and its `-wal`: any
/// write changes one of them.
type FileState = [(u64, Option<std::time::SystemTime>); 2];

/// Answers kept at most (a view asks up to four).
const KEPT: usize = 64;

fn file_state(p: &std::path::Path) -> Option<FileState> {
    let one = |p: &std::path::Path| {
        std::fs::metadata(p).map_or((0, None), |m| (m.len(), m.modified().ok()))
    };
    let mut wal = p.as_os_str().to_owned();
    wal.push("-wal");
    let s = [one(p), one(std::path::Path::new(&wal))];
    s[0].1.is_some().then_some(s)
}

impl CliEngine {
    /// `run_json(argv)`, from the kept answers while the ledger file is unchanged.
    fn ledger_json(&self, argv: Vec<String>) -> Result<Value, EngineError> {
        let Some(state) = self.file.as_deref().and_then(file_state) else {
            return run_json(self.ctx, argv);
        };
        {
            let mut c = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if c.state != Some(state) {
                c.state = Some(state);
                c.answers.clear();
            }
            if let Some(v) = c.answers.get(&argv) {
                return Ok(v.clone());
            }
        }
        let v = run_json(self.ctx, argv.clone())?;
        // Kept only if the file did not change while it was read.
        if file_state(self.file.as_deref().unwrap_or(std::path::Path::new(""))) == Some(state) {
            let mut c = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if c.state == Some(state) {
                if c.answers.len() >= KEPT {
                    c.answers.clear();
                }
                c.answers.insert(argv, v.clone());
            }
        }
        Ok(v)
    }
}

/// Runs `argv` (without the program name) in-process and parses its JSON.
fn run_json(ctx: &'static Ctx, argv: Vec<String>) -> Result<Value, EngineError> {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = crate::args::Cli::command()
        .try_get_matches_from(std::iter::once("llmcost".to_string()).chain(argv))
        .and_then(|m| crate::args::Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (mut cli, matches) = parsed.map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("bad parameter")
            .trim_start_matches("error: ")
            .to_string();
        EngineError::bad(first)
    })?;
    // The config file's defaults (currency, tz, ledger), as for the command itself.
    if let Ok(c) = crate::config::load() {
        crate::config::apply(&c, &mut cli, &matches);
    }
    let mut buf = Vec::new();
    match crate::run(&cli, ctx, &mut buf) {
        Ok(_) => serde_json::from_slice(&buf).map_err(|e| EngineError {
            status: 500,
            message: format!("the command's JSON cannot be read: {e}"),
        }),
        Err(e) => {
            let missing = e.chain().any(|c| c.is::<crate::ledger::MissingLedger>());
            let status = if missing {
                404
            } else if crate::exit_code(&e) == 2 {
                400
            } else {
                500
            };
            Err(EngineError {
                status,
                message: format!("{e:#}"),
            })
        }
    }
}

fn flag(argv: &mut Vec<String>, name: &str, v: &str) {
    argv.push(format!("--{name}={v}"));
}

fn filters(argv: &mut Vec<String>, f: &Filters, dimensions: bool) {
    for (k, v) in [
        ("since", &f.since),
        ("until", &f.until),
        ("tz", &f.tz),
        ("currency", &f.currency),
    ] {
        if let Some(v) = v {
            flag(argv, k, v);
        }
    }
    for v in &f.fx {
        flag(argv, "fx", v);
    }
    for v in &f.model {
        flag(argv, "model", v);
    }
    if dimensions {
        for (k, vs) in [
            ("project", &f.project),
            ("tag", &f.tag),
            ("key", &f.key),
            ("device", &f.device),
            ("source", &f.source),
            ("provider", &f.provider),
        ] {
            for v in vs {
                flag(argv, k, v);
            }
        }
    }
}

/// The query pairs as flags: `allowed` value flags (query `a_b` is `--a-b`),
/// `bools` switches, `positional` the one name given without a flag.
fn quote_args(
    q: &[(String, String)],
    allowed: &[&str],
    bools: &[&str],
    positional: Option<&str>,
) -> Result<Vec<String>, EngineError> {
    let mut argv = Vec::new();
    let mut pos = Vec::new();
    for (k, v) in q {
        if k == "token" {
            continue;
        }
        if Some(k.as_str()) == positional {
            pos.push(v.clone());
        } else if allowed.contains(&k.as_str()) {
            flag(&mut argv, &k.replace('_', "-"), v);
        } else if bools.contains(&k.as_str()) {
            if matches!(v.as_str(), "" | "1" | "true" | "yes" | "on") {
                argv.push(format!("--{}", k.replace('_', "-")));
            }
        } else {
            return Err(EngineError::bad(format!(
                "unknown parameter `{k}`: use {}",
                allowed
                    .iter()
                    .chain(bools)
                    .chain(positional.iter())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if pos.len() > 1 {
        return Err(EngineError::bad("give one `model`"));
    }
    argv.extend(pos);
    Ok(argv)
}

fn is_amount(s: &str) -> bool {
    let t = s.trim().trim_start_matches('$').replace(',', "");
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
}

impl Engine for CliEngine {
    fn report(&self, period: &str, f: &Filters) -> Result<Value, EngineError> {
        if !llmcost_web::engine::PERIODS.contains(&period) {
            return Err(EngineError::bad(format!(
                "unknown report `{period}`: use one of {}",
                llmcost_web::engine::PERIODS.join(", ")
            )));
        }
        let mut argv = vec![
            "report".to_string(),
            period.to_string(),
            "--format=json".into(),
        ];
        argv.extend(self.ledger.iter().map(|l| format!("--ledger={l}")));
        filters(&mut argv, f, true);
        match f.group.as_deref() {
            None => {}
            Some("model") => argv.push("--breakdown".into()),
            Some(g) => flag(&mut argv, "breakdown", g),
        }
        self.ledger_json(argv)
    }

    fn reconcile(&self, f: &Filters, billed: &str) -> Result<Value, EngineError> {
        let billed = if is_amount(billed) {
            billed.trim().to_string()
        } else if let Some(p) = self
            .bills
            .iter()
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == billed))
        {
            p.display().to_string()
        } else {
            return Err(EngineError::bad(format!(
                "`billed` is an amount (e.g. 12.34) or the file name of a bill given to `llmcost serve --bill FILE`; `{billed}` is neither"
            )));
        };
        let mut argv = vec![
            "reconcile".to_string(),
            format!("--billed={billed}"),
            "--format=json".into(),
        ];
        argv.extend(self.ledger.iter().map(|l| format!("--ledger={l}")));
        filters(&mut argv, f, false);
        self.ledger_json(argv)
    }

    fn prices(&self, q: &[(String, String)]) -> Result<Value, EngineError> {
        let mut argv = vec!["prices".to_string(), "--format=json".into()];
        argv.extend(quote_args(
            q,
            &["at", "provider"],
            &["history"],
            Some("model"),
        )?);
        run_json(self.ctx, argv)
    }

    fn compare(&self, q: &[(String, String)]) -> Result<Value, EngineError> {
        let mut argv = vec!["compare".to_string(), "--format=json".into()];
        argv.extend(quote_args(
            q,
            &[
                "model",
                "input",
                "output",
                "cache_read",
                "ratio",
                "reference",
                "at",
                "currency",
                "fx",
            ],
            &[],
            None,
        )?);
        run_json(self.ctx, argv)
    }

    fn forecast(&self, q: &[(String, String)]) -> Result<Value, EngineError> {
        let mut argv = vec!["forecast".to_string(), "--format=json".into()];
        argv.extend(quote_args(
            q,
            &[
                "model",
                "requests_per_day",
                "input",
                "output",
                "cache_hit_rate",
                "days",
                "from",
                "hours",
                "tz",
                "at",
                "currency",
                "fx",
            ],
            &[],
            None,
        )?);
        run_json(self.ctx, argv)
    }
}

/// The dashboard of a ledger (and of a proxy in this process, if any).
pub fn web_state(
    ctx: &'static Ctx,
    ledger: Option<String>,
    bills: Vec<PathBuf>,
    token: Option<String>,
    proxy: Option<llmcost_proxy::ProxyState>,
) -> Result<llmcost_web::WebState> {
    let at = crate::ledger::location(ledger.as_deref().map(std::path::Path::new))?;
    let file = at.path().map(std::path::Path::to_path_buf);
    Ok(llmcost_web::WebState::new(llmcost_web::Options {
        engine: Arc::new(CliEngine {
            ctx,
            ledger,
            bills,
            file,
            cache: std::sync::Mutex::default(),
        }),
        token,
        catalog: ctx.catalog()?,
        proxy,
    }))
}

pub fn run(args: &ServeArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let token = args.token.resolve()?;
    let addrs = llmcost_web::check_listen(&args.listen, token.as_deref())
        .map_err(|e| crate::common::usage_err!("{e}"))?;
    let shown = crate::ledger::location(args.ledger.as_deref().map(std::path::Path::new))?;
    for b in &args.bill {
        if !b.is_file() {
            crate::common::usage_bail!("the bill {} is not a file", b.display());
        }
    }
    let state = web_state(ctx, args.ledger.clone(), args.bill.clone(), token, None)?;
    let listener = std::net::TcpListener::bind(&addrs[..])
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    writeln!(
        out,
        "llmcost dashboard on http://{local}/ (ledger {shown}); Ctrl-C stops it"
    )?;
    out.flush()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        llmcost_web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    })
    .context("the dashboard stopped with an error")?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_quote_flags() {
        assert!(is_amount("12.34"));
        assert!(is_amount("$1,234.5"));
        assert!(!is_amount("../etc/passwd"));
        assert!(!is_amount("1.2.3"));
        let q = vec![
            ("model".to_string(), "gpt-4o".to_string()),
            ("history".to_string(), "true".to_string()),
        ];
        assert_eq!(
            quote_args(&q, &["at"], &["history"], Some("model")).ok(),
            Some(vec!["--history".to_string(), "gpt-4o".to_string()])
        );
        let bad = vec![("ledger".to_string(), "/tmp/x".to_string())];
        assert!(quote_args(&bad, &["at"], &[], None).is_err());
    }
}

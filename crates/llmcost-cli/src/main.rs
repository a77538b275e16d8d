//! `llmcost`: exact LLM API costs from a curated, dated price catalog.

mod args;
mod commands;
mod common;
mod config;
mod ctx;
mod ledger;
mod output;
mod printer;

use std::io::Write;
use std::process::ExitCode;

use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches};

use crate::args::{Cli, Command};
use crate::commands::ExitStatus;

fn run(cli: &Cli, ctx: &'static ctx::Ctx, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Cost(a) => commands::cost::run(a, ctx, out),
        Command::Estimate(a) => commands::estimate::run(a, ctx, out),
        Command::Blend(a) => commands::blend::run(a, ctx, out),
        Command::Compare(a) => commands::compare::run(a, ctx, out),
        Command::Forecast(a) => commands::forecast::run(a, ctx, out),
        Command::Prices(a) => commands::prices::run(a, ctx, out),
        Command::Import(a) => commands::import::run(a, ctx, out),
        Command::Reprice(a) => commands::reprice::run(a, ctx, out),
        Command::Report(a) => commands::report::run(a, ctx, out),
        Command::Reconcile(a) => commands::reconcile::run(a, ctx, out),
        Command::Proxy(a) => commands::proxy::run(a, ctx, out),
        Command::Serve(a) => commands::serve::run(a, ctx, out),
        Command::Ledger(a) => commands::ledger_admin::run(a, out),
        Command::Completions(a) => commands::shell::completions(a.shell, out),
        Command::Man => commands::shell::man(out),
    }
}

/// Exit codes (documented in the README, "Exit codes").
mod code {
    /// Done, with at most notes (e.g. a last log line still being written).
    pub const DONE: u8 = 0;
    /// Done, but some input was skipped or left unpriced (JSON lists it in `issues`).
    pub const PARTIAL: u8 = 1;
    /// Usage or configuration error: nothing was done (clap's own errors too).
    pub const USAGE: u8 = 2;
    /// The command failed: I/O, the ledger, input that cannot be read at all.
    pub const FAILED: u8 = 3;
}

/// The exit code of an error: the outermost error of a known kind decides;
/// anything unclassified is a failure.
fn exit_code(e: &anyhow::Error) -> u8 {
    use llmcost_logs::Error as LogsError;
    use llmcost_proxy::ConfigError;
    for c in e.chain() {
        if let Some(q) = c.downcast_ref::<llmcost_app::quote::Error>() {
            return if q.is_invalid_input() {
                code::USAGE
            } else {
                code::FAILED
            };
        }
        // An application-layer error says its kind, or leaves it to its source.
        if let Some(usage) = c
            .downcast_ref::<llmcost_app::Error>()
            .and_then(llmcost_app::Error::is_usage)
        {
            return if usage { code::USAGE } else { code::FAILED };
        }
        if c.is::<common::UsageError>()
            || c.is::<clap::Error>()
            || c.is::<llmcost_catalog::LookupError>()
            || c.is::<llmcost_catalog::LoadError>()
            || c.is::<llmcost_core::CurrencyError>()
            || c.is::<ledger::MissingLedger>()
            || c.is::<commands::import::UnknownCurrency>()
        {
            return code::USAGE;
        }
        if let Some(p) = c.downcast_ref::<llmcost_catalog::PriceError>() {
            return match p {
                llmcost_catalog::PriceError::Engine(llmcost_core::Error::Overflow) => code::FAILED,
                _ => code::USAGE,
            };
        }
        if let Some(p) = c.downcast_ref::<llmcost_core::Error>() {
            return match p {
                llmcost_core::Error::Overflow => code::FAILED,
                _ => code::USAGE,
            };
        }
        if let Some(l) = c.downcast_ref::<LogsError>() {
            return match l {
                LogsError::UnknownKind(_) | LogsError::NotFound(_) => code::USAGE,
                LogsError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    code::USAGE
                }
                _ => code::FAILED,
            };
        }
        if let Some(p) = c.downcast_ref::<ConfigError>() {
            return match p {
                ConfigError::Ledger(_) | ConfigError::Io(_) => code::FAILED,
                _ => code::USAGE,
            };
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            // A path given on the command line that does not exist, an invalid address.
            return if matches!(
                io.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidInput
            ) {
                code::USAGE
            } else {
                code::FAILED
            };
        }
        if c.is::<llmcost_ledger::LedgerError>()
            || c.is::<llmcost_usage::Error>()
            || c.is::<llmcost_price_import::ImportError>()
        {
            return code::FAILED;
        }
    }
    code::FAILED
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let g = cli.global.clone();
    let quiet = g.quiet || matches!(&cli.command, Command::Import(a) if a.quiet);
    let printer =
        printer::Printer::new(quiet, g.color.colors(std::io::stderr().is_terminal())).install();
    output::set_style(output::Style {
        color: g.color.colors(std::io::stdout().is_terminal()),
        ascii: g.ascii,
        width: if g.wide {
            None
        } else {
            output::terminal_width()
        },
    });
    match config::load() {
        Ok(c) => config::apply(&c, &mut cli, &matches),
        Err(e) => {
            printer.error(&format!("{e:#}"));
            return ExitCode::from(code::USAGE);
        }
    }
    // Settings resolved once; the context lives for the whole run.
    let ctx: &'static ctx::Ctx = Box::leak(Box::new(ctx::Ctx::new(cli.layers.clone(), printer)));
    let mut out = std::io::BufWriter::new(printer.stdout());
    let result = run(&cli, ctx, &mut out).and_then(|s| {
        out.flush()?;
        Ok(s)
    });
    match result {
        // A user catalog file skipped is input skipped.
        Ok(ExitStatus::Success) if ctx.layers.skipped() == 0 => ExitCode::from(code::DONE),
        Ok(ExitStatus::Success | ExitStatus::Partial) => ExitCode::from(code::PARTIAL),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = out.flush();
            printer.error(&format!("{e:#}"));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::{code, exit_code};
    use crate::common::UsageError;

    fn io(kind: std::io::ErrorKind) -> anyhow::Error {
        anyhow::Error::new(std::io::Error::from(kind)).context("cannot read x")
    }

    #[test]
    fn errors_map_to_the_policy() {
        // A usage error stays one under context.
        let e = anyhow::Error::new(UsageError::new("bad flag")).context("invalid --at");
        assert_eq!(exit_code(&e), code::USAGE);
        assert_eq!(exit_code(&io(std::io::ErrorKind::NotFound)), code::USAGE);
        assert_eq!(
            exit_code(&io(std::io::ErrorKind::PermissionDenied)),
            code::FAILED
        );
        let unknown = llmcost_catalog::LookupError::UnknownModel {
            name: "x".into(),
            suggestions: vec![],
        };
        assert_eq!(exit_code(&anyhow::Error::new(unknown)), code::USAGE);
        let ledger = llmcost_ledger::LedgerError::Conflict("locked".into());
        assert_eq!(
            exit_code(&anyhow::Error::new(ledger).context("cannot write to the ledger")),
            code::FAILED
        );
        // Unclassified: the command failed.
        assert_eq!(exit_code(&anyhow::anyhow!("something broke")), code::FAILED);
        let r: Result<(), std::io::Error> = Err(std::io::ErrorKind::InvalidInput.into());
        assert_eq!(
            exit_code(&r.context("cannot listen on here").unwrap_err()),
            code::USAGE
        );
    }
}

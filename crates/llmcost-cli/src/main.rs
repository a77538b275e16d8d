//! `llmcost`: exact LLM API costs from a curated, dated price catalog.

mod args;
mod commands;
mod common;
mod ledger;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::ExitStatus;

fn run(cli: &Cli, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Cost(a) => commands::cost::run(a, out),
        Command::Estimate(a) => commands::estimate::run(a, out),
        Command::Blend(a) => commands::blend::run(a, out),
        Command::Compare(a) => commands::compare::run(a, out),
        Command::Forecast(a) => commands::forecast::run(a, out),
        Command::Prices(a) => commands::prices::run(a, out),
        Command::Import(a) => commands::import::run(a, out),
        Command::Reprice(a) => commands::reprice::run(a, out),
        Command::Report(a) => commands::report::run(a, out),
        Command::Reconcile(a) => commands::reconcile::run(a, out),
        Command::Proxy(a) => commands::proxy::run(a, out),
        Command::Completions(a) => commands::shell::completions(a.shell, out),
        Command::Man => commands::shell::man(out),
    }
}

#[expect(clippy::print_stderr, reason = "main reports errors on stderr")]
fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::catalog_layers::configure(&cli.layers);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(&cli, &mut out).and_then(|s| {
        out.flush()?;
        Ok(s)
    });
    match result {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Partial) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = out.flush();
            let msg = format!("{e:#}");
            let (first, rest) = msg.split_once('\n').unwrap_or((&msg, ""));
            eprintln!("error: {first}");
            if !rest.is_empty() {
                eprintln!("{rest}");
            }
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

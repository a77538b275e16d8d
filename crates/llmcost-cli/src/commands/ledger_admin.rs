//! `llmcost ledger init|prune|copy`: administration of a ledger, a SQLite
//! file or a PostgreSQL URL. The engines are in the ledger crates
//! (`Ledger::prune`, `llmcost_ledger::copy`); this file parses, asks, prints.

use std::io::{IsTerminal as _, Write};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use llmcost_core::Timestamp;
use llmcost_ledger::Ledger;

use super::ExitStatus;
use crate::args::ledger_admin::{CopyArgs, InitArgs, LedgerArgs, LedgerCommand, PruneArgs};

/// `ledger ...`.
///
/// # Errors
/// A ledger that cannot be opened or written; a bad date.
pub fn run(args: &LedgerArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    match &args.command {
        LedgerCommand::Init(a) => init(a, out),
        LedgerCommand::Prune(a) => prune(a, out),
        LedgerCommand::Copy(a) => copy(a, out),
    }
}

fn is_postgres(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// How a ledger is named in messages (a URL's password hidden).
fn shown(target: &str) -> String {
    if is_postgres(target) {
        llmcost_ledger_postgres::redact(target)
    } else {
        target.to_string()
    }
}

/// Opens (creating or migrating) a ledger: a PostgreSQL URL or a SQLite path
/// (`sqlite:` prefix allowed).
fn open(target: &str) -> Result<Box<dyn Ledger>> {
    llmcost_app::ledger::open_ledger(
        std::ffi::OsStr::new(target),
        llmcost_app::ledger::OpenMode::Create,
    )
    .with_context(|| format!("cannot open the ledger {}", shown(target)))
}

fn init(a: &InitArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let (kind, version) = if is_postgres(&a.ledger) {
        ("PostgreSQL", llmcost_ledger_postgres::SCHEMA_VERSION)
    } else {
        ("SQLite", llmcost_ledger_sqlite::SCHEMA_VERSION)
    };
    let l = open(&a.ledger)?;
    let n = l.count().context("cannot count the ledger's records")?;
    writeln!(
        out,
        "ledger ready: {} ({kind}, schema version {version}, {n} records)",
        shown(&a.ledger)
    )?;
    Ok(ExitStatus::Success)
}

/// A date (midnight UTC) or an RFC 3339 instant.
fn parse_before(s: &str) -> Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp());
    }
    crate::common::usage_bail!(
        "--before `{s}` is not a date (2025-03-01) or an RFC 3339 time (2025-03-01T00:00:00Z)"
    )
}

fn prune(a: &PruneArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let before = parse_before(&a.before)?;
    let target = match &a.ledger {
        Some(t) => t.clone(),
        None => crate::ledger::ledger_path(None)?.display().to_string(),
    };
    let mut l = open(&target)?;
    let Some(s) = l
        .prune(before, a.yes)
        .with_context(|| format!("cannot prune the ledger {}", shown(&target)))?
    else {
        crate::common::usage_bail!("the ledger {} cannot be pruned", shown(&target));
    };
    let months = if s.partitions.is_empty() {
        String::new()
    } else {
        format!(
            " ({} whole month{} dropped: {})",
            s.partitions.len(),
            if s.partitions.len() == 1 { "" } else { "s" },
            s.partitions.join(", ")
        )
    };
    if a.yes {
        writeln!(
            out,
            "pruned {}: {} records before {before} removed{months}, {} delete batches",
            shown(&target),
            s.records,
            s.batches
        )?;
    } else {
        writeln!(
            out,
            "would remove {} records before {before} from {}{}{}; nothing was changed\nhint: add --yes to remove them",
            s.records,
            shown(&target),
            if s.partitions.is_empty() {
                String::new()
            } else {
                format!(
                    " (dropping {} whole month partition(s): {})",
                    s.partitions.len(),
                    s.partitions.join(", ")
                )
            },
            if s.batches > 0 {
                format!(", deleting the rest in up to {} batches", s.batches)
            } else {
                String::new()
            }
        )?;
    }
    Ok(ExitStatus::Success)
}

fn copy(a: &CopyArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut from = open(&a.from)?;
    let mut to = open(&a.to)?;
    let total = from.count().unwrap_or(0);
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} copying [{bar:30}] {pos}/{len} records read {msg} ({eta})",
            )
            .map_or_else(
                |_| ProgressStyle::default_bar(),
                |s| s.progress_chars("=> "),
            ),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    // A resumed copy reads only the rest: the bar ends early then.
    let summary = llmcost_ledger::copy::copy(from.as_mut(), to.as_mut(), a.batch, &mut |s| {
        bar.set_position(s.read);
        bar.set_message(format!("{} new", s.inserted));
    })
    .with_context(|| format!("cannot copy {} to {}", shown(&a.from), shown(&a.to)))?;
    bar.finish_and_clear();
    writeln!(
        out,
        "copied {} to {}: {} records read, {} new, {} already there{}",
        shown(&a.from),
        shown(&a.to),
        summary.read,
        summary.inserted,
        summary.duplicates,
        if summary.incremental {
            if summary.resumed_from > 0 {
                " (read from where the last copy stopped)"
            } else {
                ""
            }
        } else {
            " (the source was read whole: it keeps no insertion order to resume from)"
        }
    )?;
    Ok(ExitStatus::Success)
}

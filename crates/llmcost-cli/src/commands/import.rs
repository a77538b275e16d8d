//! `llmcost import [PATH...]`: read usage logs and exports into the ledger.
//!
//! Files are found by `llmcost_logs::discover` (the default roots when no path
//! is given). Each file is read from where the last import stopped (its
//! recorded progress) unless the part of its first 4 KiB that was imported
//! changed (the file was replaced or truncated): then it is read again from
//! the start and the records' dedup keys keep the ledger free of doubles.
//! Every record is priced at its own timestamp in one currency; a model
//! without a price is stored with no cost (never zero).
//!
//! Files are scanned and priced on worker threads; this thread writes to the
//! ledger in transactions of [`COMMIT_RECORDS`] records, each with the progress
//! of the files finished by then, so a progress is never stored before its
//! records. An interrupted import leaves the ledger consistent: what was
//! committed stays, the progress of unfinished files does not move, and the
//! next import reads those lines again and skips them as duplicates. A second
//! connection checkpoints the write-ahead log beside the inserts.
//!
//! # Wire format (`--format json`)
//!
//! `ledger` (path), `currency`, `files` (files found), `files_read` (files with
//! new bytes), `files_unchanged`, `files_reread` (replaced or truncated, read
//! from the start), `lines`, `records_read`, `records_new`, `duplicates`,
//! `unpriced[]` (`model`, `records`, `tokens`, `reason`), `issues` (`count`,
//! `first[]` with `path`, `line`, `message`), `notes[]` (only when there are
//! some: `path`, `line`, `message` of a last line still being written),
//! `failed_files[]` (`path`,
//! `error`: files and folders not read).

use crate::ctx::Ctx;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use llmcost_app::import::{FailedFile, ImportSummary, Progress};
use llmcost_app::ledger::{Location, OpenMode};
use llmcost_core::Currency;
use llmcost_logs::SourceKind;

use super::ExitStatus;
use crate::args::{Format, ImportArgs};
use crate::output::int;

pub use llmcost_app::UnknownCurrency;
pub use llmcost_app::import::check_currency;

pub fn run(args: &ImportArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let kind = args
        .source
        .as_deref()
        .map(SourceKind::from_str)
        .transpose()
        .context("invalid --source")?;
    let currency = Currency::new(&args.currency).context("invalid --currency")?;
    check_currency(ctx.catalog()?, currency)?;
    let found = llmcost_logs::find(&args.paths, kind).context("cannot find the files to import")?;
    let files = found.files;
    // A ledger this import creates is removed again if the import fails
    // before storing anything: no empty ledger is left behind.
    let at = crate::ledger::location(args.ledger.path.as_deref())?;
    let created = !at.exists();
    let result = import_into(args, ctx, &at, &files, currency);
    if created && result.is_err() {
        llmcost_app::ledger::remove_if_empty(&at);
    }
    let mut summary = result?;
    for i in found.skipped {
        summary.failed_files.push(FailedFile {
            path: i.path.display().to_string(),
            error: i.message,
        });
    }
    report(&summary, args.format, out)
}

fn import_into(
    args: &ImportArgs,
    ctx: &Ctx,
    at: &Location,
    files: &[(PathBuf, SourceKind)],
    currency: Currency,
) -> Result<ImportSummary> {
    let mut ledger = crate::ledger::open_at(at, OpenMode::Create)?;
    if files.is_empty() {
        warn(if args.paths.is_empty() {
            "nothing to import: no Claude Code or Codex CLI logs in their default folders; give PATHs"
        } else {
            "nothing to import: no usage files under the given paths"
        });
    }
    // `import -q` and the global `-q` both make the printer quiet (see main).
    let show_bar = ctx.printer.shows_progress();
    let mut bar = Bar {
        show: show_bar,
        bar: ProgressBar::hidden(),
    };
    Ok(llmcost_app::import::import(
        ctx.catalog()?,
        ledger.as_mut(),
        files,
        currency,
        &llmcost_app::device::import_device(args.device.as_deref()),
        at.to_string(),
        &mut bar,
    )?)
}

/// The progress bar on stderr (a terminal only, unless `--quiet`).
struct Bar {
    show: bool,
    bar: ProgressBar,
}

impl Progress for Bar {
    fn start(&mut self, bytes: u64) {
        if !self.show {
            return;
        }
        let b = ProgressBar::new(bytes);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} importing [{bar:30}] {binary_bytes}/{binary_total_bytes} {msg} ({eta})",
            )
            .map_or_else(
                |_| ProgressStyle::default_bar(),
                |s| s.progress_chars("=> "),
            ),
        );
        self.bar = b;
    }
    fn advance(&mut self, bytes: u64) {
        self.bar.inc(bytes);
    }
    fn records(&mut self, records: u64) {
        self.bar.set_message(format!("{} records", int(records)));
    }
    fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn report(s: &ImportSummary, format: Format, out: &mut dyn Write) -> Result<ExitStatus> {
    warn_issues(s);
    for w in &s.warnings {
        warn(w);
    }
    match format {
        Format::Json => {
            // Exit policy: a model left unpriced is an issue too (exit 1).
            crate::output::write_json(out, &s.wire())?;
        }
        Format::Table => {
            writeln!(out, "ledger:              {}", s.ledger)?;
            writeln!(
                out,
                "files:               {} found, {} read, {} unchanged, {} read again from the start",
                int(s.files),
                int(s.files_read),
                int(s.files_unchanged),
                int(s.files_reread)
            )?;
            writeln!(out, "lines read:          {}", int(s.lines))?;
            writeln!(out, "records read:        {}", int(s.records_read))?;
            writeln!(out, "new records:         {}", int(s.records_new))?;
            writeln!(out, "duplicates skipped:  {}", int(s.duplicates))?;
            writeln!(out, "malformed lines:     {}", int(s.issues.count))?;
            if !s.failed_files.is_empty() {
                writeln!(
                    out,
                    "files not read:      {}",
                    int(s.failed_files.len() as u64)
                )?;
            }
            if !s.unpriced.is_empty() {
                writeln!(
                    out,
                    "\nunpriced models (stored without a cost in {}):",
                    s.currency
                )?;
                for u in &s.unpriced {
                    writeln!(
                        out,
                        "  {}: {} records, {} tokens — {}",
                        u.model,
                        int(u.records),
                        int(u.tokens),
                        u.reason
                    )?;
                }
            }
        }
    }
    crate::common::warn_unpriced(s.unpriced.iter().map(|u| u.model.as_str()));
    // Skipped input or records stored without a cost: done, but not all of it.
    Ok(
        if s.issues.count > 0 || !s.failed_files.is_empty() || !s.unpriced.is_empty() {
            ExitStatus::Partial
        } else {
            ExitStatus::Success
        },
    )
}

fn warn(msg: &str) {
    crate::printer::Printer::current().warn(msg);
}

/// Notes, skipped lines and failed files, on stderr through the printer.
fn warn_issues(s: &ImportSummary) {
    let p = crate::printer::Printer::current();
    for n in &s.notes {
        p.note(&format!("{}:{}: {}", n.path, n.line, n.message));
    }
    for i in &s.issues.first {
        if i.line == 0 {
            p.warn(&format!("{}: skipped: {}", i.path, i.message));
        } else {
            p.warn(&format!("{}:{}: skipped: {}", i.path, i.line, i.message));
        }
    }
    let shown = s.issues.first.len() as u64;
    if s.issues.count > shown {
        p.warn(&format!(
            "{} more malformed lines not shown",
            int(s.issues.count - shown)
        ));
    }
    for f in &s.failed_files {
        p.warn(&format!("{}: not imported: {}", f.path, f.error));
    }
}

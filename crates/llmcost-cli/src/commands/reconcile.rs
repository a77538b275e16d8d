//! `llmcost reconcile --billed FILE|AMOUNT`: the cost of the recorded usage
//! against what the provider billed, per day and model, with the likely
//! explanation of each difference where one can be computed.
//!
//! The usage comes from the ledger (`--ledger`, `$LLMCOST_LEDGER`, the data
//! directory) or, with PATHs, straight from logs as `report` reads them.
//!
//! # The bill
//!
//! `--billed AMOUNT` (e.g. `23.5`) compares one amount with the whole period
//! (`--since`/`--until`). `--billed FILE` reads:
//! * **CSV** with a header: `date` (a date or an RFC 3339 time; `day` is also
//!   accepted), `amount` (or `cost`, `billed`), optional `model` and
//!   `currency` (default: the report currency). A line without a model is
//!   compared with the whole day.
//! * **JSON**: a list of objects with the same keys (or `{"items": [...]}`),
//!   an OpenAI costs API page (`data[].results[]` with `amount.value`,
//!   `amount.currency`, `line_item` such as `gpt-4o-2024-08-06, input`; the
//!   bucket's `start_time` is the day) or an Anthropic cost report
//!   (`data[].results[]` with `amount` in cents as a decimal string,
//!   `currency`, `model`; `starting_at` is the day).
//!
//! Lines of one day and model are added up. Days are the ledger's days cut in
//! `--tz` (default `TZ`, else UTC): OpenAI and Anthropic cut their days in UTC.
//!
//! # Explanations (tried in this order; a bill "matches" within 0.5% or 0.01)
//!
//! 1. a missing day: billed but no usage recorded, or recorded but not billed;
//! 2. the previous or next day matches: the bill cuts days in another zone;
//! 3. cache hits priced as misses: the cost with every cache read billed at
//!    the input rate matches;
//! 4. a time window: the day's usage priced all at the off-peak, or all at the
//!    standard rates matches (time-of-day prices such as DeepSeek's);
//! 5. otherwise the input/output split of the day's tokens that explains the
//!    bill exactly (as `estimate --billed`), or that none can.
//!
//! # Wire format (`--format json`)
//!
//! `currency`, `tz`, `rows[]` (`date`, `model` (null for a whole day),
//! `ledger_cost`, `billed`, `difference` (ledger − billed), `difference_percent`
//! (of the bill, 4 decimals, null for a zero bill), `tokens` (`input`,
//! `cache_read`, `cache_write`, `cache_write_1h`, `output`, `reasoning`,
//! `total_tokens`), `records`, `matches`, `explanation`), `totals` (`ledger_cost`,
//! `billed`, `difference`, `difference_percent`), `unpriced[]` (`model`,
//! `records`, `total_tokens`, `reason`).

use crate::ctx::Ctx;
use std::io::Write;

use anyhow::{Context, Result};
use llmcost_app::reconcile::{ReconcileReport, Tolerance, bill_currency, read_bill};
use llmcost_app::report::{Input, ReportSettings};
use llmcost_core::round_for_display;

use super::ExitStatus;
use crate::args::{Format, ReconcileArgs};
use crate::output::{Align, Display, Table, int, write_json};

pub fn run(args: &ReconcileArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let tolerance = Tolerance::parse(args.tolerance.as_deref())?;
    let bill = read_bill(&args.billed)?;
    let currency = match &args.money.currency {
        Some(c) => Some(c.clone()),
        None => bill_currency(&bill)?.map(|c| c.as_str().to_string()),
    };
    let s = ReportSettings::resolve(
        currency.as_deref(),
        &args.money.fx,
        args.window.tz.as_deref(),
        args.window.since.as_deref(),
        args.window.until.as_deref(),
        &args.window.model,
    )
    .map_err(|e| crate::common::into_usage(e.into()))?;
    if let Some(c) = bill.currencies().iter().find(|c| **c != s.currency) {
        crate::common::usage_bail!(
            "the bill is in {c} but the comparison is in {}: pass --currency {c}",
            s.currency
        );
    }
    let source = args
        .source
        .as_deref()
        .map(str::parse::<llmcost_logs::SourceKind>)
        .transpose()
        .context("invalid --source")?;
    let report = if args.paths.is_empty() {
        let led = crate::ledger::open_ledger_read(args.ledger.path.as_deref())?;
        llmcost_app::reconcile::run(
            ctx.catalog()?,
            &s,
            &bill,
            tolerance,
            Input::Ledger(led.as_ref()),
        )?
    } else {
        let input = Input::Paths {
            paths: &args.paths,
            source,
        };
        llmcost_app::reconcile::run(ctx.catalog()?, &s, &bill, tolerance, input)?
    };
    match args.format {
        Format::Json => write_json(out, &report)?,
        Format::Table => render(out, &report)?,
    }
    Ok(if report.within_tolerance && report.unpriced.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    })
}

fn render(out: &mut dyn Write, r: &ReconcileReport) -> Result<()> {
    let mut d = Display::default();
    let lc = format!("recorded {}", r.currency);
    let bc = format!("billed {}", r.currency);
    let mut t = Table::new(&[
        ("day", Align::Left),
        ("model", Align::Left),
        ("tokens", Align::Right),
        (lc.as_str(), Align::Right),
        (bc.as_str(), Align::Right),
        ("difference", Align::Right),
        ("%", Align::Right),
    ]);
    let mut notes = Vec::new();
    for (i, l) in r.rows.iter().enumerate() {
        let mark = if l.matches {
            String::new()
        } else {
            notes.push(format!(
                "[{}] {} {}: {}",
                i + 1,
                l.date,
                l.model.as_deref().unwrap_or("(all models)"),
                l.explanation
            ));
            format!(" [{}]", i + 1)
        };
        t.row(vec![
            l.date.clone(),
            l.model.clone().unwrap_or_else(|| "(all)".into()),
            int(l.tokens.total_tokens),
            d.rounded(l.ledger_cost, 4),
            d.rounded(l.billed, 4),
            format!("{}{}", d.rounded(l.difference, 4), mark),
            l.difference_percent.map_or_else(
                || "-".into(),
                |p| format!("{}%", round_for_display(p, 2).normalize()),
            ),
        ]);
    }
    t.rule();
    t.row(vec![
        "total".into(),
        String::new(),
        String::new(),
        d.rounded(r.totals.ledger_cost, 4),
        d.rounded(r.totals.billed, 4),
        d.rounded(r.totals.difference, 4),
        r.totals.difference_percent.map_or_else(
            || "-".into(),
            |p| format!("{}%", round_for_display(p, 2).normalize()),
        ),
    ]);
    let mut s = t.render();
    if notes.is_empty() {
        s.push_str("\nevery line matches the bill (within 0.5% or 0.01)\n");
    } else {
        s.push('\n');
        for n in notes {
            s.push_str(&n);
            s.push('\n');
        }
    }
    for u in &r.unpriced {
        s.push_str(&format!(
            "unpriced: {}: {} records, {} tokens — {}\n",
            u.model,
            int(u.records),
            int(u.total_tokens),
            u.reason
        ));
    }
    s.push_str(&format!(
        "days cut in {}; difference = recorded − billed\n",
        r.tz
    ));
    if !r.within_tolerance {
        s.push_str(&format!(
            "the total difference is beyond the tolerance of {} {} (exit code 1; --tolerance sets it)\n",
            r.tolerance, r.currency
        ));
    }
    if let Some(n) = d.footnote() {
        s.push_str(n);
        s.push('\n');
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

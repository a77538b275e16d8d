//! `llmcost report daily|weekly|monthly|model|session [PATH...]`: usage and
//! cost per period, per model or per session.
//!
//! Two modes:
//! * **paths** (positional `PATH`s or `--path DIR`, the two are the same list):
//!   the logs are read directly, without importing — files in parallel, each
//!   streamed; across files only fixed-size hashes are kept, to de-duplicate.
//!   Claude Code side-chain copies of a message counted outside the side chain
//!   are dropped across files too. `--logs` reads the default log folders
//!   (Claude Code and Codex CLI) the same way.
//! * **ledger** (no path): the records of the ledger (`--ledger PATH`, else
//!   `$LLMCOST_LEDGER`, else the data directory). A record's stored cost is
//!   used when it is in the report's currency; otherwise it is priced again.
//!
//! Every record is priced at the price in force at its own timestamp
//! (time-of-day windows and long-context tiers included) in one currency
//! (`--currency`, USD by default; `--fx CUR=RATE` converts a model listed only
//! in another currency). A model with no price is listed in `unpriced[]` with
//! its tokens and never counted as zero.
//!
//! Days are cut in `--tz`, else the `TZ` environment variable, else UTC.
//!
//! # Wire format (`--format json`)
//!
//! `report`, `currency`, `tz`, `mode` (`paths`|`ledger`), `rows[]`, `totals`,
//! `unpriced[]`, `fx[]`, `issues` (`count`, `first[]` with `path`, `line`,
//! `message`), `notes[]` (only when there are some: `path`, `line`,
//! `message` of a last line still being written, left for the next read),
//! `files`. A row: `period` (daily and weekly: `YYYY-MM-DD`, the
//! week's Monday for weekly; monthly `YYYY-MM`; model: the model; session:
//! the session id, with `project`), `input`, `cache_read`, `cache_write`,
//! `cache_write_1h`, `output`, `reasoning`, `total_tokens`, `records`, `cost`
//! (exact decimal string, priced records only), `currency`,
//! `cost_per_million` (per million priced tokens, 10 decimals at most, or
//! null), `unpriced_tokens`, and with `--breakdown` `models[]` (the same keys
//! with `model` instead of `period`; `cost` is null for an unpriced model).
//! `totals` has the row keys but `period`. `unpriced[]`: `model`, `records`,
//! the bucket keys, `total_tokens`, `reason`.

use crate::ctx::Ctx;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use llmcost_app::report::{
    DimFilters, Dimension, Input, IssueRow, Issues, Report, ReportQuery, ReportSettings, Tokens,
};
use llmcost_core::Decimal;
use llmcost_logs::SourceKind;

use super::ExitStatus;
use crate::args::{Period, ReportArgs, ReportFormat};
use crate::output::{Align, Display, Table, int};

impl From<Period> for llmcost_app::report::Period {
    fn from(p: Period) -> Self {
        match p {
            Period::Daily => Self::Daily,
            Period::Weekly => Self::Weekly,
            Period::Monthly => Self::Monthly,
            Period::Model => Self::Model,
            Period::Session => Self::Session,
            Period::Project => Self::Project,
            Period::Provider => Self::Provider,
            Period::Source => Self::Source,
            Period::Tag => Self::Tag,
            Period::Key => Self::Key,
            Period::Device => Self::Device,
        }
    }
}

// ---------------------------------------------------------------------------
// Command

pub fn run(args: &ReportArgs, ctx: &'static Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = ReportSettings::resolve(
        args.money.currency.as_deref(),
        &args.money.fx,
        args.window.tz.as_deref(),
        args.window.since.as_deref(),
        args.window.until.as_deref(),
        &args.window.model,
    )
    .map_err(|e| crate::common::into_usage(e.into()))?;
    let mut paths = args.paths.clone();
    paths.extend(args.path.iter().cloned());
    // `--breakdown PATH`: a bare `--breakdown` followed by a path.
    let breakdown_by = match args.breakdown.as_deref() {
        None => None,
        Some(b) => match b.parse::<Dimension>() {
            Ok(d) => Some(d),
            Err(_) if std::path::Path::new(b).exists() => {
                paths.push(PathBuf::from(b));
                Some(Dimension::Model)
            }
            Err(e) => crate::common::usage_bail!("--breakdown: {e}"),
        },
    };
    if args.logs {
        let roots = llmcost_logs::default_roots();
        if roots.is_empty() {
            crate::common::usage_bail!(
                "no Claude Code or Codex log folder was found\nhint: set CLAUDE_CONFIG_DIR or CODEX_HOME, or give the PATHs to read"
            );
        }
        paths = roots;
    }
    // With paths, `--source` names their format (and so selects it all); from
    // the ledger it filters records by source.
    let (source, sources) = if paths.is_empty() {
        (None, args.source.clone())
    } else {
        match args.source.as_slice() {
            [] => (None, Vec::new()),
            [one] => (
                Some(one.parse::<SourceKind>().context("invalid --source")?),
                Vec::new(),
            ),
            _ => crate::common::usage_bail!(
                "--source names the format of the PATHs: give it once\nhint: to report several sources, import them and report from the ledger with --source A --source B"
            ),
        }
    };
    let q = ReportQuery {
        period: args.period.into(),
        settings: s,
        breakdown: breakdown_by.is_some(),
        breakdown_by: breakdown_by.unwrap_or(Dimension::Model),
        filters: DimFilters {
            projects: args.project.clone(),
            providers: args.provider.clone(),
            sources,
            tags: args.tag.clone(),
            keys: args.key.clone(),
            devices: args.device.clone(),
        },
    };
    let report = if paths.is_empty() {
        let led = crate::ledger::open_ledger_read(args.ledger.path.as_deref())?;
        llmcost_app::report::run(ctx.catalog()?, &q, Input::Ledger(led.as_ref()))?
    } else {
        if args.ledger.path.is_some() {
            crate::common::usage_bail!(
                "give either PATHs to read directly or --ledger, not both\nhint: `llmcost import PATH... --ledger FILE` adds logs to a ledger"
            );
        }
        let input = Input::Paths {
            paths: &paths,
            source,
        };
        llmcost_app::report::run(ctx.catalog()?, &q, input)?
    };
    match args.format {
        ReportFormat::Json => crate::output::write_json(out, &report)?,
        ReportFormat::Csv => write_csv(out, &report)?,
        ReportFormat::Table => write_table(out, &report)?,
    }
    if args.verbose {
        say_how_read(&report.read);
    }
    report_issues(&report.read_issues, &report.notes);
    crate::common::warn_unpriced(report.unpriced.iter().map(|u| u.model.as_str()));
    // Skipped input or unpriced usage: done, but not everything is counted.
    Ok(if report.issues.count > 0 || !report.unpriced.is_empty() {
        ExitStatus::Partial
    } else {
        ExitStatus::Success
    })
}

/// How the usage was read (`--verbose`), on stderr through the printer.
fn say_how_read(read: &str) {
    crate::printer::Printer::current().lines(&format!("report: {read}"));
}

/// Notes and unreadable lines, on stderr through the printer (`--quiet` drops them).
fn report_issues(i: &Issues, notes: &[IssueRow]) {
    let p = crate::printer::Printer::current();
    for n in notes {
        p.note(&format!("{}:{}: {}", n.path, n.line, n.message));
    }
    if i.count == 0 {
        return;
    }
    p.warn(&format!(
        "{} line{} could not be read (everything else was counted):",
        i.count,
        if i.count == 1 { "" } else { "s" }
    ));
    for x in &i.first {
        if x.line == 0 {
            p.lines(&format!("  {}: {}", x.path, x.message));
        } else {
            p.lines(&format!("  {}:{}: {}", x.path, x.line, x.message));
        }
    }
    if i.count > i.first.len() as u64 {
        p.lines(&format!(
            "  ... and {} more",
            i.count - i.first.len() as u64
        ));
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut dyn Write, r: &Report) -> Result<()> {
    // The third column holds the breakdown: models, or the values of `--breakdown BY`.
    let by = r.breakdown.map_or("model", Dimension::key);
    writeln!(
        out,
        "period,project,{by},input,cache_read,cache_write,cache_write_1h,output,reasoning,total_tokens,records,cost,currency,cost_per_million,unpriced_tokens"
    )?;
    let dec = |d: Option<Decimal>| d.map(|x| x.to_string()).unwrap_or_default();
    let line = |out: &mut dyn Write,
                period: &str,
                project: &str,
                model: &str,
                t: &Tokens,
                records: u64,
                cost: Option<Decimal>,
                cpm: Option<Decimal>,
                unpriced: u128|
     -> Result<()> {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_cell(period),
            csv_cell(project),
            csv_cell(model),
            t.input,
            t.cache_read,
            t.cache_write,
            t.cache_write_1h,
            t.output,
            t.reasoning,
            t.total_tokens,
            records,
            dec(cost),
            r.currency,
            dec(cpm),
            unpriced
        )?;
        Ok(())
    };
    for row in &r.rows {
        let project = row.project.as_deref().unwrap_or("");
        line(
            out,
            &row.period,
            project,
            "",
            &row.tokens,
            row.records,
            Some(row.cost),
            row.cost_per_million,
            row.unpriced_tokens,
        )?;
        for m in row.models.iter().flatten() {
            line(
                out,
                &row.period,
                project,
                &m.model,
                &m.tokens,
                m.records,
                m.cost,
                m.cost_per_million,
                m.unpriced_tokens,
            )?;
        }
        for g in row.groups.values().flatten() {
            line(
                out,
                &row.period,
                project,
                &g.name,
                &g.tokens,
                g.records,
                g.cost,
                g.cost_per_million,
                g.unpriced_tokens,
            )?;
        }
    }
    let t = &r.totals;
    line(
        out,
        "total",
        "",
        "",
        &t.tokens,
        t.records,
        Some(t.cost),
        t.cost_per_million,
        t.unpriced_tokens,
    )?;
    Ok(())
}

/// A bar of `width` eighths-resolution blocks for `v` out of `max`.
fn bar(v: Decimal, max: Decimal, width: u32) -> String {
    if max <= Decimal::ZERO || v <= Decimal::ZERO {
        return String::new();
    }
    let eighths = (v / max * Decimal::from(width * 8)).round();
    let n = u32::try_from(eighths.mantissa().max(0) / 10i128.pow(eighths.scale()))
        .unwrap_or(0)
        .max(1);
    let full = n / 8;
    let part = n % 8;
    let mut s = "█".repeat(full as usize);
    if part > 0 {
        s.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][part as usize - 1]);
    }
    s
}

fn write_table(out: &mut dyn Write, r: &Report) -> Result<()> {
    let mut d = Display::default();
    use llmcost_app::report::Period;
    let first = match r.report {
        Period::Daily => "day",
        Period::Weekly => "week of",
        Period::Monthly => "month",
        Period::Model => "model",
        Period::Session => "session",
        Period::Project => "project",
        Period::Provider => "provider",
        Period::Source => "source",
        Period::Tag => "tag",
        Period::Key => "key",
        Period::Device => "device",
    };
    let show_1h = r.totals.tokens.cache_write_1h > 0;
    let show_reasoning = r.totals.tokens.reasoning > 0;
    let show_project = r.report == Period::Session && r.rows.iter().any(|x| x.project.is_some());
    let show_bar = matches!(r.report, Period::Daily | Period::Weekly | Period::Monthly);
    let cost_head = format!("cost {}", r.currency);
    let mut head: Vec<(&str, Align)> = vec![(first, Align::Left)];
    if show_project {
        head.push(("project", Align::Left));
    }
    head.extend([
        ("input", Align::Right),
        ("cache read", Align::Right),
        ("cache write", Align::Right),
    ]);
    if show_1h {
        head.push(("write 1h", Align::Right));
    }
    head.push(("output", Align::Right));
    if show_reasoning {
        head.push(("reasoning", Align::Right));
    }
    head.extend([
        ("total tokens", Align::Right),
        (cost_head.as_str(), Align::Right),
        ("per 1M", Align::Right),
    ]);
    if show_bar {
        head.push(("", Align::Left));
    }
    let mut t = Table::new(&head);
    let max = r.rows.iter().map(|x| x.cost).max().unwrap_or_default();
    // Cents for large amounts, four decimals for small ones.
    let dp = if r.totals.cost >= Decimal::ONE_HUNDRED {
        2
    } else {
        4
    };
    let cells = |d: &mut Display,
                 label: String,
                 project: Option<&str>,
                 tk: &Tokens,
                 cost: Option<Decimal>,
                 cpm: Option<Decimal>,
                 unpriced: u128,
                 barv: Option<String>| {
        let mut c = vec![label];
        if show_project {
            c.push(project.unwrap_or("").to_string());
        }
        c.extend([int(tk.input), int(tk.cache_read), int(tk.cache_write)]);
        if show_1h {
            c.push(int(tk.cache_write_1h));
        }
        c.push(int(tk.output));
        if show_reasoning {
            c.push(int(tk.reasoning));
        }
        c.push(int(tk.total_tokens));
        let mut cost_s = cost.map_or_else(|| "unpriced".to_string(), |x| d.rounded(x, dp));
        if unpriced > 0 && cost.is_some() {
            cost_s.push('*');
        }
        c.push(cost_s);
        c.push(cpm.map_or_else(String::new, |x| d.rounded(x, 4)));
        if let Some(b) = barv {
            c.push(b);
        }
        c
    };
    for row in &r.rows {
        let b = show_bar.then(|| bar(row.cost, max, 16));
        let c = cells(
            &mut d,
            row.period.clone(),
            row.project.as_deref(),
            &row.tokens,
            (row.unpriced_tokens == 0 || row.unpriced_tokens < row.tokens.total_tokens)
                .then_some(row.cost),
            row.cost_per_million,
            row.unpriced_tokens,
            b,
        );
        t.row(c);
        for m in row.models.iter().flatten() {
            let b = show_bar.then(String::new);
            let c = cells(
                &mut d,
                format!("  {}", m.model),
                None,
                &m.tokens,
                m.cost,
                m.cost_per_million,
                m.unpriced_tokens,
                b,
            );
            t.row(c);
        }
        for g in row.groups.values().flatten() {
            let b = show_bar.then(String::new);
            let c = cells(
                &mut d,
                format!("  {}", g.name),
                None,
                &g.tokens,
                g.cost,
                g.cost_per_million,
                g.unpriced_tokens,
                b,
            );
            t.row(c);
        }
    }
    t.rule();
    let tt = &r.totals;
    let b = show_bar.then(String::new);
    let c = cells(
        &mut d,
        "total".into(),
        None,
        &tt.tokens,
        Some(tt.cost),
        tt.cost_per_million,
        tt.unpriced_tokens,
        b,
    );
    t.row(c);
    let mut s = t.render();
    if r.rows.is_empty() {
        s.push_str("(no usage in this period)\n");
        if r.mode == "ledger" {
            s.push_str("hint: `llmcost import PATH...` adds logs to the ledger; `llmcost report daily --logs` or `llmcost report daily PATH...` reads logs directly\n");
        }
    }
    if !r.unpriced.is_empty() {
        s.push_str("\nunpriced (not counted in the cost; * marks rows that include them):\n");
        for u in &r.unpriced {
            let _ = writeln!(
                s,
                "  {}: {} record{}, {} tokens — {}",
                u.model,
                int(u.records),
                if u.records == 1 { "" } else { "s" },
                int(u.tokens.total_tokens),
                u.reason
            );
        }
    }
    for f in &r.fx {
        let _ = writeln!(
            s,
            "fx: 1 {} = {} {} (given with --fx)",
            f.from, f.rate, f.to
        );
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = write!(
        s,
        "\ndays cut in {}; every record priced at its own time",
        r.tz
    );
    s.push('\n');
    if let Some(n) = d.footnote() {
        s.push_str(n);
        s.push('\n');
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(Decimal::from(2), Decimal::from(2), 2), "██");
        assert_eq!(bar(Decimal::from(1), Decimal::from(2), 2), "█");
        assert_eq!(bar(Decimal::ZERO, Decimal::from(2), 2), "");
    }
}

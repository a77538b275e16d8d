//! `llmcost prices import | which | update | diff`: user price files, imports
//! of LiteLLM and OpenRouter price files, and where each price comes from.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use llmcost_catalog::{Catalog, CatalogFile, LayerRow, RowOutcome};
use llmcost_core::{Currency, Decimal, Rates, Timestamp};
use llmcost_price_import::{Change, DiffRow, Format, ImportOptions, Imported};
use serde::Serialize;

use super::catalog_layers::{self, user_dir};
use super::{ExitStatus, catalog};
use crate::args::Format as OutFormat;
use crate::common::{PriceSettings, Provenance, parse_time};
use crate::output::{Align, Display, Table, when};

/// The verbs of `llmcost prices`.
#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Convert a LiteLLM or OpenRouter price file into a catalog file (default: the user
    /// catalog directory), listing every price field that cannot be mapped.
    Import(ImportPricesArgs),
    /// Explain which row prices a model at an instant: layer, file, period, alias or
    /// pattern followed, and the precedence that chose it.
    Which(WhichArgs),
    /// Fetch (or read) a LiteLLM or OpenRouter file and show what changes against the
    /// current user catalog before writing it.
    Update(UpdateArgs),
    /// Compare two catalogs: what got cheaper or dearer, what is new, what is gone.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct ImportPricesArgs {
    /// LiteLLM `model_prices_and_context_window.json` or OpenRouter `/api/v1/models` JSON.
    pub file: PathBuf,
    /// Input format: litellm or openrouter (default: detected from the file).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Catalog file to write (default: `<config dir>/llmcost/catalog/<format>.toml`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// First instant of the imported prices (default: the start of today, UTC). Imported
    /// prices have no history before it.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Name written as the rows' source (default: the file path).
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// Print the import report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WhichArgs {
    /// Model id, alias or a name a pattern matches.
    pub model: String,
    #[command(flatten)]
    pub price: crate::args::PriceOpts,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// URL (http or https) or file of a LiteLLM or OpenRouter price file.
    #[arg(long = "from", value_name = "URL|FILE")]
    pub source: String,
    /// Input format: litellm or openrouter (default: detected).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Catalog file to compare with and write (default: `<config dir>/llmcost/catalog/<format>.toml`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Catalog A: a catalog TOML file, a LiteLLM or OpenRouter JSON file, `built-in`, or
    /// `current` (this run's layered catalog).
    pub a: String,
    /// Catalog B, the same kinds.
    pub b: String,
    /// Compare the prices in force at this instant (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Also list models whose price did not change.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
}

pub fn run(cmd: &PricesCommand, out: &mut dyn Write) -> Result<ExitStatus> {
    match cmd {
        PricesCommand::Import(a) => import(a, out),
        PricesCommand::Which(a) => which(a, out),
        PricesCommand::Update(a) => update(a, out),
        PricesCommand::Diff(a) => diff(a, out),
    }
}

// ---------------------------------------------------------------- import

fn parse_format(given: Option<&str>, text: &str, what: &str) -> Result<Format> {
    match given {
        Some(f) => f
            .parse()
            .map_err(|e: String| crate::common::usage_err!("--format: {e}")),
        None => Format::detect(text).ok_or_else(|| {
            crate::common::usage_err!(
                "{what}: cannot tell whether this is a LiteLLM or an OpenRouter price file\n\
                 hint: pass --format litellm or --format openrouter"
            )
        }),
    }
}

fn default_output(given: Option<&Path>, format: Format) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    user_dir()
        .map(|d| d.join(format!("{}.toml", format.key())))
        .ok_or_else(|| {
            crate::common::usage_err!("no user config directory here\nhint: pass --output FILE")
        })
}

/// The import instant (whole seconds) and the start of its UTC day.
fn today() -> Result<(Timestamp, Timestamp)> {
    let now = Timestamp::from_second(Timestamp::now().as_second())?;
    let day = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp();
    Ok((now, day))
}

fn convert(
    text: &str,
    format: Format,
    source: String,
    from: Option<Timestamp>,
) -> Result<Imported> {
    let (now, day) = today()?;
    let imported = llmcost_price_import::import(
        text,
        &ImportOptions {
            format,
            source,
            imported: now,
            from: Some(from.unwrap_or(day)),
        },
    )?;
    // Never write a file the loader would refuse.
    Catalog::files_only(&[CatalogFile {
        name: "imported".into(),
        text: imported.toml.clone(),
    }])
    .map_err(|e| anyhow!("the converted catalog does not load (a bug): {e}"))?;
    Ok(imported)
}

fn write_catalog(path: &Path, toml: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, toml).with_context(|| format!("cannot write {}", path.display()))
}

#[derive(Debug, Serialize)]
struct UnmappedJson<'a> {
    model: &'a str,
    field: &'a str,
    value: &'a str,
    reason: &'a str,
}

#[derive(Debug, Serialize)]
struct ImportJson<'a> {
    output: String,
    written: bool,
    format: &'static str,
    source: &'a str,
    from: Timestamp,
    models: usize,
    skipped: Vec<(&'a str, &'a str)>,
    unmapped: Vec<UnmappedJson<'a>>,
    rounded: Vec<(&'a str, &'a str, &'a str, &'a str)>,
}

fn import_json<'a>(
    i: &'a Imported,
    output: &Path,
    written: bool,
    format: Format,
    source: &'a str,
    from: Timestamp,
) -> ImportJson<'a> {
    ImportJson {
        output: output.display().to_string(),
        written,
        format: format.key(),
        source,
        from,
        models: i.models,
        skipped: i
            .skipped
            .iter()
            .map(|s| (s.model.as_str(), s.reason.as_str()))
            .collect(),
        unmapped: i
            .unmapped
            .iter()
            .map(|u| UnmappedJson {
                model: &u.model,
                field: &u.field,
                value: &u.value,
                reason: &u.reason,
            })
            .collect(),
        rounded: i
            .rounded
            .iter()
            .map(|r| {
                (
                    r.model.as_str(),
                    r.field.as_str(),
                    r.written.as_str(),
                    r.per_million.as_str(),
                )
            })
            .collect(),
    }
}

/// The import report: what was skipped, not priced, rounded.
fn report(out: &mut dyn Write, i: &Imported) -> Result<()> {
    if !i.skipped.is_empty() {
        // Grouped by reason; every entry is also in the file's [import] header.
        let mut by: Vec<(&str, Vec<&str>)> = Vec::new();
        for s in &i.skipped {
            let why = s.reason.split(" (").next().unwrap_or(&s.reason);
            match by.iter_mut().find(|(r, _)| *r == why) {
                Some((_, models)) => models.push(&s.model),
                None => by.push((why, vec![&s.model])),
            }
        }
        writeln!(
            out,
            "\nskipped {} entries, no row written (listed in the file's [import] header):",
            i.skipped.len()
        )?;
        for (why, models) in &by {
            let shown: Vec<&str> = models.iter().take(3).copied().collect();
            let more = models.len().saturating_sub(3);
            writeln!(
                out,
                "  {why} ×{}: {}{}",
                models.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
    }
    if !i.unmapped.is_empty() {
        // Grouped by field; every entry is also in the file ([import] unmapped, row notes).
        let mut by: Vec<(&str, &str, Vec<&str>)> = Vec::new();
        for u in &i.unmapped {
            match by.iter_mut().find(|(f, _, _)| *f == u.field) {
                Some((_, _, models)) => models.push(&u.model),
                None => by.push((&u.field, &u.reason, vec![&u.model])),
            }
        }
        by.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.0.cmp(b.0)));
        writeln!(
            out,
            "\nnot priced: {} fields on {} models (listed in the file's [import] header and row notes):",
            i.unmapped.len(),
            {
                let mut m: Vec<&str> = i.unmapped.iter().map(|u| u.model.as_str()).collect();
                m.sort_unstable();
                m.dedup();
                m.len()
            }
        )?;
        for (field, reason, models) in &by {
            let shown: Vec<&str> = models.iter().take(3).copied().collect();
            let more = models.len().saturating_sub(3);
            writeln!(
                out,
                "  {field} ×{} — {reason}: {}{}",
                models.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
    }
    if !i.rounded.is_empty() {
        writeln!(
            out,
            "\nrounded {} values (binary float noise, kept to 15 significant digits):",
            i.rounded.len()
        )?;
        for r in &i.rounded {
            writeln!(
                out,
                "  {} {}: {} → {} per 1M",
                r.model, r.field, r.written, r.per_million
            )?;
        }
    }
    Ok(())
}

fn import(a: &ImportPricesArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let what = a.file.display().to_string();
    let format = parse_format(a.format.as_deref(), &text, &what)?;
    let from = a
        .from
        .as_deref()
        .map(parse_time)
        .transpose()
        .context("invalid --from")?;
    let source = a.source.clone().unwrap_or_else(|| what.clone());
    let i = convert(&text, format, source.clone(), from)?;
    let output = default_output(a.output.as_deref(), format)?;
    write_catalog(&output, &i.toml)?;
    let from = from.unwrap_or(today()?.1);
    if a.json {
        crate::output::write_json(out, &import_json(&i, &output, true, format, &source, from))?;
        return Ok(ExitStatus::Success);
    }
    writeln!(
        out,
        "imported {} models from {what} ({format}) into {}",
        i.models,
        output.display()
    )?;
    writeln!(
        out,
        "prices in force from {} (no history before; --from DATE for earlier)",
        when(from)
    )?;
    report(out, &i)?;
    writeln!(
        out,
        "\nimported rows rank below the built-in catalog and your own files; see `llmcost prices which MODEL`"
    )?;
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------- which

#[derive(Debug, Serialize)]
struct StepJson {
    kind: &'static str,
    name: String,
    target: String,
    from: Timestamp,
    until: Option<Timestamp>,
    catalog: String,
}

#[derive(Debug, Serialize)]
struct CandidateJson {
    catalog: String,
    layer: &'static str,
    file: String,
    currency: Currency,
    from: Timestamp,
    until: Option<Timestamp>,
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Decimal>,
    source: String,
    #[serde(rename = "override")]
    overrides: bool,
    rank: u8,
    /// At the instant: applies, outranked, other_currency, not_in_force.
    status: &'static str,
    /// Over its whole period: used, partly, shadowed.
    outcome: &'static str,
    /// Origins that beat it (partly or shadowed).
    beaten_by: Vec<String>,
}

#[derive(Debug, Serialize)]
struct WhichJson {
    model: String,
    at: Timestamp,
    resolved_model: String,
    provider: String,
    steps: Vec<StepJson>,
    price: Provenance,
    precedence: &'static str,
    prefer: &'static str,
    candidates: Vec<CandidateJson>,
}

fn status(c: &LayerRow, at: Timestamp, chosen: &llmcost_catalog::Resolved<'_>) -> &'static str {
    let s = c.row.spec();
    let ch = chosen.row.spec();
    if !c.row.covers(at) {
        "not_in_force"
    } else if s.currency != ch.currency {
        "other_currency"
    } else if !matches!(c.outcome, RowOutcome::Shadowed { .. })
        && c.origin == chosen.origin()
        && s.rates == ch.rates
        && s.source == ch.source
    {
        "applies"
    } else {
        "outranked"
    }
}

fn which(a: &WhichArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&a.price)?;
    let cat = catalog()?;
    let (r, _) = crate::common::resolve(cat, &a.model, s.at, &s)?;
    let prov = Provenance::of(&r);
    let steps: Vec<StepJson> = r
        .via
        .iter()
        .map(|v| StepJson {
            kind: if v.note.as_deref() == Some("pattern") && v.name.contains('*') {
                "pattern"
            } else {
                "alias"
            },
            name: v.name.clone(),
            target: v.target.clone(),
            from: v.from,
            until: v.until,
            catalog: v.origin.label(),
        })
        .collect();
    let rows = cat.layer_rows(&r.model.id);
    let candidates: Vec<CandidateJson> = rows
        .iter()
        .map(|c| {
            let sp = c.row.spec();
            let (outcome, by) = match &c.outcome {
                RowOutcome::Used => ("used", Vec::new()),
                RowOutcome::Partly { by } => ("partly", by.iter().map(|o| o.label()).collect()),
                RowOutcome::Shadowed { by } => ("shadowed", by.iter().map(|o| o.label()).collect()),
            };
            CandidateJson {
                catalog: c.origin.label(),
                layer: c.origin.layer.key(),
                file: c.origin.file.clone(),
                currency: sp.currency,
                from: sp.from,
                until: sp.until,
                input: sp.rates.input.map(|d| d.normalize()),
                cache_read: sp.rates.cache_read.map(|d| d.normalize()),
                output: sp.rates.output.map(|d| d.normalize()),
                source: sp.source.clone(),
                overrides: c.overrides,
                rank: c.rank,
                status: status(c, s.at, &r),
                outcome,
                beaten_by: by,
            }
        })
        .collect();
    let prefer = cat.prefer();
    let j = WhichJson {
        model: a.model.clone(),
        at: s.at,
        resolved_model: r.model.id.clone(),
        provider: r.model.provider.clone(),
        steps,
        price: prov,
        precedence: prefer.describe(),
        prefer: prefer.key(),
        candidates,
    };
    match a.price.format {
        OutFormat::Json => crate::output::write_json(out, &j)?,
        OutFormat::Table => which_table(out, &j)?,
    }
    Ok(ExitStatus::Success)
}

fn which_table(out: &mut dyn Write, j: &WhichJson) -> Result<()> {
    let mut d = Display::default();
    writeln!(out, "{} at {}\n", j.model, when(j.at))?;
    for st in &j.steps {
        if st.kind == "pattern" {
            writeln!(
                out,
                "pattern matched: `{}` → {} ({})",
                st.name, st.target, st.catalog
            )?;
        } else {
            writeln!(
                out,
                "alias followed: `{}` → {} ({}, {} → {})",
                st.name,
                st.target,
                st.catalog,
                when(st.from),
                st.until.map_or("now".into(), when)
            )?;
        }
    }
    let p = &j.price;
    writeln!(out, "model:      {} ({})", j.resolved_model, j.provider)?;
    writeln!(out, "catalog:    {}", p.catalog)?;
    writeln!(
        out,
        "row:        {} list, in force {} → {}{}",
        p.currency,
        when(p.from),
        p.until.map_or("now".into(), when),
        p.confidence
            .as_ref()
            .map(|c| format!(", confidence {c}"))
            .unwrap_or_default()
    )?;
    writeln!(out, "source:     {}", p.source)?;
    if let Some(n) = &p.note {
        writeln!(out, "note:       {n}")?;
    }
    writeln!(out, "precedence: {} (--prefer {})", j.precedence, j.prefer)?;
    writeln!(
        out,
        "\nevery row for {}, best rank first:\n",
        j.resolved_model
    )?;
    let mut t = Table::new(&[
        ("catalog", Align::Left),
        ("cur", Align::Left),
        ("from", Align::Left),
        ("until", Align::Left),
        ("input", Align::Right),
        ("output", Align::Right),
        ("at the instant", Align::Left),
        ("over its period", Align::Left),
    ]);
    let show = |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
    for c in &j.candidates {
        let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
        t.row(vec![
            format!(
                "{}{}",
                c.catalog,
                if c.overrides { " (override)" } else { "" }
            ),
            c.currency.to_string(),
            day(c.from),
            c.until.map_or("now".into(), day),
            show(&mut d, c.input),
            show(&mut d, c.output),
            match c.status {
                "applies" => "applies".to_string(),
                "outranked" => format!("outranked by {}", p.catalog),
                "other_currency" => "other currency".to_string(),
                _ => "not in force".to_string(),
            },
            match c.outcome {
                "used" => "used".to_string(),
                o => format!("{o} by {}", c.beaten_by.join(", ")),
            },
        ]);
    }
    write!(out, "{}", t.render())?;
    if let Some(f) = d.footnote() {
        writeln!(out, "{f}")?;
    }
    Ok(())
}

// ---------------------------------------------------------------- diff

#[derive(Debug, Serialize)]
struct RatesJson {
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_write: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Decimal>,
}

impl From<&Rates> for RatesJson {
    fn from(r: &Rates) -> Self {
        let n = |x: Option<Decimal>| x.map(|v| v.normalize());
        RatesJson {
            input: n(r.input),
            cache_read: n(r.cache_read),
            cache_write: n(r.cache_write),
            output: n(r.output),
        }
    }
}

#[derive(Debug, Serialize)]
struct DiffRowJson {
    model: String,
    currency: Currency,
    change: &'static str,
    before: Option<RatesJson>,
    after: Option<RatesJson>,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    cheaper: usize,
    dearer: usize,
    changed: usize,
    new: usize,
    gone: usize,
    same: usize,
}

#[derive(Debug, Serialize)]
struct DiffJson {
    at: Timestamp,
    a: String,
    b: String,
    summary: Summary,
    rows: Vec<DiffRowJson>,
}

fn diff_json(rows: &[DiffRow], at: Timestamp, a: &str, b: &str, all: bool) -> DiffJson {
    let mut summary = Summary::default();
    for r in rows {
        *match r.change {
            Change::Cheaper => &mut summary.cheaper,
            Change::Dearer => &mut summary.dearer,
            Change::Changed => &mut summary.changed,
            Change::New => &mut summary.new,
            Change::Gone => &mut summary.gone,
            Change::Same => &mut summary.same,
        } += 1;
    }
    let mut shown: Vec<&DiffRow> = rows
        .iter()
        .filter(|r| all || r.change != Change::Same)
        .collect();
    shown.sort_by(|x, y| x.change.cmp(&y.change).then(x.model.cmp(&y.model)));
    DiffJson {
        at,
        a: a.to_string(),
        b: b.to_string(),
        summary,
        rows: shown
            .into_iter()
            .map(|r| DiffRowJson {
                model: r.model.clone(),
                currency: r.currency,
                change: r.change.key(),
                before: r.before.as_ref().map(RatesJson::from),
                after: r.after.as_ref().map(RatesJson::from),
            })
            .collect(),
    }
}

fn diff_table(out: &mut dyn Write, j: &DiffJson) -> Result<()> {
    let mut d = Display::default();
    let s = &j.summary;
    writeln!(
        out,
        "{} → {} at {}: {} cheaper, {} dearer, {} changed, {} new, {} gone, {} unchanged",
        j.a,
        j.b,
        when(j.at),
        s.cheaper,
        s.dearer,
        s.changed,
        s.new,
        s.gone,
        s.same
    )?;
    if j.rows.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut t = Table::new(&[
        ("change", Align::Left),
        ("model", Align::Left),
        ("cur", Align::Left),
        ("input", Align::Right),
        ("cache read", Align::Right),
        ("output", Align::Right),
    ]);
    let show = |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
    for r in &j.rows {
        let pair = |d: &mut Display, f: fn(&RatesJson) -> Option<Decimal>| {
            let a = r.before.as_ref().and_then(f);
            let b = r.after.as_ref().and_then(f);
            if a == b {
                show(d, b)
            } else {
                format!("{} → {}", show(d, a), show(d, b))
            }
        };
        t.row(vec![
            r.change.to_string(),
            r.model.clone(),
            r.currency.to_string(),
            pair(&mut d, |x| x.input),
            pair(&mut d, |x| x.cache_read),
            pair(&mut d, |x| x.output),
        ]);
    }
    write!(out, "{}", t.render())?;
    writeln!(out, "\nrates per 1M tokens (standard tier)")?;
    if let Some(f) = d.footnote() {
        writeln!(out, "{f}")?;
    }
    Ok(())
}

fn diff(a: &DiffArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let at = match &a.at {
        Some(t) => parse_time(t).context("invalid --at")?,
        None => Timestamp::now(),
    };
    let ca = catalog_layers::standalone(&a.a, at)?;
    let cb = catalog_layers::standalone(&a.b, at)?;
    let rows = llmcost_price_import::diff(&ca, &cb, at);
    let j = diff_json(&rows, at, &a.a, &a.b, a.all);
    match a.format {
        OutFormat::Json => crate::output::write_json(out, &j)?,
        OutFormat::Table => diff_table(out, &j)?,
    }
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------- update

fn fetch(source: &str) -> Result<String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let mut resp = ureq::get(source)
            .call()
            .with_context(|| format!("cannot fetch {source}"))?;
        resp.body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("cannot read the response from {source}"))
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
    }
}

#[derive(Debug, Serialize)]
struct UpdateJson<'a> {
    #[serde(flatten)]
    import: ImportJson<'a>,
    diff: DiffJson,
}

#[expect(
    clippy::print_stderr,
    reason = "the confirmation prompt goes to stderr"
)]
fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok()
        && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn update(a: &UpdateArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let text = fetch(&a.source)?;
    let format = parse_format(a.format.as_deref(), &text, &a.source)?;
    let i = convert(&text, format, a.source.clone(), None)?;
    let output = default_output(a.output.as_deref(), format)?;
    let current = if output.exists() {
        Catalog::files_only(&[catalog_layers::read_file(&output, None)?])
            .map_err(|e| anyhow!("the current catalog file is invalid: {e}"))?
    } else {
        Catalog::files_only(&[]).map_err(|e| anyhow!("{e}"))?
    };
    let next = Catalog::files_only(&[CatalogFile {
        name: a.source.clone(),
        text: i.toml.clone(),
    }])
    .map_err(|e| anyhow!("{e}"))?;
    let (now, day) = today()?;
    let rows = llmcost_price_import::diff(&current, &next, now);
    let current_name = if output.exists() {
        output.display().to_string()
    } else {
        format!("{} (none yet)", output.display())
    };
    let dj = diff_json(&rows, now, &current_name, &a.source, false);
    let unchanged = dj.rows.is_empty();
    let mut written = false;
    if !a.json {
        diff_table(out, &dj)?;
        report(out, &i)?;
        out.flush()?;
    }
    if unchanged && output.exists() {
        if !a.json {
            writeln!(
                out,
                "\nno price changed: {} left as it is",
                output.display()
            )?;
        }
    } else if a.yes
        || confirm(&format!(
            "write {} models to {}?",
            i.models,
            output.display()
        ))
    {
        write_catalog(&output, &i.toml)?;
        written = true;
        if !a.json {
            writeln!(out, "\nwrote {} models to {}", i.models, output.display())?;
        }
    } else if !a.json {
        writeln!(
            out,
            "\nnot written: pass --yes to write {}",
            output.display()
        )?;
    }
    if a.json {
        crate::output::write_json(
            out,
            &UpdateJson {
                import: import_json(&i, &output, written, format, &a.source, day),
                diff: dj,
            },
        )?;
    }
    Ok(ExitStatus::Success)
}
